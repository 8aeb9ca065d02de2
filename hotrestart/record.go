package hotrestart

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/cespare/xxhash/v2"
)

// Disk format constants; see the package documentation. Changing any of
// them changes the disk format.
const (
	recordMagic   byte = 0xF1
	flagTombstone byte = 1 << 0
	knownFlags         = flagTombstone

	offLength    = 0
	offMagic     = 4
	offFlags     = 5
	offStoreLen  = 6
	offPartition = 8
	offKeyLen    = 12
	offSequence  = 16
	offExpireAt  = 24
	offTTL       = 32
	offMaxIdle   = 40

	headerSize   = 48
	checksumSize = 8
	// minRecordSize is the size of a record with empty name, key and value.
	minRecordSize = headerSize + checksumSize
)

// MaxRecordSize is the largest encoded record (header, store name, key,
// value and checksum) the store writes or accepts on disk.
const MaxRecordSize = 256 << 20

// MaxStoreNameLen is the longest store (map) name a record can carry.
const MaxStoreNameLen = math.MaxUint16

// Record is one entry of the store: the latest value of a key in a store
// (map) and partition, or a tombstone that records its removal.
type Record struct {
	// Store names the data structure, typically the map name.
	Store string
	// Partition is the partition id of the key, >= 0. It chooses the
	// stripe.
	Partition int32
	// Key is the serialized key.
	Key []byte
	// Value is the serialized value; empty for a tombstone.
	Value []byte
	// Tombstone marks a removal of Key.
	Tombstone bool
	// Seq is the record's sequence number. The store assigns it when the
	// record is written and ignores the caller's value; Load reports it.
	Seq uint64
	// ExpireAt is the absolute expiration deadline in Unix milliseconds,
	// 0 for none.
	ExpireAt int64
	// TTL is the caller's time-to-live in milliseconds, stored as is.
	TTL int64
	// MaxIdle is the caller's max-idle time in milliseconds, stored as is.
	MaxIdle int64
}

// encodedSize returns the size of r's encoding, or an error if r cannot be
// encoded.
func (r *Record) encodedSize() (int, error) {
	if len(r.Store) > MaxStoreNameLen {
		return 0, fmt.Errorf("%w: store name is %d bytes, at most %d allowed", ErrInvalidRecord, len(r.Store), MaxStoreNameLen)
	}
	if r.Partition < 0 {
		return 0, fmt.Errorf("%w: negative partition id %d", ErrInvalidRecord, r.Partition)
	}
	if r.Tombstone && len(r.Value) > 0 {
		return 0, fmt.Errorf("%w: tombstone with a %d-byte value", ErrInvalidRecord, len(r.Value))
	}
	n := minRecordSize + len(r.Store) + len(r.Key) + len(r.Value)
	if n > MaxRecordSize || n < 0 {
		return 0, fmt.Errorf("%w: record of %d bytes exceeds %d", ErrInvalidRecord, n, MaxRecordSize)
	}
	return n, nil
}

// appendRecordUnsealed appends r's encoding with sequence and checksum zero;
// sealRecord fills them in. r must have passed encodedSize, whose result is
// n.
func appendRecordUnsealed(dst []byte, r *Record, n int) []byte {
	start := len(dst)
	dst = append(dst, make([]byte, headerSize)...)
	h := dst[start:]
	binary.LittleEndian.PutUint32(h[offLength:], uint32(n))
	h[offMagic] = recordMagic
	if r.Tombstone {
		h[offFlags] = flagTombstone
	}
	binary.LittleEndian.PutUint16(h[offStoreLen:], uint16(len(r.Store)))
	binary.LittleEndian.PutUint32(h[offPartition:], uint32(r.Partition))
	binary.LittleEndian.PutUint32(h[offKeyLen:], uint32(len(r.Key)))
	binary.LittleEndian.PutUint64(h[offExpireAt:], uint64(r.ExpireAt))
	binary.LittleEndian.PutUint64(h[offTTL:], uint64(r.TTL))
	binary.LittleEndian.PutUint64(h[offMaxIdle:], uint64(r.MaxIdle))
	dst = append(dst, r.Store...)
	dst = append(dst, r.Key...)
	dst = append(dst, r.Value...)
	return append(dst, make([]byte, checksumSize)...)
}

// sealRecord stores seq in the encoded record b and computes its checksum.
func sealRecord(b []byte, seq uint64) {
	binary.LittleEndian.PutUint64(b[offSequence:], seq)
	end := len(b) - checksumSize
	binary.LittleEndian.PutUint64(b[end:], xxhash.Sum64(b[:end]))
}

// AppendRecord appends the encoding of r with sequence seq to dst. It is
// the encoder the store uses, exported for tools and tests.
func AppendRecord(dst []byte, r Record, seq uint64) ([]byte, error) {
	n, err := r.encodedSize()
	if err != nil {
		return dst, err
	}
	start := len(dst)
	dst = appendRecordUnsealed(dst, &r, n)
	sealRecord(dst[start:], seq)
	return dst, nil
}

// recordView is a decoded record whose byte fields alias the buffer it was
// decoded from.
type recordView struct {
	flags     byte
	partition int32
	seq       uint64
	expireAt  int64
	ttl       int64
	maxIdle   int64
	store     []byte
	key       []byte
	value     []byte
}

