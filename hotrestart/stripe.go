package hotrestart

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"
)

// pendingKind distinguishes new records from GC copies in a batch.
type pendingKind uint8

const (
	kindRecord   pendingKind = iota // a new record: gets a sequence and checksum
	kindRelocate                    // a GC copy of a sealed record, written as is
)

// pending is one record in a batch.
type pending struct {
	off, size int // place in batch.buf
	storeID   uint32
	kind      pendingKind
	from      loc // kindRelocate: where the original is
}

// batch is the unit of group commit: records gathered while the writer was
// busy, written with one write and, if sync, one fdatasync. Waiters block on
// done and then read err.
type batch struct {
	buf  []byte
	recs []pending
	sync bool
	done chan struct{}
	err  error
}

// stripeOp is a request run by the writer between batches.
type stripeOp struct {
	fn   func() // runs on the writer goroutine after the pending batch is written
	done chan struct{}
}

// stripe is one log: a queue of pending records, a writer goroutine and the
// chunk files of one subdirectory.
type stripe struct {
	s   *Store
	idx int
	dir string
	ix  *keyIndex

	// Queue, guarded by qmu.
	qmu     sync.Mutex
	space   *sync.Cond // signalled when the pending batch is taken
	pend    *batch
	closed  bool
	wake    chan struct{} // capacity 1: the writer has work
	ops     chan stripeOp
	stop    chan struct{}
	stopped chan struct{}

	// Writer state, touched only by the writer goroutine (and by recovery
	// before it starts). activeID and activeSize are also read under ix.mu.
	file       *os.File // open active chunk, nil until the first write
	fileID     uint32
	activeID   uint32 // chunk receiving records
	activeSize int64  // bytes placed in the active chunk
	spareBuf   []byte
	spareRecs  []pending
	unsynced   int64 // bytes appended to file since the last writeback hint or sync
}

// newStripe returns stripe idx of s; its writer is started by start.
func newStripe(s *Store, idx int) *stripe {
	st := &stripe{
		s:       s,
		idx:     idx,
		dir:     filepath.Join(s.opts.Dir, stripeDirName(idx)),
		ix:      newKeyIndex(),
		wake:    make(chan struct{}, 1),
		ops:     make(chan stripeOp),
		stop:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
	st.space = sync.NewCond(&st.qmu)
	st.pend = &batch{done: make(chan struct{})}
	return st
}

// chunkPath returns the path of chunk id of this stripe.
func (st *stripe) chunkPath(id uint32) string { return filepath.Join(st.dir, chunkFileName(id)) }

// signal wakes the writer.
func (st *stripe) signal() {
	select {
	case st.wake <- struct{}{}:
	default:
	}
}

// enqueue appends r (already checked: its encoded size is n) to the pending
// batch and returns the batch. With sync the batch is fdatasynced and the
// caller should wait on it.
func (st *stripe) enqueue(r *Record, n int, storeID uint32, sync bool) (*batch, error) {
	st.qmu.Lock()
	for !st.closed && int64(len(st.pend.buf)) >= st.s.opts.MaxPendingBytes && len(st.pend.buf) > 0 {
		st.space.Wait()
	}
	if st.closed {
		st.qmu.Unlock()
		return nil, ErrClosed
	}
	if err := st.s.failure(); err != nil {
		st.qmu.Unlock()
		return nil, err
	}
	b := st.pend
	wasEmpty := len(b.recs) == 0
	off := len(b.buf)
	b.buf = appendRecordUnsealed(b.buf, r, n)
	b.recs = append(b.recs, pending{off: off, size: n, storeID: storeID, kind: kindRecord})
	crossed := off < flushBytes && len(b.buf) >= flushBytes
	if sync {
		b.sync = true
	}
	st.qmu.Unlock()
	if wasEmpty || crossed || sync {
		st.signal()
	}
	return b, nil
}

// enqueueRelocations appends GC copies of sealed records and returns the
// batch, which is fdatasynced. raws[i] is the record found at from[i].
func (st *stripe) enqueueRelocations(raws [][]byte, from []loc, storeIDs []uint32) (*batch, error) {
	st.qmu.Lock()
	if st.closed {
		st.qmu.Unlock()
		return nil, ErrClosed
	}
	if err := st.s.failure(); err != nil {
		st.qmu.Unlock()
		return nil, err
	}
	b := st.pend
	for i, raw := range raws {
		off := len(b.buf)
		b.buf = append(b.buf, raw...)
		b.recs = append(b.recs, pending{off: off, size: len(raw), storeID: storeIDs[i], kind: kindRelocate, from: from[i]})
	}
	b.sync = true
	st.qmu.Unlock()
	st.signal()
	return b, nil
}

// wait blocks until b is written (and synced if requested).
func (b *batch) wait() error {
	<-b.done
	return b.err
}

// take swaps the pending batch for an empty one and returns it.
func (st *stripe) take() *batch {
	st.qmu.Lock()
	b := st.pend
	full := int64(len(b.buf)) >= st.s.opts.MaxPendingBytes
	buf, recs := st.spareBuf, st.spareRecs
	if buf == nil {
		buf = make([]byte, 0, batchBufferSize)
	}
	st.pend = &batch{buf: buf[:0], recs: recs[:0], done: make(chan struct{})}
	st.spareBuf, st.spareRecs = nil, nil
	st.qmu.Unlock()
	if full {
		st.space.Broadcast()
	}
	return b
}

// pendingState reports the pending batch's size and whether it wants sync.
func (st *stripe) pendingState() (int, bool) {
	st.qmu.Lock()
	defer st.qmu.Unlock()
	return len(st.pend.buf), st.pend.sync
}

// run is the writer goroutine.
func (st *stripe) run() {
	defer close(st.stopped)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-st.wake:
			if !st.s.opts.Fsync {
				st.coalesce(timer)
			} else {
				// Let the callers just released by the previous sync queue
				// their next records, so they share this one.
				runtime.Gosched()
			}
			st.flush()
		case op := <-st.ops:
			st.flush()
			op.fn()
			close(op.done)
		case <-st.stop:
			st.flush()
			return
		}
	}
}

