package gctune

import (
	"context"
	"runtime/debug"
	"testing"
	"time"
)

func TestPercentFor(t *testing.T) {
	c := Config{Percent: 10, MinHeadroom: 16 << 20}
	cases := []struct {
		live uint64
		want int
	}{
		{0, 100},
		{4 << 20, 400},   // small heap: 16 MiB of headroom is 400%
		{160 << 20, 10},  // 16 MiB is exactly 10%
		{6400 << 20, 10}, // large heap: the percentage wins
		{32 << 20, 50},   // in between
	}
	for _, tc := range cases {
		if got := c.percentFor(tc.live); got != tc.want {
			t.Errorf("percentFor(%d MiB) = %d, want %d", tc.live>>20, got, tc.want)
		}
	}
}

func TestRunSetsAndRestores(t *testing.T) {
	old := debug.SetGCPercent(77)
	defer debug.SetGCPercent(old)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { Run(ctx, Config{Interval: time.Millisecond}); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		p := debug.SetGCPercent(77)
		debug.SetGCPercent(p)
		if p != 77 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("tuner never changed the GC percentage")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	if p := debug.SetGCPercent(77); p != 77 {
		t.Fatalf("percentage after Run = %d, want the previous 77", p)
	}
}
