package hotrestart

import (
	"strconv"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
)

// Phases of Progress.
const (
	// PhaseRecover is Open reading every chunk to rebuild the index.
	PhaseRecover = "recover"
	// PhaseLoad is Load delivering the live records.
	PhaseLoad = "load"
)

// Progress is a report on recovery or loading.
type Progress struct {
	// Phase is PhaseRecover or PhaseLoad.
	Phase string
	// Bytes of TotalBytes have been read; Records records decoded.
	Bytes      int64
	TotalBytes int64
	Records    int64
	// Percent is Bytes/TotalBytes in percent (100 when there is nothing
	// to read).
	Percent float64
	// BytesPerSecond and RecordsPerSecond are averages since the start.
	BytesPerSecond   float64
	RecordsPerSecond float64
	// Elapsed is the time since the phase started.
	Elapsed time.Duration
	// Done is set on the last report of the phase.
	Done bool
}

// progressTracker counts a phase's work from several goroutines and
// reports it from one.
type progressTracker struct {
	phase   string
	total   int64
	bytes   atomic.Int64
	records atomic.Int64
	start   time.Time
	cb      func(Progress)
	log     zerolog.Logger
	stop    chan struct{}
	done    chan struct{}
}

// startProgress starts tracking a phase of total bytes; reports go to cb
// (if not nil) and the log every interval and at finish.
func startProgress(phase string, total int64, cb func(Progress), log zerolog.Logger, interval time.Duration) *progressTracker {
	p := &progressTracker{phase: phase, total: total, start: time.Now(), cb: cb, log: log,
		stop: make(chan struct{}), done: make(chan struct{})}
	if interval <= 0 {
		close(p.done)
		return p
	}
	go func() {
		defer close(p.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				p.report(false)
			case <-p.stop:
				return
			}
		}
	}()
	return p
}

// add counts work done.
func (p *progressTracker) add(bytes, records int64) {
	p.bytes.Add(bytes)
	p.records.Add(records)
}

// snapshot returns the current progress.
func (p *progressTracker) snapshot(done bool) Progress {
	pr := Progress{Phase: p.phase, Bytes: p.bytes.Load(), TotalBytes: p.total, Records: p.records.Load(),
		Elapsed: time.Since(p.start), Done: done, Percent: 100}
	if p.total > 0 {
		pr.Percent = 100 * float64(pr.Bytes) / float64(p.total)
	}
	if secs := pr.Elapsed.Seconds(); secs > 0 {
		pr.BytesPerSecond = float64(pr.Bytes) / secs
		pr.RecordsPerSecond = float64(pr.Records) / secs
	}
	return pr
}

// report sends the current progress to the callback and the log.
func (p *progressTracker) report(done bool) Progress {
	pr := p.snapshot(done)
	if p.cb != nil {
		p.cb(pr)
	}
	ev := p.log.Debug()
	if done || pr.Elapsed >= time.Second {
		ev = p.log.Info()
	}
	ev.Str("phase", pr.Phase).Int64("bytes", pr.Bytes).Int64("totalBytes", pr.TotalBytes).
		Int64("records", pr.Records).Str("percent", formatPercent(pr.Percent)).
		Float64("mbPerSecond", pr.BytesPerSecond/(1<<20)).Dur("elapsed", pr.Elapsed).Bool("done", done).
		Msg("hot restart progress")
	return pr
}

// finish stops periodic reports and sends the final one.
func (p *progressTracker) finish() Progress {
	close(p.stop)
	<-p.done
	return p.report(true)
}

// formatPercent renders a percentage with one decimal.
func formatPercent(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
