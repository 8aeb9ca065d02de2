// Package gctune keeps the Go heap's headroom proportionate for a data
// store. Go's default (GOGC=100) lets the heap grow to twice the live data
// before collecting, which for a member holding gigabytes of entries doubles
// its resident memory. Filbert's entries are pointer-free, so marking is
// cheap and a small headroom costs little CPU; but a small percentage on a
// small heap would collect too often. The tuner therefore sets the GC
// percentage so that the headroom is the larger of Percent of the live heap
// and MinHeadroom bytes, re-reading the live heap size periodically.
package gctune

import (
	"context"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// Config controls the tuner. Zero fields take defaults.
type Config struct {
	// Percent is the headroom as a percentage of the live heap (default 10).
	Percent int
	// MinHeadroom is the least headroom in bytes (default 16 MiB).
	MinHeadroom uint64
	// Interval is how often the live heap is read (default 1s).
	Interval time.Duration
}

func (c Config) withDefaults() Config {
	if c.Percent <= 0 {
		c.Percent = 10
	}
	if c.MinHeadroom == 0 {
		c.MinHeadroom = 16 << 20
	}
	if c.Interval <= 0 {
		c.Interval = time.Second
	}
	return c
}

// percentFor returns the GC percentage giving the configured headroom for a
// live heap of live bytes.
func (c Config) percentFor(live uint64) int {
	c = c.withDefaults()
	if live == 0 {
		return 100
	}
	p := int(c.MinHeadroom * 100 / live)
	return max(p, c.Percent)
}

// Run adjusts the GC percentage until ctx ends, then restores the previous
// setting.
func Run(ctx context.Context, c Config) {
	c = c.withDefaults()
	prev := debug.SetGCPercent(100)
	defer debug.SetGCPercent(prev)
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	t := time.NewTicker(c.Interval)
	defer t.Stop()
	last := -1
	for {
		metrics.Read(sample)
		if sample[0].Value.Kind() == metrics.KindUint64 {
			if p := c.percentFor(sample[0].Value.Uint64()); p != last {
				debug.SetGCPercent(p)
				last = p
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
