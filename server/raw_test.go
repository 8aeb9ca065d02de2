package server

import (
	"bufio"
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/filbert/filbert/codec"
	"github.com/filbert/filbert/config"
	"github.com/filbert/filbert/protocol"
)

// startTestMember runs a member on an ephemeral 127.0.0.1 port.
func startTestMember(t *testing.T, mutate func(*config.Config)) *Member {
	t.Helper()
	cfg := config.Default()
	cfg.Network.Port = 0
	cfg.Network.PortAutoIncrement = false
	if mutate != nil {
		mutate(cfg)
	}
	m, err := New(Options{Config: cfg, Logger: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = m.Shutdown(ctx)
	})
	return m
}

// rawClient speaks the protocol by hand over one TCP connection.
type rawClient struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
	corr int64
}

func dialRaw(t *testing.T, m *Member) *rawClient {
	t.Helper()
	c, err := net.Dial("tcp", m.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte("CP2")); err != nil {
		t.Fatal(err)
	}
	return &rawClient{t: t, conn: c, r: bufio.NewReader(c)}
}

// send writes msg with a fresh correlation id and returns the id.
func (rc *rawClient) send(msg []byte) int64 {
	rc.corr++
	protocol.SetCorrelationID(msg, rc.corr)
	if _, err := rc.conn.Write(msg); err != nil {
		rc.t.Fatal(err)
	}
	return rc.corr
}

// read returns the next whole message.
func (rc *rawClient) read() (protocol.Message, error) {
	var msg []byte
	for {
		var hdr [protocol.FrameHeaderSize]byte
		if _, err := io.ReadFull(rc.r, hdr[:]); err != nil {
			return nil, err
		}
		n := int(protocol.GetInt32(hdr[:], 0))
		frame := make([]byte, n)
		copy(frame, hdr[:])
		if _, err := io.ReadFull(rc.r, frame[protocol.FrameHeaderSize:]); err != nil {
			return nil, err
		}
		msg = append(msg, frame...)
		if protocol.GetInt16(hdr[:], 4)&int16(protocol.IsFinal) != 0 {
			return msg, nil
		}
	}
}

func (rc *rawClient) mustRead() protocol.Message {
	rc.t.Helper()
	m, err := rc.read()
	if err != nil {
		rc.t.Fatal(err)
	}
	return m
}

func authRequest(cluster string) []byte {
	var w protocol.Writer
	return codec.EncodeClientAuthenticationRequest(&w, -1, &codec.ClientAuthenticationRequest{
		ClusterName: cluster, UUID: protocol.UUID{MSB: 7, LSB: 7}, ClientType: "RAW",
		SerializationVersion: 1, ClientHazelcastVersion: "5.3", ClientName: "raw", Labels: []string{},
	})
}

func (rc *rawClient) authenticate(cluster string) codec.ClientAuthenticationResponse {
	rc.t.Helper()
	rc.send(authRequest(cluster))
	resp, err := codec.DecodeClientAuthenticationResponse(rc.mustRead())
	if err != nil {
		rc.t.Fatal(err)
	}
	return resp
}

func stringData(s string) []byte {
	b := []byte{0, 0, 0, 0, 0xff, 0xff, 0xff, 0xf5, 0, 0, 0, byte(len(s))}
	return append(b, s...)
}

func TestRawAuthenticationResponse(t *testing.T) {
	m := startTestMember(t, nil)
	rc := dialRaw(t, m)
	resp := rc.authenticate("dev")
	if resp.Status != 0 || resp.MemberUUID != m.UUID() || resp.PartitionCount != 271 || resp.ClusterID.IsZero() {
		t.Fatalf("auth response %+v", resp)
	}
	if resp.Address == nil || resp.Address.Port != int32(m.Port()) {
		t.Fatalf("address %+v", resp.Address)
	}
	if len(resp.MemberInfos) != 1 || len(resp.Partitions) != 1 || len(resp.Partitions[0].Value) != 271 {
		t.Fatalf("member list/partitions missing: %d %d", len(resp.MemberInfos), len(resp.Partitions))
	}
	rc2 := dialRaw(t, m)
	if bad := rc2.authenticate("other"); bad.Status != authCredentialsFail {
		t.Fatalf("wrong cluster name: status %d", bad.Status)
	}
}

func TestRawUnknownMessageType(t *testing.T) {
	m := startTestMember(t, nil)
	rc := dialRaw(t, m)
	rc.authenticate("dev")
	var w protocol.Writer
	w.StartRequest(0x7f0100, -1, 0)
	corr := rc.send(w.Finish())
	resp := rc.mustRead()
	if resp.Type() != 0 || resp.CorrelationID() != corr {
		t.Fatalf("type %#x corr %d", resp.Type(), resp.CorrelationID())
	}
	it := resp.Iter()
	it.Next()
	it.Begin()
	holder := codec.DecodeErrorHolder(&it)
	if holder.ErrorCode != codeUnsupportedOperation {
		t.Fatalf("error code %d (%s)", holder.ErrorCode, holder.ClassName)
	}
}

func TestRawRequestBeforeAuthIsRefused(t *testing.T) {
	m := startTestMember(t, nil)
	rc := dialRaw(t, m)
	var w protocol.Writer
	rc.send(codec.EncodeMapGetRequest(&w, 0, &codec.MapGetRequest{Name: "m", Key: stringData("k")}))
	resp := rc.mustRead()
	if resp.Type() != 0 {
		t.Fatalf("want an error response, got type %#x", resp.Type())
	}
	if _, err := rc.read(); err == nil {
		t.Fatal("connection stayed open after an unauthenticated request")
	}
}

