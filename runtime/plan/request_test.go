package plan

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"
)

func testPlan() *Plan {
	return &Plan{Format: Format, Version: "v", Created: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Host:    HostInfo{Name: "h", FQDN: "h.example.com", Data: map[string]string{"roots": "null"}},
		Secrets: []string{"s3cr\tet"},
		Roots: []*Root{
			{Name: "app", Workdir: "/w", Defdir: "components/app", Node: &Node{ID: 1, Kind: "App", Label: "App",
				Attrs:  Attrs{"content": "a\tb\n\"c\"", "roots": nil, "n": int64(-3), "l": []Value{"x", true}},
				Origin: "c.star:3", Def: &DefRef{File: "c.star", Name: "App", Update: true},
				Children: []*Node{{ID: 2, Kind: "File", Label: "File('\t')", Origin: "c.star:4"}}}},
			{Name: "off", Ignore: true, Workdir: "/o", Node: &Node{ID: 3, Kind: "Off", Label: "Off"}},
		}}
}

// A plan request survives the wire form unchanged, tabs and the
// placeholder text inside values included.
func TestRequestRoundTrip(t *testing.T) {
	req := Request{Type: "plan", Plan: testPlan(), BreakLock: true, Holder: &Holder{User: "u", PID: 7}}
	line, err := AppendRequest(nil, req)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Count(line, []byte{'\n'}) != 1 || line[len(line)-1] != '\n' {
		t.Fatalf("want one line, got %q", line)
	}
	if bytes.Count(line, []byte{'\t'}) != 1 {
		t.Fatalf("want exactly one raw tab (the separator), got %q", line)
	}
	got, err := DecodeRequest(line)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Plan.Roots, req.Plan.Roots) {
		t.Errorf("roots changed:\n%s", line)
	}
	got.Plan.Roots, req.Plan.Roots = nil, nil
	if !reflect.DeepEqual(got, req) {
		t.Errorf("request changed:\n%+v\n%+v", got, req)
	}
}

func TestRequestWithoutPlan(t *testing.T) {
	for _, req := range []Request{{Type: "run", Root: "app", Mode: "predict"}, {Type: "stop"}, {Type: "plan", Plan: &Plan{Format: Format}}} {
		line, err := AppendRequest(nil, req)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeRequest(line)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, req) {
			t.Errorf("request changed: %+v -> %+v", req, got)
		}
	}
}

// A damaged line is an error, never a partial plan.
func TestRequestMalformed(t *testing.T) {
	line, _ := AppendRequest(nil, Request{Type: "plan", Plan: testPlan()})
	for _, bad := range []string{
		string(line[:len(line)-5]),
		strings.Replace(string(line), `"kind":"File"`, `"kind":File`, 1),
		strings.Replace(string(line), `"name":"off"`, `"nom":"off"`, 1),
		`{"type":"run"}` + "\t[]",
	} {
		if _, err := DecodeRequest([]byte(bad)); err == nil {
			t.Errorf("no error for %q", bad)
		}
	}
}
