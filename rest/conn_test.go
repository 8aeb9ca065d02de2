package rest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// sink collects what a Conn sends.
type sink struct {
	mu     sync.Mutex
	out    []byte
	closed int
	sends  chan struct{}
}

func newSink() *sink { return &sink{sends: make(chan struct{}, 100)} }

func (s *sink) send(b []byte, closeAfter bool) {
	s.mu.Lock()
	s.out = append(s.out, b...)
	if closeAfter {
		s.closed++
	}
	s.mu.Unlock()
	s.sends <- struct{}{}
}

// wait waits for n sends.
func (s *sink) wait(t *testing.T, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		select {
		case <-s.sends:
		case <-time.After(10 * time.Second):
			t.Fatalf("waited for send %d of %d", i+1, n)
		}
	}
}

// responses reads the collected bytes back as HTTP responses.
func (s *sink) responses(t *testing.T) []string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	r := bufio.NewReader(bytes.NewReader(s.out))
	var out []string
	for {
		if _, err := r.Peek(1); err == io.EOF {
			return out
		}
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatalf("reading responses: %v in %q", err, s.out)
		}
		body, _ := io.ReadAll(resp.Body)
		out = append(out, fmt.Sprintf("%d %s", resp.StatusCode, strings.TrimSpace(string(body))))
	}
}

func post(path, body string) string {
	return fmt.Sprintf("POST %s HTTP/1.1\r\nContent-Length: %d\r\n\r\n%s", path, len(body), body)
}

// TestConnPipelinedInOrder: slow and fast requests pipelined on one
// connection are answered in request order.
func TestConnPipelinedInOrder(t *testing.T) {
	f := newFakeBackend()
	f.backupHook = func(ctx context.Context, seq int64) error {
		time.Sleep(time.Duration(seq) * time.Millisecond)
		return nil
	}
	s := newSink()
	c := NewRouter(allGroups(), f).NewConn(Limits{}, s.send)
	stream := post(PathBackup, "dev&&40") + "GET /hazelcast/health/cluster-size HTTP/1.1\r\n\r\n" + post(PathBackup, "dev&&1")
	// Deliver in two reads, the second one ending mid-request.
	cut := len(stream) - 5
	n, err := c.Feed([]byte(stream[:cut]))
	if err != nil {
		t.Fatal(err)
	}
	rest := stream[n:]
	if n2, err := c.Feed([]byte(rest)); err != nil || n2 != len(rest) {
		t.Fatalf("second Feed = %d, %v; want %d", n2, err, len(rest))
	}
	s.wait(t, 3)
	want := []string{`200 {"status":"success","sequence":40}`, "200 2", `200 {"status":"success","sequence":1}`}
	if got := s.responses(t); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("responses %q, want %q", got, want)
	}
	if s.closed != 0 {
		t.Errorf("closed %d times", s.closed)
	}
}

func TestConnPartialInputIsKept(t *testing.T) {
	s := newSink()
	c := NewRouter(allGroups(), newFakeBackend()).NewConn(Limits{}, s.send)
	if n, err := c.Feed([]byte("GET /hazelcast/health HTTP/1.1\r\nHost")); n != 0 || err != nil {
		t.Fatalf("Feed of a partial request = %d, %v", n, err)
	}
}

// TestConnCloseRequest: after a request with Connection: close, the rest of
// the input is ignored and the connection closes after the response.
func TestConnCloseRequest(t *testing.T) {
	f := newFakeBackend()
	s := newSink()
	c := NewRouter(allGroups(), f).NewConn(Limits{}, s.send)
	stream := "GET /hazelcast/rest/instance HTTP/1.1\r\nConnection: close\r\n\r\n" + post(PathBackup, "dev&")
	if n, err := c.Feed([]byte(stream)); n != len(stream) || err != nil {
		t.Fatalf("Feed = %d, %v", n, err)
	}
	if n, err := c.Feed([]byte("more")); n != 4 || err != nil {
		t.Fatalf("Feed after close = %d, %v", n, err)
	}
	s.wait(t, 1)
	time.Sleep(20 * time.Millisecond)
	if got := s.responses(t); len(got) != 1 || got[0] != `200 {"name":"filbert-1"}` || s.closed != 1 {
		t.Errorf("responses %q closed %d", got, s.closed)
	}
	if len(f.calls) != 0 {
		t.Errorf("backend calls after close: %v", f.calls)
	}
}

// TestConnParseError: requests before a malformed one are answered, then
// the error, then the connection closes.
func TestConnParseError(t *testing.T) {
	s := newSink()
	c := NewRouter(allGroups(), newFakeBackend()).NewConn(Limits{}, s.send)
	stream := "GET /hazelcast/health/cluster-size HTTP/1.1\r\n\r\nGET / HTTP/9.9\r\n\r\nGET /hazelcast/health HTTP/1.1\r\n\r\n"
	n, err := c.Feed([]byte(stream))
	if n != len(stream) || !errors.Is(err, ErrVersion) {
		t.Fatalf("Feed = %d, %v", n, err)
	}
	if n, err := c.Feed([]byte("GET / HTTP/1.1\r\n\r\n")); n != 18 || err != nil {
		t.Fatalf("Feed after an error = %d, %v", n, err)
	}
	s.wait(t, 2)
	got := s.responses(t)
	if len(got) != 2 || got[0] != "200 2" || !strings.HasPrefix(got[1], "505 HTTP Version Not Supported: version HTTP/9.9") ||
		s.closed != 1 {
		t.Errorf("responses %q closed %d", got, s.closed)
	}
}

