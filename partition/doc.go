// Package partition maps serialized keys to partition ids exactly as
// Hazelcast members and clients do, holds the partition table that a
// member hands to its clients, and assigns partition replicas to members.
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
//
// # Replicas and their assignment
//
// [ReplicaTable] extends this to every replica: for each partition the owner
// (replica 0) and up to six backups (replicas 1..6), as Hazelcast numbers
// them, with the same kind of version. [Assign] computes the table for a
// member list (oldest member first) from the one in force. Its rules, which
// follow Hazelcast's PartitionStateGeneratorImpl with a stricter balance:
//
//   - a partition has min(members, 1 + backups) replicas, never two on one
//     member, and always an owner while there is a member;
//   - for every replica index each member holds floor or ceil of
//     partitions/members (271 partitions on 3 members: 90, 90 and 91
//     owners), the extra ones rotating over replica indexes so that
//     members' replica totals differ by at most one (Hazelcast allows about
//     ±3 or ±10%);
//   - replicas of departed members are dropped and colder replicas shift up
//     in order, so a departed owner's first surviving backup becomes the
//     owner (unless several members left at once and balance forbids it);
//   - as little as possible moves: a joining member takes its share per
//     replica index and no other owner changes; after a member leaves, its
//     partitions change owner and, as a rule, no others; replicas that must
//     move prefer members already holding a copy, and each owner's backups
//     are spread evenly over the other members so that later promotions
//     stay balanced (backups may swap replica indexes for that, which moves
//     no data);
//   - the result depends only on the inputs, and the version goes up by one
//     exactly when the placement changes.
//
// After a crash, [Promote] gives the table to publish at once (promotions
// only, nothing rebalanced), and Assign on it the balanced target.
// [ReplicaTable.Diff] lists the replica moves between two tables, each with a
// surviving member to copy the data from.
package partition
