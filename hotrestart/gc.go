package hotrestart

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"time"
)

// GCStats describes one garbage collection pass.
type GCStats struct {
	// Chunks is the number of chunk files deleted.
	Chunks int
	// ReclaimedBytes is the size of the deleted files; CopiedBytes the live
	// records copied out of them first.
	ReclaimedBytes int64
	CopiedBytes    int64
	// Duration is the time the pass took.
	Duration time.Duration
}

// GC runs one garbage collection pass over every stripe: each sealed chunk
// whose garbage ratio is at least Options.GCGarbageRatio (most garbage
// first) has its live records copied to the active chunk and is deleted.
// Chunks pinned by a running backup and chunks with skipped damage are left
// alone. Passes do not overlap; one waits for another (and for Load).
func (s *Store) GC() (GCStats, error) {
	s.gcMu.Lock()
	defer s.gcMu.Unlock()
	var out GCStats
	if s.closed.Load() {
		return out, ErrClosed
	}
	start := time.Now()
	var errs []error
	for _, st := range s.stripes {
		if err := st.collect(&out); err != nil {
			errs = append(errs, fmt.Errorf("stripe %d: %w", st.idx, err))
		}
	}
	out.Duration = time.Since(start)
	s.stats.gcRuns.Add(1)
	s.stats.gcChunks.Add(int64(out.Chunks))
	s.stats.gcReclaimed.Add(out.ReclaimedBytes)
	s.stats.gcCopied.Add(out.CopiedBytes)
	ev := s.log.Debug()
	if out.Chunks > 0 {
		ev = s.log.Info()
	}
	ev.Int("chunks", out.Chunks).Int64("reclaimedBytes", out.ReclaimedBytes).Int64("copiedBytes", out.CopiedBytes).
		Dur("duration", out.Duration).Msg("garbage collection pass")
	if err := errors.Join(errs...); err != nil {
		return out, fmt.Errorf("hotrestart: gc: %w", err)
	}
	return out, nil
}

// gcLoop runs GC every GCInterval until Close.
func (s *Store) gcLoop() {
	defer close(s.gcDone)
	t := time.NewTicker(s.opts.GCInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if _, err := s.GC(); err != nil && !errors.Is(err, ErrClosed) {
				s.log.Warn().Err(err).Msg("background garbage collection failed")
			}
		case <-s.gcStop:
			return
		}
	}
}

// collect runs a GC pass over st.
func (st *stripe) collect(out *GCStats) error {
	type candidate struct {
		id    uint32
		size  int64
		ratio float64
	}
	var cands []candidate
	st.ix.mu.Lock()
	for _, c := range st.ix.chunks {
		if c.sealed && !c.damaged && !c.gone && c.pins == 0 && c.size > 0 && c.garbageRatio() >= st.s.opts.GCGarbageRatio {
			cands = append(cands, candidate{id: c.id, size: c.size, ratio: c.garbageRatio()})
		}
	}
	st.ix.mu.Unlock()
	slices.SortFunc(cands, func(a, b candidate) int {
		switch {
		case a.ratio > b.ratio:
			return -1
		case a.ratio < b.ratio:
			return 1
		}
		return int(int64(a.id) - int64(b.id))
	})
	for _, c := range cands {
		if st.s.closed.Load() {
			return ErrClosed
		}
		deleted, copied, err := st.collectChunk(c.id, c.size)
		if err != nil {
			return err
		}
		out.CopiedBytes += copied
		if deleted {
			out.Chunks++
			out.ReclaimedBytes += c.size
		}
	}
	return nil
}

// gcRecord is a record of a chunk being collected.
type gcRecord struct {
	at        loc
	raw       []byte
	storeID   uint32
	partition int32
	key       []byte
}

// collectChunk copies the live records of sealed chunk id (size bytes) to
// the active chunk, then deletes the file. It reports whether the file was
// deleted (not when a backup pinned it meanwhile) and the bytes copied.
func (st *stripe) collectChunk(id uint32, size int64) (deleted bool, copied int64, err error) {
	path := st.chunkPath(id)
	data, err := os.ReadFile(path)
	if err != nil {
		return false, 0, fmt.Errorf("read chunk for GC: %w", err)
	}
	if int64(len(data)) < size {
		return false, 0, fmt.Errorf("%s is %d bytes, the index expects %d", path, len(data), size)
	}
	data = data[:size]
	var recs []gcRecord
	for off := 0; off < len(data); {
		v, n, status, reason := decodeRecord(data[off:])
		if status != decodeOK {
			st.ix.mu.Lock()
			st.ix.chunk(id).damaged = true
			st.ix.mu.Unlock()
			st.s.log.Error().Str("file", path).Int("offset", off).Str("reason", reason).
				Msg("corrupt record in a sealed chunk; the chunk will not be collected")
			return false, 0, nil
		}
		sid, _ := st.s.internBytes(v.store)
		recs = append(recs, gcRecord{at: loc{chunk: id, off: uint32(off)}, raw: data[off : off+n],
			storeID: sid, partition: v.partition, key: v.key})
		off += n
	}

	var raws [][]byte
	var from []loc
	var sids []uint32
	st.ix.mu.Lock()
	for i := range recs {
		r := &recs[i]
		if st.ix.live(st.ix.indexKey(r.storeID, r.partition, r.key), r.at) {
			raws = append(raws, r.raw)
			from = append(from, r.at)
			sids = append(sids, r.storeID)
			copied += int64(len(r.raw))
		}
	}
	st.ix.mu.Unlock()
	if len(raws) > 0 {
		b, err := st.enqueueRelocations(raws, from, sids)
		if err == nil {
			err = b.wait()
		}
		if err != nil {
			return false, 0, err
		}
	}

	st.ix.mu.Lock()
	c := st.ix.chunks[id]
	ok := c != nil && c.pins == 0
	for i := 0; ok && i < len(recs); i++ {
		r := &recs[i]
		ok = !st.ix.live(st.ix.indexKey(r.storeID, r.partition, r.key), r.at)
	}
	if ok {
		c.gone = true
	}
	st.ix.mu.Unlock()
	if !ok {
		// A backup pinned the chunk meanwhile (the copies are harmless
		// duplicates); it is collected by a later pass.
		return false, copied, nil
	}
	if err := os.Remove(path); err != nil {
		st.ix.mu.Lock()
		c.gone = false
		st.ix.mu.Unlock()
		return false, copied, fmt.Errorf("delete collected chunk: %w", err)
	}
	// The deletion must be durable before tombstones that protect against
	// the chunk's records can become garbage.
	if err := syncDir(st.dir); err != nil {
		return false, copied, err
	}
	st.ix.mu.Lock()
	for i := range recs {
		r := &recs[i]
		st.ix.dropCopy(st.ix.indexKey(r.storeID, r.partition, r.key), r.at, recordTombstone(r.raw))
	}
	delete(st.ix.chunks, id)
	st.ix.mu.Unlock()
	return true, copied, nil
}