// coalesce waits, without fsync, up to FlushInterval for the batch to grow
// to flushBytes or for a caller to ask for sync.
func (st *stripe) coalesce(timer *time.Timer) {
	n, sync := st.pendingState()
	if n == 0 || n >= flushBytes || sync || st.s.opts.FlushInterval == 0 {
		return
	}
	timer.Reset(st.s.opts.FlushInterval)
	defer timer.Stop()
	for {
		select {
		case <-timer.C:
			return
		case <-st.stop:
			return
		case <-st.wake:
			if n, sync = st.pendingState(); n >= flushBytes || sync {
				return
			}
		}
	}
}

// flush writes the pending batch, if any, and releases its waiters.
func (st *stripe) flush() {
	b := st.take()
	if len(b.recs) == 0 && !b.sync {
		st.recycle(b)
		close(b.done)
		return
	}
	b.err = st.write(b)
	close(b.done)
	st.recycle(b)
}

// batchBufferSize is the initial capacity of a batch buffer.
const batchBufferSize = flushBytes + 64<<10

// recycle keeps b's buffers for the next batch. A buffer that grew while
// the disk was slow is kept as long as batches fill at least a quarter of
// it, and dropped once load falls, so a quiet stripe holds about
// batchBufferSize.
func (st *stripe) recycle(b *batch) {
	keep := cap(b.buf) <= batchBufferSize || (len(b.buf) >= cap(b.buf)/4 && int64(cap(b.buf)) <= 2*st.s.opts.MaxPendingBytes)
	if keep {
		st.qmu.Lock()
		if st.spareBuf == nil {
			st.spareBuf, st.spareRecs = b.buf[:0], b.recs[:0]
		}
		st.qmu.Unlock()
	}
	b.buf, b.recs = nil, nil
}

// segment is a run of a batch's bytes that goes to one chunk.
type segment struct {
	chunk uint32
	end   int // end offset in batch.buf
}

// write stamps, indexes and appends b, then syncs if asked. An I/O error
// fails the Store: the index no longer matches the disk.
func (st *stripe) write(b *batch) error {
	if err := st.s.failure(); err != nil {
		return err
	}
	var n uint64
	for i := range b.recs {
		if b.recs[i].kind == kindRecord {
			n++
		}
	}
	seq := st.s.seq.Add(n) - n + 1
	for i := range b.recs {
		if p := &b.recs[i]; p.kind == kindRecord {
			sealRecord(b.buf[p.off:p.off+p.size], seq)
			seq++
		}
	}
	segs := st.place(b)
	start := 0
	for i, sg := range segs {
		if sg.end > start {
			if err := st.append(sg.chunk, b.buf[start:sg.end]); err != nil {
				return st.s.fail(err)
			}
		}
		start = sg.end
		if i < len(segs)-1 {
			if err := st.seal(sg.chunk); err != nil {
				return st.s.fail(err)
			}
		}
	}
	if b.sync && st.file != nil {
		if err := fdatasync(st.file); err != nil {
			return st.s.fail(fmt.Errorf("hotrestart: sync %s: %w", st.file.Name(), err))
		}
		st.s.stats.syncs.Add(1)
		st.unsynced = 0
	}
	st.s.stats.batches.Add(1)
	st.s.stats.bytesWritten.Add(int64(len(b.buf)))
	st.s.stats.recordsWritten.Add(int64(n))
	return nil
}