// tombstone reports whether v is a tombstone.
func (v *recordView) tombstone() bool { return v.flags&flagTombstone != 0 }

// record converts v to a Record named store; Key and Value alias the
// decoded buffer.
func (v *recordView) record(store string) Record {
	return Record{
		Store:     store,
		Partition: v.partition,
		Key:       v.key,
		Value:     v.value,
		Tombstone: v.tombstone(),
		Seq:       v.seq,
		ExpireAt:  v.expireAt,
		TTL:       v.ttl,
		MaxIdle:   v.maxIdle,
	}
}

// decodeStatus classifies the result of decodeRecord.
type decodeStatus int

const (
	decodeOK decodeStatus = iota
	// decodeIncomplete: b ends before the record does.
	decodeIncomplete
	// decodeCorrupt: the bytes are not a valid record.
	decodeCorrupt
)

// decodeRecord decodes the record at the start of b. On decodeOK it returns
// the record and its size; otherwise a reason. The checksum is verified.
func decodeRecord(b []byte) (v recordView, n int, st decodeStatus, reason string) {
	if len(b) > offMagic && b[offMagic] != recordMagic {
		return v, 0, decodeCorrupt, fmt.Sprintf("bad magic 0x%02x, want 0x%02x", b[offMagic], recordMagic)
	}
	if len(b) < 4 {
		return v, 0, decodeIncomplete, fmt.Sprintf("%d bytes left, a record needs at least %d", len(b), minRecordSize)
	}
	length := binary.LittleEndian.Uint32(b[offLength:])
	if length < minRecordSize || length > MaxRecordSize {
		return v, 0, decodeCorrupt, fmt.Sprintf("record length %d outside [%d, %d]", length, minRecordSize, MaxRecordSize)
	}
	if uint64(len(b)) < uint64(length) {
		return v, 0, decodeIncomplete, fmt.Sprintf("record of %d bytes but only %d left", length, len(b))
	}
	n = int(length)
	b = b[:n]
	end := n - checksumSize
	if want, got := binary.LittleEndian.Uint64(b[end:]), xxhash.Sum64(b[:end]); want != got {
		return v, 0, decodeCorrupt, fmt.Sprintf("checksum mismatch: stored %016x, computed %016x", want, got)
	}
	v.flags = b[offFlags]
	if v.flags&^knownFlags != 0 {
		return v, 0, decodeCorrupt, fmt.Sprintf("unknown flags 0x%02x", v.flags)
	}
	storeLen := int(binary.LittleEndian.Uint16(b[offStoreLen:]))
	keyLen := uint64(binary.LittleEndian.Uint32(b[offKeyLen:]))
	if uint64(headerSize+storeLen)+keyLen > uint64(end) {
		return v, 0, decodeCorrupt, fmt.Sprintf("store name (%d) and key (%d) exceed the record length %d", storeLen, keyLen, n)
	}
	v.partition = int32(binary.LittleEndian.Uint32(b[offPartition:]))
	if v.partition < 0 {
		return v, 0, decodeCorrupt, fmt.Sprintf("negative partition id %d", v.partition)
	}
	v.seq = binary.LittleEndian.Uint64(b[offSequence:])
	v.expireAt = int64(binary.LittleEndian.Uint64(b[offExpireAt:]))
	v.ttl = int64(binary.LittleEndian.Uint64(b[offTTL:]))
	v.maxIdle = int64(binary.LittleEndian.Uint64(b[offMaxIdle:]))
	keyStart := headerSize + storeLen
	valStart := keyStart + int(keyLen)
	v.store = b[headerSize:keyStart:keyStart]
	v.key = b[keyStart:valStart:valStart]
	v.value = b[valStart:end:end]
	if v.tombstone() && len(v.value) > 0 {
		return v, 0, decodeCorrupt, fmt.Sprintf("tombstone carries a %d-byte value", len(v.value))
	}
	return v, n, decodeOK, ""
}

// DecodeRecord decodes the record at the start of b and returns it with its
// encoded size. Key and Value alias b. The error wraps ErrCorrupt.
func DecodeRecord(b []byte) (Record, int, error) {
	v, n, st, reason := decodeRecord(b)
	if st != decodeOK {
		return Record{}, 0, &CorruptionError{Offset: 0, Reason: reason, Incomplete: st == decodeIncomplete}
	}
	return v.record(string(v.store)), n, nil
}

// recordPartition and recordKey read fields of a record already validated
// by decodeRecord or built by appendRecordUnsealed.
func recordPartition(b []byte) int32 { return int32(binary.LittleEndian.Uint32(b[offPartition:])) }

// recordKey returns the key bytes of an encoded record.
func recordKey(b []byte) []byte {
	s := headerSize + int(binary.LittleEndian.Uint16(b[offStoreLen:]))
	return b[s : s+int(binary.LittleEndian.Uint32(b[offKeyLen:]))]
}

// recordSeq returns the sequence of an encoded record.
func recordSeq(b []byte) uint64 { return binary.LittleEndian.Uint64(b[offSequence:]) }

// recordTombstone reports whether an encoded record is a tombstone.
func recordTombstone(b []byte) bool { return b[offFlags]&flagTombstone != 0 }
