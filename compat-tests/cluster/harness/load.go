package harness

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	hazelcast "github.com/hazelcast/hazelcast-go-client"
	"github.com/hazelcast/hazelcast-go-client/types"
)

// LoadOptions configure [StartLoad].
type LoadOptions struct {
	// Map is the map written. Default: "load".
	Map string
	// Goroutines share the client. Default: 16.
	Goroutines int
	// Keys is the number of distinct keys ("<Prefix>-000000", ...), split
	// between the goroutines (goroutine g writes keys g, g+Goroutines, ...).
	// Default: 10,000.
	Keys int
	// KeyList, if set, are the keys instead of Keys generated ones; no key
	// may appear twice (each key belongs to one goroutine).
	KeyList []string
	// Prefix of generated keys. Default: "k".
	Prefix string
	// Rounds is how many times each goroutine writes each of its keys; 0
	// means until Stop.
	Rounds int
	// ReadEvery: after every ReadEvery writes, a goroutine reads back one
	// of its keys that has an acknowledged write and checks the value.
	// Default: 4; negative: no reads.
	ReadEvery int
	// OpTimeout bounds each operation (the client's own retries, bounded by
	// its invocation timeout, happen inside). Default: 90s.
	OpTimeout time.Duration
	// SlowOp is the latency above which an operation counts as slow.
	// Default: 1s.
	SlowOp time.Duration
	// PartitionCount is used to name the partition of keys in messages.
	// Default: 271.
	PartitionCount int
	// StallTimeout ends the waits of Load early when no write has been
	// acknowledged for that long. Default: 30s.
	StallTimeout time.Duration
}

func (o *LoadOptions) fill() {
	if o.Map == "" {
		o.Map = "load"
	}
	if o.Goroutines <= 0 {
		o.Goroutines = 16
	}
	if o.Keys <= 0 {
		o.Keys = 10000
	}
	if o.Prefix == "" {
		o.Prefix = "k"
	}
	if o.ReadEvery == 0 {
		o.ReadEvery = 4
	}
	if o.OpTimeout <= 0 {
		o.OpTimeout = 90 * time.Second
	}
	if o.SlowOp <= 0 {
		o.SlowOp = time.Second
	}
	if o.PartitionCount <= 0 {
		o.PartitionCount = 271
	}
	if o.StallTimeout <= 0 {
		o.StallTimeout = 30 * time.Second
	}
}

// keyState is what the load knows about one key. Only the goroutine that
// owns the key touches it while the load runs.
type keyState struct {
	issued  int32   // highest sequence number written (or attempted)
	acked   int32   // sequence number of the last acknowledged write; 0: none
	unknown []int32 // sequence numbers of writes that returned an error
}

// value is what write seq of key stores.
func value(key string, seq int32) string { return key + "#" + strconv.Itoa(int(seq)) }

// verdict classifies a value read for a key.
type verdict int

const (
	vOK            verdict = iota // the last acknowledged value or a later unacknowledged one
	vAbsentUnacked                // absent, and no write was acknowledged
	vMissing                      // absent, though a write was acknowledged
	vStale                        // an older value than the last acknowledged one
	vForeign                      // not a value the load wrote for this key
)

func (s *keyState) classify(key string, v any) (verdict, string) {
	if v == nil {
		if s.acked == 0 {
			return vAbsentUnacked, ""
		}
		return vMissing, fmt.Sprintf("%s: absent, last acknowledged write #%d", key, s.acked)
	}
	str, ok := v.(string)
	if !ok || !strings.HasPrefix(str, key+"#") {
		return vForeign, fmt.Sprintf("%s: read %v (%T), which the load never wrote for this key", key, v, v)
	}
	n, err := strconv.Atoi(str[len(key)+1:])
	if err != nil {
		return vForeign, fmt.Sprintf("%s: read %q, which the load never wrote", key, str)
	}
	seq := int32(n)
	switch {
	case seq == s.acked:
		return vOK, ""
	case seq > s.acked && slices.Contains(s.unknown, seq):
		return vOK, ""
	case seq < s.acked:
		kind := "an older acknowledged value"
		if slices.Contains(s.unknown, seq) {
			kind = "an older write that had failed"
		}
		return vStale, fmt.Sprintf("%s: read #%d (%s), last acknowledged #%d", key, seq, kind, s.acked)
	default:
		return vForeign, fmt.Sprintf("%s: read #%d, which was never written (last acknowledged #%d, last issued #%d)",
			key, seq, s.acked, s.issued)
	}
}

// inflight is the operation a load goroutine is waiting for.
type inflight struct {
	mu    sync.Mutex
	op    string // "" when none
	key   string
	since time.Time
}

