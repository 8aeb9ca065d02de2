package hotrestart

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/rs/zerolog"
)

// formatVersion is the disk format written to hotrestart.json.
const formatVersion = 1

// Store is an open store directory. Its methods are safe for concurrent
// use.
type Store struct {
	opts    Options
	log     zerolog.Logger
	lock    *dirLock
	stripes []*stripe

	seq     atomic.Uint64 // last sequence handed out
	failErr atomic.Pointer[error]
	closed  atomic.Bool

	namesMu sync.RWMutex
	names   map[string]uint32 // interned store names
	byID    []string

	recovery LoadStats // what Open found

	gcMu     sync.Mutex // one GC pass (or Load) at a time
	gcStop   chan struct{}
	gcDone   chan struct{}
	closeMu  sync.Mutex
	backupMu sync.Mutex
	backup   *BackupJob // running or last backup

	linkFile func(oldname, newname string) error // os.Link; replaced in tests

	stats struct {
		bytesWritten, recordsWritten, batches, syncs, chunksCreated atomic.Int64
		gcRuns, gcChunks, gcReclaimed, gcCopied                     atomic.Int64
	}
}

// storeMeta is the content of hotrestart.json.
type storeMeta struct {
	Format      int `json:"format"`
	Parallelism int `json:"parallelism"`
}

// Open opens (or creates) the store in opts.Dir: it locks the directory,
// recovers the index from the chunk files (reporting through opts.Progress
// and the log, truncating torn tails) and starts the stripe writers. Use
// Load to receive the recovered records. Close releases everything.
func Open(opts Options) (*Store, error) {
	opts = opts.withDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("hotrestart: create store directory: %w", err)
	}
	lock, err := lockDir(opts.Dir)
	if err != nil {
		return nil, err
	}
	s := &Store{
		opts:     opts,
		log:      opts.Logger.With().Str("component", "hotrestart").Str("dir", opts.Dir).Logger(),
		lock:     lock,
		names:    make(map[string]uint32),
		linkFile: os.Link,
	}
	if err := s.open(); err != nil {
		lock.unlock()
		return nil, err
	}
	for _, st := range s.stripes {
		go st.run()
	}
	if opts.GCInterval > 0 {
		s.gcStop, s.gcDone = make(chan struct{}), make(chan struct{})
		go s.gcLoop()
	}
	return s, nil
}

// open checks the metadata, creates the stripe directories and recovers.
func (s *Store) open() error {
	if err := s.checkMeta(); err != nil {
		return err
	}
	for i := 0; i < s.opts.Parallelism; i++ {
		st := newStripe(s, i)
		if err := os.MkdirAll(st.dir, 0o755); err != nil {
			return fmt.Errorf("hotrestart: create stripe directory: %w", err)
		}
		s.stripes = append(s.stripes, st)
	}
	if err := syncDir(s.opts.Dir); err != nil {
		return err
	}
	stats, err := s.recover()
	s.recovery = stats
	return err
}

// checkMeta reads hotrestart.json, or writes it for a new directory, and
// refuses a different parallelism.
func (s *Store) checkMeta() error {
	for _, marker := range []string{inProgressFileName, failureFileName} {
		if _, err := os.Stat(filepath.Join(s.opts.Dir, marker)); err == nil {
			return fmt.Errorf("hotrestart: %s is an unfinished or failed backup (%s is present)", s.opts.Dir, marker)
		}
	}
	path := filepath.Join(s.opts.Dir, metaFileName)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		var m storeMeta
		if err := json.Unmarshal(b, &m); err != nil {
			return fmt.Errorf("hotrestart: read %s: %w", path, err)
		}
		if m.Format != formatVersion {
			return fmt.Errorf("hotrestart: %s: unsupported format %d (this build reads %d)", path, m.Format, formatVersion)
		}
		if m.Parallelism != s.opts.Parallelism {
			return fmt.Errorf("%w: %s was written with parallelism %d, opened with %d", ErrParallelism, s.opts.Dir, m.Parallelism, s.opts.Parallelism)
		}
		return nil
	case errors.Is(err, os.ErrNotExist):
		entries, err := os.ReadDir(s.opts.Dir)
		if err != nil {
			return fmt.Errorf("hotrestart: read store directory: %w", err)
		}
		for _, e := range entries {
			if _, ok := parseStripeDirName(e.Name()); ok {
				return fmt.Errorf("hotrestart: %s has stripe directories but no %s", s.opts.Dir, metaFileName)
			}
		}
		return writeJSONFile(path, storeMeta{Format: formatVersion, Parallelism: s.opts.Parallelism})
	default:
		return fmt.Errorf("hotrestart: read store metadata: %w", err)
	}
}

