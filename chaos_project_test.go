package main

// The project TestKilledAnywhere deploys again and again, and what each
// of its generations wants on the hosts.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Sizes of the chaos project: templated files in directories, symlinks
// into them, and files copied by a Directory.
const (
	chaosFiles   = 300
	chaosDirs    = 10
	chaosLinks   = 10
	chaosStatic  = 40
	chaosBigRows = 3000 // big.dat: about 90 kB, more than travels in the plan (64 KiB)
)

// chaosHost is a host of the chaos project and the roots it deploys; the
// first host deploys tree.
type chaosHost struct {
	name   string
	target string // its target_directory
	dir    string // its target directory on this machine
	roots  []string
}

// chaosRoots are the roots of the first host and of the others.
var chaosRoots = [][]string{{"tree", "stamp", "slow"}, {"stamp", "slow"}}

// localHosts are two hosts that connect locally, with targets in dir.
func localHosts(dir string) []chaosHost {
	return []chaosHost{{"alpha", "alpha", filepath.Join(dir, "alpha"), chaosRoots[0]},
		{"beta", "beta", filepath.Join(dir, "beta"), chaosRoots[1]}}
}

// chaosSources are the files of the project; the environment is written
// for each generation (writeEnv).
var chaosSources = map[string]string{
	"components/tree/component.star": `def _pad(n):
    s = str(n)
    return "0" * (3 - len(s)) + s

def _file(self, i):
    return "tree/d%s/f%s.conf" % (_pad(i * self.dirs // self.files), _pad(i))

def _configure(self):
    for d in range(self.dirs):
        self += Directory("tree/d" + _pad(d), leading = True)
    for i in range(self.files):
        self += File(_file(self, i), source = "f.conf", is_template = True, template_args = {"i": i})
    for k in range(self.links):
        self += Symlink("tree/link" + _pad(k), source = _file(self, (k + self.generation) % self.files))
    self += File("big.dat", source = "big.dat", is_template = True)
    self += Directory("static", source = "static")

Tree = Component(
    configure = _configure,
    attrs = {
        "generation": Attribute(int),
        "files": Attribute(int),
        "dirs": Attribute(int),
        "links": Attribute(int),
        "rows": Attribute(int),
    },
)
`,
	"components/tree/f.conf": "# file {{ args.i }} of generation {{ component.generation }}\n" +
		"{% for j in range(20) %}line {{ j }} of {{ args.i }}: generation {{ component.generation }}\n{% endfor %}",
	"components/tree/big.dat": "{% for j in range(component.rows) %}big line {{ j }}, generation {{ component.generation }}\n{% endfor %}",
	// A command that takes a moment and writes its file atomically.
	"components/stamp/component.star": `def _configure(self):
    self += Command("echo 'generation %d' > stamp.new && mv stamp.new stamp" % self.generation,
                    unless = "grep -qx 'generation %d' stamp" % self.generation)

Stamp = Component(configure = _configure, attrs = {"generation": Attribute(int)})
`,
	// A component of its own whose update takes a moment.
	"components/slow/component.star": `def _verify(self):
    if not fs.exists("slow.txt") or fs.read("slow.txt") != "generation %d\n" % self.generation:
        update_needed("slow.txt is not of generation %d" % self.generation)

def _update(self):
    self.cmd("sleep 0.05")
    fs.write("slow.txt", "generation %d\n" % self.generation)

Slow = Component(verify = _verify, update = _update, attrs = {"generation": Attribute(int)})
`,
}

// writeProject writes the chaos project into dir.
func writeProject(t *testing.T, dir string) {
	t.Helper()
	files := map[string]string{}
	for name, text := range chaosSources {
		files[name] = text
	}
	for i := 0; i < chaosStatic; i++ {
		files[fmt.Sprintf("components/tree/static/s%02d.txt", i)] = staticContent(i)
	}
	writeFiles(t, dir, files)
}

