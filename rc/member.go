package rc

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rs/zerolog"
)

// memberProcess is a Filbert member running as a child process.
type memberProcess struct {
	uuid string
	host string
	port int

	cmd     *exec.Cmd
	log     zerolog.Logger
	done    chan struct{} // closed when the process has exited and been reaped
	logDone chan struct{} // closed when the member's output has been read to the end

	mu        sync.Mutex
	suspended bool
	exitErr   error    // cmd.Wait's result, valid once done is closed
	tail      []string // last lines of the member's log, for errors
}

// tailLines is how many lines of a member's log are kept for error messages.
const tailLines = 20

// startLine is the member's JSON log line announcing it serves clients.
type startLine struct {
	Level   string `json:"level"`
	Message string `json:"message"`
	Address string `json:"address"`
	UUID    string `json:"uuid"`
	Error   string `json:"error"`
}

// memberStartedMessage is the message of the member's start line
// (server.Member.Start).
const memberStartedMessage = "member started"

// startMember runs binary with configPath and waits until the member logs
// that it started, the process exits, or timeout passes. Every line the
// member writes is copied to logFile when it is not nil; startMember or the
// log reader closes it.
func startMember(binary, configPath, dir string, logFile *os.File, timeout time.Duration, log zerolog.Logger) (*memberProcess, error) {
	pr, pw, err := os.Pipe()
	if err != nil {
		closeFile(logFile)
		return nil, fmt.Errorf("pipe: %w", err)
	}
	cmd := exec.Command(binary, "--config", configPath, "--log-level", "info")
	cmd.Dir = dir
	cmd.Stdout = pw
	cmd.Stderr = pw
	cmd.SysProcAttr = childProcAttr()
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		closeFile(logFile)
		return nil, fmt.Errorf("start %s: %w", binary, err)
	}
	pw.Close() // the child holds the write end now
	m := &memberProcess{cmd: cmd, log: log, done: make(chan struct{}), logDone: make(chan struct{})}
	started := make(chan startLine, 1)
	go m.readLog(pr, logFile, started)
	go func() {
		err := cmd.Wait()
		m.mu.Lock()
		m.exitErr = err
		m.mu.Unlock()
		close(m.done)
	}()

	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case line := <-started:
		host, portStr, err := net.SplitHostPort(line.Address)
		port, perr := strconv.Atoi(portStr)
		if err != nil || perr != nil || line.UUID == "" {
			m.kill()
			return nil, fmt.Errorf("member logged an unusable start line (address %q, uuid %q)", line.Address, line.UUID)
		}
		m.uuid, m.host, m.port = line.UUID, host, port
		m.log = log.With().Str("member", m.uuid).Int("pid", cmd.Process.Pid).Logger()
		return m, nil
	case <-m.done:
		// Let the log reader catch the last lines the member wrote.
		select {
		case <-m.logDone:
		case <-time.After(time.Second):
		}
		return nil, fmt.Errorf("member exited before it started (%v): %s", m.exitError(), m.lastLines())
	case <-timer.C:
		m.kill()
		return nil, fmt.Errorf("member did not start within %s: %s", timeout, m.lastLines())
	}
}

// readLog consumes the member's output until it closes, keeping the last
// lines and reporting the start line on started.
func (m *memberProcess) readLog(r, logFile *os.File, started chan<- startLine) {
	defer close(m.logDone)
	defer r.Close()
	defer closeFile(logFile)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	reported := false
	for sc.Scan() {
		text := sc.Text()
		if logFile != nil {
			fmt.Fprintln(logFile, text)
		}
		m.mu.Lock()
		if len(m.tail) == tailLines {
			m.tail = append(m.tail[:0], m.tail[1:]...)
		}
		m.tail = append(m.tail, text)
		m.mu.Unlock()
		if reported || !strings.HasPrefix(text, "{") {
			continue
		}
		var line startLine
		if json.Unmarshal([]byte(text), &line) == nil && line.Message == memberStartedMessage {
			started <- line
			reported = true
		}
	}
	// A read error here means the pipe broke; the process watcher reports
	// the exit, so there is nothing more to do.
}

func closeFile(f *os.File) {
	if f != nil {
		f.Close()
	}
}

// lastLines returns the last lines of the member's output, joined, with the
// errors of JSON lines pulled out when there are any.
func (m *memberProcess) lastLines() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var errs []string
	for _, text := range m.tail {
		var line startLine
		if json.Unmarshal([]byte(text), &line) == nil && (line.Level == "error" || line.Level == "fatal") {
			msg := line.Message
			if line.Error != "" {
				msg += ": " + line.Error
			}
			errs = append(errs, msg)
		}
	}
	if len(errs) > 0 {
		return strings.Join(errs, "; ")
	}
	if len(m.tail) == 0 {
		return "no output"
	}
	return strings.Join(m.tail, " | ")
}

func (m *memberProcess) exitError() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.exitErr == nil {
		return errors.New("exit status 0")
	}
	return m.exitErr
}

// exited reports whether the process has been reaped.
func (m *memberProcess) exited() bool {
	select {
	case <-m.done:
		return true
	default:
		return false
	}
}

// signal sends sig unless the process is gone.
func (m *memberProcess) signal(sig syscall.Signal) error {
	if m.exited() {
		return os.ErrProcessDone
	}
	return m.cmd.Process.Signal(sig)
}

// shutdown asks the member to stop (SIGTERM, after SIGCONT if it is
// suspended, since a stopped process cannot act on SIGTERM) and waits up to
// timeout before killing it.
func (m *memberProcess) shutdown(timeout time.Duration) {
	if err := m.signal(syscall.SIGTERM); err != nil {
		<-m.done
		return
	}
	_ = m.resume()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-m.done:
		m.log.Info().Msg("member shut down")
	case <-timer.C:
		m.log.Warn().Dur("timeout", timeout).Msg("member did not shut down in time; killing it")
		m.kill()
	}
}

// kill sends SIGKILL and waits for the process to be reaped.
func (m *memberProcess) kill() {
	if err := m.signal(syscall.SIGKILL); err == nil {
		m.log.Info().Msg("member killed")
	}
	<-m.done
}

// suspend stops the process (SIGSTOP).
func (m *memberProcess) suspend() error {
	if err := m.signal(syscall.SIGSTOP); err != nil {
		return err
	}
	m.mu.Lock()
	m.suspended = true
	m.mu.Unlock()
	return nil
}

// resume continues a stopped process (SIGCONT).
func (m *memberProcess) resume() error {
	if err := m.signal(syscall.SIGCONT); err != nil {
		return err
	}
	m.mu.Lock()
	m.suspended = false
	m.mu.Unlock()
	return nil
}
