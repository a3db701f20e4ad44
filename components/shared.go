package components

import "sync"

// Shared holds what built-in kinds keep between the components of one
// deploy on one host: a pending systemd daemon-reload, the package states
// dpkg reported. The agent makes one per plan. A nil *Shared keeps
// nothing: every Value call gets a fresh value.
type Shared struct {
	mu   sync.Mutex
	vals map[string]any
}

// NewShared returns an empty store.
func NewShared() *Shared { return &Shared{vals: map[string]any{}} }

// Value returns the value stored under key, made by init on first use.
// Values are shared by goroutines; a kind guards what it keeps there.
func (s *Shared) Value(key string, init func() any) any {
	if s == nil {
		return init()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.vals[key]
	if !ok {
		v = init()
		s.vals[key] = v
	}
	return v
}
