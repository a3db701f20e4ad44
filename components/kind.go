package components

import (
	"context"
	"fmt"
	"sort"
)

// Attrs holds the attribute values of one component instance as plain Go
// values: nil, bool, int64, float64, string, []byte, []any and
// map[string]any.
type Attrs map[string]any

// AttrType names the type an attribute accepts.
type AttrType string

// The attribute types a kind can declare.
const (
	TypeStr   AttrType = "str"
	TypeInt   AttrType = "int"
	TypeFloat AttrType = "float"
	TypeBool  AttrType = "bool"
	TypeList  AttrType = "list"
	TypeDict  AttrType = "dict"
	TypeBytes AttrType = "bytes"
	// TypeAny accepts any value (for example mode: an int or a string).
	TypeAny AttrType = "any"
)

// Attr declares one attribute of a kind.
type Attr struct {
	Name string
	Type AttrType
	// Default is used when the attribute is not given. A nil Default with
	// Required false means the attribute is simply unset (None).
	Default  any
	Required bool
	Doc      string
}

// Sub is a sub-component produced by Expand.
type Sub struct {
	Kind  string
	Attrs Attrs
	// Final says that Attrs are final already: the sub-component's Expand
	// need not work them out again (ExpandContext.Final).
	Final bool
}

// DisplayAttr is the attribute in which a kind whose namevar is a path keeps
// that path as the user wrote it ("hello.conf"), while the namevar attribute
// itself holds the mapped, absolute path after Expand. Every built-in
// path kind sets it in Expand when it is absent, and passes it on unchanged
// to its sub-components, so that the breadcrumb of a sub-component shows the
// user's spelling: File('hello.conf') > Content('hello.conf'). The runtime
// uses it for labels only; it is not needed on the host.
const DisplayAttr = "_display"

// ExpandContext is what Expand may use on the deploying machine. It is
// provided by the Starlark runtime; it never touches the target host.
type ExpandContext interface {
	// Map turns a path as the user wrote it into the path used on the host:
	// a relative path is joined to the component's workdir; an absolute
	// path or one starting with ~ is returned unchanged.
	Map(path string) string
	// ReadAsset reads a file of the project, relative to the component's
	// defdir (absolute paths must still lie inside the project).
	ReadAsset(path string) ([]byte, error)
	// ReadText reads a file of the project as ReadAsset does and decodes
	// it with DecodeText. The text may be the one of an earlier call
	// (many Files render one template).
	ReadText(path, enc string) (string, error)
	// LargeAsset returns a file of the project (as for ReadAsset) that
	// holds more than InlineMax bytes as a Blob, hashed without reading
	// it into memory; for a smaller file it returns nil (read it with
	// ReadAsset).
	LargeAsset(path string) (*Blob, error)
	// ReadTree lists a directory of the project, relative to the defdir,
	// recursively, in lexical order of relative path. Files larger than
	// InlineMax come as a Blob instead of their Data.
	ReadTree(path string) ([]TreeEntry, error)
	// Sensitive reports whether text is, or contains, a sensitive value:
	// a secret or a string computed from one.
	Sensitive(text string) bool
	// Render renders text as a template; name is used in errors (the
	// template file). args become `args` in the template context and the
	// `component` is the parent of the component being expanded.
	Render(name, text string, args any) (string, error)
	// Final reports whether the component being expanded was added by
	// its parent's Expand as a Sub with Final set: its attributes are
	// final already (a File's Content holds the rendered content).
	Final() bool
}

// TreeEntry is one entry of a project directory returned by ReadTree.
type TreeEntry struct {
	Path string // relative, slash separated
	Dir  bool
	Mode uint32 // permission bits
	Link string // symlink target, when the entry is a symlink
	Data []byte // file content
	Blob *Blob  // the content of a file larger than InlineMax, instead of Data
}

