package compattests

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	hazelcast "github.com/hazelcast/hazelcast-go-client"
	"github.com/hazelcast/hazelcast-go-client/hzerrors"

	"github.com/filbert/filbert/server"
)

// closeWithin bounds how long the member may take to drop a bad connection.
const closeWithin = 3 * time.Second

// healthyLoop is an official client doing puts and gets in a loop.
type healthyLoop struct {
	name string
	ops  atomic.Int64
	mu   sync.Mutex
	err  error
	last map[string]int64 // the last value written per key (loop only until done)
	stop chan struct{}
	done chan struct{}
	mp   *hazelcast.Map
}

func startHealthy(t *testing.T, m *server.Member, md mode) *healthyLoop {
	t.Helper()
	c := newClient(t, m, md)
	h := &healthyLoop{
		name: md.name,
		last: map[string]int64{},
		stop: make(chan struct{}),
		done: make(chan struct{}),
		mp:   getMap(t, c, "healthy-"+md.name),
	}
	go h.run()
	t.Cleanup(h.halt)
	return h
}

func (h *healthyLoop) run() {
	defer close(h.done)
	for i := int64(0); ; i++ {
		select {
		case <-h.stop:
			return
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		key := fmt.Sprintf("k%d", i%50)
		_, err := h.mp.Put(ctx, key, i)
		if err == nil {
			h.last[key] = i
			var v any
			v, err = h.mp.Get(ctx, key)
			if err == nil && v != i {
				err = fmt.Errorf("Get(%s) = %#v right after Put of %d", key, v, i)
			}
		}
		cancel()
		if err != nil {
			h.mu.Lock()
			h.err = fmt.Errorf("op %d: %w", i, err)
			h.mu.Unlock()
			return
		}
		h.ops.Add(1)
	}
}

func (h *healthyLoop) halt() {
	select {
	case <-h.stop:
	default:
		close(h.stop)
	}
	<-h.done
}

func (h *healthyLoop) failure() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.err
}

// progressed waits until the loop has completed n more operations.
func (h *healthyLoop) progressed(t *testing.T, n int64) {
	t.Helper()
	from := h.ops.Load()
	eventually(t, 10*time.Second, "healthy "+h.name+" client makes progress", func() (bool, string) {
		if err := h.failure(); err != nil {
			t.Fatalf("healthy %s client failed: %v", h.name, err)
		}
		got := h.ops.Load() - from
		return got >= n, fmt.Sprintf("%d ops", got)
	})
}

