package server

import (
	"sync"
	"sync/atomic"

	"github.com/filbert/filbert/codec"
	"github.com/filbert/filbert/imap"
	"github.com/filbert/filbert/protocol"
	"github.com/filbert/filbert/worker"
)

// Map-wide operations fan out to every worker; each worker fills its own
// slot and the last one to finish encodes the response.

func registerMapBulkHandlers(add func(int32, handler)) {
	add(codec.MapSizeRequestType, decoded(codec.DecodeMapSizeRequest, func(m *Member, r request, q *codec.MapSizeRequest) {
		m.countEntries(r, q.Name, func(w *protocol.Writer, n int) []byte { return codec.EncodeMapSizeResponse(w, int32(n)) })
	}))
	add(codec.MapIsEmptyRequestType, decoded(codec.DecodeMapIsEmptyRequest, func(m *Member, r request, q *codec.MapIsEmptyRequest) {
		m.countEntries(r, q.Name, func(w *protocol.Writer, n int) []byte { return codec.EncodeMapIsEmptyResponse(w, n == 0) })
	}))
	add(codec.MapContainsValueRequestType, decoded(codec.DecodeMapContainsValueRequest, func(m *Member, r request, q *codec.MapContainsValueRequest) {
		found := make([]bool, m.pool.Size())
		m.fanOut(r, func(p *imap.Partition, slot int) {
			found[slot] = found[slot] || p.ContainsValue(q.Name, q.Value)
		}, func() {
			any := false
			for _, f := range found {
				any = any || f
			}
			w := newWriter()
			r.reply(codec.EncodeMapContainsValueResponse(&w, any))
		})
	}))
	add(codec.MapClearRequestType, decoded(codec.DecodeMapClearRequest, func(m *Member, r request, q *codec.MapClearRequest) {
		m.clearAll(r, q.Name, imap.EventClearAll, func(w *protocol.Writer) []byte { return codec.EncodeMapClearResponse(w) })
	}))
	add(codec.MapEvictAllRequestType, decoded(codec.DecodeMapEvictAllRequest, func(m *Member, r request, q *codec.MapEvictAllRequest) {
		m.clearAll(r, q.Name, imap.EventEvictAll, func(w *protocol.Writer) []byte { return codec.EncodeMapEvictAllResponse(w) })
	}))
	add(codec.MapFlushRequestType, decoded(codec.DecodeMapFlushRequest, func(m *Member, r request, q *codec.MapFlushRequest) {
		// No map store: nothing to flush.
		w := newWriter()
		r.reply(codec.EncodeMapFlushResponse(&w))
	}))
	add(codec.MapKeySetRequestType, decoded(codec.DecodeMapKeySetRequest, func(m *Member, r request, q *codec.MapKeySetRequest) {
		keys := make([][][]byte, m.pool.Size())
		m.fanOut(r, func(p *imap.Partition, slot int) {
			p.Entries(q.Name, func(k, _ []byte) { keys[slot] = append(keys[slot], k) })
		}, func() {
			w := newWriter()
			r.reply(codec.EncodeMapKeySetResponse(&w, concat(keys)))
		})
	}))
	add(codec.MapValuesRequestType, decoded(codec.DecodeMapValuesRequest, func(m *Member, r request, q *codec.MapValuesRequest) {
		vals := make([][][]byte, m.pool.Size())
		m.fanOut(r, func(p *imap.Partition, slot int) {
			// Values are immutable once stored (a put replaces the slice),
			// so keeping the reference until encoding is safe.
			p.Entries(q.Name, func(_, v []byte) { vals[slot] = append(vals[slot], v) })
		}, func() {
			w := newWriter()
			r.reply(codec.EncodeMapValuesResponse(&w, concat(vals)))
		})
	}))
	add(codec.MapEntrySetRequestType, decoded(codec.DecodeMapEntrySetRequest, func(m *Member, r request, q *codec.MapEntrySetRequest) {
		ents := make([][]codec.Entry[[]byte, []byte], m.pool.Size())
		m.fanOut(r, func(p *imap.Partition, slot int) {
			p.Entries(q.Name, func(k, v []byte) {
				ents[slot] = append(ents[slot], codec.Entry[[]byte, []byte]{Key: k, Value: v})
			})
		}, func() {
			w := newWriter()
			r.reply(codec.EncodeMapEntrySetResponse(&w, concat(ents)))
		})
	}))
	add(codec.MapPutAllRequestType, decoded(codec.DecodeMapPutAllRequest, func(m *Member, r request, q *codec.MapPutAllRequest) {
		groups := m.groupByPartition(len(q.Entries), func(i int) []byte { return q.Entries[i].Key })
		run := func(r request) {
			m.perPartition(r, groups, func(p *imap.Partition, idx []int, _ *sync.Mutex) {
				for _, i := range idx {
					e := q.Entries[i]
					_, _, _ = p.Put(q.Name, imap.PutArgs{Key: e.Key, Value: e.Value, TTL: -1, MaxIdle: -1, IgnoreLock: true})
					m.replicateKey(p, q.Name, e.Key)
				}
			}, func(w *protocol.Writer) []byte { return codec.EncodeMapPutAllResponse(w) })
		}
		if remote := m.splitRemote(r, groups); len(remote) > 0 {
			m.gather(r, remote, func(idx []int) []byte {
				sub := codec.MapPutAllRequest{Name: q.Name, TriggerMapLoader: q.TriggerMapLoader}
				for _, i := range idx {
					sub.Entries = append(sub.Entries, q.Entries[i])
				}
				w := newWriter()
				return codec.EncodeMapPutAllRequest(&w, -1, &sub)
			}, run, firstPart)
			return
		}
		run(r)
	}))
	add(codec.MapGetAllRequestType, decoded(codec.DecodeMapGetAllRequest, func(m *Member, r request, q *codec.MapGetAllRequest) {
		groups := m.groupByPartition(len(q.Keys), func(i int) []byte { return q.Keys[i] })
		run := func(r request) {
			var out []codec.Entry[[]byte, []byte]
			m.perPartition(r, groups, func(p *imap.Partition, idx []int, mu *sync.Mutex) {
				var local []codec.Entry[[]byte, []byte]
				for _, i := range idx {
					if v := p.Get(q.Name, q.Keys[i]); v != nil {
						local = append(local, codec.Entry[[]byte, []byte]{Key: q.Keys[i], Value: v})
					}
				}
				mu.Lock()
				out = append(out, local...)
				mu.Unlock()
			}, func(w *protocol.Writer) []byte { return codec.EncodeMapGetAllResponse(w, out) })
		}
		if remote := m.splitRemote(r, groups); len(remote) > 0 {
			m.gather(r, remote, func(idx []int) []byte {
				sub := codec.MapGetAllRequest{Name: q.Name}
				for _, i := range idx {
					sub.Keys = append(sub.Keys, q.Keys[i])
				}
				w := newWriter()
				return codec.EncodeMapGetAllRequest(&w, -1, &sub)
			}, run, func(parts []protocol.Message) ([]byte, error) {
				var all []codec.Entry[[]byte, []byte]
				for _, p := range parts {
					r, err := codec.DecodeMapGetAllResponse(p)
					if err != nil {
						return nil, err
					}
					all = append(all, r.Response...)
				}
				w := newWriter()
				return codec.EncodeMapGetAllResponse(&w, all), nil
			})
			return
		}
		run(r)
	}))
}

