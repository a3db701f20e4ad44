package plan

// Schedule is the deploy order of roots across hosts: every root lists the
// roots that must finish before it starts. Roots are in environment order.
type Schedule struct {
	Roots []ScheduledRoot `json:"roots"`
}

// ScheduledRoot is one root in a Schedule.
type ScheduledRoot struct {
	Host string `json:"host"`
	Root string `json:"root"`
	// Ignored is set when the root is marked with ! (configured, not
	// deployed); HostIgnored when its host is.
	Ignored     bool `json:"ignored,omitempty"`
	HostIgnored bool `json:"host_ignored,omitempty"`
	// After holds indices (into Schedule.Roots) of the roots this one
	// depends on.
	After []int `json:"after,omitempty"`
}
