package hotrestart

import (
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"
)

// Defaults of Options, applied by Open to zero fields.
const (
	// DefaultParallelism is Hazelcast's default number of stores.
	DefaultParallelism = 1
	// DefaultChunkSize is Hazelcast's chunk size: 8 MiB.
	DefaultChunkSize = 8 << 20
	// DefaultFlushInterval bounds how long a record written without fsync
	// waits in memory before it is handed to the OS.
	DefaultFlushInterval = 10 * time.Millisecond
	// DefaultMaxPendingBytes bounds each stripe's queue of records not yet
	// written; callers wait when it is full.
	DefaultMaxPendingBytes = 16 << 20
	// DefaultGCGarbageRatio collects a sealed chunk once half of it is
	// garbage.
	DefaultGCGarbageRatio = 0.5
	// DefaultGCInterval is the period of background garbage collection.
	DefaultGCInterval = 10 * time.Second
	// DefaultProgressInterval is how often loading progress is reported.
	DefaultProgressInterval = time.Second

	// minChunkSize and maxChunkSize bound Options.ChunkSize; the upper bound
	// keeps offsets within a chunk in 32 bits.
	minChunkSize = 4 << 10
	maxChunkSize = 1 << 30
)

// flushBytes is the pending size at which a writer without fsync writes at
// once instead of waiting for FlushInterval.
const flushBytes = 1 << 20

// Options configure a Store. Zero fields take the defaults above; Open
// fills them in and calls Validate.
type Options struct {
	// Dir is this member's store directory; it is created if missing.
	Dir string
	// Parallelism is the number of stripes (writer goroutines and chunk
	// sequences), >= 1. A directory must be reopened with the parallelism
	// it was created with. Default 1.
	Parallelism int
	// Fsync makes every write return only once it is on disk (fdatasync),
	// shared by concurrent writers (group commit). Default false: writes
	// return when queued and reach the OS within FlushInterval.
	Fsync bool
	// ChunkSize is the size at which a chunk is sealed and a new one
	// started, between 4 KiB and 1 GiB. Default 8 MiB. A record larger than
	// ChunkSize gets a chunk of its own.
	ChunkSize int64
	// FlushInterval is the longest a write without fsync waits before the
	// writer hands its batch to the OS. Default 10ms.
	FlushInterval time.Duration
	// MaxPendingBytes bounds each stripe's queue of unwritten records;
	// writers wait while it is full. Default 16 MiB.
	MaxPendingBytes int64
	// GCGarbageRatio is the share of garbage (0 < r <= 1) at which a sealed
	// chunk is collected. Default 0.5.
	GCGarbageRatio float64
	// GCInterval is the period of background garbage collection; negative
	// disables it (GC can still be called). Default 10s.
	GCInterval time.Duration
	// AllowPartial makes recovery skip the rest of a chunk after damage
	// that is not a torn tail, instead of failing Open.
	AllowPartial bool
	// Progress, if set, receives recovery progress during Open (from one
	// goroutine, at most every ProgressInterval, and once at the end).
	Progress func(Progress)
	// ProgressInterval is the period of progress reports and logs. Default
	// 1s.
	ProgressInterval time.Duration
	// Logger receives the store's logs; the zero value discards them.
	Logger zerolog.Logger
}

// withDefaults returns o with zero fields set to their defaults.
func (o Options) withDefaults() Options {
	if o.Parallelism == 0 {
		o.Parallelism = DefaultParallelism
	}
	if o.ChunkSize == 0 {
		o.ChunkSize = DefaultChunkSize
	}
	if o.FlushInterval == 0 {
		o.FlushInterval = DefaultFlushInterval
	}
	if o.MaxPendingBytes == 0 {
		o.MaxPendingBytes = DefaultMaxPendingBytes
	}
	if o.GCGarbageRatio == 0 {
		o.GCGarbageRatio = DefaultGCGarbageRatio
	}
	if o.GCInterval == 0 {
		o.GCInterval = DefaultGCInterval
	}
	if o.ProgressInterval == 0 {
		o.ProgressInterval = DefaultProgressInterval
	}
	return o
}

// Validate checks o after defaults (zero fields are accepted) and returns
// every problem at once, each naming the field and its value; the error
// wraps ErrInvalidOptions.
func (o Options) Validate() error {
	o = o.withDefaults()
	var errs []error
	bad := func(field string, value any, reason string) {
		errs = append(errs, fmt.Errorf("%w: %s = %v: %s", ErrInvalidOptions, field, value, reason))
	}
	if o.Dir == "" {
		bad("Dir", `""`, "a directory is required")
	}
	if o.Parallelism < 1 {
		bad("Parallelism", o.Parallelism, "must be at least 1")
	}
	if o.ChunkSize < minChunkSize || o.ChunkSize > maxChunkSize {
		bad("ChunkSize", o.ChunkSize, fmt.Sprintf("must be between %d and %d bytes", minChunkSize, maxChunkSize))
	}
	if o.FlushInterval < 0 {
		bad("FlushInterval", o.FlushInterval, "must not be negative")
	}
	if o.MaxPendingBytes < 0 {
		bad("MaxPendingBytes", o.MaxPendingBytes, "must not be negative")
	}
	if !(o.GCGarbageRatio > 0 && o.GCGarbageRatio <= 1) {
		bad("GCGarbageRatio", o.GCGarbageRatio, "must be in (0, 1]")
	}
	if o.ProgressInterval < 0 {
		bad("ProgressInterval", o.ProgressInterval, "must not be negative")
	}
	return errors.Join(errs...)
}
