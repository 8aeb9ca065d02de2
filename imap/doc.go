// Package imap holds the data of Hazelcast IMaps and the operations on it.
//
// Data is split by partition. A [Partition] owns the record stores of every
// map for one partition id and is touched only by the worker that owns that
// partition (see package worker), so nothing here takes a lock: callers
// guarantee that calls on one Partition never run concurrently.
//
// Keys and values are kept as the client serialized them (Hazelcast's BINARY
// in-memory format). Key identity is byte equality of the serialized form
// from byte 4 on (type id and payload): bytes 0-3 carry the partition hash,
// which Hazelcast ignores when comparing keys.
//
// # Memory layout and value lifetime
//
// Each entry is one pointer-free allocation: a 24-byte header (hits,
// version, creation/access/update times, flags), the key and value lengths,
// the serialized key, the value, then TTL and max idle when set (see
// entryHdr). A RecordStore finds entries through an open-addressing index
// of 9 bytes per slot (a pointer and a control byte; see index), not a
// map[string]*Record, so an entry costs ~26 bytes of header and length plus
// ~12 of index beyond its key and value, and the collector scans only the
// index. Times are kept to the millisecond as 40-bit offsets from the
// store's creation (exact within ±17 years); hits and version are 32-bit
// and saturate.
//
// Values returned by Get, Put (the old value), Remove, EntryView and
// Entries, and carried by events, alias the store. They are never written
// again: every new value (and every TTL change) builds a new entry, and the
// old bytes stay untouched until the last holder drops them. So a caller
// may keep such a value after the worker moves on — server/bulk.go keeps
// them until a fan-out completes on other workers — but must never modify
// it. Their cap equals their len, so an append copies.
//
// Operations that must wait (a lock held by another owner, a blocking lock
// request) do not block: they return [ErrLocked] (or false, for Lock), the
// caller parks them with [Partition.Park], and they are resumed on the same
// worker when the lock is released or their timeout fires.
//
// # Replication
//
// A [Record] is the whole replicable state of one key: its entry, with
// every statistic, and its lock. [Partition.ExportKey] and
// [Partition.ExportAll] read records without side effects;
// [Partition.ApplyRecord] and [Partition.ApplyRemove] install them
// silently (no events, no hits), which is how a backup follows its primary
// and how a migrating partition is rebuilt on its new owner;
// [Partition.Reset] drops a partition that migrated away. [AppendRecord]
// and [DecodeRecord] give records a compact, versioned wire form.
//
// A backup is meant not to expire entries itself (no Sweep, Size or Get on
// it; use [Partition.EntryCount] and [Partition.Peek], which change
// nothing): the primary reports each expiry through [Partition.ExpiryHook]
// and ships it as a removal, so replicas hold the same entries whatever
// their clocks, and [Partition.Digest] compares them cheaply. Lock leases
// are the exception: each replica ends them on its own clock.
package imap
