package hotrestart

import (
	"errors"
	"fmt"
)

// Sentinel errors. Errors returned by this package wrap one of them (test
// with errors.Is) and add the file, offset or value concerned.
var (
	// ErrCorrupt marks damaged records; the concrete error is a
	// *CorruptionError.
	ErrCorrupt = errors.New("hotrestart: corrupt data")
	// ErrLocked is returned by Open when another Store (in this or another
	// process) holds the directory.
	ErrLocked = errors.New("hotrestart: directory in use")
	// ErrClosed is returned by calls on a closed Store.
	ErrClosed = errors.New("hotrestart: store closed")
	// ErrInvalidRecord is returned for a record that cannot be stored.
	ErrInvalidRecord = errors.New("hotrestart: invalid record")
	// ErrInvalidOptions is returned by Options.Validate.
	ErrInvalidOptions = errors.New("hotrestart: invalid options")
	// ErrParallelism is returned by Open when the directory was created
	// with another parallelism.
	ErrParallelism = errors.New("hotrestart: parallelism differs from the directory's")
	// ErrBackupInProgress is returned by Backup while another backup runs.
	ErrBackupInProgress = errors.New("hotrestart: a backup is in progress")
	// ErrBackupExists is returned by Backup when the destination exists.
	ErrBackupExists = errors.New("hotrestart: backup directory exists")
	// ErrInterrupted is the failure of an interrupted backup.
	ErrInterrupted = errors.New("hotrestart: backup interrupted")
)

// CorruptionError describes a damaged record: the file, the byte offset at
// which the damaged record starts, and what is wrong with it.
type CorruptionError struct {
	// Path is the chunk file ("" when decoding a bare buffer).
	Path string
	// Offset is the byte offset of the damaged record in the file.
	Offset int64
	// Reason says what is wrong.
	Reason string
	// Incomplete is true when the data ends inside the record (a torn
	// write) rather than holding invalid bytes.
	Incomplete bool
}

// Error implements error.
func (e *CorruptionError) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("hotrestart: corrupt record at byte offset %d: %s", e.Offset, e.Reason)
	}
	return fmt.Sprintf("hotrestart: corrupt record in %s at byte offset %d: %s", e.Path, e.Offset, e.Reason)
}

// Is makes errors.Is(err, ErrCorrupt) true.
func (e *CorruptionError) Is(target error) bool { return target == ErrCorrupt }
