package partition

import (
	"encoding/binary"
	"math"
	"math/bits"
)

// DefaultCount is Hazelcast's default partition count
// (hazelcast.partition.count).
const DefaultCount = 271

// Seed is the MurmurHash3 seed Hazelcast uses for partition hashes.
const Seed uint32 = 0x01000193

// DataOffset is the offset of the payload in a serialized Data blob; the
// partition hash and the type id come before it.
const DataOffset = 8

const (
	c1 uint32 = 0xcc9e2d51
	c2 uint32 = 0x1b873593
)

// Murmur3 returns MurmurHash3 x86 32-bit of data with the given seed, as a
// signed int32 the way Hazelcast's Java and Go code read it. Blocks are read
// little-endian. It does not allocate.
func Murmur3(data []byte, seed uint32) int32 {
	h := seed
	n := len(data)
	p := data
	for len(p) >= 4 {
		k := binary.LittleEndian.Uint32(p)
		k *= c1
		k = bits.RotateLeft32(k, 15)
		k *= c2
		h ^= k
		h = bits.RotateLeft32(h, 13)
		h = h*5 + 0xe6546b64
		p = p[4:]
	}
	var k uint32
	switch len(p) {
	case 3:
		k ^= uint32(p[2]) << 16
		fallthrough
	case 2:
		k ^= uint32(p[1]) << 8
		fallthrough
	case 1:
		k ^= uint32(p[0])
		k *= c1
		k = bits.RotateLeft32(k, 15)
		k *= c2
		h ^= k
	}
	h ^= uint32(n)
	return int32(fmix32(h))
}

func fmix32(h uint32) uint32 {
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}

// emptyHash is the hash of an empty payload: what Hazelcast computes for the
// empty Data blob.
var emptyHash = Murmur3(nil, Seed)

// Hash returns the partition hash of a serialized Data blob key.
//
// If key is at least [DataOffset] bytes long and its first four bytes
// (big-endian) are non-zero, they are the hash (a partition-aware key, as
// Hazelcast's HeapData.getPartitionHash reads it). Otherwise the hash is
// [Murmur3] with [Seed] over key[DataOffset:]. A key shorter than
// [DataOffset] bytes is hashed as an empty payload. It does not allocate.
func Hash(key []byte) int32 {
	if len(key) < DataOffset {
		return emptyHash
	}
	if ph := int32(binary.BigEndian.Uint32(key)); ph != 0 {
		return ph
	}
	return Murmur3(key[DataOffset:], Seed)
}

// HashToIndex maps a partition hash to a partition id in [0, count) with
// Hazelcast's rule: math.MinInt32 maps to 0, any other hash to
// abs(hash) % count. A count below 1 yields 0 rather than a panic.
func HashToIndex(hash int32, count int) int32 {
	if count <= 0 || hash == math.MinInt32 {
		return 0
	}
	if hash < 0 {
		hash = -hash
	}
	return int32(int(hash) % count)
}

// ID returns the partition id of the serialized Data blob key among count
// partitions: HashToIndex(Hash(key), count).
func ID(key []byte, count int) int32 {
	return HashToIndex(Hash(key), count)
}
