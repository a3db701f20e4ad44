package plan

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestMaskerMask(t *testing.T) {
	m := NewMasker("s3cret-pw", "ab", "s3cret-pw-longer", "c2VjcmV0")
	m.Add("") // ignored
	tests := []struct{ in, want string }{
		{"s3cret-pw", "***"},
		{"ab", "***"},                        // short: whole value
		{"cab ab abc", "cab ab abc"},         // short: not inside texts
		{"user:s3cret-pw@db", "user:***@db"}, // searched inside
		{"x s3cret-pw-longer y", "x *** y"},  // longest first
		{"b64 c2VjcmV0 end", "b64 *** end"},  // an added derived value
		{"nothing here", "nothing here"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := m.Mask(tt.in); got != tt.want {
			t.Errorf("Mask(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if m.Len() != 4 {
		t.Errorf("Len = %d", m.Len())
	}
}

func TestMaskerDerivedValuesAreNotSearched(t *testing.T) {
	m := NewMasker("pw12")
	m.Derive("line one\npassword = pw12\n") // a rendered file: found through pw12
	if got := m.Used("password = pw12"); strings.Join(got, ",") != "pw12" {
		t.Errorf("Used = %q", got)
	}
	if got := m.Used("line one\npassword = pw12\n"); strings.Join(got, ",") != "line one\npassword = pw12\n,pw12" {
		t.Errorf("Used(whole) = %q", got)
	}
	short := NewMasker("ab")
	short.Derive("x = ab\n") // derived from a short secret: searched itself
	if got := short.Mask("file:\nx = ab\n"); got != "file:\n***" {
		t.Errorf("Mask = %q", got)
	}
}

func TestMaskerNil(t *testing.T) {
	var m *Masker
	if m.Mask("x") != "x" || m.Touches("x") || m.Is("x") || m.Len() != 0 || m.Used("x") != nil {
		t.Error("a nil masker must be empty")
	}
	e := Event{Type: EventLog, Message: "m"}
	if m.MaskEvent(e) != e {
		t.Error("MaskEvent changed an event")
	}
}

func TestMaskEvent(t *testing.T) {
	m := NewMasker("hunter22", "42")
	e := m.MaskEvent(Event{Type: EventError, Message: "cmd failed: mysql -phunter22", Detail: "42", Path: "File('/x/hunter22')",
		Hint: "hunter22", Diff: "-a\n+hunter22\n", Line: 42})
	for _, s := range []string{e.Message, e.Detail, e.Path, e.Hint, e.Diff} {
		if strings.Contains(s, "hunter22") || s == "42" {
			t.Errorf("not masked: %q", s)
		}
	}
	if e.Line != 42 || e.Message != "cmd failed: mysql -p***" {
		t.Errorf("event %+v", e)
	}
}

func TestPlanMaskedAndUsedBy(t *testing.T) {
	m := NewMasker("topsecret", "9", "hostpw", "unused-secret")
	p := &Plan{Host: HostInfo{Name: "web1", Data: map[string]string{"pw": "hostpw", "rack": "r1"}},
		Roots: []*Root{{Name: "app", Node: &Node{ID: 1, Kind: "app", Label: "App", Attrs: Attrs{
			"dsn":  "postgres://u:topsecret@db",
			"n":    int64(9),
			"list": []Value{"a", "9", &Dict{Keys: []Value{"k"}, Values: []Value{"topsecret"}}},
		}, Children: []*Node{{ID: 2, Kind: "File", Label: "File('x')", Attrs: Attrs{"content": "9"}}}}}}}
	used := m.UsedBy(p)
	if strings.Join(used, ",") != "9,hostpw,topsecret" {
		t.Fatalf("UsedBy = %q", used)
	}
	p.Secrets = used
	out, err := p.Masked(m).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	text := string(out)
	for _, s := range []string{"topsecret", "hostpw", `"9"`, `: 9`} {
		if strings.Contains(text, s) {
			t.Errorf("masked plan shows %s:\n%s", s, text)
		}
	}
	var back Plan
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatalf("masked plan is not JSON: %v", err)
	}
	if back.Host.Data["rack"] != "r1" || back.Roots[0].Node.Attrs["dsn"] != "postgres://u:***@db" {
		t.Errorf("masked too much: %s", text)
	}
	if p.Roots[0].Node.Attrs["dsn"] != "postgres://u:topsecret@db" || p.Host.Data["pw"] != "hostpw" {
		t.Error("Masked changed the original plan")
	}
}

// TestMaskEventCoversEveryTextField fails when Event gets a text field
// that MaskEvent does not mask (the fields with fixed words are exempt,
// and so is Digest: the hex SHA-256 of content that is not sensitive, which
// a 4-digit hex secret must not break).
func TestMaskEventCoversEveryTextField(t *testing.T) {
	fixed := map[string]bool{"Type": true, "Environment": true, "Mode": true, "Status": true, "Action": true, "Digest": true}
	m := NewMasker("hunter22")
	var e Event
	v := reflect.ValueOf(&e).Elem()
	for i := 0; i < v.NumField(); i++ {
		if v.Field(i).Kind() == reflect.String {
			v.Field(i).SetString("x hunter22 y")
		}
	}
	out := reflect.ValueOf(m.MaskEvent(e))
	for i := 0; i < out.NumField(); i++ {
		name := out.Type().Field(i).Name
		if f := out.Field(i); f.Kind() == reflect.String && !fixed[name] && strings.Contains(f.String(), "hunter22") {
			t.Errorf("MaskEvent does not mask Event.%s", name)
		}
	}
}
