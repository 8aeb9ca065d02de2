package admin

import (
	"context"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/filbert/filbert/codec"
	"github.com/filbert/filbert/config"
	"github.com/filbert/filbert/protocol"
	"github.com/filbert/filbert/rest"
)

// fakeMember speaks just enough of a member for the admin client: the
// client protocol (authentication and the four MC messages) and, on the
// same port, REST through package rest with itself as the Backend. It
// never starts a real member.
type fakeMember struct {
	t        *testing.T
	ln       net.Listener
	cluster  string
	user     string // with security: the user and password required
	password string
	rest     config.RESTConfig

	mu         sync.Mutex
	state      byte
	triggers   int
	interrupts int
	restSeqs   []int64
	types      []int32               // client-protocol requests seen, authentication included
	fail       *codec.ErrorHolder    // answer MC requests with this error
	hang       bool                  // leave MC requests unanswered
	closeOnMC  bool                  // close the connection on an MC request
	noise      bool                  // events, stray responses and fragments around answers
	statusCall int                   // BackupStatus calls so far
	statuses   [][]rest.BackupStatus // BackupStatus answers, by call (the last repeats)
}

var (
	fakeMemberUUID = protocol.UUID{MSB: 1, LSB: 2}
	fakeClusterID  = protocol.UUID{MSB: 3, LSB: 4}
)

func startFakeMember(t *testing.T) *fakeMember {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m := &fakeMember{t: t, ln: ln, cluster: "dev", rest: config.RESTConfig{Enabled: true, EndpointGroups: map[string]bool{
		config.RESTClusterWrite: true, config.RESTPersistence: true,
	}}}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, nc)
			wg.Add(1)
			go func() {
				defer wg.Done()
				m.serve(nc)
			}()
		}
	}()
	return m
}

func (m *fakeMember) addr() string { return m.ln.Addr().String() }

// serve tells HTTP from the client protocol by the first bytes, as the
// member does.
func (m *fakeMember) serve(nc net.Conn) {
	defer nc.Close()
	first := make([]byte, rest.SniffLen)
	if _, err := io.ReadFull(nc, first); err != nil {
		return
	}
	if rest.IsHTTP(first) {
		m.serveHTTP(nc, first)
		return
	}
	if string(first) != "CP2" {
		return
	}
	scan := protocol.NewScanner(protocol.Limits{})
	var buf []byte
	tmp := make([]byte, 4096)
	for {
		k, err := nc.Read(tmp)
		if err != nil {
			return
		}
		buf = append(buf, tmp[:k]...)
		for {
			n, err := scan.Next(buf)
			if err != nil {
				m.t.Errorf("fake member: %v", err)
				return
			}
			if n == 0 {
				break
			}
			if !m.handle(nc, protocol.Message(buf[:n])) {
				return
			}
			buf = buf[n:]
		}
	}
}

func (m *fakeMember) serveHTTP(nc net.Conn, first []byte) {
	var wmu sync.Mutex
	m.mu.Lock()
	cfg := m.rest
	m.mu.Unlock()
	c := rest.NewRouter(cfg, m).NewConn(rest.Limits{}, func(b []byte, closeAfter bool) {
		wmu.Lock()
		defer wmu.Unlock()
		nc.Write(b)
		if closeAfter {
			nc.Close()
		}
	})
	defer c.Stop()
	buf := append([]byte(nil), first...)
	tmp := make([]byte, 4096)
	for {
		n, _ := c.Feed(buf)
		buf = buf[n:]
		k, err := nc.Read(tmp)
		if err != nil {
			return
		}
		buf = append(buf, tmp[:k]...)
	}
}

