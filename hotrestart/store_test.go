package hotrestart

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRecordRoundTrip(t *testing.T) {
	for _, r := range []Record{
		{Store: "orders", Partition: 17, Key: []byte("k1"), Value: []byte("v1"), ExpireAt: 1700000000000, TTL: 60000, MaxIdle: 5000},
		{Store: "", Partition: 0, Key: nil, Value: nil},
		{Store: "m", Partition: 270, Key: []byte("gone"), Tombstone: true},
		{Store: strings.Repeat("s", 300), Partition: 1 << 30, Key: bytes.Repeat([]byte{0}, 1000), Value: bytes.Repeat([]byte{0xF1}, 5000), ExpireAt: -1, TTL: -2, MaxIdle: -3},
	} {
		b, err := AppendRecord([]byte("prefix"), r, 42)
		if err != nil {
			t.Fatal(err)
		}
		got, n, err := DecodeRecord(b[6:])
		if err != nil {
			t.Fatalf("DecodeRecord: %v", err)
		}
		if n != len(b)-6 || n != minRecordSize+len(r.Store)+len(r.Key)+len(r.Value) {
			t.Errorf("size %d, encoded %d", n, len(b)-6)
		}
		r.Seq = 42
		if got.Store != r.Store || got.Partition != r.Partition || !bytes.Equal(got.Key, r.Key) || !bytes.Equal(got.Value, r.Value) ||
			got.Tombstone != r.Tombstone || got.Seq != r.Seq || got.ExpireAt != r.ExpireAt || got.TTL != r.TTL || got.MaxIdle != r.MaxIdle {
			t.Errorf("round trip: got %+v, want %+v", got, r)
		}
		for i := 6; i < len(b); i++ {
			c := bytes.Clone(b[6:])
			c[i-6] ^= 0x10
			if _, _, err := DecodeRecord(c); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("byte %d flipped: err = %v, want ErrCorrupt", i-6, err)
			}
		}
		if _, _, err := DecodeRecord(b[6 : len(b)-1]); err == nil || !err.(*CorruptionError).Incomplete {
			t.Errorf("truncated record: err = %v, want incomplete", err)
		}
	}
	for _, bad := range []Record{
		{Partition: -1},
		{Tombstone: true, Value: []byte("x")},
		{Store: strings.Repeat("s", MaxStoreNameLen+1)},
	} {
		if _, err := AppendRecord(nil, bad, 1); !errors.Is(err, ErrInvalidRecord) {
			t.Errorf("AppendRecord(%.40v) err = %v, want ErrInvalidRecord", bad, err)
		}
	}
}

func TestOptionsValidate(t *testing.T) {
	err := Options{Parallelism: -1, ChunkSize: 10, GCGarbageRatio: 2, FlushInterval: -1}.Validate()
	if !errors.Is(err, ErrInvalidOptions) {
		t.Fatalf("err = %v", err)
	}
	for _, field := range []string{"Dir", "Parallelism = -1", "ChunkSize = 10", "GCGarbageRatio = 2", "FlushInterval = -1ns"} {
		if !strings.Contains(err.Error(), field) {
			t.Errorf("error %q does not mention %s", err, field)
		}
	}
	if err := (Options{Dir: "x"}).Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
}

