package hotrestart

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// BackupState is the state of a backup job. The values are Hazelcast's
// BackupTaskState ordinals, so they can be sent to clients as they are.
type BackupState int32

// Backup states.
const (
	// BackupNoTask: no backup was ever started.
	BackupNoTask BackupState = 0
	// BackupNotStarted: the job exists but has not begun copying.
	BackupNotStarted BackupState = 1
	// BackupInProgress: chunks are being linked or copied.
	BackupInProgress BackupState = 2
	// BackupFailure: the job failed or was interrupted.
	BackupFailure BackupState = 3
	// BackupSuccess: the backup is complete.
	BackupSuccess BackupState = 4
)

// String returns Hazelcast's name of the state.
func (s BackupState) String() string {
	switch s {
	case BackupNoTask:
		return "NO_TASK"
	case BackupNotStarted:
		return "NOT_STARTED"
	case BackupInProgress:
		return "IN_PROGRESS"
	case BackupFailure:
		return "FAILURE"
	case BackupSuccess:
		return "SUCCESS"
	}
	return fmt.Sprintf("BackupState(%d)", int32(s))
}

// Done reports whether the state is final.
func (s BackupState) Done() bool { return s == BackupFailure || s == BackupSuccess }

// BackupStatus is a backup job's progress.
type BackupStatus struct {
	State BackupState
	// Completed of Total chunks are in the backup directory.
	Completed int
	Total     int
	// Err is the failure (wrapping ErrInterrupted after Interrupt).
	Err error
}

// backupMeta is the content of backup.json.
type backupMeta struct {
	Format        int    `json:"format"`
	Parallelism   int    `json:"parallelism"`
	CutSequence   uint64 `json:"cutSequence"`
	Chunks        int    `json:"chunks"`
	CreatedUnixMs int64  `json:"createdUnixMs"`
}

// backupChunk is a sealed chunk a backup must link.
type backupChunk struct {
	st *stripe
	id uint32
}

// BackupJob is a hot backup running in the background.
type BackupJob struct {
	s      *Store
	dir    string
	cut    uint64
	chunks []backupChunk

	state     atomic.Int32
	completed atomic.Int64
	errMu     sync.Mutex
	err       error
	stop      chan struct{}
	stopOnce  sync.Once
	done      chan struct{}
}