func (f *inflight) set(op, key string) {
	f.mu.Lock()
	f.op, f.key, f.since = op, key, time.Now()
	f.mu.Unlock()
}

// InFlight describes the operations under way, oldest first, e.g.
// "3 in flight, oldest: write k-000123 for 31s".
func (l *Load) InFlight() string {
	type op struct {
		desc  string
		since time.Time
	}
	var ops []op
	for i := range l.inflight {
		f := &l.inflight[i]
		f.mu.Lock()
		if f.op != "" {
			ops = append(ops, op{fmt.Sprintf("%s %s (partition %d)", f.op, f.key,
				PartitionOf(f.key, l.opts.PartitionCount)), f.since})
		}
		f.mu.Unlock()
	}
	if len(ops) == 0 {
		return "no operation in flight"
	}
	slices.SortFunc(ops, func(a, b op) int { return a.since.Compare(b.since) })
	var b strings.Builder
	fmt.Fprintf(&b, "%d in flight, oldest:", len(ops))
	for _, o := range ops[:min(3, len(ops))] {
		fmt.Fprintf(&b, " %s for %s;", o.desc, time.Since(o.since).Round(time.Millisecond))
	}
	return strings.TrimSuffix(b.String(), ";")
}

// Load is a running workload; see [StartLoad].
type Load struct {
	opts    LoadOptions
	m       *hazelcast.Map
	keys    []string
	states  []keyState
	started time.Time

	ctx      context.Context // parent of every operation's context
	abort    context.CancelFunc
	inflight []inflight // per goroutine: the operation under way
	stopping atomic.Bool
	wg       sync.WaitGroup
	done     chan struct{}
	progress chan struct{}
	stopOnce sync.Once
	stopped  time.Time

	writes, acked, failed, reads, readFailed, readBad, slow atomic.Int64
	maxLatency                                              atomic.Int64

	mu       sync.Mutex
	errs     map[string]int
	errOrder []string
	badReads []string
	slowOps  []string
	firstErr time.Duration
	lastErr  time.Duration
}

// StartLoad starts the workload on client's map opts.Map and stops it when
// the test ends. Each goroutine writes its keys in turn, alternating Put
// and Set, with values "<key>#<sequence>", and reads some back.
func StartLoad(t testing.TB, client *hazelcast.Client, opts LoadOptions) *Load {
	t.Helper()
	opts.fill()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	m, err := client.GetMap(ctx, opts.Map)
	if err != nil {
		t.Fatalf("load: GetMap(%q): %v", opts.Map, err)
	}
	keys := opts.KeyList
	if keys == nil {
		keys = make([]string, opts.Keys)
		for i := range keys {
			keys[i] = fmt.Sprintf("%s-%06d", opts.Prefix, i)
		}
	}
	l := &Load{opts: opts, m: m, keys: keys, states: make([]keyState, len(keys)), started: time.Now(),
		done: make(chan struct{}), progress: make(chan struct{}, 1), errs: map[string]int{},
		inflight: make([]inflight, opts.Goroutines)}
	l.ctx, l.abort = context.WithCancel(context.Background())
	for g := range opts.Goroutines {
		l.wg.Add(1)
		go l.run(g)
	}
	go func() {
		l.wg.Wait()
		close(l.done)
	}()
	// At the end of the test, operations still in flight (a test that
	// failed on a stalled load) are abandoned rather than waited for.
	t.Cleanup(func() {
		l.abort()
		l.Stop()
	})
	return l
}

// Keys returns the keys the load writes.
func (l *Load) Keys() []string { return l.keys }

func (l *Load) run(g int) {
	defer l.wg.Done()
	rng := rand.New(rand.NewPCG(uint64(g), uint64(l.started.UnixNano())))
	var mine []int
	for i := g; i < len(l.keys); i += l.opts.Goroutines {
		mine = append(mine, i)
	}
	if len(mine) == 0 {
		return
	}
	sinceRead := 0
	for round := 0; l.opts.Rounds == 0 || round < l.opts.Rounds; round++ {
		for _, i := range mine {
			if l.stopping.Load() {
				return
			}
			l.write(g, i)
			sinceRead++
			if l.opts.ReadEvery > 0 && sinceRead >= l.opts.ReadEvery {
				sinceRead = 0
				// A random key of this goroutine's with an acknowledged write.
				for range 4 {
					j := mine[rng.IntN(len(mine))]
					if l.states[j].acked > 0 {
						l.read(g, j)
						break
					}
				}
			}
		}
	}
}

