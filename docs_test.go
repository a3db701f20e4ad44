package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

var updateOutputs = flag.Bool("update-outputs", false, "rewrite the outputs in docs/tutorial.md and docs/migrating.md from a real run")

// TestTutorial follows docs/tutorial.md in an empty directory: it writes
// the files the tutorial shows, makes the edits it describes, runs every
// command of its console blocks and compares what they print with what
// the tutorial says they print. So the tutorial cannot lie.
func TestTutorial(t *testing.T) { followDoc(t, "docs/tutorial.md") }

// TestMigrationGuide does the same for the examples of docs/migrating.md.
func TestMigrationGuide(t *testing.T) { followDoc(t, "docs/migrating.md") }

// followDoc follows a page of the documentation as a reader would.
//
// What the markdown holds, besides prose:
//
//   - A ```console block: "$ command" lines, each followed by its output.
//     "$ cd DIR" changes the directory. A command `batou repl ...` is
//     followed by a transcript: lines after ">>> " and "... " are typed,
//     the other lines are printed.
//   - <!-- write PATH --> before a code block: the block is written to PATH.
//   - <!-- same PATH --> before a code block: PATH holds exactly the block
//     (a file batou init wrote, say).
//   - <!-- replace PATH, then the old and the new text on one line each,
//     then --> : the edit the prose describes.
//   - <!-- editor --> before a code block: from now on $EDITOR adds the
//     block to the file it edits (what the reader types in the editor).
//   - <!-- unordered --> before a console block: the output of its
//     commands is compared as a set of lines (hosts deploy in parallel).
//
// Outputs are compared after replacing the test's directory by "..." and
// every duration by the same number. -update-outputs writes the outputs
// of a real run into the page instead (except REPL transcripts).
func followDoc(t *testing.T, page string) {
	if _, err := exec.LookPath("batou"); err != nil {
		t.Skip("batou is not on PATH (TestMain puts it there)")
	}
	src, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(src), "\n")
	run := &tutorialRun{t: t, root: t.TempDir(), lines: lines, page: filepath.Base(page)}
	run.dir = run.root
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "BATOU_") && !strings.HasPrefix(kv, "EDITOR=") {
			run.env = append(run.env, kv)
		}
	}
	run.env = append(run.env, "HOME="+filepath.Join(run.root, "home"), "LC_ALL=C", "TZ=UTC")
	_ = os.MkdirAll(filepath.Join(run.root, "home"), 0o755)
	run.walk()
	if *updateOutputs && !t.Failed() {
		if err := writeFileAtomic(page, []byte(strings.Join(run.lines, "\n"))); err != nil {
			t.Fatal(err)
		}
	}
}

type tutorialRun struct {
	t         *testing.T
	page      string
	root, dir string
	env       []string
	lines     []string
}

var directive = regexp.MustCompile(`^<!-- (write|same|replace|editor|unordered)\b ?(.*?) ?(-->)?$`)

// walk goes through the tutorial in order.
func (r *tutorialRun) walk() {
	unordered, editor := false, false
	var writeTo, sameAs string
	for i := 0; i < len(r.lines); i++ {
		line := r.lines[i]
		if m := directive.FindStringSubmatch(line); m != nil {
			switch m[1] {
			case "write":
				writeTo = strings.TrimSpace(m[2])
			case "same":
				sameAs = strings.TrimSpace(m[2])
			case "unordered":
				unordered = true
			case "editor":
				editor = true
			case "replace":
				if i+3 >= len(r.lines) || r.lines[i+3] != "-->" {
					r.t.Fatalf("%s:%d: want <!-- replace PATH, the old text, the new text, -->", r.page, i+1)
				}
				r.replace(i+1, strings.TrimSpace(m[2]), r.lines[i+1], r.lines[i+2])
				i += 3
			}
			continue
		}
		if !strings.HasPrefix(line, "```") {
			continue
		}
		end := i + 1
		for end < len(r.lines) && r.lines[end] != "```" {
			end++
		}
		switch {
		case writeTo != "":
			r.write(writeTo, strings.Join(r.lines[i+1:end], "\n")+"\n")
		case sameAs != "":
			r.same(i+1, sameAs, strings.Join(r.lines[i+1:end], "\n")+"\n")
		case editor:
			r.editor(i+1, strings.Join(r.lines[i+1:end], "\n")+"\n")
		case line == "```console":
			end = r.console(i+1, end, unordered)
		}
		writeTo, sameAs, unordered, editor = "", "", false, false
		i = end
	}
}

