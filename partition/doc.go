// Package partition maps serialized keys to partition ids exactly as
// Hazelcast members and clients do, and holds the partition table that a
// member hands to its clients.
//
// # Partition id of a key
//
// A key arrives as a serialized Hazelcast Data blob:
//
//	bytes 0-3  partition hash, big-endian int32 (0 = none)
//	bytes 4-7  serializer type id, big-endian int32
//	bytes 8-   payload
//
// [Hash] returns the blob's partition hash: the value in bytes 0-3 when it is
// non-zero (partition-aware keys), otherwise MurmurHash3 x86 32-bit with seed
// [Seed] over bytes 8 onwards, read as a signed int32. [HashToIndex] turns a
// hash into a partition id with Hazelcast's rule (math.MinInt32 maps to 0,
// every other hash to abs(hash) % count), and [ID] does both steps.
//
// Blobs shorter than 8 bytes are not valid Data (Hazelcast rejects lengths
// 1..7 and treats the empty blob as null). They are hashed as an empty
// payload, the value Hazelcast's HeapData gives the empty blob, so every input
// has a well-defined id and none of these functions panic or allocate.
//
// # Partition table
//
// [Table] is an immutable snapshot of who owns each partition, with the
// version number the protocol sends along with it. Owners are [UUID] values
// laid out as the protocol carries them (most and least significant 64 bits),
// so a protocol.UUID converts with a plain type conversion.
package partition
