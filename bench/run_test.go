package bench

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// memStore is an in-memory store for testing the driver loop.
type memStore struct {
	mu     sync.Mutex
	m      map[string][]byte
	gets   atomic.Int64
	sets   atomic.Int64
	failOn string
}

func (s *memStore) get(_ context.Context, key string) error {
	s.gets.Add(1)
	s.mu.Lock()
	_, ok := s.m[key]
	s.mu.Unlock()
	if !ok || key == s.failOn {
		return errMissing
	}
	return nil
}

func (s *memStore) set(_ context.Context, key string, v []byte) error {
	s.sets.Add(1)
	s.mu.Lock()
	s.m[key] = v
	s.mu.Unlock()
	return nil
}

func (s *memStore) close(context.Context) error { return nil }

func TestMeasureWithFakeStore(t *testing.T) {
	o := DefaultOptions()
	o.Concurrency, o.Keys, o.ValueSize, o.ReadRatio = 4, 50, 16, 0.75
	o.Warmup, o.Duration, o.Seed = 20*time.Millisecond, 150*time.Millisecond, 1
	w := newWorkload(o)
	if len(w.keys) != 50 || w.keys[49] != "key-49" || len(w.valueFor(3)) != 16 {
		t.Fatalf("workload: %d keys, last %q", len(w.keys), w.keys[len(w.keys)-1])
	}
	s := &memStore{m: map[string][]byte{}, failOn: "key-7"}
	if err := w.prefill(context.Background(), s, o.Concurrency); err != nil {
		t.Fatal(err)
	}
	if len(s.m) != 50 {
		t.Fatalf("prefill wrote %d keys, want 50", len(s.m))
	}
	s.gets.Store(0)
	s.sets.Store(0)
	r, err := w.measure(context.Background(), s, 0, o)
	if err != nil {
		t.Fatal(err)
	}
	if r.Ops == 0 || r.OpsPerSec <= 0 || r.P50 <= 0 || r.P99 < r.P50 || r.P999 < r.P99 || r.Max < r.P999 {
		t.Errorf("implausible result %+v", r)
	}
	if r.Errors == 0 || !strings.Contains(r.FirstError, "missing") {
		t.Errorf("reads of key-7 should fail: errors %d first %q", r.Errors, r.FirstError)
	}
	if r.Elapsed < o.Duration {
		t.Errorf("elapsed %v < duration %v", r.Elapsed, o.Duration)
	}
	// Warm-up operations ran but were not counted.
	if total := s.gets.Load() + s.sets.Load(); total <= r.Ops {
		t.Errorf("total ops %d, measured %d: warm-up ops missing", total, r.Ops)
	}
	reads := float64(s.gets.Load()) / float64(s.gets.Load()+s.sets.Load())
	if reads < 0.7 || reads > 0.8 {
		t.Errorf("read fraction %.3f, want about 0.75", reads)
	}
}

func TestMeasureReadOnlyAndCancel(t *testing.T) {
	o := DefaultOptions()
	o.Concurrency, o.Keys, o.ReadRatio, o.Warmup, o.Duration = 2, 10, 1, 0, 50*time.Millisecond
	w := newWorkload(o)
	s := &memStore{m: map[string][]byte{}}
	if err := w.prefill(context.Background(), s, 2); err != nil {
		t.Fatal(err)
	}
	s.sets.Store(0)
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	r, err := w.measure(context.Background(), s, 0, o)
	runtime.ReadMemStats(&m1)
	if err != nil {
		t.Fatal(err)
	}
	// Goroutines, histograms and timers allocate a fixed amount; the
	// per-operation loop must not allocate at all.
	t.Logf("%d allocations for %d operations", m1.Mallocs-m0.Mallocs, r.Ops)
	if mallocs := m1.Mallocs - m0.Mallocs; r.Ops > 10000 && mallocs > uint64(r.Ops)/100 {
		t.Errorf("%d allocations for %d operations", mallocs, r.Ops)
	}
	if s.sets.Load() != 0 {
		t.Errorf("read ratio 1 issued %d writes", s.sets.Load())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	o.Warmup = time.Second
	if _, err := w.measure(ctx, s, 0, o); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled measure: err = %v", err)
	}
}

func TestResultFormatAndMedian(t *testing.T) {
	mk := func(round int, ops float64, p50 time.Duration, cpu time.Duration) Result {
		return Result{Target: "filbert", Round: round, Concurrency: 64, Ops: 100, OpsPerSec: ops,
			P50: p50, P99: 2 * p50, P999: 4 * p50, HasCPU: true, CPUPerOp: cpu}
	}
	r := mk(1, 123456.4, 410*time.Microsecond, 2800*time.Nanosecond)
	want := "filbert round=1 c=64 ops/s=123456 p50=0.410ms p99=0.820ms p99.9=1.64ms cpu/op=2.80us errors=0"
	if got := r.String(); got != want {
		t.Errorf("String =\n%s\nwant\n%s", got, want)
	}
	rs := []Result{
		mk(1, 100, 3*time.Millisecond, 5*time.Microsecond),
		mk(2, 300, 1*time.Millisecond, 1*time.Microsecond),
		mk(3, 200, 2*time.Millisecond, 3*time.Microsecond),
	}
	rs[1].Errors = 2
	m := medianOf(rs)
	if !m.Median || m.Rounds != 3 || m.OpsPerSec != 200 || m.P50 != 2*time.Millisecond ||
		m.CPUPerOp != 3*time.Microsecond || m.Ops != 300 || m.Errors != 2 {
		t.Errorf("median = %+v", m)
	}
	if got := m.String(); !strings.HasPrefix(got, "filbert median(rounds=3) c=64 ops/s=200 p50=2.00ms") {
		t.Errorf("median line %q", got)
	}
	if got := median([]Result{{OpsPerSec: 1}, {OpsPerSec: 4}}, func(r Result) float64 { return r.OpsPerSec }); got != 2.5 {
		t.Errorf("even median = %v, want 2.5", got)
	}
}
