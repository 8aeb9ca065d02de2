package hotrestart

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Load delivers the live records of the store: for every (store,
// partition, key) whose latest record is a value, that record, once.
// Tombstones and older versions are not delivered.
//
// fn runs concurrently on one goroutine per stripe; all records of a
// partition come from the same goroutine. Record.Key and Record.Value
// alias a read buffer and are valid only during the call: fn must copy
// them to keep them. An error from fn stops the load and is returned.
// progress, if not nil, is called from one goroutine every
// Options.ProgressInterval and at the end.
//
// Load is meant to run once after Open, before the store is written to;
// records written concurrently with Load may or may not be delivered. GC
// waits while Load runs. The returned stats include the damage recovery
// found (Truncated, Skipped).
func (s *Store) Load(fn func(Record) error, progress func(Progress)) (LoadStats, error) {
	s.gcMu.Lock()
	defer s.gcMu.Unlock()
	if s.closed.Load() {
		return LoadStats{}, ErrClosed
	}
	if err := s.Sync(); err != nil {
		return LoadStats{}, fmt.Errorf("hotrestart: load: %w", err)
	}
	start := time.Now()
	stats := LoadStats{Truncated: s.recovery.Truncated, Skipped: s.recovery.Skipped}
	lists := make([][]chunkFile, len(s.stripes))
	var total int64
	for i, st := range s.stripes {
		st.ix.mu.Lock()
		for _, c := range st.ix.chunks {
			if c.size > 0 && !c.gone {
				lists[i] = append(lists[i], chunkFile{id: c.id, size: c.size})
				total += c.size
			}
		}
		st.ix.mu.Unlock()
		slices.SortFunc(lists[i], func(a, b chunkFile) int { return int(int64(a.id) - int64(b.id)) })
		stats.Chunks += len(lists[i])
	}
	pr := startProgress(PhaseLoad, total, progress, s.log, s.opts.ProgressInterval)
	var stop atomic.Bool
	var delivered atomic.Int64
	errs := make([]error, len(s.stripes))
	var wg sync.WaitGroup
	for i, st := range s.stripes {
		wg.Go(func() {
			errs[i] = st.deliver(lists[i], fn, pr, &stop, &delivered)
			if errs[i] != nil {
				stop.Store(true)
			}
		})
	}
	wg.Wait()
	final := pr.finish()
	stats.Bytes, stats.Records, stats.Live = final.Bytes, final.Records, delivered.Load()
	stats.Duration = time.Since(start)
	if err := errors.Join(errs...); err != nil {
		return stats, err
	}
	s.log.Info().Int("chunks", stats.Chunks).Int64("bytes", stats.Bytes).Int64("records", stats.Records).
		Int64("delivered", stats.Live).Dur("duration", stats.Duration).Msg("hot restart data loaded")
	return stats, nil
}

// deliver walks the given chunks of st and passes live records to fn.
func (st *stripe) deliver(chunks []chunkFile, fn func(Record) error, pr *progressTracker, stop *atomic.Bool, delivered *atomic.Int64) error {
	var r *chunkReader
	for _, cf := range chunks {
		path := st.chunkPath(cf.id)
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("hotrestart: load: %w", err)
		}
		if r == nil {
			r = newChunkReader(f, path, cf.size)
		} else {
			r.reset(f, path, cf.size)
		}
		err = st.deliverChunk(r, cf.id, fn, pr, stop, delivered)
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// deliverChunk passes the live records of one chunk to fn.
func (st *stripe) deliverChunk(r *chunkReader, id uint32, fn func(Record) error, pr *progressTracker, stop *atomic.Bool, delivered *atomic.Int64) error {
	var pendingBytes, pendingRecords int64
	defer func() { pr.add(pendingBytes, pendingRecords) }()
	for !stop.Load() {
		v, off, n, err := r.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("hotrestart: load: %w", err)
		}
		pendingBytes += int64(n)
		pendingRecords++
		if pendingBytes >= 1<<20 {
			pr.add(pendingBytes, pendingRecords)
			pendingBytes, pendingRecords = 0, 0
		}
		if v.tombstone() {
			continue
		}
		sid, name := st.s.internBytes(v.store)
		st.ix.mu.Lock()
		key := st.ix.indexKey(sid, v.partition, v.key)
		e := st.ix.entries[string(key)]
		live := e != nil && e.at == (loc{chunk: id, off: uint32(off)}) && !e.tomb
		st.ix.mu.Unlock()
		if !live {
			continue
		}
		if err := fn(v.record(name)); err != nil {
			return fmt.Errorf("hotrestart: load: callback for %s at byte offset %d: %w", r.path, off, err)
		}
		delivered.Add(1)
	}
	return nil
}

// Load opens the store in dir with the given parallelism, delivers its
// live records to fn as Store.Load does, and closes it. Recovery and load
// progress both go to progress. Background GC is off while it runs.
func Load(dir string, parallelism int, fn func(Record) error, progress func(Progress)) (LoadStats, error) {
	s, err := Open(Options{Dir: dir, Parallelism: parallelism, Progress: progress, GCInterval: -1})
	if err != nil {
		return LoadStats{}, err
	}
	stats, err := s.Load(fn, progress)
	if cerr := s.Close(); err == nil && cerr != nil {
		err = cerr
	}
	return stats, err
}
