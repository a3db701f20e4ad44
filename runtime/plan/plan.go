package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// Format is the version of the plan and protocol records. An agent refuses a
// plan of another format.
const Format = 1

// Plan is the desired state of one host: what the agent must verify and, where
// it is out of date, update.
type Plan struct {
	Format          int               `json:"format"`
	Version         string            `json:"version"`
	AgentSHA256     string            `json:"agent_sha256,omitempty"`
	Environment     EnvInfo           `json:"environment"`
	Host            HostInfo          `json:"host"`
	Created         time.Time         `json:"created"`
	TargetDirectory string            `json:"target_directory"`
	Roots           []*Root           `json:"roots"`
	Programs        map[string]string `json:"programs,omitempty"`
	// Assets are the project files (by project-relative path) that
	// self.template may read on the host: the text files below the
	// definition directory of a root whose host code calls template().
	Assets map[string]string `json:"assets,omitempty"`
	// Secrets are the sensitive values this host's components use (and
	// no others): the agent masks them in every event it sends.
	Secrets []string `json:"secrets,omitempty"`
	// SecretFiles are the secret files (by name) whose content this
	// host's components use: self.environment.secret_files on the host.
	SecretFiles map[string]string `json:"secret_files,omitempty"`
	// Wire, when set, is the plan's roots already encoded (a plan kept
	// from an earlier deploy): WriteRequest sends it instead of Roots,
	// which are then nil.
	Wire *Wire `json:"-"`
}

// Wire is the wire form of a plan's roots: everything WriteRequest sends
// after the tab that ends the request's head (the roots and the lines of
// children after them). It does not depend on the request's other fields
// or on the plan's head, so it can be kept and sent again.
type Wire struct {
	// Parts are that wire form in pieces, one after the other: the pieces
	// WriteRequest wrote, kept without a copy.
	Parts [][]byte
	// Blobs are the plan's BlobSources.
	Blobs map[string]BlobSource
}

// Len is the length of the wire form.
func (w *Wire) Len() int {
	n := 0
	for _, p := range w.Parts {
		n += len(p)
	}
	return n
}

// Bytes returns the wire form in one piece.
func (w *Wire) Bytes() []byte {
	if len(w.Parts) == 1 {
		return w.Parts[0]
	}
	return bytes.Join(w.Parts, nil)
}

// EnvInfo is what components see as self.environment on the host.
type EnvInfo struct {
	Name            string `json:"name"`
	HostDomain      string `json:"host_domain,omitempty"`
	Platform        string `json:"platform,omitempty"`
	TargetDirectory string `json:"target_directory,omitempty"`
	ConnectMethod   string `json:"connect_method,omitempty"`
}

// HostInfo is what components see as self.host on the host.
type HostInfo struct {
	Name     string            `json:"name"`
	FQDN     string            `json:"fqdn"`
	Platform string            `json:"platform,omitempty"`
	Data     map[string]string `json:"data,omitempty"`
}

// Root is one root component on the host: a tree of nodes deployed in order.
type Root struct {
	Name    string `json:"name"`
	Ignore  bool   `json:"ignore,omitempty"`
	Workdir string `json:"workdir"`
	// Defdir is the project-relative directory of the root's .star file.
	Defdir string `json:"defdir,omitempty"`
	Node   *Node  `json:"node"`
}

// Node is one component instance. Children are deployed first, in order,
// then the node's own verify and, if needed, update.
type Node struct {
	ID      int     `json:"id"`
	Kind    string  `json:"kind"`
	Label   string  `json:"label"`
	Def     *DefRef `json:"def,omitempty"`
	Attrs   Attrs   `json:"attrs,omitempty"`
	Workdir string  `json:"workdir,omitempty"`
	Origin  string  `json:"origin,omitempty"`
	// BeforeUpdate is the scope ("precursor" or "*") of the node's
	// before-update handler, empty when it has none.
	BeforeUpdate string  `json:"before_update,omitempty"`
	Children     []*Node `json:"children,omitempty"`
}

// DefRef names a component definition written in Starlark: the project
// relative file that defines it and the name it is bound to there. The agent
// loads that file from Plan.Programs to run verify and update.
type DefRef struct {
	File string `json:"file"`
	Name string `json:"name"`
	// Verify, Update and LastUpdated tell which functions the definition has.
	Verify       bool `json:"verify,omitempty"`
	Update       bool `json:"update,omitempty"`
	LastUpdated  bool `json:"last_updated,omitempty"`
	BeforeUpdate bool `json:"before_update,omitempty"`
}

// Walk calls fn for n and every node below it, parents before children.
func (n *Node) Walk(fn func(*Node)) {
	fn(n)
	for _, c := range n.Children {
		c.Walk(fn)
	}
}

// Check reports why an agent of the given version cannot apply p, or nil.
func (p *Plan) Check(version string) error {
	if p.Format != Format {
		return fmt.Errorf("plan format %d, but this agent reads format %d; hint: deploy with the same batou version on both sides", p.Format, Format)
	}
	if p.Version != version {
		return fmt.Errorf("plan was compiled by batou %s, but this agent is batou %s; hint: let batou upload its own agent (remove the cached agent on the host)", p.Version, version)
	}
	return nil
}

// Marshal returns the deterministic, indented JSON form of p.
func (p *Plan) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(p); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Unmarshal decodes a plan written by Marshal.
func Unmarshal(data []byte) (*Plan, error) {
	var p Plan
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("decoding plan: %w", err)
	}
	return &p, nil
}
