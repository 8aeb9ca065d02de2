package server

import (
	"time"

	"github.com/filbert/filbert/codec"
	"github.com/filbert/filbert/imap"
	"github.com/filbert/filbert/partition"
	"github.com/filbert/filbert/protocol"
)

// forever means "wait until the lock is released".
const forever = time.Duration(-1)

func (r request) owner(thread int64) imap.Owner {
	return imap.Owner{Client: r.c.client.uuid, Thread: thread}
}

func millis(ms int64) time.Duration {
	if ms < 0 {
		return forever
	}
	return time.Duration(ms) * time.Millisecond
}

// decoded wraps a handler body with the request decoder: a request that
// does not decode gets an error response; the connection stays usable.
func decoded[T any](decode func(protocol.Message) (T, error), body func(m *Member, r request, req *T)) handler {
	return func(m *Member, r request) error {
		req, err := decode(r.msg)
		if err != nil {
			m.log.Debug().Uint64("conn", r.c.id).Err(err).Str("message", codec.MessageName(r.typ)).Msg("malformed request")
			r.fail(err)
			return nil
		}
		body(m, r, &req)
		return nil
	}
}

func registerMapHandlers(add func(int32, handler)) {
	add(codec.MapPutRequestType, decoded(codec.DecodeMapPutRequest, func(m *Member, r request, q *codec.MapPutRequest) {
		m.put(r, q.Name, imap.PutArgs{Key: q.Key, Value: q.Value, TTL: q.TTL, MaxIdle: -1, Owner: r.owner(q.ThreadID)}, putOld)
	}))
	add(codec.MapPutWithMaxIdleRequestType, decoded(codec.DecodeMapPutWithMaxIdleRequest, func(m *Member, r request, q *codec.MapPutWithMaxIdleRequest) {
		m.put(r, q.Name, imap.PutArgs{Key: q.Key, Value: q.Value, TTL: q.TTL, MaxIdle: q.MaxIdle, Owner: r.owner(q.ThreadID)}, putOld)
	}))
	add(codec.MapSetRequestType, decoded(codec.DecodeMapSetRequest, func(m *Member, r request, q *codec.MapSetRequest) {
		m.put(r, q.Name, imap.PutArgs{Key: q.Key, Value: q.Value, TTL: q.TTL, MaxIdle: -1, Owner: r.owner(q.ThreadID)}, putEmpty(codec.EncodeMapSetResponse))
	}))
	add(codec.MapSetWithMaxIdleRequestType, decoded(codec.DecodeMapSetWithMaxIdleRequest, func(m *Member, r request, q *codec.MapSetWithMaxIdleRequest) {
		m.put(r, q.Name, imap.PutArgs{Key: q.Key, Value: q.Value, TTL: q.TTL, MaxIdle: q.MaxIdle, Owner: r.owner(q.ThreadID)}, func(w *protocol.Writer, _ []byte, _ bool) []byte {
			return codec.EncodeMapSetWithMaxIdleResponse(w, nil)
		})
	}))
	add(codec.MapPutTransientRequestType, decoded(codec.DecodeMapPutTransientRequest, func(m *Member, r request, q *codec.MapPutTransientRequest) {
		m.put(r, q.Name, imap.PutArgs{Key: q.Key, Value: q.Value, TTL: q.TTL, MaxIdle: -1, Owner: r.owner(q.ThreadID)}, putEmpty(codec.EncodeMapPutTransientResponse))
	}))
	add(codec.MapPutTransientWithMaxIdleRequestType, decoded(codec.DecodeMapPutTransientWithMaxIdleRequest, func(m *Member, r request, q *codec.MapPutTransientWithMaxIdleRequest) {
		m.put(r, q.Name, imap.PutArgs{Key: q.Key, Value: q.Value, TTL: q.TTL, MaxIdle: q.MaxIdle, Owner: r.owner(q.ThreadID)}, putOldVia(codec.EncodeMapPutTransientWithMaxIdleResponse))
	}))
	add(codec.MapPutIfAbsentRequestType, decoded(codec.DecodeMapPutIfAbsentRequest, func(m *Member, r request, q *codec.MapPutIfAbsentRequest) {
		m.put(r, q.Name, imap.PutArgs{Key: q.Key, Value: q.Value, TTL: q.TTL, MaxIdle: -1, Owner: r.owner(q.ThreadID), IfAbsent: true}, putOldVia(codec.EncodeMapPutIfAbsentResponse))
	}))
	add(codec.MapPutIfAbsentWithMaxIdleRequestType, decoded(codec.DecodeMapPutIfAbsentWithMaxIdleRequest, func(m *Member, r request, q *codec.MapPutIfAbsentWithMaxIdleRequest) {
		m.put(r, q.Name, imap.PutArgs{Key: q.Key, Value: q.Value, TTL: q.TTL, MaxIdle: q.MaxIdle, Owner: r.owner(q.ThreadID), IfAbsent: true}, putOldVia(codec.EncodeMapPutIfAbsentWithMaxIdleResponse))
	}))
	add(codec.MapReplaceRequestType, decoded(codec.DecodeMapReplaceRequest, func(m *Member, r request, q *codec.MapReplaceRequest) {
		m.put(r, q.Name, imap.PutArgs{Key: q.Key, Value: q.Value, TTL: -1, MaxIdle: -1, Owner: r.owner(q.ThreadID), IfPresent: true}, putOldVia(codec.EncodeMapReplaceResponse))
	}))
	add(codec.MapReplaceIfSameRequestType, decoded(codec.DecodeMapReplaceIfSameRequest, func(m *Member, r request, q *codec.MapReplaceIfSameRequest) {
		m.put(r, q.Name, imap.PutArgs{Key: q.Key, Value: q.Value, TTL: -1, MaxIdle: -1, Owner: r.owner(q.ThreadID), Expect: q.TestValue}, putStored(codec.EncodeMapReplaceIfSameResponse))
	}))
	add(codec.MapTryPutRequestType, decoded(codec.DecodeMapTryPutRequest, func(m *Member, r request, q *codec.MapTryPutRequest) {
		a := imap.PutArgs{Key: q.Key, Value: q.Value, TTL: -1, MaxIdle: -1, Owner: r.owner(q.ThreadID)}
		m.onKey(r, q.Name, q.Key, millis(q.Timeout), func(p *imap.Partition, w *protocol.Writer) ([]byte, error) {
			_, _, err := p.Put(q.Name, a)
			if err != nil {
				return nil, err
			}
			return codec.EncodeMapTryPutResponse(w, true), nil
		}, func(w *protocol.Writer) []byte { return codec.EncodeMapTryPutResponse(w, false) })
	}))
	add(codec.MapGetRequestType, decoded(codec.DecodeMapGetRequest, func(m *Member, r request, q *codec.MapGetRequest) {
		m.onKey(r, q.Name, q.Key, forever, func(p *imap.Partition, w *protocol.Writer) ([]byte, error) {
			return codec.EncodeMapGetResponse(w, p.Get(q.Name, q.Key)), nil
		}, nil)
	}))
	add(codec.MapContainsKeyRequestType, decoded(codec.DecodeMapContainsKeyRequest, func(m *Member, r request, q *codec.MapContainsKeyRequest) {
		m.onKey(r, q.Name, q.Key, forever, func(p *imap.Partition, w *protocol.Writer) ([]byte, error) {
			return codec.EncodeMapContainsKeyResponse(w, p.ContainsKey(q.Name, q.Key)), nil
		}, nil)
	}))
	add(codec.MapRemoveRequestType, decoded(codec.DecodeMapRemoveRequest, func(m *Member, r request, q *codec.MapRemoveRequest) {
		m.remove(r, q.Name, imap.RemoveArgs{Key: q.Key, Owner: r.owner(q.ThreadID)}, forever, func(w *protocol.Writer, old []byte, _ bool) []byte {
			return codec.EncodeMapRemoveResponse(w, old)
		}, nil)
	}))
	add(codec.MapDeleteRequestType, decoded(codec.DecodeMapDeleteRequest, func(m *Member, r request, q *codec.MapDeleteRequest) {
		m.remove(r, q.Name, imap.RemoveArgs{Key: q.Key, Owner: r.owner(q.ThreadID)}, forever, func(w *protocol.Writer, _ []byte, ok bool) []byte {
			return codec.EncodeMapDeleteResponse(w, ok)
		}, nil)
	}))
	add(codec.MapRemoveIfSameRequestType, decoded(codec.DecodeMapRemoveIfSameRequest, func(m *Member, r request, q *codec.MapRemoveIfSameRequest) {
		m.remove(r, q.Name, imap.RemoveArgs{Key: q.Key, Owner: r.owner(q.ThreadID), Expect: q.Value}, forever, func(w *protocol.Writer, _ []byte, ok bool) []byte {
			return codec.EncodeMapRemoveIfSameResponse(w, ok)
		}, nil)
	}))
	add(codec.MapTryRemoveRequestType, decoded(codec.DecodeMapTryRemoveRequest, func(m *Member, r request, q *codec.MapTryRemoveRequest) {
		m.remove(r, q.Name, imap.RemoveArgs{Key: q.Key, Owner: r.owner(q.ThreadID)}, millis(q.Timeout), func(w *protocol.Writer, _ []byte, removed bool) []byte {
			return codec.EncodeMapTryRemoveResponse(w, removed)
		}, func(w *protocol.Writer) []byte { return codec.EncodeMapTryRemoveResponse(w, false) })
	}))
	add(codec.MapEvictRequestType, decoded(codec.DecodeMapEvictRequest, func(m *Member, r request, q *codec.MapEvictRequest) {
		m.remove(r, q.Name, imap.RemoveArgs{Key: q.Key, Owner: r.owner(q.ThreadID), Evict: true}, forever, func(w *protocol.Writer, _ []byte, ok bool) []byte {
			return codec.EncodeMapEvictResponse(w, ok)
		}, nil)
	}))
	add(codec.MapSetTTLRequestType, decoded(codec.DecodeMapSetTTLRequest, func(m *Member, r request, q *codec.MapSetTTLRequest) {
		m.onKey(r, q.Name, q.Key, forever, func(p *imap.Partition, w *protocol.Writer) ([]byte, error) {
			return codec.EncodeMapSetTTLResponse(w, p.SetTTL(q.Name, q.Key, q.TTL)), nil
		}, nil)
	}))
	add(codec.MapGetEntryViewRequestType, decoded(codec.DecodeMapGetEntryViewRequest, func(m *Member, r request, q *codec.MapGetEntryViewRequest) {
		m.onKey(r, q.Name, q.Key, forever, func(p *imap.Partition, w *protocol.Writer) ([]byte, error) {
			v := p.EntryView(q.Name, q.Key)
			if v == nil {
				return codec.EncodeMapGetEntryViewResponse(w, nil, 0), nil
			}
			sev := codec.SimpleEntryView{
				Key: v.Key, Value: v.Value, Cost: v.Cost, CreationTime: v.CreationTime,
				ExpirationTime: v.ExpirationTime, Hits: v.Hits, LastAccessTime: v.LastAccessTime,
				LastStoredTime: v.LastStoredTime, LastUpdateTime: v.LastUpdateTime, Version: v.Version,
				TTL: v.TTL, MaxIdle: v.MaxIdle,
			}
			return codec.EncodeMapGetEntryViewResponse(w, &sev, v.MaxIdle), nil
		}, nil)
	}))
	registerMapLockHandlers(add)
	registerMapBulkHandlers(add)
	registerMapListenerHandlers(add)
}