func (r *tutorialRun) write(path, content string) {
	full := filepath.Join(r.dir, path)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

func (r *tutorialRun) same(line int, path, content string) {
	data, err := os.ReadFile(filepath.Join(r.dir, path))
	if err != nil {
		r.t.Errorf("%s:%d: %v", r.page, line, err)
	} else if string(data) != content {
		r.t.Errorf("%s:%d: %s holds something else than the page shows:\n%s", r.page, line, path, showDiff(content, string(data)))
	}
}

// editor makes $EDITOR append text to the file it is given.
func (r *tutorialRun) editor(line int, text string) {
	input := filepath.Join(r.root, fmt.Sprintf("editor-input-%d", line))
	script := filepath.Join(r.root, fmt.Sprintf("editor-%d.sh", line))
	if err := os.WriteFile(input, []byte(text), 0o600); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(script, []byte(fmt.Sprintf("cat '%s' >> \"$1\"\n", input)), 0o700); err != nil {
		r.t.Fatal(err)
	}
	r.env = append(r.env, "EDITOR=sh "+script)
}

func (r *tutorialRun) replace(line int, path, old, new string) {
	full := filepath.Join(r.dir, path)
	data, err := os.ReadFile(full)
	if err != nil {
		r.t.Fatalf("%s:%d: %v", r.page, line, err)
	}
	if bytes.Count(data, []byte(old)) != 1 {
		r.t.Fatalf("%s:%d: %q is not in %s exactly once", r.page, line, old, path)
	}
	r.write(path, strings.Replace(string(data), old, new, 1))
}

// console runs the commands of the console block lines[start:end] and
// returns the index of its closing fence (the block may be rewritten).
func (r *tutorialRun) console(start, end int, unordered bool) int {
	var out []string
	for i := start; i < end; {
		cmd := strings.TrimPrefix(r.lines[i], "$ ")
		if cmd == r.lines[i] {
			r.t.Fatalf("%s:%d: a console block line that is neither a command nor its output: %q", r.page, i+1, r.lines[i])
		}
		j := i + 1
		for j < end && !strings.HasPrefix(r.lines[j], "$ ") {
			j++
		}
		out = append(out, r.lines[i])
		out = append(out, r.command(i+1, cmd, r.lines[i+1:j], unordered)...)
		i = j
	}
	if !*updateOutputs {
		return end
	}
	r.lines = append(r.lines[:start], append(out, r.lines[end:]...)...)
	return start + len(out)
}

// command runs one command and compares its output with want; it
// returns the lines the tutorial should show.
func (r *tutorialRun) command(line int, cmd string, want []string, unordered bool) []string {
	if dir, ok := strings.CutPrefix(cmd, "cd "); ok {
		r.dir = filepath.Join(r.dir, dir)
		return want
	}
	var input []string
	if strings.HasPrefix(cmd, "batou repl ") {
		input, want = splitTranscript(want)
	}
	c := exec.Command("sh", "-c", cmd)
	c.Dir, c.Env = r.dir, r.env
	c.Stdin = strings.NewReader(strings.Join(input, "\n") + "\n")
	var buf bytes.Buffer
	c.Stdout, c.Stderr = &buf, &buf
	err := c.Run()
	got := r.normalize(buf.String())
	failed := failedBanner.MatchString(got)
	switch {
	case strings.HasPrefix(cmd, "batou ") && failed != (err != nil):
		r.t.Errorf("%s:%d: %s: exit status %v, but the output says failed=%v", r.page, line, cmd, err, failed)
	case !strings.HasPrefix(cmd, "batou ") && err != nil:
		r.t.Errorf("%s:%d: %s: %v", r.page, line, cmd, err)
	}
	if !*updateOutputs && !sameOutput(got, strings.Join(want, "\n"), unordered) {
		r.t.Errorf("%s:%d: %s prints something else than the page shows:\n%s", r.page, line, cmd, showDiff(strings.Join(want, "\n"), got))
	}
	if input != nil || !*updateOutputs {
		return r.lines[line : line+len(want)+len(input)]
	}
	if got == "" {
		return nil
	}
	return strings.Split(got, "\n")
}

// splitTranscript separates what is typed from what is printed.
func splitTranscript(lines []string) (typed, printed []string) {
	for _, l := range lines {
		if in, ok := strings.CutPrefix(l, ">>> "); ok {
			typed = append(typed, in)
		} else if in, ok := strings.CutPrefix(l, "... "); ok {
			typed = append(typed, in)
		} else if l == ">>>" || l == "..." {
			typed = append(typed, "")
		} else {
			printed = append(printed, l)
		}
	}
	return typed, printed
}

var failedBanner = regexp.MustCompile(`(?m)^=== .*FAILED.* ===$`)

// durations and byte counts differ from run to run (the byte counts
// with the length of the test's directory).
var (
	durations  = regexp.MustCompile(`\b\d+\.\d+s\b`)
	byteCounts = regexp.MustCompile(`"(bytes|max_rss)":\d+`)
)

// steady replaces what differs from run to run.
func steady(s string) string {
	return byteCounts.ReplaceAllString(durations.ReplaceAllString(s, "0.00s"), `"$1":0`)
}

// normalize puts "..." for the test's directory and drops the final
// newline.
func (r *tutorialRun) normalize(s string) string {
	s = strings.ReplaceAll(s, r.root, "...")
	s = regexp.MustCompile(`"created": "[^"]*"`).ReplaceAllString(s, `"created": "..."`)
	return strings.TrimRight(s, "\n")
}

func sameOutput(got, want string, unordered bool) bool {
	g, w := steady(got), steady(want)
	if !unordered {
		return g == w
	}
	gl, wl := strings.Split(g, "\n"), strings.Split(w, "\n")
	sort.Strings(gl)
	sort.Strings(wl)
	return strings.Join(gl, "\n") == strings.Join(wl, "\n")
}

// showDiff shows both outputs from their first different line on.
func showDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	i := 0
	for i < len(w) && i < len(g) && steady(w[i]) == steady(g[i]) {
		i++
	}
	return fmt.Sprintf("from output line %d on, the tutorial says:\n  %s\nbut the command printed:\n  %s",
		i+1, strings.Join(w[i:], "\n  "), strings.Join(g[i:], "\n  "))
}
