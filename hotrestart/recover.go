package hotrestart

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"time"
)

// Damage is a damaged region found by recovery.
type Damage struct {
	// Path is the chunk file.
	Path string
	// Offset is where the damaged record starts; Bytes how many bytes
	// from there were dropped (truncated or skipped).
	Offset int64
	Bytes  int64
	// Reason says what was wrong with the record at Offset.
	Reason string
}

// LoadStats describes a recovery (Open) or a load (Load).
type LoadStats struct {
	// Chunks, Bytes and Records were read.
	Chunks  int
	Bytes   int64
	Records int64
	// Live is the number of records delivered (Load) or of keys whose
	// latest record is a value (recovery).
	Live int64
	// Tombstones is the number of keys whose latest record is a tombstone
	// still needed on disk (recovery only).
	Tombstones int64
	// Duration is the time taken.
	Duration time.Duration
	// Truncated lists torn tails cut off by recovery.
	Truncated []Damage
	// Skipped lists regions skipped because of AllowPartial.
	Skipped []Damage
}

// chunkFile is a chunk found on disk.
type chunkFile struct {
	id   uint32
	size int64
}

// listChunks returns the chunk files of st in id order, removing empty
// ones (left by a crash right after a chunk was created).
func (st *stripe) listChunks() ([]chunkFile, error) {
	entries, err := os.ReadDir(st.dir)
	if err != nil {
		return nil, fmt.Errorf("hotrestart: list stripe %d: %w", st.idx, err)
	}
	var out []chunkFile
	removed := false
	for _, e := range entries {
		id, ok := parseChunkFileName(e.Name())
		if !ok || !e.Type().IsRegular() {
			st.s.log.Debug().Str("file", e.Name()).Int("stripe", st.idx).Msg("ignoring unknown file in stripe directory")
			continue
		}
		info, err := e.Info()
		if err != nil {
			return nil, fmt.Errorf("hotrestart: stat chunk: %w", err)
		}
		if info.Size() == 0 {
			if err := os.Remove(st.chunkPath(id)); err != nil {
				return nil, fmt.Errorf("hotrestart: remove empty chunk: %w", err)
			}
			removed = true
			continue
		}
		out = append(out, chunkFile{id: id, size: info.Size()})
	}
	if removed {
		if err := syncDir(st.dir); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(out, func(a, b chunkFile) int { return int(int64(a.id) - int64(b.id)) })
	return out, nil
}

// recover rebuilds every stripe's index from its chunks, one goroutine per
// stripe.
func (s *Store) recover() (LoadStats, error) {
	start := time.Now()
	files := make([][]chunkFile, len(s.stripes))
	var total int64
	var stats LoadStats
	for i, st := range s.stripes {
		fs, err := st.listChunks()
		if err != nil {
			return stats, err
		}
		files[i] = fs
		for _, f := range fs {
			total += f.size
		}
		stats.Chunks += len(fs)
	}
	pr := startProgress(PhaseRecover, total, s.opts.Progress, s.log, s.opts.ProgressInterval)
	results := make([]stripeRecovery, len(s.stripes))
	var wg sync.WaitGroup
	for i, st := range s.stripes {
		wg.Go(func() { results[i] = st.recover(files[i], pr) })
	}
	wg.Wait()
	final := pr.finish()
	stats.Bytes, stats.Records = final.Bytes, final.Records
	var errs []error
	var maxSeq uint64
	for _, r := range results {
		if r.err != nil {
			errs = append(errs, r.err)
		}
		stats.Truncated = append(stats.Truncated, r.truncated...)
		stats.Skipped = append(stats.Skipped, r.skipped...)
		maxSeq = max(maxSeq, r.maxSeq)
	}
	if err := errors.Join(errs...); err != nil {
		return stats, err
	}
	for _, st := range s.stripes {
		for _, e := range st.ix.entries {
			switch {
			case !e.tomb:
				stats.Live++
			case !e.garbage():
				stats.Tombstones++
			}
		}
	}
	s.seq.Store(maxSeq)
	stats.Duration = time.Since(start)
	s.log.Info().Int("chunks", stats.Chunks).Int64("bytes", stats.Bytes).Int64("records", stats.Records).
		Int64("liveKeys", stats.Live).Int64("tombstones", stats.Tombstones).Uint64("lastSequence", maxSeq).
		Int("truncated", len(stats.Truncated)).Int("skipped", len(stats.Skipped)).Dur("duration", stats.Duration).
		Msg("hot restart store recovered")
	return stats, nil
}

// stripeRecovery is what recovering one stripe found.
type stripeRecovery struct {
	maxSeq    uint64
	truncated []Damage
	skipped   []Damage
	err       error
}

// recover reads the chunks of st in order and builds its index. It runs
// before the writer starts, so it owns the index without locking.
func (st *stripe) recover(files []chunkFile, pr *progressTracker) (out stripeRecovery) {
	var r *chunkReader
	var nextID uint32 = 1
	for i, cf := range files {
		nextID = max(nextID, cf.id+1)
		last := i == len(files)-1
		path := st.chunkPath(cf.id)
		f, err := os.Open(path)
		if err != nil {
			out.err = fmt.Errorf("hotrestart: open chunk: %w", err)
			return out
		}
		if r == nil {
			r = newChunkReader(f, path, cf.size)
		} else {
			r.reset(f, path, cf.size)
		}
		c := st.ix.chunk(cf.id)
		c.sealed = true
		damage, err := st.recoverChunk(r, c, pr, &out.maxSeq)
		if err == nil && damage != nil {
			err = st.handleDamage(f, cf, last, damage, c, &out)
		}
		if err == nil && last && damage == nil {
			// The previous run never sealed its last chunk.
			if err = fdatasync(f); err != nil {
				err = fmt.Errorf("hotrestart: sync last chunk: %w", err)
			}
		}
		f.Close()
		if err != nil {
			out.err = err
			return out
		}
	}
	if nextID == 0 {
		out.err = fmt.Errorf("hotrestart: stripe %d: chunk ids exhausted", st.idx)
		return out
	}
	st.activeID = nextID
	return out
}

// recoverChunk indexes the records of one chunk until its end or the first
// damage, which it returns.
func (st *stripe) recoverChunk(r *chunkReader, c *chunkInfo, pr *progressTracker, maxSeq *uint64) (*CorruptionError, error) {
	var pendingBytes, pendingRecords int64
	defer func() { pr.add(pendingBytes, pendingRecords) }()
	for {
		v, off, n, err := r.next()
		if err == io.EOF {
			return nil, nil
		}
		if err != nil {
			var ce *CorruptionError
			if errors.As(err, &ce) {
				return ce, nil
			}
			return nil, err
		}
		if int(v.partition)%len(st.s.stripes) != st.idx {
			return nil, fmt.Errorf("hotrestart: %s at byte offset %d: partition %d does not belong to stripe %d of %d",
				r.path, off, v.partition, st.idx, len(st.s.stripes))
		}
		sid, _ := st.s.internBytes(v.store)
		key := st.ix.indexKey(sid, v.partition, v.key)
		c.size += int64(n)
		c.records++
		st.ix.track(key, loc{chunk: c.id, off: uint32(off)}, uint32(n), v.seq, v.tombstone())
		*maxSeq = max(*maxSeq, v.seq)
		pendingBytes += int64(n)
		pendingRecords++
		if pendingBytes >= 1<<20 {
			pr.add(pendingBytes, pendingRecords)
			pendingBytes, pendingRecords = 0, 0
		}
	}
}

// handleDamage truncates a torn tail of the last chunk, skips the rest of
// the chunk with AllowPartial, or returns the corruption.
func (st *stripe) handleDamage(f *os.File, cf chunkFile, last bool, ce *CorruptionError, c *chunkInfo, out *stripeRecovery) error {
	dropped := cf.size - ce.Offset
	pr := st.s.log.Warn().Str("file", ce.Path).Int64("offset", ce.Offset).Int64("bytes", dropped).Str("reason", ce.Reason)
	if last {
		rest := make([]byte, dropped)
		if _, err := f.ReadAt(rest, ce.Offset); err != nil && err != io.EOF {
			return fmt.Errorf("hotrestart: read tail of %s: %w", ce.Path, err)
		}
		p := findValidRecord(rest[1:])
		if p < 0 {
			if err := truncateChunk(ce.Path, ce.Offset); err != nil {
				return err
			}
			out.truncated = append(out.truncated, Damage{Path: ce.Path, Offset: ce.Offset, Bytes: dropped, Reason: ce.Reason})
			pr.Msg("torn tail of the last chunk truncated")
			return nil
		}
		ce.Reason += fmt.Sprintf(" (a valid record follows at byte offset %d, so this is not a torn tail)", ce.Offset+1+int64(p))
	}
	if !st.s.opts.AllowPartial {
		return ce
	}
	c.damaged = true
	out.skipped = append(out.skipped, Damage{Path: ce.Path, Offset: ce.Offset, Bytes: dropped, Reason: ce.Reason})
	pr.Msg("corrupt record; skipping the rest of the chunk (AllowPartial)")
	return nil
}

// truncateChunk cuts a chunk file at size and syncs it.
func truncateChunk(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("hotrestart: truncate torn tail: %w", err)
	}
	err = f.Truncate(size)
	if err == nil {
		err = fdatasync(f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("hotrestart: truncate %s to %d bytes: %w", path, size, err)
	}
	return nil
}
