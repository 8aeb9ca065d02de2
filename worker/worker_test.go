package worker

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestOrderPerPartition(t *testing.T) {
	p := New(3, 0)
	defer p.Stop()
	const n = 10000
	var mu sync.Mutex
	seen := make(map[int32][]int)
	var wg sync.WaitGroup
	wg.Add(n * 4)
	for i := 0; i < n; i++ {
		for pid := int32(0); pid < 4; pid++ {
			i, pid := i, pid
			if err := p.Submit(pid, Func(func() {
				mu.Lock()
				seen[pid] = append(seen[pid], i)
				mu.Unlock()
				wg.Done()
			})); err != nil {
				t.Fatal(err)
			}
		}
	}
	wg.Wait()
	for pid, xs := range seen {
		for i, x := range xs {
			if x != i {
				t.Fatalf("partition %d: task %d ran at position %d", pid, x, i)
			}
		}
	}
}

func TestOverloadAndStop(t *testing.T) {
	p := New(1, 2)
	block := make(chan struct{})
	started := make(chan struct{})
	_ = p.Submit(0, Func(func() { close(started); <-block }))
	<-started
	_ = p.Submit(0, Func(func() {}))
	_ = p.Submit(0, Func(func() {}))
	if err := p.Submit(0, Func(func() {})); err != ErrOverloaded {
		t.Fatalf("err = %v, want ErrOverloaded", err)
	}
	close(block)
	p.Stop()
	if err := p.Submit(0, Func(func() {})); err != ErrStopped {
		t.Fatalf("after stop: %v", err)
	}
}

func TestAfter(t *testing.T) {
	p := New(2, 0)
	defer p.Stop()
	var ran atomic.Bool
	done := make(chan struct{})
	p.After(1, time.Millisecond, func() { ran.Store(true); close(done) })
	<-done
	if !ran.Load() {
		t.Fatal("timer task did not run")
	}
	stop := p.After(1, time.Hour, func() { t.Error("stopped timer ran") })
	if !stop() {
		t.Fatal("stop reported the timer had fired")
	}
}

func BenchmarkSubmit(b *testing.B) {
	p := New(2, 0)
	defer p.Stop()
	var wg sync.WaitGroup
	fn := func(any) { wg.Done() }
	b.ReportAllocs()
	wg.Add(b.N)
	for i := 0; i < b.N; i++ {
		_ = p.Submit(int32(i), Task{Fn: fn})
	}
	wg.Wait()
}

func TestAfterBatchHook(t *testing.T) {
	var ran, hooked atomic.Int32
	done := make(chan struct{})
	p := NewWithHook(2, 0, func(w int) {
		if w < 0 || w > 1 {
			t.Errorf("hook got worker %d", w)
		}
		if hooked.Add(1) > 0 && ran.Load() == 20 {
			select {
			case <-done:
			default:
				close(done)
			}
		}
	})
	defer p.Stop()
	for i := 0; i < 20; i++ {
		_ = p.Submit(int32(i), Func(func() { ran.Add(1) }))
	}
	<-done
	if hooked.Load() == 0 {
		t.Fatal("hook never ran")
	}
}