// Backup starts a hot backup of the store into dst, which must not exist.
// Before it returns, every stripe writer is paused at the same moment, its
// active chunk sealed, and the set of sealed chunks pinned: the backup holds
// exactly the records written before that moment (sequence <= CutSequence
// in backup.json), whatever is written afterwards. dst gets an inprogress
// marker, hotrestart.json and backup.json; the returned job then hard-links
// (or, when linking fails, copies) each chunk into dst in the background.
// Only one backup runs at a time.
func (s *Store) Backup(dst string) (*BackupJob, error) {
	// Holding closeMu makes Close wait for Backup and then see the job.
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.closed.Load() {
		return nil, ErrClosed
	}
	s.backupMu.Lock()
	defer s.backupMu.Unlock()
	if s.backup != nil && !BackupState(s.backup.state.Load()).Done() {
		return nil, fmt.Errorf("%w: %s", ErrBackupInProgress, s.backup.dir)
	}
	dst = filepath.Clean(dst)
	if _, err := os.Lstat(dst); err == nil {
		return nil, fmt.Errorf("%w: %s", ErrBackupExists, dst)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("hotrestart: backup: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return nil, fmt.Errorf("hotrestart: backup: %w", err)
	}
	if err := os.Mkdir(dst, 0o755); err != nil {
		return nil, fmt.Errorf("hotrestart: backup: %w", err)
	}
	j := &BackupJob{s: s, dir: dst, stop: make(chan struct{}), done: make(chan struct{})}
	j.state.Store(int32(BackupNotStarted))
	marker := fmt.Sprintf("backup of %s started %s\n", s.opts.Dir, time.Now().UTC().Format(time.RFC3339Nano))
	if err := os.WriteFile(filepath.Join(dst, inProgressFileName), []byte(marker), 0o644); err != nil {
		return nil, fmt.Errorf("hotrestart: backup: %w", err)
	}
	if err := syncDir(filepath.Dir(dst)); err != nil {
		return nil, j.fail(err)
	}
	chunks, cut, err := s.freeze()
	if err != nil {
		return nil, j.fail(err)
	}
	j.chunks, j.cut = chunks, cut
	if err := j.prepare(); err != nil {
		j.unpin(0)
		return nil, j.fail(err)
	}
	s.backup = j
	s.log.Info().Str("backupDir", dst).Int("chunks", len(chunks)).Uint64("cutSequence", cut).Msg("hot backup started")
	go j.run()
	return j, nil
}

// LastBackup returns the running or most recent backup job, or nil.
func (s *Store) LastBackup() *BackupJob {
	s.backupMu.Lock()
	defer s.backupMu.Unlock()
	return s.backup
}

// freeze pauses every stripe writer at once, seals each active chunk and
// pins all sealed chunks. It returns them and the last sequence they hold.
func (s *Store) freeze() ([]backupChunk, uint64, error) {
	type result struct {
		chunks []backupChunk
		err    error
	}
	results := make(chan result, len(s.stripes))
	resume := make(chan struct{})
	for _, st := range s.stripes {
		op := stripeOp{done: make(chan struct{}), fn: func() {
			err := st.rotate()
			var cs []backupChunk
			if err == nil {
				cs = st.pinSealed()
			}
			results <- result{cs, err}
			<-resume
		}}
		select {
		case st.ops <- op:
		case <-st.stopped:
			results <- result{err: ErrClosed}
		}
	}
	var all []backupChunk
	var errs []error
	for range s.stripes {
		r := <-results
		all = append(all, r.chunks...)
		if r.err != nil {
			errs = append(errs, r.err)
		}
	}
	// Every writer is paused: no sequence is being handed out.
	cut := s.seq.Load()
	close(resume)
	if err := errors.Join(errs...); err != nil {
		for _, c := range all {
			c.st.unpin(c.id)
		}
		return nil, 0, err
	}
	return all, cut, nil
}

// pinSealed pins and returns the sealed chunks of st.
func (st *stripe) pinSealed() []backupChunk {
	st.ix.mu.Lock()
	defer st.ix.mu.Unlock()
	var out []backupChunk
	for _, c := range st.ix.chunks {
		if c.sealed && !c.gone && c.size > 0 {
			c.pins++
			out = append(out, backupChunk{st: st, id: c.id})
		}
	}
	return out
}

// unpin releases a backup's pin of chunk id.
func (st *stripe) unpin(id uint32) {
	st.ix.mu.Lock()
	if c := st.ix.chunks[id]; c != nil && c.pins > 0 {
		c.pins--
	}
	st.ix.mu.Unlock()
}

// prepare writes the metadata files and stripe directories of the backup.
func (j *BackupJob) prepare() error {
	s := j.s
	for i := range s.stripes {
		if err := os.Mkdir(filepath.Join(j.dir, stripeDirName(i)), 0o755); err != nil {
			return err
		}
	}
	if err := writeJSONFile(filepath.Join(j.dir, metaFileName), storeMeta{Format: formatVersion, Parallelism: len(s.stripes)}); err != nil {
		return err
	}
	return writeJSONFile(filepath.Join(j.dir, backupMetaFileName), backupMeta{Format: formatVersion,
		Parallelism: len(s.stripes), CutSequence: j.cut, Chunks: len(j.chunks), CreatedUnixMs: time.Now().UnixMilli()})
}

// run links or copies the chunks and finishes the job.
func (j *BackupJob) run() {
	j.state.Store(int32(BackupInProgress))
	start := time.Now()
	var err error
	i := 0
	for i < len(j.chunks) {
		if j.interrupted() {
			err = ErrInterrupted
			break
		}
		c := j.chunks[i]
		i++
		err = j.linkChunk(c)
		c.st.unpin(c.id)
		if err != nil {
			break
		}
		j.completed.Add(1)
	}
	j.unpin(i)
	if err == nil {
		err = j.complete()
	}
	log := j.s.log.With().Str("backupDir", j.dir).Int64("completed", j.completed.Load()).Int("total", len(j.chunks)).
		Dur("duration", time.Since(start)).Logger()
	if err != nil {
		j.fail(err)
		log.Warn().Err(err).Msg("hot backup failed")
	} else {
		j.state.Store(int32(BackupSuccess))
		log.Info().Msg("hot backup complete")
	}
	close(j.done)
}

// unpin releases the pins of chunks[from:].
func (j *BackupJob) unpin(from int) {
	for _, c := range j.chunks[from:] {
		c.st.unpin(c.id)
	}
}

// linkChunk hard-links one chunk into the backup, copying it if linking
// fails.
func (j *BackupJob) linkChunk(c backupChunk) error {
	src := c.st.chunkPath(c.id)
	dst := filepath.Join(j.dir, stripeDirName(c.st.idx), chunkFileName(c.id))
	linkErr := j.s.linkFile(src, dst)
	if linkErr == nil {
		return nil
	}
	j.s.log.Debug().Err(linkErr).Str("file", src).Msg("hard link failed; copying")
	if err := j.copyFile(src, dst); err != nil {
		return fmt.Errorf("hotrestart: backup %s (link failed: %v): %w", src, linkErr, err)
	}
	return nil
}

// copyFile copies src to dst through a synced temporary file, stopping
// when the job is interrupted.
func (j *BackupJob) copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := dst + tempFileSuffix
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	buf := make([]byte, 1<<20)
	for err == nil {
		if j.interrupted() {
			err = ErrInterrupted
			break
		}
		var n int
		n, err = in.Read(buf)
		if n > 0 {
			if _, werr := out.Write(buf[:n]); werr != nil {
				err = werr
			}
		}
	}
	if err == io.EOF {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// complete syncs the backup's directories and removes the inprogress
// marker.
func (j *BackupJob) complete() error {
	for i := range j.s.stripes {
		if err := syncDir(filepath.Join(j.dir, stripeDirName(i))); err != nil {
			return err
		}
	}
	if err := os.Remove(filepath.Join(j.dir, inProgressFileName)); err != nil {
		return fmt.Errorf("hotrestart: backup: remove marker: %w", err)
	}
	return syncDir(j.dir)
}

// fail records err, turns the inprogress marker into the failure marker
// holding the error text, and returns err.
func (j *BackupJob) fail(err error) error {
	j.errMu.Lock()
	if j.err == nil {
		j.err = err
	}
	j.errMu.Unlock()
	j.state.Store(int32(BackupFailure))
	marker := filepath.Join(j.dir, inProgressFileName)
	text := fmt.Sprintf("backup of %s failed %s: %v\n", j.s.opts.Dir, time.Now().UTC().Format(time.RFC3339Nano), err)
	if werr := os.WriteFile(marker, []byte(text), 0o644); werr == nil {
		if rerr := os.Rename(marker, filepath.Join(j.dir, failureFileName)); rerr == nil {
			syncDir(j.dir)
		}
	}
	return err
}

// interrupted reports whether Interrupt was called.
func (j *BackupJob) interrupted() bool {
	select {
	case <-j.stop:
		return true
	default:
		return false
	}
}

// Dir returns the backup directory.
func (j *BackupJob) Dir() string { return j.dir }

// CutSequence returns the last sequence number the backup holds.
func (j *BackupJob) CutSequence() uint64 { return j.cut }

// Status returns the job's state and progress.
func (j *BackupJob) Status() BackupStatus {
	st := BackupStatus{State: BackupState(j.state.Load()), Completed: int(j.completed.Load()), Total: len(j.chunks)}
	j.errMu.Lock()
	st.Err = j.err
	j.errMu.Unlock()
	return st
}

// Interrupt stops the job as soon as possible. Files already in the backup
// directory stay, with a failure marker saying it was interrupted. It does
// nothing once the job has finished.
func (j *BackupJob) Interrupt() {
	j.stopOnce.Do(func() { close(j.stop) })
}

// Done is closed when the job has finished.
func (j *BackupJob) Done() <-chan struct{} { return j.done }

// Wait waits for the job to finish and returns its final status.
func (j *BackupJob) Wait() BackupStatus {
	<-j.done
	return j.Status()
}