// TestMisbehavingConnections opens connections that break the protocol
// while official clients (smart and unisocket) keep working; each bad
// connection must be closed by the member.
func TestMisbehavingConnections(t *testing.T) {
	m := startMember(t, nil)
	var loops []*healthyLoop
	for _, md := range modes {
		loops = append(loops, startHealthy(t, m, md))
	}
	for _, h := range loops {
		h.progressed(t, 20)
	}

	frameHeader := func(length uint32, flags uint16) []byte {
		b := make([]byte, 6)
		binary.LittleEndian.PutUint32(b, length)
		binary.LittleEndian.PutUint16(b[4:], flags)
		return b
	}
	cases := []struct {
		name string
		run  func(t *testing.T, r *rawConn)
	}{
		{"garbage-preamble", func(t *testing.T, r *rawConn) {
			r.write([]byte("\x00\xffGARBAGE not a preamble\r\n"))
		}},
		{"http-preamble", func(t *testing.T, r *rawConn) {
			r.write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
		}},
		{"oversized-frame-length", func(t *testing.T, r *rawConn) {
			r.write(append([]byte("CP2"), frameHeader(0x7fffffff, flagUnfragmented|flagFinal)...))
		}},
		{"negative-frame-length", func(t *testing.T, r *rawConn) {
			r.write(append([]byte("CP2"), frameHeader(0xfffffff0, flagUnfragmented|flagFinal)...))
		}},
		{"frame-length-below-header", func(t *testing.T, r *rawConn) {
			r.write(append(append([]byte("CP2"), frameHeader(3, flagUnfragmented|flagFinal)...), 1, 2, 3))
		}},
		{"frame-length-zero", func(t *testing.T, r *rawConn) {
			r.write(append([]byte("CP2"), frameHeader(0, 0)...))
		}},
		{"initial-frame-too-short-for-header", func(t *testing.T, r *rawConn) {
			// A complete, well-delimited message whose initial frame cannot
			// hold type, correlation id and partition id.
			r.write([]byte("CP2"))
			r.write(encodeFrames([]rawFrame{{flags: flagUnfragmented, content: []byte{1, 2, 3, 4}}}))
		}},
		{"truncated-frame-then-close", func(t *testing.T, r *rawConn) {
			msg := authRequest(1, clusterName)
			r.write(append([]byte("CP2"), msg[:len(msg)/2]...))
			// Half-close: the member sees EOF mid-frame and must drop the
			// connection rather than wait for the rest.
			must(t, r.conn.CloseWrite(), "CloseWrite")
		}},
		{"request-before-authentication", func(t *testing.T, r *rawConn) {
			r.write([]byte("CP2"))
			r.write(simpleRequest(typePingRequest, 7))
		}},
		{"random-bytes-after-authentication", func(t *testing.T, r *rawConn) {
			r.authenticate()
			rng := mrand.New(mrand.NewPCG(1, 2))
			junk := make([]byte, 4096)
			for i := range junk {
				junk[i] = byte(rng.Uint32())
			}
			// Deterministic junk whose first "frame length" is not a valid
			// one, so that the member cannot wait for a body forever.
			if n := binary.LittleEndian.Uint32(junk); n >= 6 && n <= 16<<20 {
				t.Fatalf("test bug: junk starts with a plausible frame length %d; change the seed", n)
			}
			r.write(junk)
		}},
		{"fragment-continuation-without-begin", func(t *testing.T, r *rawConn) {
			r.authenticate()
			// A middle fragment (no begin flag) with no fragmentation started.
			content := make([]byte, 8) // fragmentation id
			r.write(encodeFrames([]rawFrame{{flags: 0, content: content}}))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := dialRaw(t, m.Addr())
			tc.run(t, r)
			r.expectClosed(tc.name, closeWithin)
			for _, h := range loops {
				h.progressed(t, 5)
			}
		})
	}

	// Many bad connections at once.
	t.Run("burst", func(t *testing.T) {
		var rs []*rawConn
		for i := 0; i < 50; i++ {
			r := dialRaw(t, m.Addr())
			r.write(append([]byte("CP2"), frameHeader(0x7fffffff, 0)...))
			rs = append(rs, r)
		}
		for i, r := range rs {
			r.expectClosed(fmt.Sprintf("burst connection %d", i), closeWithin)
		}
		for _, h := range loops {
			h.progressed(t, 5)
		}
	})

	// A connection that dribbles a valid authentication byte by byte is
	// served normally: partial reads must be reassembled.
	t.Run("byte-by-byte-authentication", func(t *testing.T) {
		r := dialRaw(t, m.Addr())
		msg := append([]byte("CP2"), authRequest(1, clusterName)...)
		for i := range msg {
			r.write(msg[i : i+1])
			if i%16 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
		resp := r.mustRead("dribbled authentication")
		eq(t, "dribbled authentication response type", resp.typ(), int32(typeAuthResponse))
		eq(t, "dribbled authentication status", resp[0].content[13], byte(0))
		r.write(simpleRequest(typePingRequest, 2))
		ping := r.mustRead("ping")
		eq(t, "ping response type", ping.typ(), int32(typePingResponse))
		eq(t, "ping correlation id", ping.corr(), int64(2))
	})

	// The healthy clients never failed and their data is intact.
	for _, h := range loops {
		h.halt()
		if err := h.failure(); err != nil {
			t.Fatalf("healthy %s client failed: %v", h.name, err)
		}
		ctx := testCtx(t)
		for k, want := range h.last {
			v, err := h.mp.Get(ctx, k)
			must(t, err, "final Get %s", k)
			eq(t, "healthy "+h.name+" data "+k, v, want)
		}
		n, err := h.mp.Size(ctx)
		must(t, err, "Size")
		eq(t, "healthy "+h.name+" map size", n, len(h.last))
		t.Logf("healthy %s client: %d put+get rounds", h.name, h.ops.Load())
	}
}

// TestUnknownMessageType: a well-formed request of a type the member does
// not know is answered with an UnsupportedOperation error, quickly, and
// the connection stays usable.
func TestUnknownMessageType(t *testing.T) {
	m := startMember(t, nil)
	r := dialRaw(t, m.Addr())
	r.authenticate()
	for i, typ := range []int32{0x7f0100, typeQueueOffer, 0x7fffff} {
		corr := int64(10 + i)
		start := time.Now()
		r.write(simpleRequest(typ, corr))
		resp := r.mustRead(fmt.Sprintf("unknown type %#x", typ))
		if el := time.Since(start); el > 2*time.Second {
			t.Errorf("type %#x answered after %v", typ, el)
		}
		eq(t, "correlation id of the error response", resp.corr(), corr)
		code, class, err := resp.errorCode()
		must(t, err, "type %#x", typ)
		if code != errCodeUnsupportedOperation {
			t.Errorf("type %#x: error code %d (%s), want %d (UnsupportedOperation)", typ, code, class, errCodeUnsupportedOperation)
		}
	}
	// Still usable.
	r.write(simpleRequest(typePingRequest, 99))
	ping := r.mustRead("ping after unknown types")
	eq(t, "ping response type", ping.typ(), int32(typePingResponse))
	eq(t, "ping correlation id", ping.corr(), int64(99))
}

// TestUnsupportedStructureFailsFast: a data structure Filbert does not
// implement fails with UnsupportedOperation through the official client
// instead of hanging, and the client keeps working.
func TestUnsupportedStructureFailsFast(t *testing.T) {
	m := startMember(t, nil)
	forEachMode(t, m, func(t *testing.T, c *hazelcast.Client) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		start := time.Now()
		q, err := c.GetQueue(ctx, mapName(t, "queue"))
		if err == nil {
			_, err = q.Add(ctx, "x") // Queue.Offer on the wire
		}
		el := time.Since(start)
		if !errors.Is(err, hzerrors.ErrUnsupportedOperation) {
			t.Fatalf("Queue.Add (Queue.Offer message): got %v, want an error wrapping hzerrors.ErrUnsupportedOperation", err)
		}
		if el > 5*time.Second {
			t.Errorf("Queue.Add failed only after %v", el)
		}
		mp := getMap(t, c, mapName(t, "after"))
		_, err = mp.Put(testCtx(t), "k", "v")
		must(t, err, "Put after an unsupported operation")
	})
}
