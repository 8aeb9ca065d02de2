//go:build !unix

package hotrestart

import (
	"errors"
	"runtime"
)

// dirLock is unavailable on this platform.
type dirLock struct{}

// lockDir fails: locking needs flock(2).
func lockDir(dir string) (*dirLock, error) {
	return nil, errors.New("hotrestart: directory locking is not supported on " + runtime.GOOS)
}

// unlock does nothing.
func (l *dirLock) unlock() error { return nil }
