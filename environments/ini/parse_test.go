package ini

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// dump renders the parsed structure: one line per section and key with
// its line number and the value lines with theirs.
func dump(f *File) string {
	var b strings.Builder
	for _, s := range f.Sections() {
		fmt.Fprintf(&b, "%d [%s]\n", s.Line, s.Name)
		for _, k := range s.Keys() {
			fmt.Fprintf(&b, "%d %s = %q", k.Line, k.Name, k.Value)
			for i := range strings.Split(k.Value, "\n") {
				fmt.Fprintf(&b, " %d", k.ValueLine(i))
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

func TestParse(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"simple", "[a]\nx = 1\ny: 2\n", "1 [a]\n2 x = \"1\" 2\n3 y = \"2\" 3\n"},
		{"crlf", "[a]\r\nx = 1\r\n", "1 [a]\n2 x = \"1\" 2\n"},
		{"no final newline", "[a]\nx = 1", "1 [a]\n2 x = \"1\" 2\n"},
		{"first separator wins", "[a]\nweb1 = nginx:feat\na:b = c\n", "1 [a]\n2 web1 = \"nginx:feat\" 2\n3 a = \"b = c\" 3\n"},
		{"percent is literal", "[a]\nx = 100%(foo)s\n", "1 [a]\n2 x = \"100%(foo)s\" 2\n"},
		{"empty value", "[a]\nx =\ny = \n", "1 [a]\n2 x = \"\" 2\n3 y = \"\" 3\n"},
		{"keys are case-sensitive", "[a]\nX = 1\nx = 2\n", "1 [a]\n2 X = \"1\" 2\n3 x = \"2\" 3\n"},
		{"comments", "# top\n; top\n[a] ; c\n  # indented\nx = 1 ; c\ny = a#b ;c\nz = a;b\n",
			"3 [a]\n5 x = \"1\" 5\n6 y = \"a#b\" 6\n7 z = \"a;b\" 7\n"},
		{"spec example", "[environment]\nconnect_method = ssh            ; local | ssh | vagrant\n",
			"1 [environment]\n2 connect_method = \"ssh\" 2\n"},
		{"continuation", "[hosts]\nh = a,\n    b\n\tc\nk = v\n", "1 [hosts]\n2 h = \"a,\\nb\\nc\" 2 3 4\n5 k = \"v\" 5\n"},
		{"value on next lines", "[r]\nx =\n    1.2.3.4\n    ::2\n", "1 [r]\n2 x = \"\\n1.2.3.4\\n::2\" 2 3 4\n"},
		{"blank inside value", "[a]\nx = 1\n\n   2\n\ny = 3\n", "1 [a]\n2 x = \"1\\n\\n2\" 2 3 4\n6 y = \"3\" 6\n"},
		{"comment inside value", "[a]\nx = 1\n  # no\n  2\n", "1 [a]\n2 x = \"1\\n2\" 2 4\n"},
		{"trailing blanks dropped", "[a]\nx = 1\n\n\n[b]\n", "1 [a]\n2 x = \"1\" 2\n5 [b]\n"},
		{"indented key", "[a]\n  x = 1\n    y\n  z = 2\n", "1 [a]\n2 x = \"1\\ny\" 2 3\n4 z = \"2\" 4\n"},
		{"indented line after header is a key", "[a]\n  x = 1\n", "1 [a]\n2 x = \"1\" 2\n"},
		{"indented header continues", "[a]\nx = 1\n  [b]\n", "1 [a]\n2 x = \"1\\n[b]\" 2 3\n"},
		{"bom", "\ufeff[a]\nx = 1\n", "1 [a]\n2 x = \"1\" 2\n"},
		{"brackets in name", "[a]b]\n", "1 [a]b]\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("f.cfg", []byte(tt.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := dump(f); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
			if got := string(f.Bytes()); got != tt.in {
				t.Errorf("Bytes() = %q, want %q", got, tt.in)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"key before section", "x = 1\n[a]\n", "f.cfg:1: a key outside of any section"},
		{"bogus line", "[a]\nx = 1\nbogus\n", "f.cfg:3: not a section header, key = value, comment or continuation line"},
		{"indented bogus after header", "[a]\n  bogus\n", "f.cfg:2: not a section header"},
		{"duplicate section", "[a]\n[b]\n[a]\nx = 1\n", "f.cfg:3: section [a] is defined twice (first at line 1)"},
		{"duplicate key", "[a]\nx = 1\n\nx = 2\n", "f.cfg:4: key x is defined twice in [a] (first at line 2)"},
		{"unclosed header", "[a\n", "f.cfg:1: a section header without a closing ]"},
		{"text after header", "[a] # x\n", "f.cfg:1: text after the section header"},
		{"empty header", "[]\n", "f.cfg:1: a section header without a name"},
		{"empty key", "[a]\n= 1\n", "f.cfg:2: a key without a name"},
		{"several", "x\n[a]\ny\n[a]\n", "f.cfg:1: a key outside of any section\n  hint: put a [section] header above it\nf.cfg:3: not a section"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("f.cfg", []byte(tt.in))
			var list Errors
			if !errors.As(err, &list) {
				t.Fatalf("Parse error = %v, want Errors", err)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error\n%s\ndoes not start with\n%s", err, tt.want)
			}
			if got := string(f.Bytes()); got != tt.in {
				t.Errorf("Bytes() = %q, want %q", got, tt.in)
			}
		})
	}
}

func TestErrorsKeepGoodParts(t *testing.T) {
	f, err := Parse("f.cfg", []byte("[a]\nx = 1\nx = 2\n  more\n[a]\ny = 3\n[b]\nz = 4\n"))
	if err == nil || len(err.(Errors)) != 2 {
		t.Fatalf("want 2 errors, got %v", err)
	}
	if got, want := dump(f), "1 [a]\n2 x = \"1\" 2\n7 [b]\n8 z = \"4\" 8\n"; got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestZeroValues(t *testing.T) {
	var f File
	if len(f.Sections()) != 0 || f.Section("a") != nil || len(f.Bytes()) != 0 {
		t.Fatal("zero File is not empty")
	}
	s, err := f.AddSection("a")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Set("x", "1\n2"); err != nil {
		t.Fatal(err)
	}
	if got, want := string(f.Bytes()), "[a]\nx = 1\n    2\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	var sec Section
	if err := sec.Set("k", "v"); err != nil || sec.Key("k").Value != "v" {
		t.Errorf("zero Section Set: %v", err)
	}
	var k Key
	if k.ValueLine(3) != 0 {
		t.Error("zero Key ValueLine")
	}
}
