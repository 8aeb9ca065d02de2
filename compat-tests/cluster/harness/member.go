package harness

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Member is one filbert member process of a [Cluster].
type Member struct {
	// Index is the member's start order in its cluster: member 0 was
	// started first and is the initial master.
	Index int
	// Host is the address the member binds (--host).
	Host string
	// Addr is the "host:port" the member announced in "member started".
	Addr string
	// UUID is the member's identity from "member started".
	UUID string
	// Pid is the process id.
	Pid int
	// LogPath is the file holding everything the member wrote.
	LogPath string
	// StartedAt is when the process was started.
	StartedAt time.Time

	c       *Cluster
	cmd     *exec.Cmd
	done    chan struct{} // closed once the process has exited and been reaped
	logDone chan struct{} // closed once its output has been read to the end

	mu       sync.Mutex
	lines    []Line
	exitErr  error
	exitAt   time.Time
	paused   bool
	signal   string    // last signal the harness sent, for messages
	signalAt time.Time // when it was sent
}

// String names the member for messages: "member 1 (127.0.0.1:21002)".
func (m *Member) String() string {
	if m.Addr == "" {
		return fmt.Sprintf("member %d", m.Index)
	}
	return fmt.Sprintf("member %d (%s)", m.Index, m.Addr)
}

// startProcess starts the member process and its log reader; it does not
// wait for the member to start.
func startProcess(c *Cluster, index int, host string) (*Member, error) {
	logPath := fmt.Sprintf("%s/member-%d.log", c.Dir, index)
	for r := 1; ; r++ {
		if _, err := os.Stat(logPath); err != nil {
			break
		}
		logPath = fmt.Sprintf("%s/member-%d.restart-%d.log", c.Dir, index, r)
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		logFile.Close()
		return nil, err
	}
	args := []string{"--config", c.ConfigPath, "--log-level", c.opts.LogLevel}
	if host != defaultHost {
		args = append(args, "--host", host)
	}
	cmd := exec.Command(c.bin, args...)
	cmd.Dir = c.Dir
	cmd.Env = append(os.Environ(), fmt.Sprintf("FILBERT_MEMBER=%d", index))
	cmd.Stdout, cmd.Stderr = pw, pw
	// Own process group (a terminal's ^C reaches the test binary only),
	// and killed by the kernel if the test binary dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", c.bin, err)
	}
	pw.Close() // the child holds the write end
	m := &Member{
		Index: index, Host: host, Pid: cmd.Process.Pid, LogPath: logPath, StartedAt: time.Now(),
		c: c, cmd: cmd, done: make(chan struct{}), logDone: make(chan struct{}),
	}
	go m.readLog(pr, logFile)
	go func() {
		err := cmd.Wait()
		m.mu.Lock()
		m.exitErr, m.exitAt = err, time.Now()
		m.mu.Unlock()
		close(m.done)
		c.notify()
	}()
	return m, nil
}

// readLog reads the member's output to the end, keeping every line and
// copying it to the log file.
func (m *Member) readLog(r io.ReadCloser, logFile *os.File) {
	defer func() {
		r.Close()
		logFile.Close()
		close(m.logDone)
		m.c.notify()
	}()
	w := bufio.NewWriter(logFile)
	defer w.Flush()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4<<20)
	for sc.Scan() {
		raw := sc.Text()
		w.WriteString(raw)
		w.WriteByte('\n')
		w.Flush() // keep the file current for someone tailing it
		m.mu.Lock()
		m.lines = append(m.lines, parseLine(len(m.lines), raw, time.Now()))
		m.mu.Unlock()
		m.c.notify()
	}
}

// awaitStart waits for "member started" and records the address and uuid.
func (m *Member) awaitStart(timeout time.Duration) error {
	l, err := m.WaitLog(Message(MsgMemberStarted), timeout)
	if err != nil {
		return err
	}
	addr, uuid := l.Str("address"), l.Str("uuid")
	if _, _, err := net.SplitHostPort(addr); err != nil || uuid == "" {
		return fmt.Errorf("%s logged an unusable start line (address %q, uuid %q): %s", m, addr, uuid, l.Raw)
	}
	m.Addr, m.UUID = addr, uuid
	return nil
}