// countEntries counts a map's live entries on every partition and answers
// with respond.
func (m *Member) countEntries(r request, name string, respond func(w *protocol.Writer, n int) []byte) {
	counts := make([]int, m.pool.Size())
	m.fanOut(r, func(p *imap.Partition, slot int) { counts[slot] += p.Size(name) }, func() {
		w := newWriter()
		r.reply(respond(&w, sum(counts)))
	})
}

// perPartition runs fn on each partition of groups and answers once all
// are done.
func (m *Member) perPartition(r request, groups map[int32][]int, fn func(p *imap.Partition, idx []int, mu *sync.Mutex), respond func(*protocol.Writer) []byte) {
	if len(groups) == 0 {
		w := newWriter()
		r.reply(respond(&w))
		return
	}
	var mu sync.Mutex
	var left atomic.Int32
	left.Store(int32(len(groups)))
	var failed atomic.Bool
	for pid, idx := range groups {
		pid, idx := pid, idx
		err := m.pool.Submit(pid, worker.Func(func() {
			if !m.pstate[pid].active {
				if !failed.Swap(true) {
					r.wake = nil
					r.fail(retryable("partition %d is migrating", pid))
				}
				return
			}
			fn(m.partitions[pid], idx, &mu)
			finish := func(r request) {
				if left.Add(-1) == 0 && !failed.Load() {
					w := newWriter()
					r.reply(respond(&w))
				}
			}
			async := r
			async.wake = nil
			if !m.shipBatch(pid, func(bool) { finish(async) }) {
				finish(r)
			}
		}))
		if err != nil && !failed.Swap(true) {
			r.fail(err)
		}
	}
}

// clearAll clears (or evicts) a map on every partition and publishes one
// map-wide event with the number of entries affected.
func (m *Member) clearAll(r request, name string, event int32, respond func(*protocol.Writer) []byte) {
	counts := make([]int, m.pool.Size())
	m.fanOut(r, func(p *imap.Partition, slot int) {
		m.persistClearMap(p, name)
		counts[slot] += p.Clear(name, event == imap.EventEvictAll)
		m.replicateClear(p, name)
		m.shipBatch(p.ID, func(bool) {})
	}, func() {
		if n := sum(counts); n > 0 && m.listeners.Wants(name) {
			m.listeners.Publish(-1, imap.Event{Map: name, Type: event, Affected: int32(n)})
		}
		w := newWriter()
		r.reply(respond(&w))
	})
}

func sum(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}

func concat[T any](parts [][]T) []T {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	out := make([]T, 0, n)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
