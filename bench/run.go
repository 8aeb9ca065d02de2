package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Result is the outcome of one measured window on one target, or the
// per-target median over all rounds (Median true, Round 0).
type Result struct {
	Target      string `json:"target"`
	Round       int    `json:"round"`
	Median      bool   `json:"median,omitempty"`
	Rounds      int    `json:"rounds,omitempty"` // rounds summarised by a median
	Concurrency int    `json:"c"`
	// Ops counts operations started in the measured window; Errors counts
	// those that failed, including reads that found no value.
	Ops       int64         `json:"ops"`
	Errors    int64         `json:"errors"`
	Elapsed   time.Duration `json:"elapsed_ns"`
	OpsPerSec float64       `json:"ops_per_sec"`
	P50       time.Duration `json:"p50_ns"`
	P99       time.Duration `json:"p99_ns"`
	P999      time.Duration `json:"p999_ns"`
	Max       time.Duration `json:"max_ns"`
	// CPUPerOp is the measured process's CPU time per operation, when a
	// process id was given (HasCPU).
	HasCPU   bool          `json:"has_cpu"`
	CPUPerOp time.Duration `json:"cpu_per_op_ns,omitempty"`
	// RSS is the measured process's resident set size after the window,
	// in bytes (0 when no process id was given).
	RSS int64 `json:"rss_bytes,omitempty"`
	// FirstError is the text of the first error seen, if any.
	FirstError string `json:"first_error,omitempty"`
}

// String formats r as one text line, for example
// "filbert round=1 c=64 ops/s=123456 p50=0.410ms p99=1.90ms p99.9=4.20ms cpu/op=2.80us errors=0".
func (r Result) String() string {
	b := make([]byte, 0, 160)
	b = append(b, r.Target...)
	if r.Median {
		b = fmt.Appendf(b, " median(rounds=%d)", r.Rounds)
	} else {
		b = fmt.Appendf(b, " round=%d", r.Round)
	}
	b = fmt.Appendf(b, " c=%d ops/s=%.0f p50=%s p99=%s p99.9=%s", r.Concurrency, r.OpsPerSec, ms(r.P50), ms(r.P99), ms(r.P999))
	if r.HasCPU {
		b = fmt.Appendf(b, " cpu/op=%sus", sig3(float64(r.CPUPerOp)/1e3))
	}
	if r.RSS > 0 {
		b = fmt.Appendf(b, " rss=%.1fMB", float64(r.RSS)/(1<<20))
	}
	b = fmt.Appendf(b, " errors=%d", r.Errors)
	if r.FirstError != "" {
		b = fmt.Appendf(b, " first-error=%q", r.FirstError)
	}
	return string(b)
}

func ms(d time.Duration) string { return sig3(float64(d)/1e6) + "ms" }

// sig3 formats v with three significant digits and no exponent.
func sig3(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case v >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	default:
		return strconv.FormatFloat(v, 'f', 3, 64)
	}
}