// putResult encodes a put-family response.
type putResult func(w *protocol.Writer, old []byte, stored bool) []byte

func putOld(w *protocol.Writer, old []byte, _ bool) []byte { return codec.EncodeMapPutResponse(w, old) }

func putOldVia(enc func(*protocol.Writer, []byte) []byte) putResult {
	return func(w *protocol.Writer, old []byte, _ bool) []byte { return enc(w, old) }
}

func putEmpty(enc func(*protocol.Writer) []byte) putResult {
	return func(w *protocol.Writer, _ []byte, _ bool) []byte { return enc(w) }
}

func putStored(enc func(*protocol.Writer, bool) []byte) putResult {
	return func(w *protocol.Writer, _ []byte, ok bool) []byte { return enc(w, ok) }
}

func (m *Member) put(r request, name string, a imap.PutArgs, res putResult) {
	m.onKey(r, name, a.Key, forever, func(p *imap.Partition, w *protocol.Writer) ([]byte, error) {
		old, stored, err := p.Put(name, a)
		if err != nil {
			return nil, err
		}
		return res(w, old, stored), nil
	}, nil)
}

func (m *Member) remove(r request, name string, a imap.RemoveArgs, timeout time.Duration, res putResult, onTimeout func(*protocol.Writer) []byte) {
	m.onKey(r, name, a.Key, timeout, func(p *imap.Partition, w *protocol.Writer) ([]byte, error) {
		old, removed, err := p.Remove(name, a)
		if err != nil {
			return nil, err
		}
		return res(w, old, removed), nil
	}, onTimeout)
}