// writeEnv writes the environment dev of the project in dir, whose hosts
// connect with method, to deploy generation gen.
func writeEnv(t *testing.T, dir, method string, hosts []chaosHost, gen int) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "[environment]\nconnect_method = %s\n", method)
	for _, h := range hosts {
		fmt.Fprintf(&b, "\n[host:%s]\ncomponents = %s\ntarget_directory = %s\n", h.name, strings.Join(h.roots, ", "), h.target)
	}
	fmt.Fprintf(&b, "\n[component:tree]\ngeneration = %d\nfiles = %d\ndirs = %d\nlinks = %d\nrows = %d\n",
		gen, chaosFiles, chaosDirs, chaosLinks, chaosBigRows)
	fmt.Fprintf(&b, "\n[component:stamp]\ngeneration = %d\n\n[component:slow]\ngeneration = %d\n", gen, gen)
	writeFiles(t, dir, map[string]string{"environments/dev/environment.cfg": b.String()})
}

// wanted is what a managed path holds: a file's content, or a symlink's
// target (link). A path that is missing has neither.
type wanted struct {
	data    string
	link    bool
	missing bool
}

func (w wanted) String() string {
	switch {
	case w.missing:
		return "missing"
	case w.link:
		return "a link to " + w.data
	}
	return fmt.Sprintf("%d bytes %q...", len(w.data), w.data[:min(len(w.data), 40)])
}

// wantedState is every managed path (absolute) on hosts and what it holds
// once generation gen is deployed.
func wantedState(hosts []chaosHost, gen int) map[string]wanted {
	out := map[string]wanted{}
	for _, h := range hosts {
		work := filepath.Join(h.dir, "work")
		for _, r := range h.roots {
			switch r {
			case "tree":
				addTree(out, filepath.Join(work, "tree"), gen)
			case "stamp":
				out[filepath.Join(work, "stamp", "stamp")] = wanted{data: fmt.Sprintf("generation %d\n", gen)}
			case "slow":
				out[filepath.Join(work, "slow", "slow.txt")] = wanted{data: fmt.Sprintf("generation %d\n", gen)}
			}
		}
	}
	return out
}

// addTree adds what the root tree (workdir work) wants to out.
func addTree(out map[string]wanted, work string, gen int) {
	file := func(i int) string {
		return filepath.Join(work, "tree", fmt.Sprintf("d%03d", i*chaosDirs/chaosFiles), fmt.Sprintf("f%03d.conf", i))
	}
	for i := 0; i < chaosFiles; i++ {
		var b strings.Builder
		fmt.Fprintf(&b, "# file %d of generation %d\n", i, gen)
		for j := 0; j < 20; j++ {
			fmt.Fprintf(&b, "line %d of %d: generation %d\n", j, i, gen)
		}
		out[file(i)] = wanted{data: b.String()}
	}
	for k := 0; k < chaosLinks; k++ {
		out[filepath.Join(work, "tree", fmt.Sprintf("link%03d", k))] = wanted{data: file((k + gen) % chaosFiles), link: true}
	}
	var b strings.Builder
	for j := 0; j < chaosBigRows; j++ {
		fmt.Fprintf(&b, "big line %d, generation %d\n", j, gen)
	}
	out[filepath.Join(work, "big.dat")] = wanted{data: b.String()}
	for i := 0; i < chaosStatic; i++ {
		out[filepath.Join(work, "static", fmt.Sprintf("s%02d.txt", i))] = wanted{data: staticContent(i)}
	}
}

func staticContent(i int) string { return fmt.Sprintf("static file %d\n", i) }

// look returns what stands at path, as a wanted.
func look(path string) (wanted, error) {
	info, err := os.Lstat(path)
	if os.IsNotExist(err) {
		return wanted{missing: true}, nil
	}
	if err != nil {
		return wanted{}, err
	}
	if info.Mode()&os.ModeSymlink != 0 {
		target, err := os.Readlink(path)
		return wanted{data: target, link: true}, err
	}
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) { // replaced by a directory, say, since Lstat
		return wanted{missing: true}, nil
	}
	return wanted{data: string(data)}, err
}

// oldOrNew checks that path holds one of old and new; it returns what it
// found otherwise ("" when it is one of them).
func oldOrNew(path string, old, new wanted) string {
	got, err := look(path)
	if err != nil {
		return err.Error()
	}
	if got == old || got == new {
		return ""
	}
	return got.String()
}
