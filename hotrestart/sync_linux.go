//go:build linux

package hotrestart

import (
	"os"
	"syscall"
)

// fdatasync flushes f's data and the metadata needed to read it (its size)
// but not its timestamps.
func fdatasync(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			if err != nil {
				return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: err}
			}
			return nil
		}
	}
}

// syncFileRangeWrite is SYNC_FILE_RANGE_WRITE: start writeback of dirty
// pages in the range without waiting for it.
const syncFileRangeWrite = 0x2

// startWriteback asks the kernel to start writing n bytes of f at off to
// disk, without waiting. It is only a hint.
func startWriteback(f *os.File, off, n int64) error {
	return syscall.SyncFileRange(int(f.Fd()), off, n, syncFileRangeWrite)
}