// Exited reports whether the process has exited (and been reaped).
func (m *Member) Exited() bool {
	select {
	case <-m.done:
		return true
	default:
		return false
	}
}

// Paused reports whether the harness stopped the process with SIGSTOP and
// has not resumed it.
func (m *Member) Paused() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.paused
}

// ExitError is the process's exit status (nil for status 0) once it has
// exited.
func (m *Member) ExitError() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.exitErr
}

// drained reports whether the process exited and all its output was read.
func (m *Member) drained() bool {
	select {
	case <-m.logDone:
		return m.Exited()
	default:
		return false
	}
}

// Mark returns the number of lines read so far, for [Member.WaitLogAfter].
func (m *Member) Mark() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.lines)
}

// Lines returns a copy of every line read so far.
func (m *Member) Lines() []Line {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Line(nil), m.lines...)
}

// find returns the first line at or after from that match accepts.
func (m *Member) find(from int, match Match) (Line, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := from; i < len(m.lines); i++ {
		if match.Fn(m.lines[i]) {
			return m.lines[i], true
		}
	}
	return Line{}, false
}

// Last returns the last line match accepts.
func (m *Member) Last(match Match) (Line, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := len(m.lines) - 1; i >= 0; i-- {
		if match.Fn(m.lines[i]) {
			return m.lines[i], true
		}
	}
	return Line{}, false
}

// WaitLog waits until the member has logged a line match accepts (any line
// since it started, including lines logged before the call) and returns
// it. It fails when timeout passes or the member exits without such a
// line. It wakes on every new line; it never sleeps.
func (m *Member) WaitLog(match Match, timeout time.Duration) (Line, error) {
	return m.WaitLogAfter(0, match, timeout)
}

// WaitLogAfter is [Member.WaitLog] for lines at or after mark (from
// [Member.Mark]).
func (m *Member) WaitLogAfter(mark int, match Match, timeout time.Duration) (Line, error) {
	var found Line
	err := m.c.waitFor(timeout, func() (bool, error) {
		drained := m.drained() // read before searching: no line can follow
		if l, ok := m.find(mark, match); ok {
			found = l
			return true, nil
		}
		if drained {
			return false, fmt.Errorf("%s exited (%s) without logging %s; last lines:\n%s",
				m, m.exitDescription(), match.Desc, m.Tail(15))
		}
		return false, nil
	})
	if err != nil {
		if errors.Is(err, errTimeout) {
			return Line{}, fmt.Errorf("%s did not log %s within %s; last lines:\n%s", m, match.Desc, timeout, m.Tail(15))
		}
		return Line{}, err
	}
	return found, nil
}

// exitDescription says how the process ended.
func (m *Member) exitDescription() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := "exit status 0"
	if m.exitErr != nil {
		s = m.exitErr.Error()
	}
	if m.signal != "" {
		s += fmt.Sprintf(", %s after the harness sent %s", m.exitAt.Sub(m.signalAt).Round(time.Millisecond), m.signal)
	}
	return s
}

// Tail returns the last n lines the member wrote, one per line, leaving
// out the connect and disconnect lines of the harness's own table probes.
func (m *Member) Tail(n int) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var keep []string
	for i := len(m.lines) - 1; i >= 0 && len(keep) < n; i-- {
		if !strings.Contains(m.lines[i].Raw, probeClientMark) {
			keep = append(keep, m.lines[i].Raw)
		}
	}
	var b strings.Builder
	for i := len(keep) - 1; i >= 0; i-- {
		b.WriteString("    ")
		b.WriteString(keep[i])
		b.WriteByte('\n')
	}
	if b.Len() == 0 {
		return "    (no output)\n"
	}
	return b.String()
}

// send delivers sig unless the process has exited.
func (m *Member) send(sig syscall.Signal) error {
	if m.Exited() {
		return fmt.Errorf("%s has already exited (%s)", m, m.exitDescription())
	}
	if err := m.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("%s: %s: %w", m, sig, err)
	}
	m.mu.Lock()
	if sig != syscall.SIGCONT {
		m.signal, m.signalAt = sigName(sig), time.Now()
	}
	m.mu.Unlock()
	return nil
}

