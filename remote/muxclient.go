package remote

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path"
	"strings"
	"syscall"
)

// A session over a master connection is usually one more ssh process
// (ssh -S socket host command): it starts, reads the configuration,
// connects to the master's socket, hands over its standard input, output
// and error, and waits. With many hosts sharing masters, those processes
// cost more CPU than anything else of a no-op deploy but the logins. So
// batou speaks the master's multiplexing protocol itself (OpenSSH's
// PROTOCOL.mux, version 4, "passenger" sessions): it hands over three
// pipes of its own and reads the exit status from the socket. The master
// does all the ssh work, as it does for an ssh process. Where this does
// not work out before the session is open (no socket, another protocol),
// the ssh process is used.

// Message types of the multiplexing protocol.
const (
	muxHello          = 0x00000001
	muxNewSession     = 0x10000002
	muxOK             = 0x80000001
	muxDenied         = 0x80000002
	muxFailure        = 0x80000003
	muxExitMessage    = 0x80000004
	muxSessionOpened  = 0x80000006
	muxTTYAllocFail   = 0x80000008
	muxProtocol       = 4
	muxMaxPacket      = 256 << 10
	muxNoEscapeChar   = 0xffffffff
	muxRequestSession = 1
)

// muxOptions is what a session asks of the master beyond its command, as
// the ssh process would from the same configuration: the variables of its
// environment that SendEnv names (the master passes on those its own
// SendEnv names, and adds its SetEnv) and agent forwarding.
type muxOptions struct {
	env   []string
	agent bool
}

// muxOptionsOf reads the options of sessions from ssh -G's output (a
// master's key); ok is false when there is none.
func muxOptionsOf(resolved string) (opts muxOptions, ok bool) {
	if resolved == "" {
		return opts, false
	}
	var send []string
	for line := range strings.SplitSeq(resolved, "\n") {
		name, value, _ := strings.Cut(line, " ")
		switch name {
		case "sendenv":
			send = append(send, value)
		case "forwardagent":
			opts.agent = value != "no"
		}
	}
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if sendsEnv(send, name) {
			opts.env = append(opts.env, kv)
		}
	}
	return opts, true
}

// sendsEnv reports whether SendEnv patterns send the variable name: the
// last pattern that matches it decides ("-NAME" patterns remove).
func sendsEnv(patterns []string, name string) bool {
	sends := false
	for _, p := range patterns {
		neg := strings.HasPrefix(p, "-")
		if ok, _ := path.Match(strings.TrimPrefix(p, "-"), name); ok {
			sends = !neg
		}
	}
	return sends
}

// muxSession is a session the master runs for batou.
type muxSession struct {
	ctl    *net.UnixConn
	stdin  *os.File // the command's standard input, ours to write
	stdout *os.File
	stderr *os.File
	exit   chan error // the session's end: nil, an exit status or errNoExitStatus
}

// errNoExitStatus is how a session ends without an exit status: its
// command was killed, or the master or its connection went away.
var errNoExitStatus = errors.New("the session ended without an exit status")

// exitStatusError is a command's nonzero exit status.
type exitStatusError int