// place decides where each record of b goes, rotating to a new chunk when
// the active one would exceed ChunkSize, and updates the index. It returns
// the runs of b.buf per chunk; every chunk but the last is to be sealed.
func (st *stripe) place(b *batch) []segment {
	var segs []segment
	ix := st.ix
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for i := range b.recs {
		p := &b.recs[i]
		if st.activeSize > 0 && st.activeSize+int64(p.size) > st.s.opts.ChunkSize {
			segs = append(segs, segment{chunk: st.activeID, end: p.off})
			st.activeID++
			st.activeSize = 0
		}
		c := ix.chunk(st.activeID)
		at := loc{chunk: st.activeID, off: uint32(st.activeSize)}
		raw := b.buf[p.off : p.off+p.size]
		c.size += int64(p.size)
		c.records++
		st.activeSize += int64(p.size)
		key := ix.indexKey(p.storeID, recordPartition(raw), recordKey(raw))
		if p.kind == kindRelocate {
			ix.relocate(key, p.from, at, uint32(p.size), recordSeq(raw), recordTombstone(raw))
		} else {
			ix.track(key, at, uint32(p.size), recordSeq(raw), recordTombstone(raw))
		}
	}
	return append(segs, segment{chunk: st.activeID, end: len(b.buf)})
}

// append writes data to the end of chunk id, creating its file first.
func (st *stripe) append(id uint32, data []byte) error {
	if st.file == nil || st.fileID != id {
		if st.file != nil {
			return fmt.Errorf("hotrestart: internal error: chunk %s still open while writing chunk %d", st.file.Name(), id)
		}
		path := st.chunkPath(id)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("hotrestart: create chunk: %w", err)
		}
		if err := syncDir(st.dir); err != nil {
			f.Close()
			return err
		}
		st.file, st.fileID, st.unsynced = f, id, 0
		st.s.stats.chunksCreated.Add(1)
	}
	if _, err := st.file.Write(data); err != nil {
		return fmt.Errorf("hotrestart: append %d bytes to %s: %w", len(data), st.file.Name(), err)
	}
	st.unsynced += int64(len(data))
	if st.unsynced >= writebackBytes {
		st.ix.mu.Lock()
		end := st.ix.chunk(id).size
		st.ix.mu.Unlock()
		_ = startWriteback(st.file, end-st.unsynced, st.unsynced)
		st.unsynced = 0
	}
	return nil
}

// writebackBytes is how much a writer appends before asking the kernel to
// start writing it out, so that dirty data does not pile up until the
// fdatasync of a seal.
const writebackBytes = 1 << 20

// seal fdatasyncs and closes chunk id, which must be the open file, and
// marks it sealed. It is synchronous on purpose: the next chunk gets no
// byte before this one is durable, so after a power failure only the last
// chunk of a stripe can have a torn tail, which is what recovery assumes.
// (startWriteback keeps the final fdatasync short.)
func (st *stripe) seal(id uint32) error {
	if st.file == nil || st.fileID != id {
		return fmt.Errorf("hotrestart: internal error: sealing chunk %d of stripe %d, which is not open", id, st.idx)
	}
	f := st.file
	st.file, st.fileID = nil, 0
	err := fdatasync(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("hotrestart: seal %s: %w", f.Name(), err)
	}
	st.s.stats.syncs.Add(1)
	st.ix.mu.Lock()
	st.ix.chunk(id).sealed = true
	st.ix.mu.Unlock()
	return nil
}

// rotate seals the active chunk if it holds anything, so that every record
// written so far is in a sealed chunk. It runs on the writer goroutine.
func (st *stripe) rotate() error {
	if err := st.s.failure(); err != nil {
		return err
	}
	st.ix.mu.Lock()
	id, size := st.activeID, st.activeSize
	if size > 0 {
		st.activeID++
		st.activeSize = 0
	}
	st.ix.mu.Unlock()
	if size == 0 {
		return nil
	}
	if err := st.seal(id); err != nil {
		return st.s.fail(err)
	}
	return nil
}

// shutdown stops the writer after it has written everything queued, then
// syncs and closes the active chunk.
func (st *stripe) shutdown() error {
	st.qmu.Lock()
	if st.closed {
		st.qmu.Unlock()
		return nil
	}
	st.closed = true
	st.qmu.Unlock()
	st.space.Broadcast()
	close(st.stop)
	<-st.stopped
	if st.file == nil {
		return nil
	}
	f := st.file
	st.file = nil
	var err error
	if serr := fdatasync(f); serr != nil {
		err = fmt.Errorf("hotrestart: close: %w", serr)
	}
	if cerr := f.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("hotrestart: close %s: %w", f.Name(), cerr)
	}
	return err
}

// syncDir fsyncs a directory so that entries created or removed in it are
// durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("hotrestart: sync directory: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("hotrestart: sync directory %s: %w", dir, err)
	}
	return nil
}
