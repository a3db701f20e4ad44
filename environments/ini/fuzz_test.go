package ini

import (
	"bytes"
	"testing"
)

var fuzzSeeds = []string{
	"",
	"[environment]\nconnect_method = ssh            ; local | ssh | vagrant\nhost_domain = example.com\n",
	"[hosts]\nweb1 = nginx, app\n!db1 = postgres\n    more\n\n\n[host:x]\ncomponents =\n  a\n\n  b\n  # c\n",
	"\ufeff[a]\r\nx = 1\r\ny=2",
	"x = 1\n[a]\n[a]\nbogus\n  deeper\n[b\n[c] x\n",
	"[a]\n  x = 1\n    y\n  z = 2\n [b]\n",
	"; c\n# c\n\n[a]\nk: v ; c\n\tk2 = v2\n",
}

func FuzzRoundTrip(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, _ := Parse("f.cfg", data)
		if got := file.Bytes(); !bytes.Equal(got, data) {
			t.Fatalf("round trip changed the file:\nin  %q\nout %q", data, got)
		}
	})
}

func FuzzSet(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s), "k", "v\nw")
		f.Add([]byte(s), "connect_method", "")
	}
	f.Fuzz(func(t *testing.T, data []byte, key, value string) {
		file, perr := Parse("f.cfg", data)
		sections := file.Sections()
		if perr != nil || len(sections) == 0 {
			return
		}
		s := sections[len(sections)-1]
		before := string(file.Bytes())
		if err := s.Set(key, value); err != nil {
			if string(file.Bytes()) != before {
				t.Fatalf("failed Set changed the file: %v", err)
			}
			return
		}
		g, err := Parse("f.cfg", file.Bytes())
		if err != nil {
			t.Fatalf("edited file does not parse: %v\n%q", err, file.Bytes())
		}
		if got := g.Section(s.Name).Key(key); got == nil || got.Value != value {
			t.Fatalf("Set(%q, %q) reads back as %+v\n%q", key, value, got, file.Bytes())
		}
	})
}

func FuzzEdit(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s), "new")
	}
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		file, _ := Parse("f.cfg", data)
		ops := []func() error{
			func() error { return file.DeleteSection(firstName(file)) },
			func() error { _, err := file.AddSection(name); return err },
			func() error { return file.Sections()[0].Delete(firstKey(file)) },
			func() error { return file.Sections()[0].Set("k", "v\n\nw") },
			func() error { return file.DeleteSection(name) },
		}
		for i, op := range ops {
			if len(file.Sections()) == 0 && (i == 2 || i == 3) {
				continue
			}
			before := string(file.Bytes())
			if err := op(); err != nil && string(file.Bytes()) != before {
				t.Fatalf("op %d failed (%v) and changed the file", i, err)
			}
			g, _ := Parse("f.cfg", file.Bytes())
			if !sameShape(file, g) {
				t.Fatalf("op %d: file does not read back as its model:\n%q", i, file.Bytes())
			}
		}
	})
}

func firstName(f *File) string {
	if s := f.Sections(); len(s) > 0 {
		return s[0].Name
	}
	return ""
}

func firstKey(f *File) string {
	if k := f.Sections()[0].Keys(); len(k) > 0 {
		return k[0].Name
	}
	return ""
}