// Context is what Verify and Update get on the host.
type Context struct {
	// Workdir is the root component's working directory (absolute).
	Workdir string
	// Home is the home directory used to expand ~ in paths.
	Home string
	// Predict is true when nothing may be changed.
	Predict bool
	// Log reports a message under the current component.
	Log func(format string, args ...any)
	// Files holds files read ahead for verifies (may be nil).
	Files *Prefetch
	// Stage holds new files written ahead for the Files being deployed
	// (may be nil).
	Stage *Stage
	// Atomic writes files; kinds write every file through it.
	Atomic Atomic
	// Shared is kept for the whole deploy on this host (may be nil).
	Shared *Shared
	// Blobs fetches the content of blobs from the controller (nil: there
	// is no controller to ask).
	Blobs BlobFetcher
	// Stop ends when the agent must stop what runs (its controller went
	// away): the commands kinds run are then killed, with everything they
	// started (their process group). Nil: they run to their end.
	Stop context.Context
	// ParentChanged is true when a component deployed before this one
	// under the same parent changed in this deploy (systemd units restart
	// then).
	ParentChanged bool
	// created are the files Presence created with this context, which a
	// Content of the same path may fill in place of a temporary file
	// (fillCreated).
	created map[string]struct{}
}

// Result is what Verify found.
type Result struct {
	// NeedsUpdate is true when the host does not match the attributes.
	NeedsUpdate bool
	// Reason says why, in a few words ("file missing").
	Reason string
	// Diff is a unified diff of the change (file content), if any.
	Diff string
	// Sensitive is true when the diff must not be shown.
	Sensitive bool
}

// Kind is a built-in component kind.
type Kind struct {
	// Name as seen in Starlark: "File", "Directory", "git.Clone".
	Name string
	// Namevar is the attribute filled by the first positional argument.
	Namevar string
	Attrs   []Attr
	Doc     string
	// Expand runs during configure. It returns the normalised attributes of
	// the component itself (may be the input, changed) and its
	// sub-components, in deploy order. Nil means no sub-components and the
	// attributes unchanged. Expand owns its input; the Attrs of each Sub
	// it returns must be a map of its own, which then belongs to that
	// sub-component (its Expand gets it, with the defaults added).
	Expand func(ctx ExpandContext, a Attrs) (Attrs, []Sub, error)
	// Verify runs on the host. Nil means always up to date. Verify must
	// neither change a nor keep it after it returns (in a Result, the
	// Shared state, a goroutine, a closure): the agent fills the same map
	// again for the next component of the kind. It may keep the values
	// a holds (strings, lists), unchanged. Update gets a map of its own.
	Verify func(ctx *Context, a Attrs) (Result, error)
	// Update runs on the host when Verify asked for it (not when predicting).
	Update func(ctx *Context, a Attrs) error
	// ReadAhead names the attribute that holds the path of a file Verify
	// reads whole (Content's path); the agent reads such files ahead of
	// the verifies. Empty means Verify reads no such file.
	ReadAhead string
	// Prepare, when set, runs on the host before the components of a
	// root are deployed, with the attributes of every component of this
	// kind in the root, so that a kind can ask the system once for all of
	// them (apt.Package queries dpkg once) and keep the answer in
	// ctx.Shared. It cannot fail: each Verify asks for itself what
	// Prepare did not learn.
	Prepare func(ctx *Context, all []Attrs)
	// Finish, when set, runs on the host after each root that was not
	// predicted (also after a failed one), to complete work a kind
	// deferred (a systemd daemon-reload for unit files that no later
	// component started).
	Finish func(ctx *Context) error
	// Writes names the attribute that holds the path Update writes (a
	// file, or a directory it writes below); after a root the agent
	// flushes the file systems of these paths. Empty means Update writes
	// no file of its own (or leaves flushing to the tool it drives).
	Writes string
}

// Attr returns the declaration of the attribute name, or nil.
func (k *Kind) Attr(name string) *Attr {
	for i := range k.Attrs {
		if k.Attrs[i].Name == name {
			return &k.Attrs[i]
		}
	}
	return nil
}

// Registry maps kind names to kinds.
type Registry struct {
	kinds map[string]*Kind
}

// Add registers k; a second kind of the same name panics (a programming error).
func (r *Registry) Add(k *Kind) {
	if r.kinds == nil {
		r.kinds = map[string]*Kind{}
	}
	if _, dup := r.kinds[k.Name]; dup {
		panic(fmt.Sprintf("components: kind %s registered twice", k.Name))
	}
	r.kinds[k.Name] = k
}

// Get returns the kind called name, or nil.
func (r *Registry) Get(name string) *Kind {
	return r.kinds[name]
}

// Names returns the registered kind names, sorted.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.kinds))
	for n := range r.kinds {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Builtin returns a registry with every built-in kind. The registry is new on
// every call, so callers may add to it.
func Builtin() *Registry {
	r := &Registry{}
	for _, k := range builtinKinds() {
		r.Add(k)
	}
	return r
}