// Run executes the benchmark described by opts and writes one result per
// target per round to out, then, with more than one round, one median line
// per target. It returns an error if opts are invalid, a target cannot be
// reached or pre-filled, a process's CPU time cannot be read, or writing to
// out fails; failed operations during measurement are counted, not returned.
func Run(ctx context.Context, opts Options, out io.Writer) error {
	if err := opts.Validate(); err != nil {
		return err
	}
	if opts.Seed == 0 {
		opts.Seed = uint64(time.Now().UnixNano())
	}
	w := newWorkload(opts)

	names := opts.targets()
	stores := make(map[string]store, len(names))
	defer func() {
		for name, s := range stores {
			cctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
			if err := s.close(cctx); err != nil {
				logf(opts.Log, "close %s: %v", name, err)
			}
			cancel()
		}
	}()
	for _, name := range names {
		if pid := opts.pidFor(name); pid != 0 {
			if _, err := ProcessCPU(pid); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
		s, err := open(ctx, name, opts)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		stores[name] = s
		start := time.Now()
		if err := w.prefill(ctx, s, opts.Concurrency); err != nil {
			return fmt.Errorf("%s: pre-fill: %w", name, err)
		}
		if err := verify(ctx, s, w.keys[0], w.valueFor(0)); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		logf(opts.Log, "%s: pre-filled %d keys in %v", name, opts.Keys, time.Since(start).Round(time.Millisecond))
	}

	results := make(map[string][]Result, len(names))
	for round := 1; round <= opts.Rounds; round++ {
		order := slices.Clone(names)
		if round%2 == 0 {
			slices.Reverse(order)
		}
		for _, name := range order {
			r, err := w.measure(ctx, stores[name], opts.pidFor(name), opts)
			if err != nil {
				return fmt.Errorf("%s round %d: %w", name, round, err)
			}
			r.Target, r.Round = name, round
			results[name] = append(results[name], r)
			if err := emit(out, r, opts.JSON); err != nil {
				return err
			}
		}
	}
	if opts.Rounds > 1 {
		for _, name := range names {
			if err := emit(out, medianOf(results[name]), opts.JSON); err != nil {
				return err
			}
		}
	}
	return nil
}

func open(ctx context.Context, name string, o Options) (store, error) {
	switch name {
	case TargetFilbert:
		return openFilbert(ctx, o)
	case TargetRedis:
		return openRedis(ctx, o)
	}
	return nil, fmt.Errorf("unknown target %q", name)
}

func (o Options) pidFor(target string) int {
	if target == TargetRedis {
		return o.RedisPID
	}
	return o.MemberPID
}

func emit(out io.Writer, r Result, asJSON bool) error {
	var err error
	if asJSON {
		var b []byte
		if b, err = json.Marshal(r); err == nil {
			b = append(b, '\n')
			_, err = out.Write(b)
		}
	} else {
		_, err = fmt.Fprintln(out, r.String())
	}
	if err != nil {
		return fmt.Errorf("write result: %w", err)
	}
	return nil
}

func logf(w io.Writer, format string, a ...any) {
	if w != nil {
		fmt.Fprintf(w, "bench: "+format+"\n", a...)
	}
}

// medianOf summarises rounds: each metric is the median of its per-round
// values on its own; Ops and Errors are totals.
func medianOf(rs []Result) Result {
	m := Result{Target: rs[0].Target, Median: true, Rounds: len(rs), Concurrency: rs[0].Concurrency, HasCPU: rs[0].HasCPU}
	for _, r := range rs {
		m.Ops += r.Ops
		m.Errors += r.Errors
		m.Elapsed += r.Elapsed
		if m.FirstError == "" {
			m.FirstError = r.FirstError
		}
	}
	m.OpsPerSec = median(rs, func(r Result) float64 { return r.OpsPerSec })
	dur := func(f func(Result) time.Duration) time.Duration {
		return time.Duration(median(rs, func(r Result) float64 { return float64(f(r)) }))
	}
	m.P50 = dur(func(r Result) time.Duration { return r.P50 })
	m.P99 = dur(func(r Result) time.Duration { return r.P99 })
	m.P999 = dur(func(r Result) time.Duration { return r.P999 })
	m.Max = dur(func(r Result) time.Duration { return r.Max })
	m.CPUPerOp = dur(func(r Result) time.Duration { return r.CPUPerOp })
	return m
}

// median returns the median of f over rs (the mean of the middle two for an
// even count).
func median(rs []Result, f func(Result) float64) float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	slices.Sort(v)
	n := len(v)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// workload is the key space and value pool shared by all targets.
type workload struct {
	keys   []string
	values [][]byte
	seed   uint64
	// readThreshold: an operation is a read when a uniform uint64 is below it.
	readThreshold uint64
	readAll       bool
}

// valuePoolSize bounds the distinct values kept in memory: values are
// random but reused, so large -value-size and -keys stay cheap.
const valuePoolSize = 64

func newWorkload(o Options) *workload {
	w := &workload{keys: make([]string, o.Keys), seed: o.Seed}
	for i := range w.keys {
		w.keys[i] = "key-" + strconv.Itoa(i)
	}
	var seed [32]byte
	for i := range 4 {
		for j := range 8 {
			seed[i*8+j] = byte((o.Seed + uint64(i)) >> (8 * j))
		}
	}
	src := rand.NewChaCha8(seed)
	w.values = make([][]byte, min(valuePoolSize, o.Keys))
	for i := range w.values {
		w.values[i] = make([]byte, o.ValueSize)
		_, _ = src.Read(w.values[i])
	}
	if t := o.ReadRatio * (1 << 64); t >= 1<<64 {
		w.readAll = true
	} else {
		w.readThreshold = uint64(t)
	}
	return w
}

func (w *workload) valueFor(i int) []byte { return w.values[i%len(w.values)] }

// prefill writes every key once, with c goroutines.
func (w *workload) prefill(ctx context.Context, s store, c int) error {
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(w.keys) {
					return
				}
				if err := s.set(ctx, w.keys[i], w.valueFor(i)); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("set %q: %w", w.keys[i], err)
					}
					mu.Unlock()
					next.Store(int64(len(w.keys))) // stop the others
					return
				}
			}
		}()
	}
	wg.Wait()
	return firstErr
}

