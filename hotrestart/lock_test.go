//go:build unix

package hotrestart

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestLockRefusesSecondOpen(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, testOptions(t, dir))
	_, err := Open(testOptions(t, dir))
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
	if msg := err.Error(); !strings.Contains(msg, dir) || !strings.Contains(msg, fmt.Sprintf("pid %d", os.Getpid())) {
		t.Errorf("error %q does not name the directory and pid", msg)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := mustOpen(t, testOptions(t, dir))
	s2.Close()
}

// TestLockAcrossProcesses starts a child process holding the store and
// checks that Open here names the child's pid.
func TestLockAcrossProcesses(t *testing.T) {
	if os.Getenv("HOTRESTART_LOCK_CHILD") != "" {
		t.Skip("child")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockHelperProcess$", "-test.v")
	cmd.Env = append(os.Environ(), "HOTRESTART_LOCK_CHILD="+dir)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		cmd.Wait()
	}()
	sc := bufio.NewScanner(stdout)
	for sc.Scan() && !strings.Contains(sc.Text(), "child holds the lock") {
	}
	_, err := Open(testOptions(t, dir))
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), fmt.Sprintf("pid %d)", cmd.Process.Pid)) {
		t.Fatalf("Open while the child holds the lock: %v (child pid %d)", err, cmd.Process.Pid)
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v", err)
	}
	s := mustOpen(t, testOptions(t, dir))
	s.Close()
}

// TestLockHelperProcess is the child of TestLockAcrossProcesses: it opens
// the store and holds it until its stdin closes.
func TestLockHelperProcess(t *testing.T) {
	dir := os.Getenv("HOTRESTART_LOCK_CHILD")
	if dir == "" {
		t.Skip("helper process only")
	}
	s, err := Open(Options{Dir: dir, Parallelism: 2, GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("child holds the lock")
	bufio.NewReader(os.Stdin).ReadString('\n')
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}
