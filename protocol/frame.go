package protocol

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Frame flags. These are wire format.
const (
	BeginFragment      uint16 = 1 << 15
	EndFragment        uint16 = 1 << 14
	IsFinal            uint16 = 1 << 13
	BeginDataStructure uint16 = 1 << 12
	EndDataStructure   uint16 = 1 << 11
	IsNull             uint16 = 1 << 10
	IsEvent            uint16 = 1 << 9
	BackupAware        uint16 = 1 << 8
	BackupEvent        uint16 = 1 << 7

	// Unfragmented marks the initial frame of a message that is not split
	// into fragments.
	Unfragmented = BeginFragment | EndFragment
)

// Layout of frames and initial frames. These are wire format.
const (
	// FrameHeaderSize is the size of a frame's length and flags.
	FrameHeaderSize = 6

	TypeOffset          = 0
	CorrelationIDOffset = 4
	PartitionIDOffset   = 12
	BackupAcksOffset    = 12

	// RequestHeaderSize is the size of a request's initial frame content
	// before its fixed parameters; events use the same layout.
	RequestHeaderSize = 16
	// EventHeaderSize is the size of an event's initial frame content
	// before its fixed parameters.
	EventHeaderSize = 16
	// ResponseHeaderSize is the size of a response's initial frame content
	// before its fixed parameters.
	ResponseHeaderSize = 13
)

// Preamble is what a client sends first on a new connection.
var Preamble = [3]byte{'C', 'P', '2'}

// Errors reported while reading frames. Each is wrapped with the offset and a
// snippet of the offending bytes.
var (
	ErrFrameTooShort   = errors.New("protocol: frame length below header size")
	ErrFrameTooLarge   = errors.New("protocol: frame length above limit")
	ErrMessageTooLarge = errors.New("protocol: message size above limit")
	ErrBadPreamble     = errors.New("protocol: bad preamble")
	ErrTruncated       = errors.New("protocol: message truncated")
	ErrFragment        = errors.New("protocol: bad fragment")
)

// Frame is one frame of a message. Content aliases the message buffer.
type Frame struct {
	Flags   uint16
	Content []byte
}

// IsNull reports whether the frame stands for a null value.
func (f Frame) IsNull() bool { return f.Flags&IsNull != 0 }

// IsBegin reports whether the frame opens a data structure.
func (f Frame) IsBegin() bool { return f.Flags&BeginDataStructure != 0 }

// IsEnd reports whether the frame closes a data structure.
func (f Frame) IsEnd() bool { return f.Flags&EndDataStructure != 0 }

// IsFinal reports whether the frame is the last of its message.
func (f Frame) IsFinal() bool { return f.Flags&IsFinal != 0 }

// frameAt reads the header at off in buf. ok is false if buf does not hold a
// whole header.
func frameAt(buf []byte, off int) (length int, flags uint16, ok bool) {
	if len(buf)-off < FrameHeaderSize {
		return 0, 0, false
	}
	length = int(int32(binary.LittleEndian.Uint32(buf[off:])))
	flags = binary.LittleEndian.Uint16(buf[off+4:])
	return length, flags, true
}

// snippet renders up to 16 bytes of b from off for error messages.
func snippet(b []byte, off int) string {
	if off >= len(b) {
		return ""
	}
	end := off + 16
	if end > len(b) {
		end = len(b)
	}
	return fmt.Sprintf("% x", b[off:end])
}
