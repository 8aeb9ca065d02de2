//go:build unix

package hotrestart

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// fillStore writes n keys, each overwritten a few times, with some deletes.
func fillStore(t *testing.T, s *Store, want kv, n, version int) {
	t.Helper()
	for v := range 3 {
		for i := range n {
			want.put(t, s, Record{Store: "m", Partition: int32(i), Key: fmt.Appendf(nil, "k%d", i), Value: value(i, version*10+v, 90)})
		}
	}
	for i := 0; i < n; i += 9 {
		want.del(t, s, "m", int32(i), fmt.Appendf(nil, "k%d", i))
	}
}

// loadDir loads a store directory with the given parallelism.
func loadDir(t *testing.T, dir string, parallelism int) kv {
	t.Helper()
	opts := testOptions(t, dir)
	opts.Parallelism = parallelism
	s := mustOpen(t, opts)
	got, _ := loadAll(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestBackupHardLinksSnapshot(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "store")
	opts := testOptions(t, dir)
	s := mustOpen(t, opts)
	want := kv{}
	fillStore(t, s, want, 100, 0)
	snapshot := want.clone()

	dst := filepath.Join(root, "backups", "backup-1")
	job, err := s.Backup(dst)
	if err != nil {
		t.Fatal(err)
	}
	// Writes after Backup returns are not in the backup.
	fillStore(t, s, want, 120, 1)
	want.put(t, s, Record{Store: "m", Partition: 3, Key: []byte("late"), Value: []byte("late")})
	st := job.Wait()
	if st.State != BackupSuccess || st.Err != nil || st.Completed != st.Total || st.Total == 0 {
		t.Fatalf("status %+v", st)
	}
	if job.CutSequence() == 0 {
		t.Error("cut sequence 0")
	}
	for _, name := range []string{inProgressFileName, failureFileName, lockFileName} {
		if _, err := os.Stat(filepath.Join(dst, name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s in backup: %v", name, err)
		}
	}
	for _, name := range []string{metaFileName, backupMetaFileName} {
		if _, err := os.Stat(filepath.Join(dst, name)); err != nil {
			t.Errorf("%s missing: %v", name, err)
		}
	}
	// Every backed-up chunk is a hard link to the store's chunk (unless GC
	// removed the original since).
	var linked int
	for stripe := range opts.Parallelism {
		for _, b := range chunkFiles(t, dst, stripe) {
			bi, err := os.Stat(b)
			if err != nil {
				t.Fatal(err)
			}
			if n := bi.Sys().(*syscall.Stat_t).Nlink; n < 2 {
				t.Errorf("%s has link count %d", b, n)
			}
			si, err := os.Stat(filepath.Join(dir, stripeDirName(stripe), filepath.Base(b)))
			if err != nil {
				t.Fatal(err)
			}
			if !os.SameFile(si, bi) {
				t.Errorf("%s is not the store's file", b)
			}
			linked++
		}
	}
	if linked != st.Total {
		t.Errorf("%d chunks in the backup, status total %d", linked, st.Total)
	}

	checkSame(t, loadDir(t, dst, opts.Parallelism), snapshot)
	// The store itself still has everything, before and after a restart.
	got, _ := loadAll(t, s)
	checkSame(t, got, want)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	checkSame(t, loadDir(t, dir, opts.Parallelism), want)
	// The backup's copy of the snapshot is unaffected by loading the store.
	checkSame(t, loadDir(t, dst, opts.Parallelism), snapshot)

	if _, err := s.Backup(filepath.Join(root, "backups", "backup-2")); !errors.Is(err, ErrClosed) {
		t.Errorf("Backup on a closed store: %v", err)
	}
}

// TestBackupConcurrentWriters takes a backup while writers run and checks
// that the backup is exactly the records up to its cut sequence.
func TestBackupConcurrentWriters(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "store")
	opts := testOptions(t, dir)
	opts.Parallelism = 3
	opts.ChunkSize = 64 << 10
	opts.FlushInterval = time.Millisecond
	s := mustOpen(t, opts)
	var written atomic.Int64
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for v := range 3000 {
				i := v % 25
				if err := s.Put(Record{Store: "m", Partition: int32(w*25 + i), Key: fmt.Appendf(nil, "w%d-%d", w, i), Value: fmt.Appendf(nil, "%d", v)}); err != nil {
					t.Error(err)
					return
				}
				written.Add(1)
			}
		})
	}
	for written.Load() < 2000 {
		time.Sleep(time.Millisecond)
	}
	job, err := s.Backup(filepath.Join(root, "backup"))
	if err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if st := job.Wait(); st.State != BackupSuccess {
		t.Fatalf("status %+v", st)
	}
	if cut, last := job.CutSequence(), s.Stats().LastSequence; cut < 2000 || cut >= 12000 {
		t.Logf("cut %d of %d writes: the backup did not run during the writes", cut, last)
	}
	// The expected snapshot: replay the store's own history up to the cut.
	want := kv{}
	for stripe := range opts.Parallelism {
		for _, f := range chunkFiles(t, dir, stripe) {
			b, _ := os.ReadFile(f)
			for len(b) > 0 {
				r, n, err := DecodeRecord(b)
				if err != nil {
					t.Fatal(err)
				}
				b = b[n:]
				k := id(r.Store, r.Partition, r.Key)
				if r.Seq <= job.CutSequence() && (want[k].Seq < r.Seq) {
					r.Key, r.Value = append([]byte(nil), r.Key...), append([]byte(nil), r.Value...)
					want[k] = r
				}
			}
		}
	}
	got := loadDir(t, filepath.Join(root, "backup"), opts.Parallelism)
	checkSame(t, got, want)
	for k, r := range got {
		if r.Seq != want[k].Seq {
			t.Errorf("%s: sequence %d, want %d", k, r.Seq, want[k].Seq)
		}
	}
}

