package hotrestart

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// readBufferSize is the buffer of a chunkReader; records up to this size
// are decoded in place, larger ones are read into a separate buffer.
const readBufferSize = 1 << 20

// chunkReader walks the records of one chunk in order. It reads size bytes
// from r and stops with io.EOF exactly at size.
type chunkReader struct {
	r    *bufio.Reader
	path string
	off  int64 // offset of the next record
	size int64
	big  []byte
}

// newChunkReader returns a reader over the first size bytes of r; path is
// used in errors only.
func newChunkReader(r io.Reader, path string, size int64) *chunkReader {
	return &chunkReader{r: bufio.NewReaderSize(r, readBufferSize), path: path, size: size}
}

// reset points c at a new chunk, reusing its buffers.
func (c *chunkReader) reset(r io.Reader, path string, size int64) {
	c.r.Reset(r)
	c.path, c.off, c.size = path, 0, size
}

// next returns the next record, its offset and size. The view aliases
// internal buffers and is valid until the next call. At the end it returns
// io.EOF; a damaged record gives a *CorruptionError at its offset, after
// which the reader must not be used again.
func (c *chunkReader) next() (v recordView, off int64, n int, err error) {
	off = c.off
	left := c.size - off
	if left <= 0 {
		return v, off, 0, io.EOF
	}
	head, err := c.r.Peek(int(min(left, offMagic+1)))
	if err != nil {
		return v, off, 0, c.readError(off, err)
	}
	if left <= offMagic || head[offMagic] != recordMagic {
		_, _, st, reason := decodeRecord(head)
		return v, off, 0, c.corrupt(off, st, reason)
	}
	length := int64(binary.LittleEndian.Uint32(head[offLength:]))
	if length < minRecordSize || length > MaxRecordSize {
		_, _, st, reason := decodeRecord(head)
		return v, off, 0, c.corrupt(off, st, reason)
	}
	if length > left {
		return v, off, 0, c.corrupt(off, decodeIncomplete,
			fmt.Sprintf("record of %d bytes but only %d left in the chunk", length, left))
	}
	var buf []byte
	if length <= int64(c.r.Size()) {
		if buf, err = c.r.Peek(int(length)); err != nil {
			return v, off, 0, c.readError(off, err)
		}
	} else {
		if int64(cap(c.big)) < length {
			c.big = make([]byte, length)
		}
		buf = c.big[:length]
		if _, err = io.ReadFull(c.r, buf); err != nil {
			return v, off, 0, c.readError(off, err)
		}
	}
	v, n, st, reason := decodeRecord(buf)
	if st != decodeOK {
		return v, off, 0, c.corrupt(off, st, reason)
	}
	if length <= int64(c.r.Size()) {
		if _, err := c.r.Discard(n); err != nil {
			return v, off, 0, c.readError(off, err)
		}
	}
	c.off += int64(n)
	return v, off, n, nil
}

// corrupt builds the error for a damaged record at off.
func (c *chunkReader) corrupt(off int64, st decodeStatus, reason string) error {
	return &CorruptionError{Path: c.path, Offset: off, Reason: reason, Incomplete: st == decodeIncomplete}
}

// readError wraps an I/O error; a file shorter than its stated size reads as
// a torn record.
func (c *chunkReader) readError(off int64, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &CorruptionError{Path: c.path, Offset: off, Reason: "file ends inside the record", Incomplete: true}
	}
	return fmt.Errorf("hotrestart: read %s at byte offset %d: %w", c.path, off, err)
}

// findValidRecord returns the offset in b of the first position at which a
// complete, valid record starts, or -1. Recovery uses it to tell a torn tail
// (nothing valid follows the damage) from damage in the middle of a chunk.
func findValidRecord(b []byte) int {
	for p := 0; p+minRecordSize <= len(b); p++ {
		if b[p+offMagic] != recordMagic {
			continue
		}
		if _, _, st, _ := decodeRecord(b[p:]); st == decodeOK {
			return p
		}
	}
	return -1
}
