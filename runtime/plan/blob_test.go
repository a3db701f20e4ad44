package plan

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestBlobSourceStaysOnTheController checks that a blob's JSON form holds
// digest and size only: where the controller reads the bytes (a path on
// its disk, or the bytes themselves) never goes into a plan.
func TestBlobSourceStaysOnTheController(t *testing.T) {
	sum := strings.Repeat("0f", 32)
	b := Blob{SHA256: sum, Size: 70000, Source: BlobSource{Path: "/home/me/project/big.bin", Data: "the bytes", Name: "big.bin"}}
	data, err := json.Marshal(Attrs{"content": b})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"content":{"$blob":{"sha256":"` + sum + `","size":70000}}}`; string(data) != want {
		t.Fatalf("got %s\nwant %s", data, want)
	}
	var back Attrs
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if got := back["content"]; got != (Blob{SHA256: sum, Size: 70000}) {
		t.Fatalf("decoded %#v", got)
	}
}

func TestBlobMalformed(t *testing.T) {
	for _, text := range []string{
		`{"c":{"$blob":{"sha256":"xyz","size":1}}}`,
		`{"c":{"$blob":{"sha256":"` + strings.Repeat("0F", 32) + `","size":1}}}`,
		`{"c":{"$blob":{"sha256":"` + strings.Repeat("0f", 32) + `"}}}`,
		`{"c":{"$blob":{"sha256":"` + strings.Repeat("0f", 32) + `","size":-1}}}`,
		`{"c":{"$blob":"x"}}`,
	} {
		var a Attrs
		if err := json.Unmarshal([]byte(text), &a); err == nil {
			t.Errorf("%s decoded as %#v, want an error", text, a)
		}
	}
}

// TestBlobSources finds the blobs of a plan wherever they sit in the
// attributes, with their sources.
func TestBlobSources(t *testing.T) {
	one, two := strings.Repeat("11", 32), strings.Repeat("22", 32)
	p := &Plan{Roots: []*Root{{Name: "r", Node: &Node{ID: 1, Attrs: Attrs{"content": Blob{SHA256: one, Size: 1, Source: BlobSource{Data: "1"}}},
		Children: []*Node{{ID: 2, Attrs: Attrs{"files": []Value{&Dict{Keys: []Value{"blob"},
			Values: []Value{Blob{SHA256: two, Size: 2, Source: BlobSource{Path: "/p/two"}}}}}}}}}}}}
	got := p.BlobSources()
	if len(got) != 2 || got[one].Data != "1" || got[two].Path != "/p/two" {
		t.Fatalf("got %#v", got)
	}
	if got := (&Plan{Roots: []*Root{{Name: "r", Node: &Node{Attrs: Attrs{"c": Blob{SHA256: one}}}}}}).BlobSources(); len(got) != 0 {
		t.Fatalf("a decoded plan (no sources) gave %#v", got)
	}
}

// TestBlobChunkRequest: a chunk's request line carries no content; the
// bytes follow it raw.
func TestBlobChunkRequest(t *testing.T) {
	line, err := AppendRequest(nil, Request{Type: "blob", Blob: &BlobChunk{Transfer: 3, Size: 5}})
	if err != nil {
		t.Fatal(err)
	}
	req, err := DecodeRequest(line)
	if err != nil || req.Blob == nil || *req.Blob != (BlobChunk{Transfer: 3, Size: 5}) {
		t.Fatalf("decoded %+v, %v from %s", req, err, line)
	}
}