// write writes the key's next value and records the outcome.
func (l *Load) write(g, i int) {
	key, st := l.keys[i], &l.states[i]
	l.inflight[g].set("write", key)
	defer l.inflight[g].set("", "")
	st.issued++
	seq := st.issued
	ctx, cancel := context.WithTimeout(l.ctx, l.opts.OpTimeout)
	start := time.Now()
	var err error
	if seq%2 == 1 {
		_, err = l.m.Put(ctx, key, value(key, seq))
	} else {
		err = l.m.Set(ctx, key, value(key, seq))
	}
	lat := time.Since(start)
	cancel()
	l.writes.Add(1)
	l.latency("write", key, start, lat)
	if err != nil {
		st.unknown = append(st.unknown, seq)
		l.failed.Add(1)
		l.recordErr("write", err)
		return
	}
	st.acked = seq
	l.acked.Add(1)
	select {
	case l.progress <- struct{}{}:
	default:
	}
}

// read reads key i back and checks the value.
func (l *Load) read(g, i int) {
	key, st := l.keys[i], &l.states[i]
	l.inflight[g].set("read", key)
	defer l.inflight[g].set("", "")
	ctx, cancel := context.WithTimeout(l.ctx, l.opts.OpTimeout)
	start := time.Now()
	v, err := l.m.Get(ctx, key)
	lat := time.Since(start)
	cancel()
	l.reads.Add(1)
	l.latency("read", key, start, lat)
	if err != nil {
		l.readFailed.Add(1)
		l.recordErr("read", err)
		return
	}
	if vd, why := st.classify(key, v); vd != vOK && vd != vAbsentUnacked {
		l.readBad.Add(1)
		l.mu.Lock()
		if len(l.badReads) < 10 {
			l.badReads = append(l.badReads, fmt.Sprintf("at %s: %s", time.Since(l.started).Round(time.Millisecond), why))
		}
		l.mu.Unlock()
	}
}

func (l *Load) latency(op, key string, start time.Time, lat time.Duration) {
	for {
		cur := l.maxLatency.Load()
		if int64(lat) <= cur || l.maxLatency.CompareAndSwap(cur, int64(lat)) {
			break
		}
	}
	if lat > l.opts.SlowOp {
		l.slow.Add(1)
		l.mu.Lock()
		if len(l.slowOps) < 5 {
			l.slowOps = append(l.slowOps, fmt.Sprintf("%s %s took %s (started at %s)", op, key,
				lat.Round(time.Millisecond), start.Sub(l.started).Round(time.Millisecond)))
		}
		l.mu.Unlock()
	}
}

func (l *Load) recordErr(op string, err error) {
	at := time.Since(l.started)
	msg := op + ": " + err.Error()
	if len(msg) > 300 {
		msg = msg[:300] + "..."
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.firstErr == 0 {
		l.firstErr = at
	}
	l.lastErr = at
	if _, ok := l.errs[msg]; !ok {
		if len(l.errOrder) >= 20 {
			msg = op + ": (other errors)"
		}
		if _, ok := l.errs[msg]; !ok {
			l.errOrder = append(l.errOrder, msg)
		}
	}
	l.errs[msg]++
}

// Acked returns the number of acknowledged writes so far.
func (l *Load) Acked() int64 { return l.acked.Load() }

// WaitAcked waits until at least n writes have been acknowledged in all.
// It fails after timeout, or sooner if no write is acknowledged for
// LoadOptions.StallTimeout.
func (l *Load) WaitAcked(n int64, timeout time.Duration) error {
	err := l.await(timeout, func() bool { return l.acked.Load() >= n })
	if err != nil {
		return fmt.Errorf("expected at least %d acknowledged writes, got %d: %w; %s", n, l.acked.Load(), err, l.Stats())
	}
	return nil
}

// Done is closed when every goroutine has ended (its Rounds done, or
// stopped).
func (l *Load) Done() <-chan struct{} { return l.done }

// Wait waits until every goroutine has done its Rounds, and returns the
// final statistics. It fails after timeout, or sooner if no write is
// acknowledged for LoadOptions.StallTimeout.
func (l *Load) Wait(timeout time.Duration) (LoadStats, error) {
	err := l.await(timeout, func() bool {
		select {
		case <-l.done:
			return true
		default:
			return false
		}
	})
	if err != nil {
		return l.Stats(), fmt.Errorf("load did not finish its %d round(s): %w; %s", l.opts.Rounds, err, l.Stats())
	}
	return l.Stop(), nil
}

// await waits until cond holds, waking on every acknowledged write and at
// the end of the load.
func (l *Load) await(timeout time.Duration, cond func() bool) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	stall := time.NewTimer(l.opts.StallTimeout)
	defer stall.Stop()
	ended := false
	for {
		if cond() {
			return nil
		}
		if ended {
			return errors.New("the load has ended")
		}
		select {
		case <-l.progress:
			stall.Reset(l.opts.StallTimeout)
		case <-l.done:
			ended = true
		case <-stall.C:
			return fmt.Errorf("stalled: no write acknowledged for %s (%s)", l.opts.StallTimeout, l.InFlight())
		case <-deadline.C:
			return fmt.Errorf("timed out after %s", timeout)
		}
	}
}

