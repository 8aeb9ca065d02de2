package protocol

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrMalformed reports a message whose frames do not match what the decoder
// expects (missing frames, short fixed fields, unbalanced structures).
var ErrMalformed = errors.New("protocol: malformed message")

// Message is one whole message: its frames back to back as they appear on
// the wire. It aliases the buffer it was read from.
type Message []byte

// Initial returns the message's first frame. It is empty for an empty or
// broken message.
func (m Message) Initial() Frame {
	length, flags, ok := frameAt(m, 0)
	if !ok || length < FrameHeaderSize || length > len(m) {
		return Frame{}
	}
	return Frame{Flags: flags, Content: m[FrameHeaderSize:length]}
}

// Type returns the message type, or 0 if the initial frame is too short.
func (m Message) Type() int32 {
	c := m.Initial().Content
	if len(c) < 4 {
		return 0
	}
	return int32(binary.LittleEndian.Uint32(c))
}

// CorrelationID returns the correlation id, or 0 if the initial frame is too
// short.
func (m Message) CorrelationID() int64 {
	c := m.Initial().Content
	if len(c) < CorrelationIDOffset+8 {
		return 0
	}
	return int64(binary.LittleEndian.Uint64(c[CorrelationIDOffset:]))
}

// PartitionID returns the partition id of a request or event, or -1 if the
// initial frame is too short.
func (m Message) PartitionID() int32 {
	c := m.Initial().Content
	if len(c) < PartitionIDOffset+4 {
		return -1
	}
	return int32(binary.LittleEndian.Uint32(c[PartitionIDOffset:]))
}

// Flags returns the flags of the initial frame.
func (m Message) Flags() uint16 { return m.Initial().Flags }

// Iter returns an iterator over the message's frames.
func (m Message) Iter() Iterator { return Iterator{buf: m} }

// SetCorrelationID writes id into the initial frame of an encoded message.
func SetCorrelationID(msg []byte, id int64) {
	binary.LittleEndian.PutUint64(msg[FrameHeaderSize+CorrelationIDOffset:], uint64(id))
}

// SetBackupAcks writes the expected backup-ack count into the initial frame
// of an encoded response.
func SetBackupAcks(msg []byte, n uint8) {
	msg[FrameHeaderSize+BackupAcksOffset] = n
}

// SetInitialFlags ORs flags into the initial frame of an encoded message.
func SetInitialFlags(msg []byte, flags uint16) {
	f := binary.LittleEndian.Uint16(msg[4:])
	binary.LittleEndian.PutUint16(msg[4:], f|flags)
}

// Iterator walks the frames of a message. Errors are sticky: after the first
// one every call returns zero values and Err reports it, so decoders can read
// a whole message and check once.
type Iterator struct {
	buf []byte
	off int
	err error
}

// Err returns the first error met.
func (it *Iterator) Err() error { return it.err }

// Fail records err (if none is recorded yet).
func (it *Iterator) Fail(err error) {
	if it.err == nil {
		it.err = err
	}
}

// Failf records a formatted ErrMalformed error naming the offset.
func (it *Iterator) Failf(format string, args ...any) {
	if it.err == nil {
		it.err = fmt.Errorf("%w at offset %d: %s", ErrMalformed, it.off, fmt.Sprintf(format, args...))
	}
}

// HasNext reports whether another frame follows and no error occurred.
func (it *Iterator) HasNext() bool {
	return it.err == nil && it.off < len(it.buf)
}

// Peek returns the next frame without consuming it. ok is false at the end
// of the message or after an error.
func (it *Iterator) Peek() (f Frame, ok bool) {
	if it.err != nil {
		return Frame{}, false
	}
	length, flags, ok := frameAt(it.buf, it.off)
	if !ok {
		return Frame{}, false
	}
	if length < FrameHeaderSize || length > len(it.buf)-it.off {
		it.Failf("frame length %d", length)
		return Frame{}, false
	}
	return Frame{Flags: flags, Content: it.buf[it.off+FrameHeaderSize : it.off+length]}, true
}

// Next consumes and returns the next frame. At the end of the message it
// records an error and returns a zero Frame.
func (it *Iterator) Next() Frame {
	f, ok := it.Peek()
	if !ok {
		it.Failf("missing frame")
		return Frame{}
	}
	it.off += FrameHeaderSize + len(f.Content)
	return f
}

// NextIsNull consumes the next frame if it is a null frame and reports
// whether it did.
func (it *Iterator) NextIsNull() bool {
	f, ok := it.Peek()
	if ok && f.IsNull() {
		it.Next()
		return true
	}
	return false
}

// NextIsEnd reports whether the next frame closes a data structure, without
// consuming it. It is true at the end of the message too, so loops over
// structure members terminate on truncated input.
func (it *Iterator) NextIsEnd() bool {
	f, ok := it.Peek()
	return !ok || f.IsEnd()
}

// Begin consumes a BeginDataStructure frame.
func (it *Iterator) Begin() {
	f := it.Next()
	if it.err == nil && !f.IsBegin() {
		it.Failf("expected begin frame, flags %#04x", f.Flags)
	}
}

// SkipToEnd consumes frames up to and including the EndDataStructure frame
// that closes the current structure, skipping nested structures. Decoders of
// compound types call it so that fields added by newer versions are ignored.
func (it *Iterator) SkipToEnd() {
	depth := 1
	for depth > 0 {
		f := it.Next()
		if it.err != nil {
			return
		}
		if f.IsEnd() {
			depth--
		} else if f.IsBegin() {
			depth++
		}
	}
}

// Offset returns the position of the next frame in the message.
func (it *Iterator) Offset() int { return it.off }
