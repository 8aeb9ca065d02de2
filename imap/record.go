package imap

import "encoding/binary"

// Record is one map entry with the statistics Hazelcast's EntryView exposes.
// Times are Unix milliseconds.
type Record struct {
	Hash           int32 // bytes 0-3 of the key as the client sent them
	Value          []byte
	CreationTime   int64
	LastAccessTime int64
	LastUpdateTime int64
	Hits           int64
	Version        int64
	// TTL and MaxIdle are in milliseconds; 0 means unlimited.
	TTL     int64
	MaxIdle int64
}

// ExpirationTime returns when r expires, or 0 (never; Hazelcast reports
// Long.MAX_VALUE as "never", see EntryView).
func (r *Record) ExpirationTime() int64 {
	var exp int64
	if r.TTL > 0 {
		exp = r.LastUpdateTime + r.TTL
	}
	if r.MaxIdle > 0 {
		last := max(r.LastAccessTime, r.LastUpdateTime)
		if e := last + r.MaxIdle; exp == 0 || e < exp {
			exp = e
		}
	}
	return exp
}

// Expired reports whether r has expired at now.
func (r *Record) Expired(now int64) bool {
	exp := r.ExpirationTime()
	return exp != 0 && now >= exp
}

// Cost estimates the heap bytes r takes, as EntryView.getCost does.
func (r *Record) Cost(keyLen int) int64 {
	return int64(keyLen + len(r.Value) + 96)
}

// keyID returns the identity of a serialized key: bytes from 4 on.
func keyID(key []byte) string {
	if len(key) < 4 {
		return string(key)
	}
	return string(key[4:])
}

// fullKey rebuilds the serialized key from its identity and hash bytes.
func fullKey(id string, hash int32) []byte {
	b := make([]byte, 4+len(id))
	binary.BigEndian.PutUint32(b, uint32(hash))
	copy(b[4:], id)
	return b
}

// keyHash returns bytes 0-3 of a serialized key.
func keyHash(key []byte) int32 {
	if len(key) < 4 {
		return 0
	}
	return int32(binary.BigEndian.Uint32(key))
}

// clone copies b so the store does not alias a message buffer.
func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	c := make([]byte, len(b))
	copy(c, b)
	return c
}
