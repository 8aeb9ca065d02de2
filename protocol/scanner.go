package protocol

import "fmt"

// Limits bound what a peer may send. Zero fields take their defaults.
type Limits struct {
	// MaxFrameSize is the largest frame length accepted, header included.
	MaxFrameSize int
	// MaxMessageSize is the largest sum of frame lengths of one message,
	// and of one reassembled fragmented message.
	MaxMessageSize int
}

// Default limits.
const (
	DefaultMaxFrameSize   = 16 << 20
	DefaultMaxMessageSize = 64 << 20
)

// WithDefaults returns l with zero fields replaced by defaults.
func (l Limits) WithDefaults() Limits {
	if l.MaxFrameSize <= 0 {
		l.MaxFrameSize = DefaultMaxFrameSize
	}
	if l.MaxMessageSize <= 0 {
		l.MaxMessageSize = DefaultMaxMessageSize
	}
	return l
}

// Scanner finds the boundaries of complete messages in a byte stream. It
// keeps how far it has validated the pending message, so a large message
// arriving in many reads is scanned once. It never copies.
//
// Use: call Next with the unread input. If it returns n > 0, buf[:n] is one
// whole message; discard n bytes and call again. If it returns 0 with a nil
// error, more input is needed (call again with the same, longer, buffer).
type Scanner struct {
	limits  Limits
	scanned int // bytes of whole frames of the pending message already validated
}

// NewScanner returns a Scanner enforcing l.
func NewScanner(l Limits) *Scanner {
	return &Scanner{limits: l.WithDefaults()}
}

// Reset forgets the pending message.
func (s *Scanner) Reset() { s.scanned = 0 }

// Next reports the length of the complete message at the start of buf, or 0
// when more bytes are needed. An error means the stream is unusable and the
// connection must be closed.
func (s *Scanner) Next(buf []byte) (int, error) {
	if s.limits.MaxFrameSize == 0 {
		s.limits = s.limits.WithDefaults()
	}
	off := s.scanned
	for {
		length, flags, ok := frameAt(buf, off)
		if !ok {
			s.scanned = off
			return 0, nil
		}
		if length < FrameHeaderSize {
			return 0, fmt.Errorf("%w: length %d at offset %d (%s)", ErrFrameTooShort, length, off, snippet(buf, off))
		}
		if length > s.limits.MaxFrameSize {
			return 0, fmt.Errorf("%w: length %d > %d at offset %d", ErrFrameTooLarge, length, s.limits.MaxFrameSize, off)
		}
		if off+length > s.limits.MaxMessageSize {
			return 0, fmt.Errorf("%w: %d > %d", ErrMessageTooLarge, off+length, s.limits.MaxMessageSize)
		}
		if len(buf)-off < length {
			s.scanned = off
			return 0, nil
		}
		off += length
		if flags&IsFinal != 0 {
			s.scanned = 0
			return off, nil
		}
	}
}

// CheckPreamble verifies the 3-byte client preamble at the start of b. It
// returns false with a nil error when fewer than 3 bytes are present.
func CheckPreamble(b []byte) (bool, error) {
	if len(b) < len(Preamble) {
		for i := range b {
			if b[i] != Preamble[i] {
				return false, fmt.Errorf("%w: % x", ErrBadPreamble, b)
			}
		}
		return false, nil
	}
	if b[0] != Preamble[0] || b[1] != Preamble[1] || b[2] != Preamble[2] {
		return false, fmt.Errorf("%w: % x", ErrBadPreamble, b[:3])
	}
	return true, nil
}
