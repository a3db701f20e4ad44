package plan

import "time"

// Event types streamed by the agent and rendered by the command line, in
// both text and --json output.
const (
	EventStart      = "start"
	EventHost       = "host"
	EventRootStart  = "root-start"
	EventRootFinish = "root-finish"
	EventComponent  = "component"
	EventLog        = "log"
	EventWarning    = "warning"
	EventError      = "error"
	EventFinish     = "finish"
	EventSection    = "section"
	EventReady      = "ready"
	EventBye        = "bye"
	EventUpload     = "upload"
	// EventBusy says that a component's verify or update is still
	// running (after 2 s, then every 30 s): Path, Action, Message.
	EventBusy = "busy"
	// EventHostClosed says that the connection to a host ended: Host,
	// Bytes (what was sent to its agent).
	EventHostClosed = "host-closed"
	// EventBlob is the agent asking the controller for the bytes of a
	// blob the host lacks: Digest (hex SHA-256), Bytes (its size) and
	// Transfer (a number the agent chose, which the chunks carry). The
	// controller answers with blob requests; it never shows this event.
	EventBlob = "blob"
	// EventBlobCancel tells the controller to stop sending Transfer (the
	// agent no longer reads it).
	EventBlobCancel = "blob-cancel"
)

// Event is one thing that happened during a run. Every event has a Type; the
// other fields are set as the type needs them.
type Event struct {
	Type        string  `json:"type"`
	Format      int     `json:"format,omitempty"`
	Environment string  `json:"environment,omitempty"`
	Mode        string  `json:"mode,omitempty"`
	Title       string  `json:"title,omitempty"`
	Host        string  `json:"host,omitempty"`
	Root        string  `json:"root,omitempty"`
	Status      string  `json:"status,omitempty"`
	Changed     *bool   `json:"changed,omitempty"`
	Via         string  `json:"via,omitempty"`
	Path        string  `json:"path,omitempty"`
	Action      string  `json:"action,omitempty"`
	Diff        string  `json:"diff,omitempty"`
	Message     string  `json:"message,omitempty"`
	File        string  `json:"file,omitempty"`
	Line        int     `json:"line,omitempty"`
	Hint        string  `json:"hint,omitempty"`
	Detail      string  `json:"detail,omitempty"`
	Counts      *Counts `json:"counts,omitempty"`
	Seconds     float64 `json:"seconds,omitempty"`
	Bytes       int64   `json:"bytes,omitempty"`
	// BlobBytes (host-closed) is how many bytes of file content were
	// sent to the agent as blobs (included in Bytes).
	BlobBytes int64 `json:"blob_bytes,omitempty"`
	// MaxRSS is a peak resident memory in bytes, as the kernel counted
	// it: the agent's in bye and host-closed, the controller's in finish.
	MaxRSS   int64  `json:"max_rss,omitempty"`
	Digest   string `json:"digest,omitempty"`
	Transfer int    `json:"transfer,omitempty"`
}

// Counts summarises a run.
type Counts struct {
	Hosts      int `json:"hosts"`
	Roots      int `json:"roots"`
	Done       int `json:"done"`
	Changed    int `json:"changed"`
	Failed     int `json:"failed"`
	Skipped    int `json:"skipped"`
	NotStarted int `json:"not_started"`
	Errors     int `json:"errors"`
}

// Request is a message from the controller to the agent.
type Request struct {
	// Type is "plan" (carry Plan), "run" (deploy the root named Root in
	// Mode "deploy" or "predict"), "interrupt", "blob" (carry Blob, the
	// raw bytes follow the line) or "stop".
	Type      string `json:"type"`
	Plan      *Plan  `json:"plan,omitempty"`
	Root      string `json:"root,omitempty"`
	Mode      string `json:"mode,omitempty"`
	BreakLock bool   `json:"break_lock,omitempty"`
	// Holder says who deploys, for the lock (with the plan).
	Holder *Holder `json:"holder,omitempty"`
	// Blob is a piece of a blob the agent asked for (Type "blob").
	Blob *BlobChunk `json:"blob,omitempty"`
	// Keep, when set with a Plan, receives the wire form of the plan's
	// roots as WriteRequest sent it (see Wire).
	Keep *Wire `json:"-"`
	// follow are the nodes of a plan whose children come in the lines
	// after the plan's (WriteRequest), in the order they come.
	follow []following
}

// BlobChunk is one piece of a blob on its way to the agent. On the wire
// it is a request line {"type":"blob","blob":{...}} followed by exactly
// Size raw bytes (not JSON), so content is neither escaped nor held whole
// at either end. The last chunk of a transfer has End set, or Error when
// the controller could not send it all.
type BlobChunk struct {
	Transfer int    `json:"transfer"`
	Size     int    `json:"size,omitempty"`
	End      bool   `json:"end,omitempty"`
	Error    string `json:"error,omitempty"`
}

// MaxBlobChunk is the largest Size a blob chunk may have; the agent
// refuses larger ones as a broken stream.
const MaxBlobChunk = 4 << 20

// Holder identifies a deploy: who runs it, where, since when.
type Holder struct {
	User    string    `json:"user"`
	Host    string    `json:"host"`
	PID     int       `json:"pid"`
	Started time.Time `json:"started"`
}

// Bool returns a pointer to b, for optional event fields.
func Bool(b bool) *bool { return &b }