// Stop stops the goroutines after their current operation, waits for them
// and returns the final statistics. It may be called more than once.
func (l *Load) Stop() LoadStats {
	l.stopOnce.Do(func() {
		l.stopping.Store(true)
		<-l.done
		l.mu.Lock()
		l.stopped = time.Now()
		l.mu.Unlock()
	})
	return l.Stats()
}

// LoadStats summarise a load.
type LoadStats struct {
	Elapsed time.Duration
	// Writes = Acked + Failed. Failed writes have an unknown outcome.
	Writes, Acked, Failed int64
	// Reads during the load; ReadFailed returned an error, ReadMismatch
	// returned something other than the last acknowledged value (or a
	// later unacknowledged one).
	Reads, ReadFailed, ReadMismatch int64
	// Slow counts operations above LoadOptions.SlowOp; MaxLatency is the
	// slowest.
	Slow       int64
	MaxLatency time.Duration
	// Errors are distinct error messages with their counts; FirstError and
	// LastError are offsets from the load's start.
	Errors                map[string]int
	FirstError, LastError time.Duration
	// BadReads and SlowOps are examples.
	BadReads, SlowOps []string
}

// Stats returns the statistics so far.
func (l *Load) Stats() LoadStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	end := l.stopped
	if end.IsZero() {
		end = time.Now()
	}
	errs := make(map[string]int, len(l.errs))
	for k, v := range l.errs {
		errs[k] = v
	}
	return LoadStats{
		Elapsed: end.Sub(l.started), Writes: l.writes.Load(), Acked: l.acked.Load(), Failed: l.failed.Load(),
		Reads: l.reads.Load(), ReadFailed: l.readFailed.Load(), ReadMismatch: l.readBad.Load(),
		Slow: l.slow.Load(), MaxLatency: time.Duration(l.maxLatency.Load()),
		Errors: errs, FirstError: l.firstErr, LastError: l.lastErr,
		BadReads: slices.Clone(l.badReads), SlowOps: slices.Clone(l.slowOps),
	}
}

// String is a one-paragraph summary with error examples.
func (s LoadStats) String() string {
	var b strings.Builder
	rate := 0.0
	if s.Elapsed > 0 {
		rate = float64(s.Writes+s.Reads) / s.Elapsed.Seconds()
	}
	fmt.Fprintf(&b, "load: %s, %d writes (%d acknowledged, %d failed), %d reads (%d failed, %d wrong), %.0f ops/s, max latency %s, %d slow",
		s.Elapsed.Round(time.Millisecond), s.Writes, s.Acked, s.Failed, s.Reads, s.ReadFailed, s.ReadMismatch, rate,
		s.MaxLatency.Round(time.Millisecond), s.Slow)
	if len(s.Errors) > 0 {
		fmt.Fprintf(&b, "; errors between %s and %s:", s.FirstError.Round(time.Millisecond), s.LastError.Round(time.Millisecond))
		keys := make([]string, 0, len(s.Errors))
		for k := range s.Errors {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "\n    %dx %s", s.Errors[k], k)
		}
	}
	for _, r := range s.BadReads {
		fmt.Fprintf(&b, "\n    wrong read %s", r)
	}
	for _, r := range s.SlowOps {
		fmt.Fprintf(&b, "\n    slow: %s", r)
	}
	return b.String()
}

// VerifyReport is the outcome of reading every key of a load back.
type VerifyReport struct {
	// Keys is how many keys were written at least once; Acknowledged how
	// many had an acknowledged write; Unknown how many had a write whose
	// outcome is unknown.
	Keys, Acknowledged, Unknown int
	// OK keys hold their last acknowledged value or a later one that was in
	// flight (or are absent without an acknowledged write).
	OK int
	// Missing keys are absent despite an acknowledged write; Stale keys
	// hold an older value; Foreign keys hold a value never written to them.
	Missing, Stale, Foreign int
	// ReadErrors counts keys that could not be read.
	ReadErrors int
	// Examples describe some of the bad keys.
	Examples []string
	// Took is how long the read-back took.
	Took time.Duration
}