func TestBackupPinsChunksAgainstGC(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "store")
	opts := testOptions(t, dir)
	s := mustOpen(t, opts)
	want := kv{}
	fillStore(t, s, want, 80, 0)
	snapshot := want.clone()

	release := make(chan struct{})
	var once sync.Once
	s.linkFile = func(o, n string) error {
		once.Do(func() { <-release })
		return os.Link(o, n)
	}
	dst := filepath.Join(root, "backup")
	job, err := s.Backup(dst)
	if err != nil {
		t.Fatal(err)
	}
	// Turn every backed-up chunk into garbage and collect: pinned chunks
	// stay.
	fillStore(t, s, want, 80, 1)
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	total := job.Status().Total
	gs, err := s.GC()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range job.chunks {
		if _, err := os.Stat(c.st.chunkPath(c.id)); err != nil {
			t.Errorf("GC deleted a chunk the backup still needs (%d chunks collected): %v", gs.Chunks, err)
		}
	}
	if s.Stats().GarbageRatio < 0.5 {
		t.Errorf("pinned chunks should hold garbage; ratio %.2f", s.Stats().GarbageRatio)
	}
	if st := job.Status(); st.State != BackupInProgress || st.Completed != 0 {
		t.Errorf("status while blocked %+v", st)
	}
	if _, err := s.Backup(filepath.Join(root, "other")); !errors.Is(err, ErrBackupInProgress) {
		t.Errorf("second Backup: %v", err)
	}
	close(release)
	if st := job.Wait(); st.State != BackupSuccess || st.Completed != total {
		t.Fatalf("status %+v", st)
	}
	gs, err = s.GC()
	if err != nil {
		t.Fatal(err)
	}
	if gs.Chunks == 0 {
		t.Error("GC after the backup collected nothing")
	}
	checkSame(t, loadDir(t, dst, opts.Parallelism), snapshot)
	got, _ := loadAll(t, s)
	checkSame(t, got, want)
}