// Phases of a round, shared with workers through an atomic.
const (
	phaseWarmup int32 = iota
	phaseMeasure
	phaseStop
)

// workerStats is one goroutine's private tally.
type workerStats struct {
	hist     Histogram
	ops      int64
	errs     int64
	firstErr error
}

// measure runs one round on s: warm-up, then the measured window.
func (w *workload) measure(ctx context.Context, s store, pid int, o Options) (Result, error) {
	var phase atomic.Int32
	stats := make([]*workerStats, o.Concurrency)
	var wg sync.WaitGroup
	for i := range stats {
		st := &workerStats{}
		stats[i] = st
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.work(ctx, s, &phase, st, rand.New(rand.NewPCG(w.seed, uint64(i)+1)))
		}()
	}
	stop := func() {
		phase.Store(phaseStop)
		wg.Wait()
	}

	if !sleepCtx(ctx, o.Warmup) {
		stop()
		return Result{}, fmt.Errorf("warm-up: %w", ctx.Err())
	}
	var cpu0 time.Duration
	if pid != 0 {
		var err error
		if cpu0, err = ProcessCPU(pid); err != nil {
			stop()
			return Result{}, err
		}
	}
	start := time.Now()
	phase.Store(phaseMeasure)
	ok := sleepCtx(ctx, o.Duration)
	phase.Store(phaseStop)
	elapsed := time.Since(start)
	var cpu1 time.Duration
	var cpuErr error
	if pid != 0 {
		cpu1, cpuErr = ProcessCPU(pid)
	}
	wg.Wait()
	if !ok {
		return Result{}, fmt.Errorf("measurement: %w", ctx.Err())
	}
	if cpuErr != nil {
		return Result{}, cpuErr
	}

	var h Histogram
	r := Result{Concurrency: o.Concurrency, Elapsed: elapsed}
	for _, st := range stats {
		h.Merge(&st.hist)
		r.Ops += st.ops
		r.Errors += st.errs
		if r.FirstError == "" && st.firstErr != nil {
			r.FirstError = st.firstErr.Error()
		}
	}
	r.OpsPerSec = float64(r.Ops) / elapsed.Seconds()
	r.P50, r.P99, r.P999, r.Max = h.Percentile(50), h.Percentile(99), h.Percentile(99.9), h.Max()
	if pid != 0 {
		r.HasCPU = true
		if r.Ops > 0 {
			r.CPUPerOp = (cpu1 - cpu0) / time.Duration(r.Ops)
		}
		if rss, err := ProcessRSS(pid); err == nil {
			r.RSS = rss
		}
	}
	return r, nil
}

// work is one goroutine's loop. Only operations started in the measured
// phase are recorded.
func (w *workload) work(ctx context.Context, s store, phase *atomic.Int32, st *workerStats, rng *rand.Rand) {
	nkeys := len(w.keys)
	for {
		ph := phase.Load()
		if ph == phaseStop || ctx.Err() != nil {
			return
		}
		i := rng.IntN(nkeys)
		read := w.readAll || rng.Uint64() < w.readThreshold
		t0 := time.Now()
		var err error
		if read {
			err = s.get(ctx, w.keys[i])
		} else {
			err = s.set(ctx, w.keys[i], w.valueFor(i))
		}
		d := time.Since(t0)
		if ph != phaseMeasure {
			continue
		}
		st.hist.Record(d)
		st.ops++
		if err != nil {
			st.errs++
			if st.firstErr == nil && !errors.Is(err, context.Canceled) {
				st.firstErr = err
			}
		}
	}
}

// sleepCtx sleeps for d, returning false if ctx ends first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