func (e exitStatusError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// openMuxSession asks the master listening on socket to run command.
func openMuxSession(socket, command string, opts muxOptions) (s *muxSession, err error) {
	ctl, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: socket, Net: "unix"})
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			ctl.Close()
		}
	}()
	r := bufio.NewReader(ctl)
	if err := writeMux(ctl, newMuxMsg(muxHello).u32(muxProtocol)); err != nil {
		return nil, err
	}
	hello, err := readMux(r)
	if err != nil {
		return nil, err
	}
	if typ, _ := hello.u32(); typ != muxHello {
		return nil, fmt.Errorf("master sent message %#x instead of its hello", typ)
	}
	if v, _ := hello.u32(); v != muxProtocol {
		return nil, fmt.Errorf("master speaks multiplexing protocol %d, not %d", v, muxProtocol)
	}
	req := newMuxMsg(muxNewSession).u32(muxRequestSession).str("").
		flag(false).flag(false).flag(opts.agent).flag(false).u32(muxNoEscapeChar).str("").str(command)
	for _, kv := range opts.env {
		req = req.str(kv)
	}
	if err := writeMux(ctl, req); err != nil {
		return nil, err
	}
	// The command's ends of three pipes go to the master, in this order.
	var ours, theirs [3]*os.File
	defer func() {
		for _, f := range theirs {
			if f != nil {
				f.Close() // the master holds its own copies now
			}
		}
		if err != nil {
			for _, f := range ours {
				if f != nil {
					f.Close()
				}
			}
		}
	}()
	for i := range 3 {
		pr, pw, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		if i == 0 { // standard input: the command reads, batou writes
			ours[i], theirs[i] = pw, pr
		} else {
			ours[i], theirs[i] = pr, pw
		}
		rights := syscall.UnixRights(int(theirs[i].Fd()))
		if _, _, err := ctl.WriteMsgUnix([]byte{0}, rights, nil); err != nil {
			return nil, fmt.Errorf("handing over a pipe: %w", err)
		}
	}
	for {
		m, err := readMux(r)
		if err != nil {
			return nil, err
		}
		switch typ, _ := m.u32(); typ {
		case muxSessionOpened:
			s = &muxSession{ctl: ctl, stdin: ours[0], stdout: ours[1], stderr: ours[2], exit: make(chan error, 1)}
			go s.wait(r)
			return s, nil
		case muxOK:
			continue
		case muxDenied, muxFailure:
			m.u32() // request id
			reason, _ := m.string()
			return nil, fmt.Errorf("master refused the session: %s", reason)
		default:
			return nil, fmt.Errorf("master sent message %#x instead of opening the session", typ)
		}
	}
}

// wait reads the control socket until the session's exit status.
func (s *muxSession) wait(r *bufio.Reader) {
	defer s.ctl.Close()
	for {
		m, err := readMux(r)
		if err != nil {
			s.exit <- errNoExitStatus
			return
		}
		typ, _ := m.u32()
		if typ == muxTTYAllocFail {
			continue
		}
		if typ != muxExitMessage {
			s.exit <- fmt.Errorf("master sent message %#x during the session", typ)
			return
		}
		m.u32() // session id
		status, ok := m.u32()
		switch {
		case !ok:
			s.exit <- errNoExitStatus
		case status == 0:
			s.exit <- nil
		default:
			s.exit <- exitStatusError(status)
		}
		return
	}
}

// muxMsg is a message being built: SSH wire format (uint32 big endian,
// strings with a uint32 length).
type muxMsg []byte

func newMuxMsg(typ uint32) muxMsg { return muxMsg(nil).u32(typ) }

func (m muxMsg) u32(v uint32) muxMsg { return binary.BigEndian.AppendUint32(m, v) }

func (m muxMsg) str(s string) muxMsg { return append(m.u32(uint32(len(s))), s...) }

// flag is a boolean as OpenSSH's master reads one in requests: a uint32
// (PROTOCOL.mux says bool; mux.c reads four bytes).
func (m muxMsg) flag(b bool) muxMsg {
	if b {
		return m.u32(1)
	}
	return m.u32(0)
}

// muxReader is a message being read.
type muxReader struct{ b []byte }

func (r *muxReader) u32() (uint32, bool) {
	if len(r.b) < 4 {
		return 0, false
	}
	v := binary.BigEndian.Uint32(r.b)
	r.b = r.b[4:]
	return v, true
}

func (r *muxReader) string() (string, bool) {
	n, ok := r.u32()
	if !ok || uint32(len(r.b)) < n {
		return "", false
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s, true
}

func writeMux(w io.Writer, m muxMsg) error {
	_, err := w.Write(append(binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(m)), uint32(len(m))), m...))
	return err
}

func readMux(r io.Reader) (*muxReader, error) {
	var head [4]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(head[:])
	if n > muxMaxPacket {
		return nil, fmt.Errorf("master sent a message of %d bytes", n)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, err
	}
	return &muxReader{b: b}, nil
}