// handle answers one request; false closes the connection.
func (m *fakeMember) handle(nc net.Conn, msg protocol.Message) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.types = append(m.types, msg.Type())
	var w protocol.Writer
	var resp []byte
	mc := true
	switch msg.Type() {
	case codec.ClientAuthenticationRequestType:
		mc = false
		req, err := codec.DecodeClientAuthenticationRequest(msg)
		if err != nil {
			m.t.Errorf("fake member: %v", err)
			return false
		}
		status := byte(authOK)
		user, pass := "", ""
		if req.Username != nil {
			user = *req.Username
		}
		if req.Password != nil {
			pass = *req.Password
		}
		if req.ClusterName != m.cluster || user != m.user || pass != m.password {
			status = authCredentialsFail
		}
		if req.ClientType != ClientType || req.ClientName != ClientName || req.UUID.IsZero() || req.SerializationVersion != 1 {
			m.t.Errorf("fake member: authentication request %+v", req)
		}
		resp = codec.EncodeClientAuthenticationResponse(&w, status, &codec.Address{Host: "127.0.0.1", Port: 5701},
			fakeMemberUUID, 1, "5.3.6", 271, fakeClusterID, false, nil, nil, 0, nil, 0, nil, nil)
	case codec.MCGetClusterMetadataRequestType:
		resp = codec.EncodeMCGetClusterMetadataResponse(&w, m.state, "5.3.6", nil, 1700000000123, fakeClusterID)
	case codec.MCChangeClusterStateRequestType:
		req, err := codec.DecodeMCChangeClusterStateRequest(msg)
		if err != nil || req.NewState < 0 || req.NewState > 3 {
			m.t.Errorf("fake member: change state %+v %v", req, err)
			return false
		}
		m.state = byte(req.NewState)
		resp = codec.EncodeMCChangeClusterStateResponse(&w)
	case codec.MCTriggerHotRestartBackupRequestType:
		m.triggers++
		resp = codec.EncodeMCTriggerHotRestartBackupResponse(&w)
	case codec.MCInterruptHotRestartBackupRequestType:
		m.interrupts++
		resp = codec.EncodeMCInterruptHotRestartBackupResponse(&w)
	default:
		msg := "unknown message type"
		resp = codec.EncodeErrorResponse(&w, []codec.ErrorHolder{{ErrorCode: 1, ClassName: "java.lang.UnsupportedOperationException", Message: &msg}})
	}
	if mc {
		switch {
		case m.closeOnMC:
			return false
		case m.hang:
			return true
		case m.fail != nil:
			w.Reset(nil)
			resp = codec.EncodeErrorResponse(&w, []codec.ErrorHolder{*m.fail})
		}
	}
	id := msg.CorrelationID()
	protocol.SetCorrelationID(resp, id)
	if !m.noise {
		// Two writes, so the client sees a message arrive in pieces.
		half := len(resp) / 2
		nc.Write(resp[:half])
		time.Sleep(time.Millisecond)
		nc.Write(resp[half:])
		return true
	}
	var ew protocol.Writer
	ew.StartEvent(0x000303, -1, 0)
	ev := ew.Finish()
	protocol.SetCorrelationID(ev, id)
	var sw protocol.Writer
	stray := codec.EncodeMCChangeClusterStateResponse(&sw)
	protocol.SetCorrelationID(stray, id+1000)
	out := append(append([]byte(nil), ev...), stray...)
	for _, f := range fragment(resp, id) {
		out = append(out, f...)
	}
	nc.Write(out)
	return true
}

// fragment splits a message of two or more frames into two fragments (the
// protocol's fragmentation); a one-frame message is returned whole.
func fragment(msg []byte, fid int64) [][]byte {
	it := protocol.Message(msg).Iter()
	var frames []protocol.Frame
	for it.HasNext() {
		frames = append(frames, it.Next())
	}
	if len(frames) < 2 {
		return [][]byte{msg}
	}
	build := func(flags uint16, part []protocol.Frame) []byte {
		var w protocol.Writer
		protocol.PutInt64(w.Frame(flags, protocol.LongSize), 0, fid)
		for _, f := range part {
			w.BytesFrame(f.Flags&^protocol.IsFinal, f.Content)
		}
		return append([]byte(nil), w.Finish()...)
	}
	return [][]byte{build(protocol.BeginFragment, frames[:1]), build(protocol.EndFragment, frames[1:])}
}

// The rest.Backend side.

func (m *fakeMember) Authenticate(name, password string) bool {
	return rest.CheckCredentials(&config.Config{ClusterName: m.cluster}, name, password)
}
func (m *fakeMember) InstanceName() string { return "fake" }
func (m *fakeMember) ClusterState() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return StateName(m.state)
}
func (m *fakeMember) ChangeClusterState(ctx context.Context, state string) error {
	code, err := StateCode(state)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.state = byte(code)
	return nil
}
func (m *fakeMember) Cluster() rest.ClusterInfo { return rest.ClusterInfo{} }
func (m *fakeMember) Health() rest.HealthInfo {
	return rest.HealthInfo{NodeState: rest.NodeActive, Ready: true}
}
func (m *fakeMember) HotBackup(ctx context.Context, seq int64) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if seq < 0 {
		seq = 500 + int64(len(m.restSeqs))
	}
	m.restSeqs = append(m.restSeqs, seq)
	return seq, nil
}
func (m *fakeMember) InterruptBackup(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.interrupts++
	return nil
}
func (m *fakeMember) BackupStatus(ctx context.Context) ([]rest.BackupStatus, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.statuses) == 0 {
		return nil, nil
	}
	i := min(m.statusCall, len(m.statuses)-1)
	m.statusCall++
	return m.statuses[i], nil
}
