package bench

import (
	"math"
	"math/bits"
	"time"
)

// Histogram layout: values below 2*subCount are counted exactly; above that,
// each power of two is split into subCount linear sub-buckets, so a bucket's
// width is at most 1/subCount of its lower bound (HdrHistogram with about
// two significant decimal digits).
const (
	subBits  = 7
	subCount = 1 << subBits // 128
	// maxShift bounds the tracked range: values of 2^(maxShift+subBits+1)
	// nanoseconds (about 36 minutes) and more go to the last bucket.
	maxShift   = 33
	numBuckets = (maxShift + 2) * subCount
	maxValue   = int64(1)<<(maxShift+subBits+1) - 1
)

// Histogram records durations in log-linear buckets with a relative error
// below 1/128 (under 0.8%). Recording is a few integer operations, never
// allocates, and is not safe for concurrent use: give each goroutine its own
// histogram and Merge them afterwards. The zero value is ready to use.
type Histogram struct {
	counts [numBuckets]uint64
	total  uint64
	min    int64
	max    int64
	sum    int64
}

func bucketOf(v int64) int {
	if v < 2*subCount {
		return int(v)
	}
	shift := bits.Len64(uint64(v)) - (subBits + 1)
	return shift*subCount + int(v>>uint(shift))
}

// bucketBounds returns the smallest and largest value counted in bucket i.
func bucketBounds(i int) (lo, hi int64) {
	if i < 2*subCount {
		return int64(i), int64(i)
	}
	shift := i/subCount - 1
	top := int64(i - shift*subCount)
	return top << uint(shift), (top+1)<<uint(shift) - 1
}

// Record adds one duration. Negative durations count as zero; durations
// beyond about 36 minutes count in the last bucket.
func (h *Histogram) Record(d time.Duration) {
	v := int64(d)
	if v < 0 {
		v = 0
	} else if v > maxValue {
		v = maxValue
	}
	h.counts[bucketOf(v)]++
	if h.total == 0 || v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
	h.total++
	h.sum += v
}

// Merge adds all of o's recordings to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.total == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.total == 0 || o.min < h.min {
		h.min = o.min
	}
	if o.max > h.max {
		h.max = o.max
	}
	h.total += o.total
	h.sum += o.sum
}

// Reset clears all recordings.
func (h *Histogram) Reset() { *h = Histogram{} }

// Count returns the number of recorded values.
func (h *Histogram) Count() uint64 { return h.total }

// Min returns the smallest recorded value, or 0 if there is none.
func (h *Histogram) Min() time.Duration { return time.Duration(h.min) }

// Max returns the largest recorded value, or 0 if there is none.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max) }

// Mean returns the mean of the recorded values, or 0 if there is none.
func (h *Histogram) Mean() time.Duration {
	if h.total == 0 {
		return 0
	}
	return time.Duration(h.sum / int64(h.total))
}

// Percentile returns the value at percentile p (0..100): the upper bound of
// the bucket holding the ceil(p/100*Count())-th smallest value (at least the
// first), capped to the range of recorded values, as HdrHistogram reports it.
// It returns 0 for an empty histogram.
func (h *Histogram) Percentile(p float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	if p <= 0 || math.IsNaN(p) {
		return time.Duration(h.min)
	}
	if p >= 100 {
		return time.Duration(h.max)
	}
	rank := uint64(math.Ceil(p / 100 * float64(h.total)))
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			_, hi := bucketBounds(i)
			hi = min(hi, h.max)
			return time.Duration(max(hi, h.min))
		}
	}
	return time.Duration(h.max)
}
