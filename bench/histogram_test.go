package bench

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestBucketBounds(t *testing.T) {
	prevHi := int64(-1)
	for i := 0; i < numBuckets; i++ {
		lo, hi := bucketBounds(i)
		if lo != prevHi+1 {
			t.Fatalf("bucket %d starts at %d, previous ended at %d", i, lo, prevHi)
		}
		if bucketOf(lo) != i || bucketOf(hi) != i {
			t.Fatalf("bucket %d [%d,%d]: bucketOf(lo)=%d bucketOf(hi)=%d", i, lo, hi, bucketOf(lo), bucketOf(hi))
		}
		if lo >= 2*subCount && float64(hi-lo+1)/float64(lo) > 1.0/subCount {
			t.Fatalf("bucket %d [%d,%d] is wider than 1/%d of its lower bound", i, lo, hi, subCount)
		}
		prevHi = hi
	}
	if prevHi != maxValue {
		t.Fatalf("last bucket ends at %d, want %d", prevHi, maxValue)
	}
}

func TestHistogramExactSmallValues(t *testing.T) {
	var h Histogram
	for v := 1; v <= 100; v++ {
		h.Record(time.Duration(v))
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, 50}, {99, 99}, {99.9, 100}, {1, 1}, {0, 1}, {100, 100}} {
		if got := h.Percentile(c.p); got != c.want {
			t.Errorf("p%v = %v, want %v", c.p, got, c.want)
		}
	}
	if h.Count() != 100 || h.Min() != 1 || h.Max() != 100 || h.Mean() != 50 {
		t.Errorf("count %d min %v max %v mean %v", h.Count(), h.Min(), h.Max(), h.Mean())
	}
}

func TestHistogramPercentilesWithinError(t *testing.T) {
	var h Histogram
	// Uniform over 1µs .. 10ms: the exact p-th percentile is p% of the range.
	const n = 200000
	r := rand.New(rand.NewPCG(1, 2))
	vals := make([]time.Duration, n)
	for i := range vals {
		vals[i] = time.Microsecond + time.Duration(r.Int64N(int64(10*time.Millisecond)))
		h.Record(vals[i])
	}
	for _, p := range []float64{50, 90, 99, 99.9} {
		exact := exactPercentile(vals, p)
		got := h.Percentile(p)
		if got < exact || float64(got-exact) > float64(exact)/subCount {
			t.Errorf("p%v = %v, exact %v: outside [exact, exact*(1+1/%d)]", p, got, exact, subCount)
		}
	}
}

func exactPercentile(v []time.Duration, p float64) time.Duration {
	s := slices.Clone(v)
	slices.Sort(s)
	rank := int(p / 100 * float64(len(s)))
	if float64(rank) < p/100*float64(len(s)) {
		rank++
	}
	return s[max(rank, 1)-1]
}

func TestHistogramMergeAndEdges(t *testing.T) {
	var a, b, empty Histogram
	if empty.Percentile(50) != 0 || empty.Mean() != 0 || empty.Max() != 0 {
		t.Error("empty histogram should report zeros")
	}
	a.Record(time.Millisecond)
	b.Record(3 * time.Millisecond)
	b.Record(-5) // counts as zero
	a.Merge(&empty)
	a.Merge(&b)
	if a.Count() != 3 || a.Min() != 0 || a.Max() != 3*time.Millisecond {
		t.Errorf("merged: count %d min %v max %v", a.Count(), a.Min(), a.Max())
	}
	if got := a.Percentile(50); got < time.Millisecond || got > time.Millisecond+time.Millisecond/subCount {
		t.Errorf("merged p50 = %v, want ~1ms", got)
	}
	var c Histogram
	c.Record(100 * time.Hour) // beyond the tracked range: clamped
	if c.Max() != time.Duration(maxValue) || c.Percentile(99) != time.Duration(maxValue) {
		t.Errorf("clamped max %v p99 %v", c.Max(), c.Percentile(99))
	}
	c.Reset()
	if c.Count() != 0 {
		t.Error("Reset left recordings")
	}
}

func TestHistogramRecordDoesNotAllocate(t *testing.T) {
	h := new(Histogram)
	if n := testing.AllocsPerRun(1000, func() { h.Record(1234567) }); n != 0 {
		t.Errorf("Record allocates %v times", n)
	}
}

func BenchmarkHistogramRecord(b *testing.B) {
	h := new(Histogram)
	b.ReportAllocs()
	d := time.Duration(1)
	for b.Loop() {
		h.Record(d)
		d = (d*7 + 13) & (1<<30 - 1)
	}
}