func TestConnPipelineFull(t *testing.T) {
	s := newSink()
	c := NewRouter(allGroups(), newFakeBackend()).NewConn(Limits{}, s.send)
	stream := strings.Repeat("GET /hazelcast/health/cluster-size HTTP/1.1\r\n\r\n", MaxPipelined+5)
	if n, err := c.Feed([]byte(stream)); n != len(stream) || !errors.Is(err, ErrPipelineFull) {
		t.Fatalf("Feed = %d, %v", n, err)
	}
	s.wait(t, MaxPipelined+1)
	got := s.responses(t)
	if len(got) != MaxPipelined+1 || got[MaxPipelined-1] != "200 2" ||
		got[MaxPipelined] != fmt.Sprintf("503 more than %d pipelined requests", MaxPipelined) || s.closed != 1 {
		t.Errorf("%d responses, last %q, closed %d", len(got), got[len(got)-1], s.closed)
	}
}

// TestConnStop: Stop cancels the request under way and nothing is sent.
func TestConnStop(t *testing.T) {
	f := newFakeBackend()
	started := make(chan struct{})
	f.backupHook = func(ctx context.Context, seq int64) error {
		close(started)
		<-ctx.Done()
		return ctx.Err()
	}
	s := newSink()
	c := NewRouter(allGroups(), f).NewConn(Limits{}, s.send)
	stream := post(PathBackup, "dev&") + "GET /hazelcast/health HTTP/1.1\r\n\r\n"
	if _, err := c.Feed([]byte(stream)); err != nil {
		t.Fatal(err)
	}
	<-started
	c.Stop()
	time.Sleep(50 * time.Millisecond)
	if got := s.responses(t); len(got) != 0 {
		t.Errorf("sent after Stop: %q", got)
	}
	if n, err := c.Feed([]byte("GET / HTTP/1.1\r\n\r\n")); n != 18 || err != nil {
		t.Errorf("Feed after Stop = %d, %v", n, err)
	}
}

// serveTCP runs a minimal event-loop-like server: one reader per
// connection feeding a Conn, the way the member's gnet handler does.
func serveTCP(t *testing.T, r *Router) (addr string, accepted *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	accepted = &atomic.Int32{}
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			go func() {
				var wmu sync.Mutex
				c := r.NewConn(Limits{}, func(b []byte, closeAfter bool) {
					wmu.Lock()
					defer wmu.Unlock()
					nc.Write(b)
					if closeAfter {
						nc.Close()
					}
				})
				defer c.Stop()
				var buf []byte
				tmp := make([]byte, 512)
				for {
					k, err := nc.Read(tmp)
					if err != nil {
						return
					}
					buf = append(buf, tmp[:k]...)
					n, _ := c.Feed(buf)
					buf = buf[n:]
				}
			}()
		}
	}()
	return ln.Addr().String(), accepted
}

// TestConnWithNetHTTPClient drives the parser, router and Conn with Go's
// HTTP client over TCP, keep-alive included.
func TestConnWithNetHTTPClient(t *testing.T) {
	f := newFakeBackend()
	addr, accepted := serveTCP(t, NewRouter(allGroups(), f))
	client := &http.Client{Timeout: 10 * time.Second}
	base := "http://" + addr
	for i := 0; i < 3; i++ {
		resp, err := client.Get(base + PathClusterState)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != `{"status":"success","state":"active"}` ||
			resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("GET state: %d %q %v", resp.StatusCode, body, resp.Header)
		}
	}
	resp, err := client.Post(base+PathChangeClusterState, "application/x-www-form-urlencoded", strings.NewReader("dev&&passive"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != `{"status":"success","state":"passive"}` {
		t.Fatalf("changeState: %d %q", resp.StatusCode, body)
	}
	resp, err = client.Head(base + PathHealth)
	if err != nil || resp.StatusCode != 200 || resp.ContentLength <= 0 {
		t.Fatalf("HEAD: %v %v", resp, err)
	}
	resp.Body.Close()
	if n := accepted.Load(); n != 1 {
		t.Errorf("%d connections for keep-alive requests, want 1", n)
	}

	// A chunked body is refused with 411 and the connection closed.
	req, _ := http.NewRequest("POST", base+PathBackup, io.MultiReader(strings.NewReader("dev&")))
	req.ContentLength = -1
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusLengthRequired || !resp.Close || !strings.Contains(string(body), "send Content-Length") {
		t.Errorf("chunked: %d close %v %q", resp.StatusCode, resp.Close, body)
	}
}
