package hotrestart

import (
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// BenchmarkFigures1GB measures, on one store of FILBERT_FIGURES_BYTES
// (default 1 GiB) of 1 KiB values in 2 stripes: the write rate, the restart
// load rate against `cat` of the same chunk files to /dev/null in the same
// run (the disk's and page cache's own limit), the hot backup duration, and
// the extra disk the backup uses (du counting hard links once).
//
//	go test ./hotrestart -run '^$' -bench Figures1GB -benchtime 1x
func BenchmarkFigures1GB(b *testing.B) {
	total := int64(1 << 30)
	if v, _ := strconv.ParseInt(os.Getenv("FILBERT_FIGURES_BYTES"), 10, 64); v > 0 {
		total = v
	}
	dir := b.TempDir()
	opts := Options{Dir: filepath.Join(dir, "base"), Parallelism: 2, GCInterval: -1}
	s, err := Open(opts)
	if err != nil {
		b.Fatal(err)
	}
	val := make([]byte, 1024)
	key := make([]byte, 16)
	n := int(total / int64(len(val)+len(key)+64))
	start := time.Now()
	for i := 0; i < n; i++ {
		binary.LittleEndian.PutUint64(key, uint64(i))
		if err := s.Put(Record{Store: "map", Partition: int32(i % 271), Key: key, Value: val}); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Sync(); err != nil {
		b.Fatal(err)
	}
	write := time.Since(start)
	// Hot backup of the live store.
	start = time.Now()
	job, err := s.Backup(filepath.Join(dir, "backup-1"))
	if err != nil {
		b.Fatal(err)
	}
	st := job.Wait()
	backupTook := time.Since(start)
	if st.Err != nil {
		b.Fatal(st.Err)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	baseBytes, both := du(b, filepath.Join(dir, "base")), du(b, dir)

	// cat of the chunk files, then Open+Load of the same files.
	var files []string
	_ = filepath.Walk(opts.Dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && filepath.Ext(p) == ".chunk" {
			files = append(files, p)
		}
		return nil
	})
	cold := dropCaches()
	start = time.Now()
	cmd := exec.Command("cat", files...)
	devnull, _ := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	cmd.Stdout = devnull
	if err := cmd.Run(); err != nil {
		b.Fatal(err)
	}
	devnull.Close()
	catTook := time.Since(start)
	dropCaches()
	start = time.Now()
	s2, err := Open(opts)
	if err != nil {
		b.Fatal(err)
	}
	stats, err := s2.Load(func(Record) error { return nil }, nil)
	if err != nil {
		b.Fatal(err)
	}
	loadTook := time.Since(start)
	_ = s2.Close()
	mb := float64(baseBytes) / (1 << 20)
	b.ReportMetric(float64(n)/write.Seconds(), "writes/s")
	b.ReportMetric(mb, "MB-store")
	b.ReportMetric(mb/loadTook.Seconds(), "MB/s-restart-load")
	b.ReportMetric(mb/catTook.Seconds(), "MB/s-cat")
	b.ReportMetric(backupTook.Seconds()*1000, "ms-hot-backup")
	b.ReportMetric(float64(both-baseBytes)/(1<<20), "MB-extra-disk-for-backup")
	b.ReportMetric(float64(stats.Records), "records-loaded")
	if cold {
		b.ReportMetric(1, "cold-cache")
	}
}

// dropCaches empties the page cache (root only) so that cat and the load
// read the disk; it reports whether it could.
func dropCaches() bool {
	syscall.Sync()
	return os.WriteFile("/proc/sys/vm/drop_caches", []byte("3\n"), 0o200) == nil
}

// du returns the disk blocks under dir in bytes, counting each inode once.
func du(b *testing.B, dir string) int64 {
	seen := map[uint64]bool{}
	var total int64
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok || seen[st.Ino] {
			return nil
		}
		seen[st.Ino] = true
		total += st.Blocks * 512
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return total
}
