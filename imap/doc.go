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
// Operations that must wait (a lock held by another owner, a blocking lock
// request) do not block: they return [ErrWouldBlock]-style results through
// the [Waiter] mechanism and are resumed on the same worker when the lock is
// released or their timeout fires.
package imap