func TestBackupCopiesWhenLinkFails(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "store")
	opts := testOptions(t, dir)
	s := mustOpen(t, opts)
	want := kv{}
	fillStore(t, s, want, 50, 0)
	s.linkFile = func(o, n string) error { return &os.LinkError{Op: "link", Old: o, New: n, Err: syscall.EXDEV} }
	dst := filepath.Join(root, "backup")
	job, err := s.Backup(dst)
	if err != nil {
		t.Fatal(err)
	}
	if st := job.Wait(); st.State != BackupSuccess {
		t.Fatalf("status %+v", st)
	}
	for _, b := range chunkFiles(t, dst, 0) {
		bi, _ := os.Stat(b)
		si, _ := os.Stat(filepath.Join(dir, stripeDirName(0), filepath.Base(b)))
		if os.SameFile(si, bi) || si.Size() != bi.Size() {
			t.Errorf("%s: not a copy", b)
		}
	}
	if m, _ := filepath.Glob(filepath.Join(dst, "*", "*"+tempFileSuffix)); len(m) > 0 {
		t.Errorf("temporary files left: %v", m)
	}
	checkSame(t, loadDir(t, dst, opts.Parallelism), want)
}

func TestBackupInterrupt(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "store")
	opts := testOptions(t, dir)
	s := mustOpen(t, opts)
	want := kv{}
	fillStore(t, s, want, 80, 0)
	entered := make(chan struct{})
	release := make(chan struct{})
	calls := 0
	s.linkFile = func(o, n string) error {
		calls++
		if calls == 2 {
			close(entered)
			<-release
		}
		return os.Link(o, n)
	}
	dst := filepath.Join(root, "backup")
	job, err := s.Backup(dst)
	if err != nil {
		t.Fatal(err)
	}
	<-entered
	if _, err := os.Stat(filepath.Join(dst, inProgressFileName)); err != nil {
		t.Errorf("no inprogress marker while running: %v", err)
	}
	job.Interrupt()
	close(release)
	st := job.Wait()
	if st.State != BackupFailure || !errors.Is(st.Err, ErrInterrupted) || st.Completed != 2 || st.Total <= 2 {
		t.Fatalf("status %+v", st)
	}
	job.Interrupt() // harmless after the end
	b, err := os.ReadFile(filepath.Join(dst, failureFileName))
	if err != nil || !strings.Contains(string(b), "interrupted") {
		t.Errorf("failure marker %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(dst, inProgressFileName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("inprogress still there: %v", err)
	}
	if n := len(chunkFiles(t, dst, 0)) + len(chunkFiles(t, dst, 1)); n != 2 {
		t.Errorf("%d chunks left in the interrupted backup, want 2", n)
	}
	// An interrupted backup is not mistaken for a store.
	bopts := testOptions(t, dst)
	if _, err := Open(bopts); err == nil || !strings.Contains(err.Error(), "failed backup") {
		t.Errorf("Open on an interrupted backup: %v", err)
	}
	// Pins are released: GC and a new backup proceed.
	s.linkFile = os.Link
	fillStore(t, s, want, 80, 1)
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	if gs, err := s.GC(); err != nil || gs.Chunks == 0 {
		t.Errorf("GC after interrupt: %+v, %v", gs, err)
	}
	if _, err := s.Backup(dst); !errors.Is(err, ErrBackupExists) {
		t.Errorf("Backup into an existing directory: %v", err)
	}
	job, err = s.Backup(filepath.Join(root, "backup-2"))
	if err != nil {
		t.Fatal(err)
	}
	if st := job.Wait(); st.State != BackupSuccess {
		t.Fatalf("second backup %+v", st)
	}
	if s.LastBackup() != job {
		t.Error("LastBackup is not the latest job")
	}
	checkSame(t, loadDir(t, filepath.Join(root, "backup-2"), opts.Parallelism), want)
}

func TestBackupStateNames(t *testing.T) {
	for st, name := range map[BackupState]string{BackupNoTask: "NO_TASK", BackupNotStarted: "NOT_STARTED",
		BackupInProgress: "IN_PROGRESS", BackupFailure: "FAILURE", BackupSuccess: "SUCCESS"} {
		if st.String() != name {
			t.Errorf("%d: %s, want %s", st, st, name)
		}
	}
}
