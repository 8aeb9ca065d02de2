package protocol

import "encoding/binary"

// Writer appends frames of one message to a buffer. The zero value is ready
// to use; Reset lets a pooled buffer be reused. Writer never reads back what
// it wrote except to set IsFinal on the last frame in Finish.
type Writer struct {
	buf  []byte
	last int // offset of the last frame's header, -1 if none
}

// NewWriter returns a Writer appending to buf[:0].
func NewWriter(buf []byte) *Writer {
	return &Writer{buf: buf[:0], last: -1}
}

// Reset makes w append to buf[:0].
func (w *Writer) Reset(buf []byte) {
	w.buf = buf[:0]
	w.last = -1
}

// Len returns the number of bytes written so far.
func (w *Writer) Len() int { return len(w.buf) }

// Frame appends a frame with n content bytes and returns the content to be
// filled by the caller. The slice is valid until the next append.
func (w *Writer) Frame(flags uint16, n int) []byte {
	off := len(w.buf)
	w.buf = append(w.buf, make([]byte, FrameHeaderSize+n)...)
	binary.LittleEndian.PutUint32(w.buf[off:], uint32(FrameHeaderSize+n))
	binary.LittleEndian.PutUint16(w.buf[off+4:], flags)
	w.last = off
	return w.buf[off+FrameHeaderSize:]
}

// BytesFrame appends a frame holding a copy of content.
func (w *Writer) BytesFrame(flags uint16, content []byte) {
	off := len(w.buf)
	var hdr [FrameHeaderSize]byte
	binary.LittleEndian.PutUint32(hdr[:], uint32(FrameHeaderSize+len(content)))
	binary.LittleEndian.PutUint16(hdr[4:], flags)
	w.buf = append(w.buf, hdr[:]...)
	w.buf = append(w.buf, content...)
	w.last = off
}

// StringFrame appends a frame holding the UTF-8 bytes of s.
func (w *Writer) StringFrame(s string) {
	off := len(w.buf)
	var hdr [FrameHeaderSize]byte
	binary.LittleEndian.PutUint32(hdr[:], uint32(FrameHeaderSize+len(s)))
	w.buf = append(w.buf, hdr[:]...)
	w.buf = append(w.buf, s...)
	w.last = off
}

// Null appends a null frame.
func (w *Writer) Null() { w.Frame(IsNull, 0) }

// Begin appends a frame opening a data structure.
func (w *Writer) Begin() { w.Frame(BeginDataStructure, 0) }

// End appends a frame closing a data structure.
func (w *Writer) End() { w.Frame(EndDataStructure, 0) }

// StartRequest appends the initial frame of a request with fixedSize bytes
// of fixed parameters and returns its content; parameters start at
// RequestHeaderSize.
func (w *Writer) StartRequest(msgType int32, partitionID int32, fixedSize int) []byte {
	c := w.Frame(Unfragmented, RequestHeaderSize+fixedSize)
	PutInt32(c, TypeOffset, msgType)
	PutInt32(c, PartitionIDOffset, partitionID)
	return c
}

// StartResponse appends the initial frame of a response with fixedSize
// bytes of fixed parameters and returns its content; parameters start at
// ResponseHeaderSize.
func (w *Writer) StartResponse(msgType int32, fixedSize int) []byte {
	c := w.Frame(Unfragmented, ResponseHeaderSize+fixedSize)
	PutInt32(c, TypeOffset, msgType)
	return c
}

// StartEvent appends the initial frame of an event with fixedSize bytes of
// fixed parameters and returns its content; parameters start at
// EventHeaderSize.
func (w *Writer) StartEvent(msgType int32, partitionID int32, fixedSize int) []byte {
	c := w.Frame(Unfragmented|IsEvent, EventHeaderSize+fixedSize)
	PutInt32(c, TypeOffset, msgType)
	PutInt32(c, PartitionIDOffset, partitionID)
	return c
}

// Finish marks the last frame IsFinal and returns the message bytes. The
// Writer may be Reset and reused afterwards.
func (w *Writer) Finish() []byte {
	if w.last >= 0 {
		f := binary.LittleEndian.Uint16(w.buf[w.last+4:])
		binary.LittleEndian.PutUint16(w.buf[w.last+4:], f|IsFinal)
	}
	return w.buf
}
