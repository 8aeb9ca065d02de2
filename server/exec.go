package server

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/filbert/filbert/codec"
	"github.com/filbert/filbert/imap"
	"github.com/filbert/filbert/partition"
	"github.com/filbert/filbert/protocol"
	"github.com/filbert/filbert/worker"
)

// partitionOp runs on a partition's worker and returns the encoded
// response, or an error. imap.ErrLocked parks the operation until the key is
// unlocked.
type partitionOp func(p *imap.Partition, w *protocol.Writer) ([]byte, error)

// partitionFor returns the partition of a request: the id the client put in
// the header, or the key's own when the header has none.
func (m *Member) partitionFor(r request, key []byte) int32 {
	if r.pid >= 0 && r.pid < m.pcount {
		return r.pid
	}
	return partition.ID(key, int(m.pcount))
}

// onKey runs op on the worker of key's partition and answers r. If the key
// is locked by another owner the operation waits; with timeout >= 0 it gives
// up after timeout and answers with onTimeout.
func (m *Member) onKey(r request, name string, key []byte, timeout time.Duration, op partitionOp, onTimeout func(w *protocol.Writer) []byte) {
	pid := m.partitionFor(r, key)
	m.onPartition(r, pid, name, key, timeout, op, onTimeout)
}

func (m *Member) onPartition(r request, pid int32, name string, key []byte, timeout time.Duration, op partitionOp, onTimeout func(w *protocol.Writer) []byte) {
	k := keyedOpPool.Get().(*keyedOp)
	*k = keyedOp{m: m, r: r, pid: pid, name: name, key: key, timeout: timeout, op: op, onTimeout: onTimeout}
	if err := m.pool.Submit(pid, worker.Task{Fn: runKeyedOp, Arg: k}); err != nil {
		keyedOpPool.Put(k)
		r.fail(err)
	}
}

// keyedOp is one queued single-partition operation. It is pooled: the hot
// path allocates neither a closure nor a task.
type keyedOp struct {
	m         *Member
	r         request
	pid       int32
	name      string
	key       []byte
	timeout   time.Duration
	op        partitionOp
	onTimeout func(w *protocol.Writer) []byte
}

var keyedOpPool = sync.Pool{New: func() any { return new(keyedOp) }}

func runKeyedOp(arg any) {
	k := arg.(*keyedOp)
	if k.attempt() {
		*k = keyedOp{}
		keyedOpPool.Put(k)
	}
}

// attempt runs the operation on its partition's worker. It reports whether
// k is finished (false: parked on a locked key, k stays alive).
func (k *keyedOp) attempt() bool {
	p := k.m.partitions[k.pid]
	if !k.m.pstate[k.pid].active {
		if readOnly[k.r.typ] && k.m.readFromBackup(k.r, k.pid, k.name, k.key) {
			return true
		}
		k.m.notOwned(k.r, k.pid)
		return true
	}
	k.r.wake = &k.m.wakeLists[k.m.pool.WorkerOf(k.pid)]
	w := newWriter()
	b, err := k.op(p, &w)
	switch {
	case err == imap.ErrLocked:
		putBuf(w.Finish())
		if k.timeout == 0 && k.onTimeout != nil {
			w = newWriter()
			k.r.reply(k.onTimeout(&w))
			return true
		}
		k.r.c.parked.Add(1)
		p.Park(k.name, k.key, k.timeout, &imap.Parked{
			Retry: func() {
				k.r.c.parked.Add(-1)
				k.attempt()
			},
			Timeout: func() {
				k.r.c.parked.Add(-1)
				w := newWriter()
				k.r.reply(k.onTimeout(&w))
			},
		})
		return false
	case err != nil:
		putBuf(w.Finish())
		k.r.fail(err)
	default:
		if (k.m.persist != nil || k.m.clustered()) && mutating[k.r.typ] {
			k.m.replicateKey(p, k.name, k.key)
		}
		k.m.replyAfterBackups(k.r, k.pid, b)
	}
	return true
}

// mutating lists the keyed requests whose key's state is shipped to the
// backups after they run.
var mutating = map[int32]bool{
	codec.MapPutRequestType:                     true,
	codec.MapPutWithMaxIdleRequestType:          true,
	codec.MapSetRequestType:                     true,
	codec.MapSetWithMaxIdleRequestType:          true,
	codec.MapPutTransientRequestType:            true,
	codec.MapPutTransientWithMaxIdleRequestType: true,
	codec.MapPutIfAbsentRequestType:             true,
	codec.MapPutIfAbsentWithMaxIdleRequestType:  true,
	codec.MapReplaceRequestType:                 true,
	codec.MapReplaceIfSameRequestType:           true,
	codec.MapTryPutRequestType:                  true,
	codec.MapRemoveRequestType:                  true,
	codec.MapDeleteRequestType:                  true,
	codec.MapRemoveIfSameRequestType:            true,
	codec.MapTryRemoveRequestType:               true,
	codec.MapEvictRequestType:                   true,
	codec.MapSetTTLRequestType:                  true,
	codec.MapLockRequestType:                    true,
	codec.MapTryLockRequestType:                 true,
	codec.MapUnlockRequestType:                  true,
	codec.MapForceUnlockRequestType:             true,
}

// readOnly lists the keyed reads a backup replica may serve when the map
// has read-backup-data.
var readOnly = map[int32]bool{
	codec.MapGetRequestType:         true,
	codec.MapContainsKeyRequestType: true,
}

// fanOut runs each on every partition, grouped by worker, and calls done
// on the worker that finishes last. each gets the worker index so results
// can go to per-worker slots without locking.
func (m *Member) fanOut(r request, each func(p *imap.Partition, slot int), done func()) {
	n := m.pool.Size()
	var left atomic.Int32
	left.Store(int32(n))
	for i := 0; i < n; i++ {
		slot := i
		err := m.pool.SubmitWorker(i, worker.Func(func() {
			for pid := int32(slot); pid < m.pcount; pid += int32(n) {
				if m.pstate[pid].active {
					each(m.partitions[pid], slot)
				}
			}
			if left.Add(-1) == 0 {
				done()
			}
		}))
		if err != nil {
			if left.Add(-int32(n-i)) <= 0 {
				r.fail(err)
			}
			return
		}
	}
}

// onEveryPartition queues fn for every partition on its worker, without
// waiting (for housekeeping that answers nobody).
func (m *Member) onEveryPartition(fn func(p *imap.Partition)) {
	n := m.pool.Size()
	for i := 0; i < n; i++ {
		slot := i
		_ = m.pool.SubmitWorker(i, worker.Func(func() {
			for pid := int32(slot); pid < m.pcount; pid += int32(n) {
				fn(m.partitions[pid])
			}
		}))
	}
}

// sweepExpired asks every worker to expire due entries of the partitions
// this member owns; backups hear of expiries from the owner.
func (m *Member) sweepExpired() {
	m.onEveryPartition(func(p *imap.Partition) {
		if m.pstate[p.ID].active {
			p.Sweep()
			m.shipBatch(p.ID, func(bool) {})
		}
	})
}

// releaseClientLocks frees the locks a departed client held.
func (m *Member) releaseClientLocks(client protocol.UUID) {
	m.onEveryPartition(func(p *imap.Partition) { p.ReleaseClient(client) })
}

// destroyMap drops a map's data on every partition and its listeners.
func (m *Member) destroyMap(name string) {
	m.listeners.dropMap(name)
	m.onEveryPartition(func(p *imap.Partition) {
		m.persistClearMap(p, name)
		p.Destroy(name)
	})
}