func registerMapLockHandlers(add func(int32, handler)) {
	add(codec.MapLockRequestType, decoded(codec.DecodeMapLockRequest, func(m *Member, r request, q *codec.MapLockRequest) {
		o := r.owner(q.ThreadID)
		m.onKey(r, q.Name, q.Key, forever, func(p *imap.Partition, w *protocol.Writer) ([]byte, error) {
			if !p.Lock(q.Name, q.Key, o, q.TTL) {
				return nil, imap.ErrLocked
			}
			return codec.EncodeMapLockResponse(w), nil
		}, nil)
	}))
	add(codec.MapTryLockRequestType, decoded(codec.DecodeMapTryLockRequest, func(m *Member, r request, q *codec.MapTryLockRequest) {
		o := r.owner(q.ThreadID)
		m.onKey(r, q.Name, q.Key, millis(q.Timeout), func(p *imap.Partition, w *protocol.Writer) ([]byte, error) {
			if !p.Lock(q.Name, q.Key, o, q.Lease) {
				return nil, imap.ErrLocked
			}
			return codec.EncodeMapTryLockResponse(w, true), nil
		}, func(w *protocol.Writer) []byte { return codec.EncodeMapTryLockResponse(w, false) })
	}))
	add(codec.MapUnlockRequestType, decoded(codec.DecodeMapUnlockRequest, func(m *Member, r request, q *codec.MapUnlockRequest) {
		o := r.owner(q.ThreadID)
		m.onKey(r, q.Name, q.Key, forever, func(p *imap.Partition, w *protocol.Writer) ([]byte, error) {
			if err := p.Unlock(q.Name, q.Key, o); err != nil {
				return nil, err
			}
			return codec.EncodeMapUnlockResponse(w), nil
		}, nil)
	}))
	add(codec.MapForceUnlockRequestType, decoded(codec.DecodeMapForceUnlockRequest, func(m *Member, r request, q *codec.MapForceUnlockRequest) {
		m.onKey(r, q.Name, q.Key, forever, func(p *imap.Partition, w *protocol.Writer) ([]byte, error) {
			p.ForceUnlock(q.Name, q.Key)
			return codec.EncodeMapForceUnlockResponse(w), nil
		}, nil)
	}))
	add(codec.MapIsLockedRequestType, decoded(codec.DecodeMapIsLockedRequest, func(m *Member, r request, q *codec.MapIsLockedRequest) {
		m.onKey(r, q.Name, q.Key, forever, func(p *imap.Partition, w *protocol.Writer) ([]byte, error) {
			return codec.EncodeMapIsLockedResponse(w, p.IsLocked(q.Name, q.Key)), nil
		}, nil)
	}))
}

// groupByPartition splits keys (or entries) by partition.
func (m *Member) groupByPartition(n int, key func(i int) []byte) map[int32][]int {
	groups := make(map[int32][]int)
	for i := 0; i < n; i++ {
		pid := partition.ID(key(i), int(m.pcount))
		groups[pid] = append(groups[pid], i)
	}
	return groups
}
