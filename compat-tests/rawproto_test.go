package compattests

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// A hand-written, minimal encoding of the Hazelcast open binary client
// protocol, independent of Filbert's protocol and codec packages, for tests
// that must send what the official client never would.

// Frame flags.
const (
	flagBeginFragment = 1 << 15
	flagEndFragment   = 1 << 14
	flagFinal         = 1 << 13
	flagBeginData     = 1 << 12
	flagEndData       = 1 << 11
	flagNull          = 1 << 10
	flagEvent         = 1 << 9
	flagUnfragmented  = flagBeginFragment | flagEndFragment
)

// Message types used by raw tests.
const (
	typeAuthRequest  = 0x000100
	typeAuthResponse = 0x000101
	typePingRequest  = 0x000B00
	typePingResponse = 0x000B01
	typeMapGet       = 0x010200 // Map.Get, recorded by the partition tap
	typeQueueOffer   = 0x030100
	typeError        = 0x000000
)

// errCodeUnsupportedOperation is UNSUPPORTED_OPERATION in ClientProtocolErrorCodes.
const errCodeUnsupportedOperation = 61

// rawFrame is one frame of a raw message.
type rawFrame struct {
	flags   uint16
	content []byte
}

// encodeFrames encodes frames as one message, marking the last final.
func encodeFrames(frames []rawFrame) []byte {
	var out []byte
	for i, f := range frames {
		flags := f.flags
		if i == len(frames)-1 {
			flags |= flagFinal
		}
		var h [6]byte
		binary.LittleEndian.PutUint32(h[:4], uint32(6+len(f.content)))
		binary.LittleEndian.PutUint16(h[4:], flags)
		out = append(out, h[:]...)
		out = append(out, f.content...)
	}
	return out
}

// requestHeader returns an initial request frame content of size bytes
// (at least 16) with type, correlation id and partition id set.
func requestHeader(typ int32, corr int64, pid int32, size int) []byte {
	b := make([]byte, size)
	binary.LittleEndian.PutUint32(b[0:], uint32(typ))
	binary.LittleEndian.PutUint64(b[4:], uint64(corr))
	binary.LittleEndian.PutUint32(b[12:], uint32(pid))
	return b
}

func stringFrame(s string) rawFrame { return rawFrame{content: []byte(s)} }

// authRequest builds a Client.Authentication request.
func authRequest(corr int64, cluster string) []byte {
	init := requestHeader(typeAuthRequest, corr, -1, 16+17+1)
	init[16] = 0 // UUID not null
	_, _ = rand.Read(init[17:33])
	init[33] = 1 // serialization version
	frames := []rawFrame{
		{flags: flagUnfragmented, content: init},
		stringFrame(cluster),
		{flags: flagNull}, // username
		{flags: flagNull}, // password
		stringFrame("GOO"),
		stringFrame("1.5.0"),
		stringFrame("raw-compat-test"),
		{flags: flagBeginData}, // labels: empty list
		{flags: flagEndData},
	}
	return encodeFrames(frames)
}

// simpleRequest builds a request that has only the header.
func simpleRequest(typ int32, corr int64) []byte {
	return encodeFrames([]rawFrame{{flags: flagUnfragmented, content: requestHeader(typ, corr, -1, 16)}})
}

// rawMessage is a received message.
type rawMessage []rawFrame

func (m rawMessage) typ() int32 { return int32(binary.LittleEndian.Uint32(m[0].content[0:])) }
func (m rawMessage) corr() int64 {
	return int64(binary.LittleEndian.Uint64(m[0].content[4:]))
}

// errorCode returns the first error holder's code of an error response.
func (m rawMessage) errorCode() (int32, string, error) {
	// initial, BEGIN(list), BEGIN(holder), holder initial (code), class name
	if len(m) < 5 || m.typ() != typeError {
		return 0, "", fmt.Errorf("not an error response: type %#x, %d frames", m.typ(), len(m))
	}
	if len(m[3].content) < 4 {
		return 0, "", errors.New("short error holder frame")
	}
	return int32(binary.LittleEndian.Uint32(m[3].content)), string(m[4].content), nil
}

// rawConn is a raw protocol connection.
type rawConn struct {
	t    testing.TB
	conn *net.TCPConn
}

// dialRaw opens a TCP connection to addr, closed at test end.
func dialRaw(t testing.TB, addr string) *rawConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 3*time.Second)
	must(t, err, "dial %s", addr)
	t.Cleanup(func() { _ = c.Close() })
	return &rawConn{t: t, conn: c.(*net.TCPConn)}
}

func (r *rawConn) write(b []byte) {
	r.t.Helper()
	_ = r.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := r.conn.Write(b); err != nil {
		r.t.Fatalf("raw write: %v", err)
	}
}

// read returns the next whole message, skipping events.
func (r *rawConn) read(timeout time.Duration) (rawMessage, error) {
	_ = r.conn.SetReadDeadline(time.Now().Add(timeout))
	var msg rawMessage
	for {
		var h [6]byte
		if _, err := io.ReadFull(r.conn, h[:]); err != nil {
			return nil, err
		}
		n := int(binary.LittleEndian.Uint32(h[:4]))
		flags := binary.LittleEndian.Uint16(h[4:])
		if n < 6 || n > 64<<20 {
			return nil, fmt.Errorf("bad frame length %d from member", n)
		}
		content := make([]byte, n-6)
		if _, err := io.ReadFull(r.conn, content); err != nil {
			return nil, err
		}
		msg = append(msg, rawFrame{flags: flags, content: content})
		if flags&flagFinal != 0 {
			if msg[0].flags&flagEvent != 0 {
				msg = nil
				continue
			}
			if len(msg[0].content) < 12 {
				return nil, fmt.Errorf("short initial frame (%d bytes)", len(msg[0].content))
			}
			return msg, nil
		}
	}
}

// mustRead reads a message or fails.
func (r *rawConn) mustRead(what string) rawMessage {
	r.t.Helper()
	m, err := r.read(5 * time.Second)
	if err != nil {
		r.t.Fatalf("%s: reading response: %v", what, err)
	}
	return m
}

// authenticate sends the preamble and an authentication and checks the
// member accepted it.
func (r *rawConn) authenticate() {
	r.t.Helper()
	r.write([]byte("CP2"))
	r.write(authRequest(1, clusterName))
	resp := r.mustRead("authentication")
	if resp.typ() != typeAuthResponse || resp.corr() != 1 {
		r.t.Fatalf("authentication: got type %#x corr %d", resp.typ(), resp.corr())
	}
	if st := resp[0].content[13]; st != 0 {
		r.t.Fatalf("authentication status %d, want 0", st)
	}
}

// expectClosed waits until the member closes the connection: reads (and
// discards) anything it sends until EOF or a reset. A read timeout fails.
func (r *rawConn) expectClosed(what string, within time.Duration) {
	r.t.Helper()
	_ = r.conn.SetReadDeadline(time.Now().Add(within))
	buf := make([]byte, 4096)
	for {
		_, err := r.conn.Read(buf)
		if err == nil {
			continue
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			r.t.Fatalf("%s: member did not close the connection within %v", what, within)
		}
		return // EOF, connection reset: closed by the member
	}
}
