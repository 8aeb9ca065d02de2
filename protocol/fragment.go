package protocol

import (
	"encoding/binary"
	"fmt"
)

// Assembler reassembles fragmented messages (protocol section "Client
// message fragmentation"). Each fragment is a message whose first frame holds
// an int64 fragment id; the first fragment's id frame has BeginFragment, the
// last one's EndFragment, middle ones neither. The frames after the id frame
// are the original message's frames, concatenated in order.
//
// Neither official Go nor Node.js clients send fragments today, but the
// protocol allows it, so a member accepts them within the message limit.
type Assembler struct {
	limits  Limits
	pending map[int64][]byte
	// MaxPending bounds how many fragmented messages may be open at once.
	MaxPending int
}

// NewAssembler returns an Assembler enforcing l.
func NewAssembler(l Limits) *Assembler {
	return &Assembler{limits: l.WithDefaults(), MaxPending: 64}
}

// IsFragment reports whether msg is a fragment rather than a whole message.
func IsFragment(msg Message) bool {
	return msg.Initial().Flags&Unfragmented != Unfragmented
}

// Add takes one fragment. It returns the whole message once the last
// fragment arrives, nil while more are expected. The returned message is a
// fresh buffer owned by the caller.
func (a *Assembler) Add(frag Message) (Message, error) {
	id := frag.Initial()
	if len(id.Content) < LongSize {
		return nil, fmt.Errorf("%w: fragment id frame of %d bytes", ErrFragment, len(id.Content))
	}
	fid := int64(binary.LittleEndian.Uint64(id.Content))
	body := frag[FrameHeaderSize+len(id.Content):]
	if a.pending == nil {
		a.pending = make(map[int64][]byte)
	}
	buf, open := a.pending[fid]
	switch {
	case id.Flags&BeginFragment != 0:
		if open {
			return nil, fmt.Errorf("%w: fragment %d begun twice", ErrFragment, fid)
		}
		if len(a.pending) >= a.MaxPending {
			return nil, fmt.Errorf("%w: more than %d fragmented messages open", ErrFragment, a.MaxPending)
		}
	case !open:
		return nil, fmt.Errorf("%w: fragment %d continues a message never begun", ErrFragment, fid)
	}
	if len(buf)+len(body) > a.limits.MaxMessageSize {
		delete(a.pending, fid)
		return nil, fmt.Errorf("%w: fragmented message %d exceeds %d bytes", ErrMessageTooLarge, fid, a.limits.MaxMessageSize)
	}
	start := len(buf)
	buf = append(buf, body...)
	clearFinal(buf[start:])
	if id.Flags&EndFragment == 0 {
		a.pending[fid] = buf
		return nil, nil
	}
	delete(a.pending, fid)
	if len(buf) < FrameHeaderSize {
		return nil, fmt.Errorf("%w: fragmented message %d is empty", ErrFragment, fid)
	}
	setLastFinal(buf)
	return Message(buf), nil
}

// clearFinal removes IsFinal from every frame in b (whole frames).
func clearFinal(b []byte) {
	for off := 0; ; {
		length, flags, ok := frameAt(b, off)
		if !ok || length < FrameHeaderSize {
			return
		}
		binary.LittleEndian.PutUint16(b[off+4:], flags&^IsFinal)
		off += length
	}
}

// setLastFinal sets IsFinal on the last whole frame of b.
func setLastFinal(b []byte) {
	last := -1
	for off := 0; ; {
		length, _, ok := frameAt(b, off)
		if !ok || length < FrameHeaderSize || off+length > len(b) {
			break
		}
		last = off
		off += length
	}
	if last >= 0 {
		f := binary.LittleEndian.Uint16(b[last+4:])
		binary.LittleEndian.PutUint16(b[last+4:], f|IsFinal)
	}
}
