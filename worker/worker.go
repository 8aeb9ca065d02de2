// Package worker runs operations on partition workers: every partition is
// served by exactly one worker goroutine, so operations on one partition run
// in order, one at a time, and the data they touch needs no lock. Work for
// different partitions runs in parallel on different workers.
//
// Queues are unbounded slices swapped under a short mutex: a submitter never
// blocks on a full queue (the event loop must not block). A limit on queued
// tasks per worker makes Submit refuse work instead (the caller answers with
// a retryable error) so a flood cannot exhaust memory.
package worker

import (
	"errors"
	"sync"
	"time"
)

// ErrOverloaded is returned by Submit when a worker's queue is full.
var ErrOverloaded = errors.New("worker: queue full")

// ErrStopped is returned by Submit after Stop.
var ErrStopped = errors.New("worker: pool stopped")

// Task is one unit of work. Run is called on the partition's worker.
type Task struct {
	Fn  func(arg any)
	Arg any
}

// Pool is a fixed set of workers; partition p is served by worker p mod n.
type Pool struct {
	workers []*worker
	wg      sync.WaitGroup
}

type worker struct {
	mu      sync.Mutex
	queue   []Task
	spare   []Task
	notify  chan struct{}
	stopped bool
	limit   int

	index      int
	afterBatch func(int)
}

// New starts n workers (n >= 1), each accepting up to limit queued tasks
// (limit <= 0: 1<<20).
func New(n, limit int) *Pool { return NewWithHook(n, limit, nil) }

// NewWithHook is New with a hook that each worker calls, with its index,
// after every batch of tasks it ran (a batch is everything queued when the
// worker last looked). Callers use it to flush work the tasks deferred, such
// as waking an event loop once per batch instead of once per task.
func NewWithHook(n, limit int, afterBatch func(worker int)) *Pool {
	if n < 1 {
		n = 1
	}
	if limit <= 0 {
		limit = 1 << 20
	}
	p := &Pool{workers: make([]*worker, n)}
	for i := range p.workers {
		w := &worker{notify: make(chan struct{}, 1), limit: limit, index: i, afterBatch: afterBatch}
		p.workers[i] = w
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			w.loop()
		}()
	}
	return p
}

// Size returns the number of workers.
func (p *Pool) Size() int { return len(p.workers) }

// WorkerOf returns the index of the worker serving partition pid.
func (p *Pool) WorkerOf(pid int32) int {
	if pid < 0 {
		pid = -pid
	}
	return int(pid) % len(p.workers)
}

// Submit queues t on the worker of partition pid.
func (p *Pool) Submit(pid int32, t Task) error {
	return p.workers[p.WorkerOf(pid)].submit(t)
}

// SubmitWorker queues t on worker i (for work spanning all its partitions).
func (p *Pool) SubmitWorker(i int, t Task) error {
	return p.workers[i].submit(t)
}

// After runs fn on the worker of pid after d. The returned func stops the
// timer and reports whether it did so before fn was queued.
func (p *Pool) After(pid int32, d time.Duration, fn func()) func() bool {
	t := time.AfterFunc(d, func() {
		_ = p.Submit(pid, Task{Fn: runFunc, Arg: fn})
	})
	return t.Stop
}

func runFunc(arg any) { arg.(func())() }

// Func wraps fn as a Task.
func Func(fn func()) Task { return Task{Fn: runFunc, Arg: fn} }

// Stop lets the workers finish queued tasks and waits for them.
func (p *Pool) Stop() {
	for _, w := range p.workers {
		w.mu.Lock()
		w.stopped = true
		w.mu.Unlock()
		select {
		case w.notify <- struct{}{}:
		default:
		}
	}
	p.wg.Wait()
}

func (w *worker) submit(t Task) error {
	w.mu.Lock()
	if w.stopped {
		w.mu.Unlock()
		return ErrStopped
	}
	if len(w.queue) >= w.limit {
		w.mu.Unlock()
		return ErrOverloaded
	}
	w.queue = append(w.queue, t)
	first := len(w.queue) == 1
	w.mu.Unlock()
	if first {
		select {
		case w.notify <- struct{}{}:
		default:
		}
	}
	return nil
}

func (w *worker) loop() {
	for {
		w.mu.Lock()
		batch := w.queue
		w.queue = w.spare[:0]
		stopped := w.stopped
		w.mu.Unlock()
		for i := range batch {
			batch[i].Fn(batch[i].Arg)
			batch[i] = Task{}
		}
		w.spare = batch
		if len(batch) > 0 {
			if w.afterBatch != nil {
				w.afterBatch(w.index)
			}
			continue
		}
		if stopped {
			return
		}
		<-w.notify
	}
}
