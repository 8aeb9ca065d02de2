package harness

import (
	"encoding/binary"
	"fmt"

	"github.com/filbert/filbert/partition"
)

// stringTypeID is the serializer id of a string in Hazelcast's
// serialization (CONSTANT_TYPE_STRING).
const stringTypeID = -11

// KeyData is the serialized Data of a string key as the Go client writes
// it: partition hash 0, type id -11 (big-endian), then the UTF-8 length and
// bytes.
func KeyData(key string) []byte {
	b := make([]byte, 12+len(key))
	typeID := int32(stringTypeID)
	binary.BigEndian.PutUint32(b[4:], uint32(typeID))
	binary.BigEndian.PutUint32(b[8:], uint32(len(key)))
	copy(b[12:], key)
	return b
}

// PartitionOf returns the partition id of a string key among count
// partitions, as the client and the member compute it.
func PartitionOf(key string, count int) int32 {
	return partition.ID(KeyData(key), count)
}

// KeysForEveryPartition returns one key per partition: keys[pid] is a key
// of the form prefix-N in partition pid.
func KeysForEveryPartition(prefix string, count int) []string {
	keys := make([]string, count)
	left := count
	for i := 0; left > 0; i++ {
		k := fmt.Sprintf("%s-%d", prefix, i)
		pid := PartitionOf(k, count)
		if keys[pid] == "" {
			keys[pid] = k
			left--
		}
	}
	return keys
}

// KeysOwnedBy returns n keys of the form prefix-N whose partition the
// member with uuid owns in pt.
func KeysOwnedBy(pt *PartitionTable, uuid, prefix string, n int) []string {
	owned := 0
	for _, o := range pt.Owners {
		if o == uuid {
			owned++
		}
	}
	if owned == 0 {
		return nil
	}
	keys := make([]string, 0, n)
	for i := 0; len(keys) < n; i++ {
		k := fmt.Sprintf("%s-%d", prefix, i)
		if pt.Owners[PartitionOf(k, len(pt.Owners))] == uuid {
			keys = append(keys, k)
		}
	}
	return keys
}
