//go:build unix

package hotrestart

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// dirLock is an exclusive flock(2) on <dir>/lock. flock conflicts between
// open file descriptions, so a second Store in the same process is refused
// as well as one in another process; the kernel drops the lock when the
// holder dies.
type dirLock struct {
	f *os.File
}

// lockDir takes the lock of dir and writes this process's pid into the lock
// file.
func lockDir(dir string) (*dirLock, error) {
	path := filepath.Join(dir, lockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("hotrestart: open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			holder := "another process"
			if b, rerr := os.ReadFile(path); rerr == nil {
				if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil {
					holder = "pid " + strconv.Itoa(pid)
					if pid == os.Getpid() {
						holder += ", this process"
					}
				}
			}
			return nil, fmt.Errorf("%w: %s is locked by another store (%s)", ErrLocked, dir, holder)
		}
		return nil, fmt.Errorf("hotrestart: lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("hotrestart: write pid to %s: %w", path, err)
		}
	}
	return &dirLock{f: f}, nil
}

// unlock releases the lock. The file stays: removing it could let two
// openers lock different inodes.
func (l *dirLock) unlock() error {
	if err := l.f.Close(); err != nil {
		return fmt.Errorf("hotrestart: release lock: %w", err)
	}
	return nil
}
