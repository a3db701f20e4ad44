package ini

import (
	"errors"
	"testing"
)

// edited parses in, applies fn and returns the result.
func edited(t *testing.T, in string, fn func(f *File) error) (string, error) {
	t.Helper()
	f, err := Parse("f.cfg", []byte(in))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	err = fn(f)
	return string(f.Bytes()), err
}

// set returns an edit that sets key in section.
func set(section, key, value string) func(*File) error {
	return func(f *File) error { return f.Section(section).Set(key, value) }
}

func TestEdits(t *testing.T) {
	tests := []struct {
		name, in string
		edit     func(*File) error
		want     string
	}{
		{"replace keeps spacing and comment", "[e]\nconnect_method = ssh            ; local | ssh\nx=1\n",
			set("e", "connect_method", "local"), "[e]\nconnect_method = local            ; local | ssh\nx=1\n"},
		{"replace compact", "[e]\nx=1\n", set("e", "x", "22"), "[e]\nx=22\n"},
		{"replace empty value", "[e]\nx =\n", set("e", "x", "a"), "[e]\nx = a\n"},
		{"replace empty value with comment", "[e]\nx =   ; c\n", set("e", "x", "a"), "[e]\nx = a   ; c\n"},
		{"replace with empty", "[e]\nx = a ; c\ny = b\n", set("e", "x", ""), "[e]\nx = ; c\ny = b\n"},
		{"replace crlf", "[e]\r\nx = 1\r\ny = 2\r\n", set("e", "x", "a\nb"), "[e]\r\nx = a\r\n    b\r\ny = 2\r\n"},
		{"replace keeps continuation indent", "[h]\nx = a\n\tb\n\tc\ny = 1\n", set("h", "x", "d\n\ne"), "[h]\nx = d\n\n\te\ny = 1\n"},
		{"multi to single", "[h]\nx = a\n  # c\n  b\n\n# after\ny = 1\n", set("h", "x", "z"), "[h]\nx = z\n\n# after\ny = 1\n"},
		{"replace last line without newline", "[h]\nx = a", set("h", "x", "b\nc"), "[h]\nx = b\n    c"},
		{"replace indented key", "[h]\n  x = a\n  y = b\n", set("h", "x", "1\n2"), "[h]\n  x = 1\n      2\n  y = b\n"},
		{"value starting on next line", "[r]\nx =\n  1\n", set("r", "x", "\n2\n3"), "[r]\nx =\n  2\n  3\n"},
		{"add after last key", "[a]\nx = 1\n# trailing\n\n[b]\n", set("a", "y", "2"), "[a]\nx = 1\ny = 2\n# trailing\n\n[b]\n"},
		{"add to empty section", "[a]\n# about a\n\n[b]\n", set("a", "y", "2"), "[a]\n# about a\ny = 2\n\n[b]\n"},
		{"add multi-line", "[a]\n", set("a", "y", "1\n2"), "[a]\ny = 1\n    2\n"},
		{"add without final newline", "[a]\nx = 1", set("a", "y", "2"), "[a]\nx = 1\ny = 2\n"},
		{"add before indented header", "[a]\n  [b]\n", set("a", "y", "2"), "[a]\n  y = 2\n  [b]\n"},
		{"delete", "[a]\nx = 1\n  2\ny = 3\n", func(f *File) error { return f.Section("a").Delete("x") }, "[a]\ny = 3\n"},
		{"delete missing", "[a]\n", func(f *File) error { return f.Section("a").Delete("x") }, "[a]\n"},
		{"add section", "[a]\nx = 1\n", addSection("b"), "[a]\nx = 1\n\n[b]\n"},
		{"add section after blank", "[a]\n\n", addSection("b"), "[a]\n\n[b]\n"},
		{"add section no newline crlf", "[a]\r\nx = 1", addSection("b"), "[a]\r\nx = 1\r\n\r\n[b]\r\n"},
		{"add section to comments only", "# hi\n", addSection("b"), "# hi\n\n[b]\n"},
		{"add existing section", "[a]\n", addSection("a"), "[a]\n"},
		{"delete middle section", "[a]\nx = 1\n\n[b]\ny = 2\n\n[c]\n", delSection("b"), "[a]\nx = 1\n\n[c]\n"},
		{"delete last section", "[a]\nx = 1\n\n[b]\ny = 2\n", delSection("b"), "[a]\nx = 1\n"},
		{"delete only section", "# c\n\n[a]\n", delSection("a"), "# c\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := edited(t, tt.in, tt.edit)
			if err != nil {
				t.Fatalf("edit: %v", err)
			}
			if got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func addSection(name string) func(*File) error {
	return func(f *File) error { _, err := f.AddSection(name); return err }
}

func delSection(name string) func(*File) error {
	return func(f *File) error { return f.DeleteSection(name) }
}

func TestAddThenDeleteRestores(t *testing.T) {
	for _, in := range []string{"[a]\nx = 1", "[a]\nx = 1\n", "", "# c", "[a]\r\n"} {
		got, err := edited(t, in, func(f *File) error {
			s, err := f.AddSection("new")
			if err == nil {
				err = s.Set("k", "v\nw")
			}
			if err == nil {
				err = f.DeleteSection("new")
			}
			return err
		})
		if err != nil || got != in {
			t.Errorf("%q: got %q, %v", in, got, err)
		}
	}
}

func TestEditUpdatesLines(t *testing.T) {
	f, _ := Parse("f.cfg", []byte("[a]\nx = 1\ny = 2\n[b]\nz = 3\n"))
	if err := f.Section("a").Set("x", "1\n2\n3"); err != nil {
		t.Fatal(err)
	}
	if got, want := dump(f), "1 [a]\n2 x = \"1\\n2\\n3\" 2 3 4\n5 y = \"2\" 5\n6 [b]\n7 z = \"3\" 7\n"; got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestSetRejects(t *testing.T) {
	tests := []struct{ key, value string }{
		{"", "v"}, {" k", "v"}, {"a=b", "v"}, {"a:b", "v"}, {"[k", "v"}, {"#k", "v"}, {"a ;b", "v"},
		{"k", " v"}, {"k", "v "}, {"k", ";v"}, {"k", "a ;b"}, {"k", "a\n#b"}, {"k", "a\n;b"},
		{"k", "a\n"}, {"k", "a\r"}, {"k", "a\n  b"},
	}
	for _, tt := range tests {
		in := "[a]\nk = old\n"
		got, err := edited(t, in, set("a", tt.key, tt.value))
		if err == nil || got != in {
			t.Errorf("Set(%q, %q) = %v, file %q", tt.key, tt.value, err, got)
		}
	}
	if _, err := new(File).AddSection("a]"); err == nil {
		t.Error("AddSection(a]) succeeded")
	}
}

func TestEditThatWouldChangeMeaningIsUndone(t *testing.T) {
	in := "[a]\nx = 1\n[b]\n    [c]\ny = 2\n"
	got, err := edited(t, in, delSection("b"))
	if !errors.Is(err, ErrEdit) {
		t.Fatalf("err = %v, want ErrEdit", err)
	}
	if got != in {
		t.Errorf("file changed: %q", got)
	}
}

func TestAllowedValues(t *testing.T) {
	for _, v := range []string{"", "a#b", "#a", "a;b", "100%", "\nx", "a\n\nb", "[x]", "a = b", "ü\tß"} {
		f, _ := Parse("f.cfg", []byte("[a]\nk = old ; note\n"))
		if err := f.Section("a").Set("k", v); err != nil {
			t.Errorf("Set(%q): %v", v, err)
			continue
		}
		g, err := Parse("f.cfg", f.Bytes())
		if err != nil || g.Section("a").Key("k").Value != v {
			t.Errorf("Set(%q) reads back as %q (%v)", v, g.Section("a").Key("k").Value, err)
		}
	}
}
