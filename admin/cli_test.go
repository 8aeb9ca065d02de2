package admin

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/filbert/filbert/codec"
	"github.com/filbert/filbert/rest"
)

// runCLI runs the command line and returns exit code, stdout and stderr.
func runCLI(t *testing.T, terminal bool, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	code := run(ctx, args, &out, &errOut, terminal)
	return code, out.String(), errOut.String()
}

func TestCLIUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		msg  string
	}{
		{nil, "usage:"},
		{[]string{"backups"}, "usage:"},
		{[]string{"backup"}, "missing subcommand: start, interrupt or status"},
		{[]string{"backup", "stop"}, `unknown subcommand "stop"`},
		{[]string{"backup", "status", "now"}, `unexpected argument "now" after status`},
		{[]string{"backup", "interrupt", "--watch"}, "--watch does not apply to interrupt"},
		{[]string{"backup", "status", "--seq", "3"}, "--seq does not apply to status"},
		{[]string{"backup", "start", "--seq", "-2"}, `invalid value "-2" for flag -seq: must be a non-negative integer`},
		{[]string{"backup", "start", "--seq", "x"}, `invalid value "x" for flag -seq`},
		{[]string{"backup", "status", "--interval", "2s"}, "--interval needs --watch"},
		{[]string{"backup", "status", "--watch", "--interval", "0s"}, "--interval must be positive"},
		{[]string{"backup", "--timeout", "0s", "status"}, "--timeout must be positive"},
		{[]string{"backup", "--bogus", "status"}, "flag provided but not defined: -bogus"},
		{[]string{"cluster-state", "set"}, "set needs exactly one STATE"},
		{[]string{"cluster-state", "set", "sleepy"}, `unknown cluster state "sleepy"`},
		{[]string{"cluster-state", "set", "in_transition"}, "cannot be requested"},
		{[]string{"cluster-state", "get", "x"}, "get takes no arguments"},
		{[]string{"cluster-state", "toggle"}, `unknown subcommand "toggle" (get or set)`},
		{[]string{"cluster-state", "--watch"}, "--watch does not apply to cluster-state"},
	}
	for _, tc := range cases {
		code, out, errOut := runCLI(t, false, tc.args...)
		if code != ExitUsage || out != "" || !strings.Contains(errOut, tc.msg) {
			t.Errorf("%q: exit %d stdout %q stderr %q; want exit 2 and %q", tc.args, code, out, errOut, tc.msg)
		}
		if len(tc.args) > 1 && !strings.Contains(errOut, "usage:") {
			t.Errorf("%q: no usage text in %q", tc.args, errOut)
		}
	}
}

