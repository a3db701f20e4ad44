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
	// Mode "deploy" or "predict") or "stop".
	Type      string `json:"type"`
	Plan      *Plan  `json:"plan,omitempty"`
	Root      string `json:"root,omitempty"`
	Mode      string `json:"mode,omitempty"`
	BreakLock bool   `json:"break_lock,omitempty"`
	// Holder says who deploys, for the lock (with the plan).
	Holder *Holder `json:"holder,omitempty"`
}

// Holder identifies a deploy: who runs it, where, since when.
type Holder struct {
	User    string    `json:"user"`
	Host    string    `json:"host"`
	PID     int       `json:"pid"`
	Started time.Time `json:"started"`
}

// Bool returns a pointer to b, for optional event fields.
func Bool(b bool) *bool { return &b }