// writeJSONFile writes v to path atomically (temporary file, fsync,
// rename, directory fsync).
func writeJSONFile(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("hotrestart: encode %s: %w", filepath.Base(path), err)
	}
	return writeFileAtomic(path, append(b, '\n'))
}

// writeFileAtomic writes data to path through a synced temporary file.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + tempFileSuffix
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("hotrestart: write %s: %w", path, err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("hotrestart: write %s: %w", path, err)
	}
	return syncDir(filepath.Dir(path))
}

// Dir returns the store directory.
func (s *Store) Dir() string { return s.opts.Dir }

// Options returns the options in force, defaults filled in.
func (s *Store) Options() Options { return s.opts }

// stripeFor returns the stripe of a partition.
func (s *Store) stripeFor(partition int32) *stripe {
	return s.stripes[int(partition)%len(s.stripes)]
}

// intern returns the id of a store name, assigning one if needed.
func (s *Store) intern(name string) uint32 {
	s.namesMu.RLock()
	id, ok := s.names[name]
	s.namesMu.RUnlock()
	if ok {
		return id
	}
	return s.internSlow(name)
}

// internBytes is intern for a name held in a buffer; it returns the
// interned string too.
func (s *Store) internBytes(name []byte) (uint32, string) {
	s.namesMu.RLock()
	id, ok := s.names[string(name)]
	var str string
	if ok {
		str = s.byID[id]
	}
	s.namesMu.RUnlock()
	if ok {
		return id, str
	}
	id = s.internSlow(string(name))
	s.namesMu.RLock()
	str = s.byID[id]
	s.namesMu.RUnlock()
	return id, str
}

// internSlow adds a name under the write lock.
func (s *Store) internSlow(name string) uint32 {
	s.namesMu.Lock()
	defer s.namesMu.Unlock()
	if id, ok := s.names[name]; ok {
		return id
	}
	id := uint32(len(s.byID))
	s.names[name] = id
	s.byID = append(s.byID, name)
	return id
}

// failure returns the error that failed the store, if any.
func (s *Store) failure() error {
	if p := s.failErr.Load(); p != nil {
		return *p
	}
	return nil
}

// fail records err as the store's failure (the first one wins) and returns
// the failure.
func (s *Store) fail(err error) error {
	wrapped := fmt.Errorf("hotrestart: store failed: %w", err)
	if s.failErr.CompareAndSwap(nil, &wrapped) {
		s.log.Error().Err(err).Msg("store failed; further writes are refused")
	}
	return s.failure()
}

// Put stores rec (a value or, with Tombstone, a removal). With Fsync it
// returns once rec is on disk; otherwise once it is queued. rec's buffers
// are copied.
func (s *Store) Put(rec Record) error {
	n, err := rec.encodedSize()
	if err != nil {
		return err
	}
	b, err := s.stripeFor(rec.Partition).enqueue(&rec, n, s.intern(rec.Store), s.opts.Fsync)
	if err != nil {
		return err
	}
	if s.opts.Fsync {
		return b.wait()
	}
	return nil
}

// Delete stores a tombstone for key: a restart will not bring back any
// earlier value. Durability is as for Put.
func (s *Store) Delete(store string, partition int32, key []byte) error {
	return s.Put(Record{Store: store, Partition: partition, Key: key, Tombstone: true})
}

// PutBatch stores several records. Every record is checked before any is
// queued; the batch is not atomic (after a crash a prefix of each stripe's
// share may survive). With Fsync it returns once all are on disk.
func (s *Store) PutBatch(recs []Record) error {
	sizes := make([]int, len(recs))
	for i := range recs {
		n, err := recs[i].encodedSize()
		if err != nil {
			return fmt.Errorf("record %d: %w", i, err)
		}
		sizes[i] = n
	}
	var waits []*batch
	for i := range recs {
		b, err := s.stripeFor(recs[i].Partition).enqueue(&recs[i], sizes[i], s.intern(recs[i].Store), s.opts.Fsync)
		if err != nil {
			return err
		}
		if s.opts.Fsync && (len(waits) == 0 || waits[len(waits)-1] != b) {
			waits = append(waits, b)
		}
	}
	for _, b := range waits {
		if err := b.wait(); err != nil {
			return err
		}
	}
	return nil
}