func TestWriteDeleteOverwriteReopen(t *testing.T) {
	dir := t.TempDir()
	opts := testOptions(t, dir)
	opts.Parallelism = 3
	s := mustOpen(t, opts)
	want := kv{}
	for i := range 300 {
		want.put(t, s, Record{Store: fmt.Sprintf("map-%d", i%3), Partition: int32(i % 271), Key: fmt.Appendf(nil, "key-%d", i),
			Value: value(i, 1, 50), ExpireAt: int64(i) * 1000, TTL: int64(i), MaxIdle: int64(2 * i)})
	}
	for i := 0; i < 300; i += 3 {
		want.put(t, s, Record{Store: fmt.Sprintf("map-%d", i%3), Partition: int32(i % 271), Key: fmt.Appendf(nil, "key-%d", i),
			Value: value(i, 2, 70)})
	}
	for i := 1; i < 300; i += 5 {
		want.del(t, s, fmt.Sprintf("map-%d", i%3), int32(i%271), fmt.Appendf(nil, "key-%d", i))
	}
	// Same key bytes in another map and partition are other keys.
	want.put(t, s, Record{Store: "other", Partition: 0, Key: []byte("key-1"), Value: []byte("x")})
	// Deleting an absent key, twice, is harmless.
	want.del(t, s, "other", 5, []byte("never"))
	want.del(t, s, "other", 5, []byte("never"))
	got, _ := loadAll(t, s)
	checkSame(t, got, want)
	st := s.Stats()
	if st.RecordsWritten != 300+100+60+3 || st.Chunks < 2 || st.GarbageBytes == 0 {
		t.Errorf("stats %+v", st)
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	lastSeq := s.Stats().LastSequence
	if lastSeq != 463 {
		t.Errorf("last sequence %d after 463 writes", lastSeq)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(Record{Store: "m"}); !errors.Is(err, ErrClosed) {
		t.Errorf("Put after Close: %v", err)
	}

	s = mustOpen(t, opts)
	got, stats := loadAll(t, s)
	checkSame(t, got, want)
	if stats.Live != int64(len(want)) || len(stats.Truncated)+len(stats.Skipped) != 0 {
		t.Errorf("load stats %+v", stats)
	}
	// Sequences continue after the largest on disk.
	want.put(t, s, Record{Store: "other", Partition: 0, Key: []byte("key-1"), Value: []byte("y")})
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	if seq := s.Stats().LastSequence; seq != lastSeq+1 {
		t.Errorf("sequence after reopen %d, want %d", seq, lastSeq+1)
	}
	for _, r := range got {
		if r.Seq == 0 || r.Seq > lastSeq {
			t.Errorf("loaded sequence %d outside (0, %d]", r.Seq, lastSeq)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	got = kv{}
	var mu sync.Mutex
	var reports []Progress
	_, err := Load(dir, 3, func(r Record) error {
		mu.Lock()
		defer mu.Unlock()
		got[id(r.Store, r.Partition, r.Key)] = Record{Store: r.Store, Partition: r.Partition, Value: bytes.Clone(r.Value), ExpireAt: r.ExpireAt, TTL: r.TTL, MaxIdle: r.MaxIdle}
		return nil
	}, func(p Progress) { reports = append(reports, p) })
	if err != nil {
		t.Fatal(err)
	}
	checkSame(t, got, want)
	if len(reports) != 2 || reports[0].Phase != PhaseRecover || reports[1].Phase != PhaseLoad || !reports[1].Done ||
		reports[1].Percent != 100 || reports[1].Bytes == 0 {
		t.Errorf("progress reports %+v", reports)
	}
}

func TestPutBatchAndInvalid(t *testing.T) {
	s := mustOpen(t, testOptions(t, t.TempDir()))
	want := kv{}
	var recs []Record
	for i := range 50 {
		recs = append(recs, Record{Store: "b", Partition: int32(i), Key: fmt.Appendf(nil, "k%d", i), Value: value(i, 0, 10)})
	}
	if err := s.PutBatch(recs); err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		want[id(r.Store, r.Partition, r.Key)] = r
	}
	if err := s.PutBatch([]Record{{Store: "b", Key: []byte("ok")}, {Store: "b", Partition: -4}}); !errors.Is(err, ErrInvalidRecord) {
		t.Errorf("PutBatch with a bad record: %v", err)
	}
	got, _ := loadAll(t, s)
	checkSame(t, got, want) // the good record of the failed batch was not written
}

func TestFlushWithoutFsync(t *testing.T) {
	dir := t.TempDir()
	opts := testOptions(t, dir)
	opts.Parallelism = 1
	opts.FlushInterval = 5 * time.Millisecond
	s := mustOpen(t, opts)
	if err := s.Put(Record{Store: "m", Key: []byte("k"), Value: []byte("v")}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		files := chunkFiles(t, dir, 0)
		if len(files) == 1 {
			if fi, err := os.Stat(files[0]); err == nil && fi.Size() > 0 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("record not written within 5s without Sync")
		}
		time.Sleep(time.Millisecond)
	}
	if st := s.Stats(); st.Syncs != 0 {
		t.Errorf("fsync off but %d syncs", st.Syncs)
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Syncs != 1 {
		t.Errorf("after Sync: %d syncs", st.Syncs)
	}
}

func TestFsyncGroupCommit(t *testing.T) {
	dir := t.TempDir()
	opts := testOptions(t, dir)
	opts.Fsync = true
	opts.ChunkSize = 1 << 20
	s := mustOpen(t, opts)
	const writers, each = 64, 20
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if err := s.Put(Record{Store: "m", Partition: int32(w), Key: fmt.Appendf(nil, "%d-%d", w, i), Value: value(i, w, 40)}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	st := s.Stats()
	if st.RecordsWritten != writers*each {
		t.Fatalf("records %d", st.RecordsWritten)
	}
	t.Logf("%d records, %d batches, %d syncs", st.RecordsWritten, st.Batches, st.Syncs)

	// Deterministically: with the writers held, 64 callers queue, and each
	// stripe then commits them with one write and one fdatasync.
	release := make(chan struct{})
	held := make(chan struct{})
	for _, stp := range s.stripes {
		stp.ops <- stripeOp{fn: func() { held <- struct{}{}; <-release }, done: make(chan struct{})}
		<-held
	}
	errs := make(chan error, writers)
	for w := range writers {
		go func() {
			errs <- s.Put(Record{Store: "m", Partition: int32(w), Key: fmt.Appendf(nil, "held-%d", w), Value: []byte("v")})
		}()
	}
	for queued := 0; queued < writers; time.Sleep(time.Millisecond) {
		queued = 0
		for _, stp := range s.stripes {
			stp.qmu.Lock()
			queued += len(stp.pend.recs)
			stp.qmu.Unlock()
		}
	}
	before := s.Stats()
	close(release)
	for range writers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	after := s.Stats()
	if syncs, batches := after.Syncs-before.Syncs, after.Batches-before.Batches; syncs != 2 || batches != 2 {
		t.Errorf("%d queued callers took %d syncs in %d batches, want 2 and 2 (one per stripe)", writers, syncs, batches)
	}
	// Every acknowledged write is in the files now: read them without
	// closing the store.
	var n int
	for stripe := range 2 {
		for _, f := range chunkFiles(t, dir, stripe) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for len(b) > 0 {
				_, size, err := DecodeRecord(b)
				if err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				b = b[size:]
				n++
			}
		}
	}
	if n != writers*each+writers {
		t.Errorf("%d records on disk, want %d", n, writers*each+writers)
	}
}

func TestBackpressure(t *testing.T) {
	opts := testOptions(t, t.TempDir())
	opts.MaxPendingBytes = 1024
	opts.FlushInterval = time.Millisecond
	s := mustOpen(t, opts)
	want := kv{}
	for i := range 2000 {
		want.put(t, s, Record{Store: "m", Partition: int32(i % 7), Key: fmt.Appendf(nil, "%d", i), Value: value(i, 0, 100)})
	}
	got, _ := loadAll(t, s)
	checkSame(t, got, want)
}

func TestParallelismMismatch(t *testing.T) {
	dir := t.TempDir()
	opts := testOptions(t, dir)
	s := mustOpen(t, opts)
	s.Close()
	opts.Parallelism = 3
	if _, err := Open(opts); !errors.Is(err, ErrParallelism) || !strings.Contains(err.Error(), "parallelism 2") {
		t.Errorf("Open with another parallelism: %v", err)
	}
}

func TestLargeRecordGetsOwnChunk(t *testing.T) {
	dir := t.TempDir()
	opts := testOptions(t, dir)
	opts.Parallelism = 1
	s := mustOpen(t, opts)
	want := kv{}
	want.put(t, s, Record{Store: "m", Key: []byte("small"), Value: []byte("x")})
	want.put(t, s, Record{Store: "m", Key: []byte("big"), Value: bytes.Repeat([]byte("B"), 3*minChunkSize)})
	want.put(t, s, Record{Store: "m", Key: []byte("after"), Value: []byte("y")})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if files := chunkFiles(t, dir, 0); len(files) != 3 {
		t.Errorf("chunks %v, want 3", files)
	}
	s = mustOpen(t, opts)
	got, _ := loadAll(t, s)
	checkSame(t, got, want)
}

func TestCloseWhileWriting(t *testing.T) {
	for _, fsync := range []bool{false, true} {
		t.Run(fmt.Sprintf("fsync=%v", fsync), func(t *testing.T) {
			dir := t.TempDir()
			opts := testOptions(t, dir)
			opts.Fsync = fsync
			s := mustOpen(t, opts)
			var acked sync.Map
			var wg sync.WaitGroup
			for w := range 8 {
				wg.Go(func() {
					for i := 0; ; i++ {
						k := fmt.Appendf(nil, "w%d-%d", w, i)
						err := s.Put(Record{Store: "m", Partition: int32(w), Key: k, Value: k})
						if errors.Is(err, ErrClosed) {
							return
						}
						if err != nil {
							t.Error(err)
							return
						}
						acked.Store(id("m", int32(w), k), true)
					}
				})
			}
			time.Sleep(30 * time.Millisecond)
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			wg.Wait()
			if err := s.Sync(); !errors.Is(err, ErrClosed) {
				t.Errorf("Sync after Close: %v", err)
			}
			if err := s.Close(); !errors.Is(err, ErrClosed) {
				t.Errorf("second Close: %v", err)
			}
			// Every acknowledged write survived Close.
			s = mustOpen(t, opts)
			got, _ := loadAll(t, s)
			n := 0
			acked.Range(func(k, _ any) bool {
				n++
				if _, ok := got[k.(string)]; !ok {
					t.Errorf("acknowledged %s lost", k)
					return false
				}
				return true
			})
			if n == 0 {
				t.Error("nothing written")
			}
		})
	}
}