func TestCLIClusterState(t *testing.T) {
	m := startFakeMember(t)
	addr := "--address=" + m.addr()
	if code, out, errOut := runCLI(t, false, "cluster-state", addr); code != 0 || out != "ACTIVE\n" {
		t.Errorf("get: %d %q %q", code, out, errOut)
	}
	if code, out, errOut := runCLI(t, false, "cluster-state", "set", "frozen", addr); code != 0 ||
		out != "cluster state is now FROZEN\n" {
		t.Errorf("set: %d %q %q", code, out, errOut)
	}
	if code, out, _ := runCLI(t, false, "cluster-state", addr, "get"); code != 0 || out != "FROZEN\n" {
		t.Errorf("get after set: %d %q", code, out)
	}
	if code, _, errOut := runCLI(t, false, "cluster-state", addr, "--cluster-name", "prod"); code != ExitFailed ||
		!strings.Contains(errOut, "filbert cluster-state: admin: authenticating with") ||
		!strings.Contains(errOut, "authentication refused") {
		t.Errorf("wrong cluster: %d %q", code, errOut)
	}
	msg := "cannot change state while a backup runs"
	m.mu.Lock()
	m.fail = &codec.ErrorHolder{ErrorCode: 5, ClassName: "java.lang.IllegalStateException", Message: &msg}
	m.mu.Unlock()
	if code, _, errOut := runCLI(t, false, "cluster-state", "set", "active", addr); code != ExitFailed ||
		errOut != "filbert cluster-state: admin: changing cluster state to ACTIVE: member error java.lang.IllegalStateException: "+msg+"\n" {
		t.Errorf("member error: %d %q", code, errOut)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	if code, _, errOut := runCLI(t, false, "cluster-state", "--address", dead); code != ExitFailed ||
		!strings.Contains(errOut, "connecting to "+dead) {
		t.Errorf("no member: %d %q", code, errOut)
	}
}

func TestCLIBackupStartAndInterrupt(t *testing.T) {
	m := startFakeMember(t)
	m.user, m.password = "admin", "pw"
	addr := "--address=" + m.addr()
	if code, out, errOut := runCLI(t, false, "backup", addr, "--username", "admin", "--password", "pw", "start"); code != 0 ||
		!strings.HasPrefix(out, "hot backup started") {
		t.Errorf("start: %d %q %q", code, out, errOut)
	}
	if code, out, errOut := runCLI(t, false, "backup", "interrupt", addr, "--username=admin", "--password=pw"); code != 0 ||
		!strings.HasPrefix(out, "hot backup interrupted") {
		t.Errorf("interrupt: %d %q %q", code, out, errOut)
	}
	m.mu.Lock()
	if m.triggers != 1 || m.interrupts != 1 {
		t.Errorf("triggers %d interrupts %d", m.triggers, m.interrupts)
	}
	m.mu.Unlock()

	// --seq goes through REST; the fake's REST side checks the cluster name
	// (security disabled there), so no user name this time.
	if code, out, errOut := runCLI(t, false, "backup", addr, "start", "--seq", "77"); code != 0 ||
		out != "hot backup 77 started (directory backup-77)\n" {
		t.Errorf("start --seq: %d %q %q", code, out, errOut)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.restSeqs) != 1 || m.restSeqs[0] != 77 {
		t.Errorf("REST backups %v", m.restSeqs)
	}
}

func TestCLIBackupStatus(t *testing.T) {
	m := startFakeMember(t)
	addr := "--address=" + m.addr()
	st := func(state string, done int) rest.BackupStatus {
		return rest.BackupStatus{Member: "127.0.0.1:5701", State: state, Completed: done, Total: 2, Sequence: 9}
	}
	m.statuses = [][]rest.BackupStatus{{st(rest.BackupInProgress, 1)}}
	if code, out, errOut := runCLI(t, false, "backup", "status", addr); code != 0 ||
		out != "127.0.0.1:5701 backup-9 IN_PROGRESS 1/2\n" {
		t.Errorf("status: %d %q %q", code, out, errOut)
	}

	// --watch off a terminal prints each change once and stops when done.
	m.mu.Lock()
	m.statusCall = 0
	m.statuses = [][]rest.BackupStatus{
		{st(rest.BackupNotStarted, 0)}, {st(rest.BackupInProgress, 1)}, {st(rest.BackupInProgress, 1)},
		{st(rest.BackupSuccess, 2)},
	}
	m.mu.Unlock()
	code, out, errOut := runCLI(t, false, "backup", "status", "--watch", "--interval", "10ms", addr)
	want := "127.0.0.1:5701 backup-9 NOT_STARTED 0/2\n127.0.0.1:5701 backup-9 IN_PROGRESS 1/2\n" +
		"127.0.0.1:5701 backup-9 SUCCESS 2/2\n"
	if code != 0 || out != want {
		t.Errorf("watch: %d %q %q", code, out, errOut)
	}

	// On a terminal the lines are redrawn in place.
	m.mu.Lock()
	m.statusCall = 0
	m.statuses = [][]rest.BackupStatus{{st(rest.BackupInProgress, 1)}, {st(rest.BackupSuccess, 2)}}
	m.mu.Unlock()
	code, out, _ = runCLI(t, true, "backup", "status", "--watch", "--interval", "10ms", addr)
	if code != 0 || strings.Count(out, "\x1b[1A") != 1 || !strings.HasSuffix(out, "100%  2/2  SUCCESS\x1b[K\n") {
		t.Errorf("terminal watch: %d %q", code, out)
	}

	// A failed member makes the exit code 1.
	m.mu.Lock()
	m.statusCall = 0
	m.statuses = [][]rest.BackupStatus{{{Member: "127.0.0.1:5701", State: rest.BackupFailure, Total: 2, Sequence: 9,
		Error: "no space left on device"}}}
	m.mu.Unlock()
	if code, out, errOut := runCLI(t, false, "backup", "status", addr); code != ExitFailed ||
		out != "127.0.0.1:5701 backup-9 FAILURE 0/2: no space left on device\n" || errOut != "" {
		t.Errorf("failure: %d %q %q", code, out, errOut)
	}
}

// TestCLIBackupStartWatch: start --watch follows the new sequence, not an
// earlier backup's SUCCESS.
func TestCLIBackupStartWatch(t *testing.T) {
	m := startFakeMember(t)
	old := rest.BackupStatus{Member: "127.0.0.1:5701", State: rest.BackupSuccess, Completed: 2, Total: 2, Sequence: 1}
	running := rest.BackupStatus{Member: "127.0.0.1:5701", State: rest.BackupInProgress, Completed: 1, Total: 2, Sequence: 500}
	done := rest.BackupStatus{Member: "127.0.0.1:5701", State: rest.BackupSuccess, Completed: 2, Total: 2, Sequence: 500}
	m.statuses = [][]rest.BackupStatus{{old}, {running}, {done}}
	code, out, errOut := runCLI(t, false, "backup", "start", "--watch", "--interval=10ms", "--address", m.addr())
	want := "hot backup 500 started (directory backup-500)\n127.0.0.1:5701 backup-1 SUCCESS 2/2\n" +
		"127.0.0.1:5701 backup-500 IN_PROGRESS 1/2\n127.0.0.1:5701 backup-500 SUCCESS 2/2\n"
	if code != 0 || out != want {
		t.Errorf("start --watch: %d %q %q", code, out, errOut)
	}
}

func TestCLIWatchStopsOnCancel(t *testing.T) {
	m := startFakeMember(t)
	m.statuses = [][]rest.BackupStatus{{{Member: "m", State: rest.BackupInProgress, Total: 1, Sequence: 1}}}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	var out, errOut bytes.Buffer
	code := run(ctx, []string{"backup", "status", "--watch", "--interval", "10ms", "--address", m.addr()}, &out, &errOut, false)
	if code != ExitFailed || !strings.Contains(errOut.String(), "stopped watching: context canceled") {
		t.Errorf("cancelled watch: %d %q", code, errOut.String())
	}
}

func TestCLIBackupStatusWithoutREST(t *testing.T) {
	m := startFakeMember(t)
	m.rest.Enabled = false
	code, _, errOut := runCLI(t, false, "backup", "status", "--address", m.addr())
	if code != ExitFailed || !strings.Contains(errOut, "member answered 403 Forbidden: REST API is not enabled") {
		t.Errorf("no REST: %d %q", code, errOut)
	}
}
