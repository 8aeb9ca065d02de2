package codec

import (
	"fmt"

	"github.com/filbert/filbert/protocol"
)

// Entry is one key/value pair of a map or entry-list parameter. Maps are
// carried as slices of entries so that encoding keeps the given order.
type Entry[K, V any] struct {
	Key   K
	Value V
}

// MessageInfo describes one method of a service; see Messages.
type MessageInfo struct {
	Service      string  // service name, e.g. "Map"
	Method       string  // method name, e.g. "put"
	Since        string  // protocol version that introduced the method
	RequestType  int32   // message type of the request
	ResponseType int32   // message type of the response (RequestType+1)
	EventTypes   []int32 // message types of the events, in definition order
	Retryable    bool    // whether clients may retry the request
	// PartitionIdentifier says which partition a client sends the request
	// to: "-1" (any member), "key", "name", "partitionId", ...
	PartitionIdentifier string
}

// ErrorResponseType is the message type of error responses (see
// EncodeErrorResponse).
const ErrorResponseType int32 = 0

func unknownMessageName(t int32) string {
	return fmt.Sprintf("unknown(0x%06x)", uint32(t))
}

// decodeError adds the message being decoded to an iterator error.
func decodeError(what string, err error) error {
	return fmt.Errorf("codec: %s: %w", what, err)
}

// shortInitialFrame reports an initial frame without room for the header and
// the fixed-size parameters every version sends.
func shortInitialFrame(it *protocol.Iterator, what string, got, want int) error {
	it.Failf("initial frame content of %d bytes, want at least %d", got, want)
	return decodeError(what, it.Err())
}

// valueFrame consumes the frame of a single-frame value and returns its
// content. A structure frame there means the message does not match the
// definition; a NULL frame reads as empty, as the Java member does.
func valueFrame(it *protocol.Iterator, what string) []byte {
	f := it.Next()
	if it.Err() != nil {
		return nil
	}
	if f.IsBegin() || f.IsEnd() {
		it.Failf("%s: unexpected structure frame (flags %#04x)", what, f.Flags)
		return nil
	}
	return f.Content
}

// fixedFrame consumes the frame holding the fixed-size fields of a custom
// type and returns its content, or nil after recording an error if it is
// missing or shorter than min bytes.
func fixedFrame(it *protocol.Iterator, what string, min int) []byte {
	c := valueFrame(it, what)
	if it.Err() != nil {
		return nil
	}
	if len(c) < min {
		it.Failf("%s: fixed-size fields of %d bytes, want at least %d", what, len(c), min)
		return nil
	}
	return c
}

// fixedItems consumes a frame of fixed-size items of size bytes each.
func fixedItems(it *protocol.Iterator, what string, size int) []byte {
	c := valueFrame(it, what)
	if len(c)%size != 0 {
		it.Failf("%s: %d bytes is not a multiple of %d", what, len(c), size)
		return nil
	}
	return c
}

// alias returns c with its capacity cut to its length, so that appending to
// a decoded value cannot overwrite the rest of the message.
func alias(c []byte) []byte {
	if c == nil {
		return []byte{}
	}
	return c[:len(c):len(c)]
}

func encodeString(w *protocol.Writer, v string) { w.StringFrame(v) }

func decodeString(it *protocol.Iterator) string { return string(valueFrame(it, "String")) }

// encodeData writes serialized data (partition hash, type id, payload).
func encodeData(w *protocol.Writer, v []byte) { w.BytesFrame(0, v) }

// decodeData reads serialized data, which is empty or at least 8 bytes
// long (partition hash and type id). The result aliases the message.
func decodeData(it *protocol.Iterator) []byte {
	c := valueFrame(it, "Data")
	if len(c) > 0 && len(c) < 8 {
		it.Failf("data of %d bytes", len(c))
		return nil
	}
	return alias(c)
}

func encodeByteArray(w *protocol.Writer, v []byte) { w.BytesFrame(0, v) }

// decodeByteArray reads a byte array; the result aliases the message.
func decodeByteArray(it *protocol.Iterator) []byte { return alias(valueFrame(it, "byteArray")) }

func encodeLongArray(w *protocol.Writer, v []int64) {
	c := w.Frame(0, len(v)*protocol.LongSize)
	for i, x := range v {
		protocol.PutInt64(c, i*protocol.LongSize, x)
	}
}

func decodeLongArray(it *protocol.Iterator) []int64 {
	c := fixedItems(it, "longArray", protocol.LongSize)
	v := make([]int64, len(c)/protocol.LongSize)
	for i := range v {
		v[i] = protocol.GetInt64(c, i*protocol.LongSize)
	}
	return v
}

func encodeFloatArray(w *protocol.Writer, v []float32) {
	c := w.Frame(0, len(v)*protocol.FloatSize)
	for i, x := range v {
		protocol.PutFloat32(c, i*protocol.FloatSize, x)
	}
}

func decodeFloatArray(it *protocol.Iterator) []float32 {
	c := fixedItems(it, "floatArray", protocol.FloatSize)
	v := make([]float32, len(c)/protocol.FloatSize)
	for i := range v {
		v[i] = protocol.GetFloat32(c, i*protocol.FloatSize)
	}
	return v
}