func TestRawFragmentedRequest(t *testing.T) {
	m := startTestMember(t, nil)
	rc := dialRaw(t, m)
	rc.authenticate("dev")
	var w protocol.Writer
	put := codec.EncodeMapPutRequest(&w, -1, &codec.MapPutRequest{Name: "frag", Key: stringData("k"), Value: stringData("v"), TTL: -1})
	rc.corr++
	protocol.SetCorrelationID(put, rc.corr)
	// Split after the initial frame: two fragments with id 5.
	first := int(protocol.GetInt32(put, 0))
	a := fragmentOf(put[:first], 5, protocol.BeginFragment)
	b := fragmentOf(put[first:], 5, protocol.EndFragment)
	if _, err := rc.conn.Write(append(a, b...)); err != nil {
		t.Fatal(err)
	}
	resp := rc.mustRead()
	if resp.Type() != codec.MapPutResponseType || resp.CorrelationID() != rc.corr {
		t.Fatalf("fragmented put answered with type %#x corr %d", resp.Type(), resp.CorrelationID())
	}
	rc.send(codec.EncodeMapGetRequest(&w, -1, &codec.MapGetRequest{Name: "frag", Key: stringData("k")}))
	got, err := codec.DecodeMapGetResponse(rc.mustRead())
	if err != nil || string(got.Response) != string(stringData("v")) {
		t.Fatalf("get after fragmented put: %q %v", got.Response, err)
	}
}

func TestRawIdleConnectionIsClosed(t *testing.T) {
	m := startTestMember(t, func(c *config.Config) {
		c.Properties["hazelcast.client.max.no.heartbeat.seconds"] = "1"
	})
	rc := dialRaw(t, m)
	rc.authenticate("dev")
	start := time.Now()
	_ = rc.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := rc.read(); err == nil {
		t.Fatal("idle connection got a message instead of being closed")
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Fatalf("idle connection closed after %v, want about 1-2s", d)
	}
}

// fragmentOf wraps whole frames into one fragment: an id frame with flags,
// then the frames, the last one marked final.
func fragmentOf(frames []byte, id int64, flags uint16) []byte {
	var w protocol.Writer
	protocol.PutInt64(w.Frame(flags, protocol.LongSize), 0, id)
	out := append([]byte(nil), w.Finish()...)
	protocol.PutInt16(out, 4, int16(flags)) // the id frame is not the last
	out = append(out, frames...)
	last := 0
	for off := 0; off < len(out); off += int(protocol.GetInt32(out, off)) {
		last = off
	}
	protocol.PutInt16(out, last+4, protocol.GetInt16(out, last+4)|int16(protocol.IsFinal))
	return out
}

func TestRawByteByByte(t *testing.T) {
	m := startTestMember(t, nil)
	c, err := net.Dial("tcp", m.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rc := &rawClient{t: t, conn: c, r: bufio.NewReader(c)}
	msg := append([]byte("CP2"), authRequest("dev")...)
	for i := range msg {
		if _, err := c.Write(msg[i : i+1]); err != nil {
			t.Fatalf("byte %d: %v", i, err)
		}
		time.Sleep(100 * time.Microsecond)
	}
	resp, err := codec.DecodeClientAuthenticationResponse(rc.mustRead())
	if err != nil || resp.Status != 0 {
		t.Fatalf("auth: %+v %v", resp, err)
	}
}

// TestRawSlowReaderKeepsOrder fills the socket while the client does not
// read, so workers must hand output back to the event loop; every response
// must still arrive whole and in order.
func TestRawSlowReaderKeepsOrder(t *testing.T) {
	m := startTestMember(t, nil)
	rc := dialRaw(t, m)
	_ = rc.conn.SetDeadline(time.Now().Add(60 * time.Second))
	rc.authenticate("dev")
	big := make([]byte, 1<<20)
	for i := range big {
		big[i] = byte(i * 7)
	}
	value := append([]byte{0, 0, 0, 0, 0xff, 0xff, 0xff, 0xf4, 0, 0x10, 0, 0}, big...) // byte array Data
	var w protocol.Writer
	rc.send(codec.EncodeMapSetRequest(&w, -1, &codec.MapSetRequest{Name: "slow", Key: stringData("k"), Value: value, TTL: -1}))
	if resp := rc.mustRead(); resp.Type() != codec.MapSetResponseType {
		t.Fatalf("set answered with %#x", resp.Type())
	}
	const n = 40 // 40 MiB of responses, far more than the socket buffers hold
	fallbacks := directWriteFallbacks.Load()
	// Which writer meets the full socket (a worker, or the loop finishing
	// its read) depends on scheduling; on a busy machine try a few times
	// for the workers' fallback to be exercised. Order must hold always.
	for attempt := 0; attempt < 5 && directWriteFallbacks.Load() == fallbacks; attempt++ {
		first := rc.corr + 1
		for i := 0; i < n; i++ {
			var w protocol.Writer
			rc.send(codec.EncodeMapGetRequest(&w, -1, &codec.MapGetRequest{Name: "slow", Key: stringData("k")}))
		}
		for i := 0; i < n; i++ {
			msg := rc.mustRead()
			if msg.CorrelationID() != first+int64(i) {
				t.Fatalf("response %d has correlation id %d, want %d", i, msg.CorrelationID(), first+int64(i))
			}
			got, err := codec.DecodeMapGetResponse(msg)
			if err != nil || len(got.Response) != len(value) || got.Response[len(value)-1] != value[len(value)-1] {
				t.Fatalf("response %d: %d bytes, err %v", i, len(got.Response), err)
			}
		}
	}
	if directWriteFallbacks.Load() == fallbacks {
		t.Fatal("the socket never filled: the loop fallback was not exercised")
	}
}