// Bad is the number of keys that break the guarantee: acknowledged writes
// not readable as such.
func (r VerifyReport) Bad() int { return r.Missing + r.Stale + r.Foreign }

// String summarises the report.
func (r VerifyReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d keys written (%d with an acknowledged write, %d with a write of unknown outcome): %d ok, "+
		"%d missing, %d stale, %d with a foreign value, %d unreadable (read back in %s)",
		r.Keys, r.Acknowledged, r.Unknown, r.OK, r.Missing, r.Stale, r.Foreign, r.ReadErrors, r.Took.Round(time.Millisecond))
	for _, e := range r.Examples {
		fmt.Fprintf(&b, "\n    %s", e)
	}
	return b.String()
}

// Verify stops the load, reads every key back through client (GetAll in
// batches) and fails the test, with counts and examples, if an
// acknowledged write is missing or older than expected, or a key cannot
// be read. It returns the report.
func (l *Load) Verify(t testing.TB, client *hazelcast.Client) VerifyReport {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	r, err := l.Check(ctx, client, false)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if r.Bad() > 0 || r.ReadErrors > 0 {
		t.Errorf("verify: expected every acknowledged write to be readable with its last acknowledged value "+
			"(or a later in-flight one); %s", r)
	}
	return r
}

// Check stops the load and reads every written key back through client,
// with GetAll in batches, or with one Get per key if each is true. It
// returns an error only if the map cannot be obtained.
func (l *Load) Check(ctx context.Context, client *hazelcast.Client, each bool) (VerifyReport, error) {
	l.Stop()
	start := time.Now()
	m, err := client.GetMap(ctx, l.opts.Map)
	if err != nil {
		return VerifyReport{}, fmt.Errorf("GetMap(%q): %w", l.opts.Map, err)
	}
	var idx []int
	var r VerifyReport
	for i := range l.keys {
		st := &l.states[i]
		if st.issued == 0 {
			continue
		}
		idx = append(idx, i)
		r.Keys++
		if st.acked > 0 {
			r.Acknowledged++
		}
		if len(st.unknown) > 0 {
			r.Unknown++
		}
	}
	batch := 256
	if each {
		batch = 1
	}
	// After a few reads that failed all their attempts, give up on the
	// rest rather than wait out every timeout of a broken cluster.
	ctx, giveUp := context.WithCancel(ctx)
	defer giveUp()
	failedReads := 0
	var mu sync.Mutex
	note := func(vd verdict, why string, readErr error, keys int) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case readErr != nil:
			r.ReadErrors += keys
			why = fmt.Sprintf("read of %d key(s) failed: %v", keys, readErr)
			if failedReads++; failedReads == 3 {
				giveUp()
			}
		case vd == vOK || vd == vAbsentUnacked:
			r.OK++
		case vd == vMissing:
			r.Missing++
		case vd == vStale:
			r.Stale++
		case vd == vForeign:
			r.Foreign++
		}
		if why != "" && len(r.Examples) < 10 {
			r.Examples = append(r.Examples, why)
		}
	}
	work := make(chan []int)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for part := range work {
				l.checkBatch(ctx, m, part, note)
			}
		}()
	}
	for i := 0; i < len(idx); i += batch {
		work <- idx[i:min(i+batch, len(idx))]
	}
	close(work)
	wg.Wait()
	r.Took = time.Since(start)
	return r, nil
}

// checkBatch reads the keys of part (three attempts) and classifies them.
func (l *Load) checkBatch(ctx context.Context, m *hazelcast.Map, part []int, note func(verdict, string, error, int)) {
	var err error
	for range 3 {
		if ctx.Err() != nil {
			err = fmt.Errorf("not attempted after earlier reads failed: %w", ctx.Err())
			break
		}
		if len(part) == 1 {
			var v any
			if v, err = m.Get(ctx, l.keys[part[0]]); err == nil {
				vd, why := l.states[part[0]].classify(l.keys[part[0]], v)
				note(vd, why, nil, 1)
				return
			}
			continue
		}
		keys := make([]any, len(part))
		for j, i := range part {
			keys[j] = l.keys[i]
		}
		var entries []types.Entry
		if entries, err = m.GetAll(ctx, keys...); err == nil {
			got := make(map[string]any, len(entries))
			for _, e := range entries {
				if k, ok := e.Key.(string); ok {
					got[k] = e.Value
				}
			}
			for _, i := range part {
				vd, why := l.states[i].classify(l.keys[i], got[l.keys[i]])
				note(vd, why, nil, 1)
			}
			return
		}
	}
	note(vOK, "", err, len(part))
}