func sigName(sig syscall.Signal) string {
	switch sig {
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGKILL:
		return "SIGKILL"
	case syscall.SIGSTOP:
		return "SIGSTOP"
	case syscall.SIGCONT:
		return "SIGCONT"
	}
	return sig.String()
}

// Terminate sends SIGTERM (and SIGCONT to a paused member, which could not
// act on it otherwise) and waits for the process to exit: a graceful
// shutdown. It fails when the member does not exit within the cluster's
// StopTimeout (the member is then killed) or exits with a non-zero status.
func (m *Member) Terminate() error {
	if err := m.send(syscall.SIGTERM); err != nil {
		return err
	}
	if m.Paused() {
		_ = m.Resume()
	}
	timeout := m.c.opts.StopTimeout
	select {
	case <-m.done:
	case <-time.After(timeout):
		_ = m.Kill()
		return fmt.Errorf("%s did not exit within %s of SIGTERM (killed); last lines:\n%s", m, timeout, m.Tail(15))
	}
	if err := m.ExitError(); err != nil {
		return fmt.Errorf("%s exited with %v after SIGTERM; expected a clean exit (status 0); last lines:\n%s", m, err, m.Tail(15))
	}
	return nil
}

// Kill sends SIGKILL and waits for the process to be reaped.
func (m *Member) Kill() error {
	if err := m.send(syscall.SIGKILL); err != nil {
		return err
	}
	select {
	case <-m.done:
		return nil
	case <-time.After(10 * time.Second):
		return fmt.Errorf("%s not reaped 10s after SIGKILL", m)
	}
}

// KilledAt is when the harness last signalled the member (SIGKILL, SIGTERM
// or SIGSTOP), the zero time if never.
func (m *Member) KilledAt() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.signalAt
}

// Pause stops the process with SIGSTOP: it keeps its sockets open but does
// nothing, like a hung or swapped-out member. It returns once every thread
// of the process is stopped (on Linux; signal delivery is asynchronous).
func (m *Member) Pause() error {
	if err := m.send(syscall.SIGSTOP); err != nil {
		return err
	}
	m.mu.Lock()
	m.paused = true
	m.mu.Unlock()
	return m.waitStopped(5 * time.Second)
}

// waitStopped polls /proc (every millisecond; the kernel signals no event)
// until every thread of the process is in the stopped state.
func (m *Member) waitStopped(timeout time.Duration) error {
	dir := fmt.Sprintf("/proc/%d/task", m.Pid)
	if _, err := os.Stat(dir); err != nil {
		return nil // not Linux: nothing to check
	}
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		if allStopped(dir) {
			return nil
		}
		if m.Exited() {
			return fmt.Errorf("%s exited while being paused (%s)", m, m.exitDescription())
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not stopped %s after SIGSTOP", m, timeout)
		}
		<-tick.C
	}
}

// allStopped reports whether every task under dir (/proc/PID/task) is in
// state T (stopped).
func allStopped(dir string) bool {
	tasks, err := os.ReadDir(dir)
	if err != nil || len(tasks) == 0 {
		return false
	}
	for _, task := range tasks {
		b, err := os.ReadFile(dir + "/" + task.Name() + "/stat")
		if err != nil {
			return false
		}
		// pid (comm) state ...: comm may hold spaces, so split after ')'.
		i := strings.LastIndexByte(string(b), ')')
		if i < 0 || i+2 >= len(b) || b[i+2] != 'T' {
			return false
		}
	}
	return true
}

// Resume continues a paused process with SIGCONT.
func (m *Member) Resume() error {
	if err := m.send(syscall.SIGCONT); err != nil {
		return err
	}
	m.mu.Lock()
	m.paused = false
	m.mu.Unlock()
	m.c.notify()
	return nil
}

// forceStop kills the process if it still runs and waits (bounded) for its
// output to be read, for the test's cleanup.
func (m *Member) forceStop() {
	if !m.Exited() {
		m.mu.Lock()
		m.signal, m.signalAt = "SIGKILL (test cleanup)", time.Now()
		m.mu.Unlock()
		_ = m.cmd.Process.Signal(syscall.SIGKILL)
		select {
		case <-m.done:
		case <-time.After(10 * time.Second):
		}
	}
	select {
	case <-m.logDone:
	case <-time.After(5 * time.Second):
	}
}
