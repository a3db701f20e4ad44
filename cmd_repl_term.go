package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"go.starlark.net/starlark"
	"golang.org/x/term"
)

// The interactive REPL: the terminal in raw mode, line editing and
// history by x/term, Tab completion, Ctrl-C that stops the evaluation
// running or drops the line being typed, Ctrl-D that ends the session.

// interactive runs the session on a terminal.
func (r *repl) interactive(in, out *os.File) error {
	state, err := term.MakeRaw(int(in.Fd()))
	if err != nil {
		return err
	}
	defer term.Restore(int(in.Fd()), state)
	kb := newKeyboard(in)
	t := term.NewTerminal(struct {
		io.Reader
		io.Writer
	}{kb, out}, ">>> ")
	if w, h, err := term.GetSize(int(out.Fd())); err == nil {
		_ = t.SetSize(w, h)
	}
	hist := loadHistory(historyFile())
	t.History = hist
	r.out = &replOutput{w: t, mask: r.m.Mask}
	r.errs = r.out
	r.globals = replGlobals(r.m, r.out)
	t.AutoCompleteCallback = r.tabCallback(t)
	r.lines = &termLines{t: t, kb: kb}
	r.running = kb.setRunning
	fmt.Fprintln(r.out, replBanner(r.m))
	r.loop()
	hist.save()
	fmt.Fprintln(r.out)
	return nil
}

// termLines reads lines from the terminal.
type termLines struct {
	t  *term.Terminal
	kb *keyboard
}

func (l *termLines) readLine(prompt string) (string, error) {
	l.t.SetPrompt(prompt)
	line, err := l.t.ReadLine()
	if l.kb.takeInterrupt() {
		return "", errInterrupted
	}
	if err == term.ErrPasteIndicator {
		err = nil
	}
	return line, err
}

// keyboard reads the terminal in the background. While an evaluation
// runs, Ctrl-C cancels it; at the prompt, Ctrl-C clears the line and
// ends it, and the reader is told the line was interrupted. Everything
// else is passed on to the line editor.
type keyboard struct {
	mu          sync.Mutex
	cond        *sync.Cond
	pending     []byte
	err         error
	thread      *starlark.Thread
	interrupted bool
}

func newKeyboard(in io.Reader) *keyboard {
	k := &keyboard{}
	k.cond = sync.NewCond(&k.mu)
	go k.pump(in)
	return k
}

// ctrlC, and what it becomes at the prompt: end of line, erase to its
// start, Enter.
const ctrlC = 3

var clearAndEnter = []byte{5, 21, '\r'}

func (k *keyboard) pump(in io.Reader) {
	buf := make([]byte, 256)
	for {
		n, err := in.Read(buf)
		k.mu.Lock()
		for _, b := range buf[:n] {
			switch {
			case b == ctrlC && k.thread != nil:
				k.thread.Cancel("interrupted (Ctrl-C)")
			case b == ctrlC:
				k.interrupted = true
				k.pending = append(k.pending, clearAndEnter...)
			default:
				k.pending = append(k.pending, b)
			}
		}
		if err != nil {
			k.err = err
		}
		k.cond.Broadcast()
		k.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// Read gives the line editor what was typed.
func (k *keyboard) Read(p []byte) (int, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for len(k.pending) == 0 && k.err == nil {
		k.cond.Wait()
	}
	if len(k.pending) > 0 {
		n := copy(p, k.pending)
		k.pending = k.pending[n:]
		return n, nil
	}
	return 0, k.err
}

func (k *keyboard) setRunning(t *starlark.Thread) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.thread = t
}

func (k *keyboard) takeInterrupt() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	was := k.interrupted
	k.interrupted = false
	return was
}

// tabCallback completes the word before the cursor on Tab: one match is
// filled in, several are listed (after filling in what they share).
func (r *repl) tabCallback(t *term.Terminal) func(string, int, rune) (string, int, bool) {
	return func(line string, pos int, key rune) (string, int, bool) {
		if key != '\t' {
			return "", 0, false
		}
		start, cands := r.complete(line[:pos])
		word := line[start:pos]
		if len(cands) == 0 {
			return line, pos, true
		}
		common := commonPrefix(cands)
		if len(cands) > 1 && len(common) <= len(word) {
			fmt.Fprintln(t, strings.Join(cands, "  "))
		}
		return line[:start] + common + line[pos:], start + len(common), true
	}
}

func commonPrefix(words []string) string {
	p := words[0]
	for _, w := range words[1:] {
		for !strings.HasPrefix(w, p) {
			p = p[:len(p)-1]
		}
	}
	return p
}

// history is the line history, kept in a file between sessions.
type history struct {
	path    string
	entries []string // oldest first
}

const historyMax = 1000

func historyFile() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".batou_repl_history")
}

func loadHistory(path string) *history {
	h := &history{path: path}
	if path == "" {
		return h
	}
	if data, err := os.ReadFile(path); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			if l != "" {
				h.entries = append(h.entries, l)
			}
		}
	}
	return h
}

// Add records a line; empty lines and repeats of the last one are not.
func (h *history) Add(entry string) {
	if strings.TrimSpace(entry) == "" || (len(h.entries) > 0 && h.entries[len(h.entries)-1] == entry) {
		return
	}
	h.entries = append(h.entries, entry)
	if len(h.entries) > historyMax {
		h.entries = h.entries[len(h.entries)-historyMax:]
	}
}

// Len returns the number of lines.
func (h *history) Len() int { return len(h.entries) }

// At returns a line, 0 being the most recent.
func (h *history) At(i int) string { return h.entries[len(h.entries)-1-i] }

func (h *history) save() {
	if h.path == "" {
		return
	}
	var b bytes.Buffer
	for _, e := range h.entries {
		b.WriteString(e + "\n")
	}
	_ = writeFileAtomic(h.path, b.Bytes())
}