// Sync makes every record queued so far durable, sharing the fdatasync
// with concurrent writers. It lets a caller that opened the store without
// Fsync ask for durability at chosen points (for example per map).
func (s *Store) Sync() error {
	waits := make([]*batch, 0, len(s.stripes))
	for _, st := range s.stripes {
		st.qmu.Lock()
		if st.closed {
			st.qmu.Unlock()
			return ErrClosed
		}
		b := st.pend
		b.sync = true
		st.qmu.Unlock()
		st.signal()
		waits = append(waits, b)
	}
	var errs []error
	for _, b := range waits {
		if err := b.wait(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := s.failure(); err != nil {
		return err
	}
	return errors.Join(errs...)
}

// Close stops background GC, interrupts a running backup, writes and syncs
// everything queued, and releases the directory lock.
func (s *Store) Close() error {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.closed.Swap(true) {
		return ErrClosed
	}
	if s.gcStop != nil {
		close(s.gcStop)
		<-s.gcDone
	}
	// Wait for a GC pass or Load called by the user; GC stops at the next
	// chunk once closed is set.
	s.gcMu.Lock()
	defer s.gcMu.Unlock()
	s.backupMu.Lock()
	job := s.backup
	s.backupMu.Unlock()
	if job != nil {
		job.Interrupt()
		job.Wait()
	}
	var errs []error
	for _, st := range s.stripes {
		if err := st.shutdown(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := s.lock.unlock(); err != nil {
		errs = append(errs, err)
	}
	s.log.Debug().Uint64("lastSequence", s.seq.Load()).Msg("store closed")
	return errors.Join(errs...)
}

// Stats are counters and gauges of a Store.
type Stats struct {
	// BytesWritten and RecordsWritten count appends since Open (GC copies
	// included in bytes, not in records).
	BytesWritten   int64
	RecordsWritten int64
	// Batches counts writes; RecordsWritten/Batches is the group size.
	Batches int64
	// Syncs counts fdatasync calls.
	Syncs int64
	// Chunks is the number of chunk files; DiskBytes their total size.
	Chunks    int
	DiskBytes int64
	// LiveBytes and GarbageBytes split DiskBytes; GarbageRatio is
	// GarbageBytes/DiskBytes.
	LiveBytes    int64
	GarbageBytes int64
	GarbageRatio float64
	// Keys is the number of index entries (live keys and tombstones).
	Keys int
	// LastSequence is the last sequence number handed out.
	LastSequence uint64
	// GCRuns, GCChunks, GCReclaimedBytes and GCCopiedBytes describe garbage
	// collection since Open.
	GCRuns           int64
	GCChunks         int64
	GCReclaimedBytes int64
	GCCopiedBytes    int64
}

// Stats returns the store's statistics.
func (s *Store) Stats() Stats {
	out := Stats{
		BytesWritten:     s.stats.bytesWritten.Load(),
		RecordsWritten:   s.stats.recordsWritten.Load(),
		Batches:          s.stats.batches.Load(),
		Syncs:            s.stats.syncs.Load(),
		LastSequence:     s.seq.Load(),
		GCRuns:           s.stats.gcRuns.Load(),
		GCChunks:         s.stats.gcChunks.Load(),
		GCReclaimedBytes: s.stats.gcReclaimed.Load(),
		GCCopiedBytes:    s.stats.gcCopied.Load(),
	}
	for _, st := range s.stripes {
		st.ix.mu.Lock()
		for _, c := range st.ix.chunks {
			if c.size == 0 {
				continue
			}
			out.Chunks++
			out.DiskBytes += c.size
			out.GarbageBytes += c.dead
		}
		out.Keys += len(st.ix.entries)
		st.ix.mu.Unlock()
	}
	out.LiveBytes = out.DiskBytes - out.GarbageBytes
	if out.DiskBytes > 0 {
		out.GarbageRatio = float64(out.GarbageBytes) / float64(out.DiskBytes)
	}
	return out
}
