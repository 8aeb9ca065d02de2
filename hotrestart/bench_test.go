package hotrestart

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/rs/zerolog"
)

// benchOptions are production-like options for benchmarks.
func benchOptions(dir string) Options {
	return Options{Dir: dir, Parallelism: 2, GCInterval: -1, Logger: zerolog.Nop()}
}

// BenchmarkPut writes records without fsync from one goroutine; the time
// includes handing everything to the OS at the end (Sync).
func BenchmarkPut(b *testing.B) {
	for _, size := range []int{100, 1000} {
		b.Run(fmt.Sprintf("value=%d", size), func(b *testing.B) {
			s, err := Open(benchOptions(b.TempDir()))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			val := make([]byte, size)
			key := make([]byte, 16)
			b.SetBytes(int64(minRecordSize + len("map") + len(key) + size))
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				k := i % 100000
				binary.LittleEndian.PutUint64(key, uint64(k))
				if err := s.Put(Record{Store: "map", Partition: int32(k % 271), Key: key, Value: val}); err != nil {
					b.Fatal(err)
				}
			}
			if err := s.Sync(); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
		})
	}
}

// BenchmarkPutFsync writes durable records from many goroutines, which
// share write and fdatasync calls (group commit).
func BenchmarkPutFsync(b *testing.B) {
	for _, mult := range []int{1, 8, 64} {
		b.Run(fmt.Sprintf("goroutines=%d", mult*runtime.GOMAXPROCS(0)), func(b *testing.B) {
			opts := benchOptions(b.TempDir())
			opts.Fsync = true
			s, err := Open(opts)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			var n atomic.Int64
			b.SetBytes(int64(minRecordSize + len("map") + 16 + 100))
			b.ReportAllocs()
			b.SetParallelism(mult)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				val := make([]byte, 100)
				key := make([]byte, 16)
				for pb.Next() {
					i := n.Add(1)
					binary.LittleEndian.PutUint64(key, uint64(i))
					if err := s.Put(Record{Store: "map", Partition: int32(i % 271), Key: key, Value: val}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			st := s.Stats()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
			b.ReportMetric(float64(st.RecordsWritten)/float64(max(1, st.Syncs)), "records/sync")
		})
	}
}

// BenchmarkLoad measures Open (recovery) plus Load of 100,000 records,
// half of them overwritten.
func BenchmarkLoad(b *testing.B) {
	dir := b.TempDir()
	s, err := Open(benchOptions(dir))
	if err != nil {
		b.Fatal(err)
	}
	const keys = 100000
	val := make([]byte, 100)
	key := make([]byte, 16)
	for i := range keys + keys/2 {
		binary.LittleEndian.PutUint64(key, uint64(i%keys))
		if err := s.Put(Record{Store: "map", Partition: int32(i % keys % 271), Key: key, Value: val}); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	disk := s.Stats().DiskBytes
	b.SetBytes(disk)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		var n atomic.Int64
		s, err := Open(benchOptions(dir))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Load(func(Record) error { n.Add(1); return nil }, nil); err != nil {
			b.Fatal(err)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		if n.Load() != keys {
			b.Fatalf("loaded %d, want %d", n.Load(), keys)
		}
	}
	b.ReportMetric(float64(keys*3/2*b.N)/b.Elapsed().Seconds(), "records/s")
}
