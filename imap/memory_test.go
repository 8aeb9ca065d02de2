package imap

import (
	"bytes"
	"encoding/binary"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"testing"

	"github.com/filbert/filbert/partition"
)

// hzString appends s serialized as Hazelcast Data of a String: partition
// hash (0), type id -11 big-endian, length big-endian, UTF-8 bytes.
func hzString(dst []byte, s string) []byte {
	dst = append(dst, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xf5)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(s)))
	return append(dst, s...)
}

// heapStats returns HeapAlloc and HeapInuse after a full collection.
func heapStats() (alloc, inuse uint64) {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc, ms.HeapInuse
}

// rss returns the resident set size after returning free heap memory to
// the OS, or 0 where /proc is not available.
func rss() uint64 {
	debug.FreeOSMemory()
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := bytes.Fields(b)
	if len(f) < 2 {
		return 0
	}
	pages, err := strconv.ParseUint(string(f[1]), 10, 64)
	if err != nil {
		return 0
	}
	return pages * uint64(os.Getpagesize())
}

// fillMember puts n entries with keys "key-%d" and 112-byte values into
// count partitions the way the member routes them, and returns the raw
// bytes of the keys and values stored.
func fillMember(parts []*Partition, n int) (raw int) {
	var kb []byte
	v := make([]byte, 112)
	for i := range v {
		v[i] = byte(i)
	}
	for i := 0; i < n; i++ {
		kb = hzString(kb[:0], "key-"+strconv.Itoa(i))
		binary.BigEndian.PutUint32(v[100:], uint32(i)) // distinct values
		pid := partition.ID(kb, len(parts))
		if _, stored, err := parts[pid].Put("m", PutArgs{Key: kb, Value: v, TTL: -1, MaxIdle: -1}); !stored || err != nil {
			panic("put failed")
		}
		raw += len(kb) + len(v)
	}
	return raw
}

// BenchmarkMemoryPerEntry measures the heap each stored entry costs beyond
// its serialized key and value: 1,000,000 entries of 112-byte values over
// 271 partitions. Run with -benchtime=1x:
//
//	go test ./imap/ -run '^$' -bench MemoryPerEntry -benchtime=1x
func BenchmarkMemoryPerEntry(b *testing.B) {
	const n, count = 1_000_000, 271
	for range b.N {
		b.StopTimer()
		parts := make([]*Partition, count)
		for i := range parts {
			parts[i] = NewPartition(int32(i), nil, nil, nil, nil)
		}
		alloc0, inuse0 := heapStats()
		rss0 := rss()
		b.StartTimer()
		raw := fillMember(parts, n)
		b.StopTimer()
		alloc1, inuse1 := heapStats()
		rss1 := rss()
		size := 0
		for _, p := range parts {
			size += p.Size("m")
		}
		if size != n {
			b.Fatalf("size %d, want %d", size, n)
		}
		runtime.KeepAlive(parts)
		b.ReportMetric((float64(inuse1)-float64(inuse0)-float64(raw))/n, "overhead-B/entry")
		b.ReportMetric((float64(alloc1)-float64(alloc0)-float64(raw))/n, "alloc-overhead-B/entry")
		b.ReportMetric(float64(raw)/n, "raw-B/entry")
		if rss0 != 0 {
			b.ReportMetric((float64(rss1)-float64(rss0)-float64(raw))/n, "rss-overhead-B/entry")
		}
	}
}

// BenchmarkPutGetLarge is BenchmarkPutGet on a member-sized data set:
// 1,000,000 entries of 112-byte values over 271 partitions, random keys,
// half updates and half gets. Unlike BenchmarkPutGet it pays for cache
// misses and for the collector scanning the stored entries.
func BenchmarkPutGetLarge(b *testing.B) {
	const n, count = 1_000_000, 271
	parts := make([]*Partition, count)
	for i := range parts {
		parts[i] = NewPartition(int32(i), nil, nil, nil, nil)
	}
	fillMember(parts, n)
	keys := make([][]byte, 1<<16)
	pids := make([]int32, len(keys))
	for i := range keys {
		keys[i] = hzString(nil, "key-"+strconv.Itoa(int(uint32(i)*2654435761%n)))
		pids[i] = partition.ID(keys[i], count)
	}
	v := make([]byte, 112)
	runtime.GC()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := i & (len(keys) - 1)
		p := parts[pids[j]]
		if i&1 == 0 {
			p.Put("m", PutArgs{Key: keys[j], Value: v, TTL: -1, MaxIdle: -1})
		} else if p.Get("m", keys[j]) == nil {
			b.Fatal("missing key")
		}
	}
}
