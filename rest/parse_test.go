package rest

import (
	"bufio"
	"bytes"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// validRequests are whole requests with what Parse must make of them.
var validRequests = []struct {
	name string
	raw  string
	want Request
}{
	{
		name: "curl GET",
		raw:  "GET /hazelcast/health HTTP/1.1\r\nHost: 127.0.0.1:5701\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n",
		want: Request{Method: "GET", Target: "/hazelcast/health", Path: "/hazelcast/health", Proto: "HTTP/1.1",
			Header: []Header{{"Host", "127.0.0.1:5701"}, {"User-Agent", "curl/8.5.0"}, {"Accept", "*/*"}}},
	},
	{
		name: "curl POST with body",
		raw: "POST /hazelcast/rest/management/cluster/changeState HTTP/1.1\r\nHost: x\r\n" +
			"Content-Length: 12\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\ndev&&FROZEN\n",
		want: Request{Method: "POST", Target: "/hazelcast/rest/management/cluster/changeState",
			Path: "/hazelcast/rest/management/cluster/changeState", Proto: "HTTP/1.1",
			Header: []Header{{"Host", "x"}, {"Content-Length", "12"}, {"Content-Type", "application/x-www-form-urlencoded"}},
			Body:   []byte("dev&&FROZEN\n")},
	},
	{
		name: "HTTP/1.0 closes",
		raw:  "GET / HTTP/1.0\r\n\r\n",
		want: Request{Method: "GET", Target: "/", Path: "/", Proto: "HTTP/1.0", Close: true},
	},
	{
		name: "HTTP/1.0 keep-alive",
		raw:  "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
		want: Request{Method: "GET", Target: "/", Path: "/", Proto: "HTTP/1.0", Header: []Header{{"Connection", "Keep-Alive"}}},
	},
	{
		name: "Connection: close among tokens, bare LF, value spaces trimmed",
		raw:  "HEAD /a%20b?seq=7&x=%41 HTTP/1.1\nconnection:  TE,  close \t\n\n",
		want: Request{Method: "HEAD", Target: "/a%20b?seq=7&x=%41", Path: "/a b", Proto: "HTTP/1.1",
			Header: []Header{{"connection", "TE,  close"}}, Close: true},
	},
	{
		name: "leading empty lines skipped",
		raw:  "\r\n\nDELETE /x HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
		want: Request{Method: "DELETE", Target: "/x", Path: "/x", Proto: "HTTP/1.1", Header: []Header{{"Content-Length", "0"}}},
	},
	{
		name: "absolute-form target, repeated equal Content-Length",
		raw:  "PUT http://h:5701/p?q=1 HTTP/1.1\r\nContent-Length: 2, 2\r\nContent-Length: 2\r\n\r\nok",
		want: Request{Method: "PUT", Target: "http://h:5701/p?q=1", Path: "/p", Proto: "HTTP/1.1",
			Header: []Header{{"Content-Length", "2, 2"}, {"Content-Length", "2"}}, Body: []byte("ok")},
	},
}

func normalize(r *Request) *Request {
	c := *r
	c.Query = nil
	return &c
}

func TestParseValid(t *testing.T) {
	for _, tc := range validRequests {
		t.Run(tc.name, func(t *testing.T) {
			req, n, err := Parse([]byte(tc.raw))
			if err != nil || req == nil {
				t.Fatalf("Parse = %v, %d, %v", req, n, err)
			}
			if n != len(tc.raw) {
				t.Errorf("n = %d, want %d", n, len(tc.raw))
			}
			if !reflect.DeepEqual(normalize(req), &tc.want) {
				t.Errorf("got  %+v\nwant %+v", normalize(req), &tc.want)
			}
		})
	}
}

func TestParseQueryAndGet(t *testing.T) {
	req, _, err := Parse([]byte("GET /p?seq=7&x=%41&x=b HTTP/1.1\r\nX-Thing: v\r\n\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := req.Query["x"]; !reflect.DeepEqual(got, []string{"A", "b"}) || req.Query.Get("seq") != "7" {
		t.Errorf("query = %v", req.Query)
	}
	if req.Get("x-thing") != "v" || req.Get("missing") != "" {
		t.Errorf("Get: %q %q", req.Get("x-thing"), req.Get("missing"))
	}
}

// TestParseEveryPrefix feeds each request cut at every byte: every prefix
// needs more bytes, the whole parses the same as in one piece.
func TestParseEveryPrefix(t *testing.T) {
	for _, tc := range validRequests {
		raw := []byte(tc.raw)
		for cut := 0; cut < len(raw); cut++ {
			req, n, err := Parse(raw[:cut])
			if req != nil || n != 0 || err != nil {
				t.Fatalf("%s: prefix of %d bytes: %v, %d, %v", tc.name, cut, req, n, err)
			}
		}
	}
}

// TestParsePipelined parses several requests arriving back to back in reads
// of every size from 1 to 9 bytes, the way a server accumulates input.
func TestParsePipelined(t *testing.T) {
	var stream []byte
	for _, tc := range validRequests {
		stream = append(stream, tc.raw...)
	}
	for chunk := 1; chunk <= 9; chunk++ {
		var buf []byte
		var got []*Request
		for off := 0; off < len(stream) || len(buf) > 0; {
			end := min(off+chunk, len(stream))
			buf = append(buf, stream[off:end]...)
			off = end
			for {
				req, n, err := Parse(buf)
				if err != nil {
					t.Fatalf("chunk %d: %v", chunk, err)
				}
				if req == nil {
					break
				}
				got = append(got, req)
				buf = buf[n:]
			}
			if off == len(stream) && len(buf) > 0 {
				t.Fatalf("chunk %d: %d bytes left: %q", chunk, len(buf), buf)
			}
		}
		if len(got) != len(validRequests) {
			t.Fatalf("chunk %d: %d requests, want %d", chunk, len(got), len(validRequests))
		}
		for i, req := range got {
			if !reflect.DeepEqual(normalize(req), &validRequests[i].want) {
				t.Errorf("chunk %d request %d: got %+v", chunk, i, req)
			}
		}
	}
}

func TestParseBodyIsCopied(t *testing.T) {
	buf := []byte("POST /p HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc")
	req, _, err := Parse(buf)
	if err != nil {
		t.Fatal(err)
	}
	copy(buf, bytes.Repeat([]byte{'z'}, len(buf)))
	if string(req.Body) != "abc" || req.Method != "POST" {
		t.Errorf("request aliases the buffer: %+v", req)
	}
}

func TestParseErrors(t *testing.T) {
	long := strings.Repeat("a", DefaultMaxHeaderBytes)
	manyHeaders := strings.Repeat("X: y\r\n", DefaultMaxHeaders+1)
	cases := []struct {
		name     string
		raw      string
		status   int
		sentinel error
	}{
		{"empty request line", "\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\n\r\n", 400, ErrMalformed},
		{"one word", "GET\r\n\r\n", 400, ErrMalformed},
		{"two words", "GET /\r\n\r\n", 400, ErrMalformed},
		{"four words", "GET / HTTP/1.1 x\r\n\r\n", 400, ErrMalformed},
		{"double space", "GET  / HTTP/1.1\r\n\r\n", 400, ErrMalformed},
		{"leading space", " GET / HTTP/1.1\r\n\r\n", 400, ErrMalformed},
		{"binary method", "G\x00T / HTTP/1.1\r\n\r\n", 400, ErrMalformed},
		{"binary method, partial line", "GE\x01", 400, ErrMalformed},
		{"client protocol preamble", "CP2\x10\x00\x00\x00", 400, ErrMalformed},
		{"control byte in target", "GET /a\x01b HTTP/1.1\r\n\r\n", 400, ErrMalformed},
		{"target not a path", "GET hazelcast HTTP/1.1\r\n\r\n", 400, ErrMalformed},
		{"asterisk target", "OPTIONS * HTTP/1.1\r\n\r\n", 400, ErrMalformed},
		{"bad query escape", "GET /p?a=%zz HTTP/1.1\r\n\r\n", 400, ErrMalformed},
		{"garbage version", "GET / HTTX/1.1\r\n\r\n", 400, ErrMalformed},
		{"HTTP/2.0", "GET / HTTP/2.0\r\n\r\n", 505, ErrVersion},
		{"HTTP/0.9", "GET / HTTP/0.9\r\n\r\n", 505, ErrVersion},
		{"folded header", "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", 400, ErrMalformed},
		{"header without colon", "GET / HTTP/1.1\r\nAb\r\n\r\n", 400, ErrMalformed},
		{"space before colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400, ErrMalformed},
		{"empty header name", "GET / HTTP/1.1\r\n: x\r\n\r\n", 400, ErrMalformed},
		{"control byte in value", "GET / HTTP/1.1\r\nA: b\x00c\r\n\r\n", 400, ErrMalformed},
		{"bare CR in value", "GET / HTTP/1.1\r\nA: b\rc\r\n\r\n", 400, ErrMalformed},
		{"bad Content-Length", "POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", 400, ErrMalformed},
		{"negative Content-Length", "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400, ErrMalformed},
		{"huge Content-Length", "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", 400, ErrMalformed},
		{"conflicting Content-Length", "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400, ErrMalformed},
		{"chunked", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 411, ErrLengthRequired},
		{"chunked and length", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 400, ErrMalformed},
		{"body too large", "POST / HTTP/1.1\r\nContent-Length: 65537\r\n\r\n", 413, ErrBodyTooLarge},
		{"header too large, whole", "GET / HTTP/1.1\r\nA: " + long + "\r\n\r\n", 431, ErrHeaderTooLarge},
		{"header too large, no line end yet", "GET / HTTP/1.1\r\nA: " + long, 431, ErrHeaderTooLarge},
		{"request line too large", "GET /" + long, 431, ErrHeaderTooLarge},
		{"too many headers", "GET / HTTP/1.1\r\n" + manyHeaders + "\r\n", 431, ErrHeaderTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, n, err := Parse([]byte(tc.raw))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse = %v, %d, %v; want a *ParseError", req, n, err)
			}
			if req != nil || n != 0 {
				t.Errorf("error with request %v, n %d", req, n)
			}
			if pe.Status != tc.status || !errors.Is(err, tc.sentinel) {
				t.Errorf("status %d err %v; want %d %v", pe.Status, err, tc.status, tc.sentinel)
			}
			resp := pe.Response()
			if !resp.Close || resp.Status != tc.status || !strings.Contains(string(resp.Body), pe.Reason) {
				t.Errorf("response %+v", resp)
			}
		})
	}
}

func TestParseErrorMessage(t *testing.T) {
	_, _, err := Parse([]byte("GET / HTTP/1.1\r\nHost : x\r\n\r\n"))
	want := `rest: malformed request: bad byte 0x20 in header name at offset 20 (" : x\r\n\r\n")`
	if err == nil || err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}

func TestParseLimits(t *testing.T) {
	l := Limits{MaxHeaderBytes: 64, MaxBodyBytes: 4, MaxHeaders: 1}
	if _, _, err := l.Parse([]byte("POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcd")); err != nil {
		t.Errorf("at the limits: %v", err)
	}
	if _, _, err := l.Parse([]byte("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n")); !errors.Is(err, ErrBodyTooLarge) {
		t.Errorf("body: %v", err)
	}
	if _, _, err := l.Parse([]byte("GET / HTTP/1.1\r\nA: b\r\nC: d\r\n\r\n")); !errors.Is(err, ErrHeaderTooLarge) {
		t.Errorf("header count: %v", err)
	}
	if _, _, err := l.Parse([]byte("GET /" + strings.Repeat("x", 60) + " HTTP/1.1\r\n")); !errors.Is(err, ErrHeaderTooLarge) {
		t.Errorf("header bytes: %v", err)
	}
}

func TestIsHTTP(t *testing.T) {
	cases := map[string]bool{
		"GET": true, "GET ": true, "GET /": true, "POS": true, "POST /": true, "PUT": true, "DEL": true,
		"DELETE /": true, "HEA": true, "HEAD /x": true,
		"": false, "G": false, "GE": false, "CP2": false, "FMP": false, "GETX": false, "POSTAL": false,
		"get": false, "OPT": false, "PATCH": false, "\x00\x00\x00": false, "HEAD\t": false,
	}
	for in, want := range cases {
		if got := IsHTTP([]byte(in)); got != want {
			t.Errorf("IsHTTP(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestResponseAppendTo(t *testing.T) {
	cases := []struct {
		name string
		resp Response
		want string
	}{
		{"json", Response{Status: 200, ContentType: contentTypeJSON, Body: []byte(`{"a":1}`)},
			"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"a\":1}"},
		{"close, extra header", Response{Status: 403, Header: []Header{{"Warning", "a\r\nb"}}, Body: []byte("no"), Close: true},
			"HTTP/1.1 403 Forbidden\r\nWarning: ab\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno"},
		{"keep-alive", Response{Status: 503, KeepAlive: true},
			"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n"},
		{"head", Response{Status: 200, Body: []byte("abc"), OmitBody: true},
			"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n"},
		{"no content", Response{Status: 204, Body: []byte("x")}, "HTTP/1.1 204 No Content\r\n\r\n"},
		{"unknown status", Response{Status: 599}, "HTTP/1.1 599 Status 599\r\nContent-Length: 0\r\n\r\n"},
		{"invalid status", Response{}, "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n"},
	}
	for _, tc := range cases {
		got := string(tc.resp.AppendTo([]byte("prefix")))
		if got != "prefix"+tc.want {
			t.Errorf("%s:\ngot  %q\nwant %q", tc.name, got, "prefix"+tc.want)
		}
	}
}

// TestParseErrorResponseIsValidHTTP reads an error response back with
// net/http.
func TestParseErrorResponseIsValidHTTP(t *testing.T) {
	_, _, err := Parse([]byte("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"))
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatal(err)
	}
	raw := pe.Response().AppendTo(nil)
	resp, rerr := http.ReadResponse(bufioReader(raw), nil)
	if rerr != nil {
		t.Fatal(rerr)
	}
	if resp.StatusCode != http.StatusLengthRequired || !resp.Close {
		t.Errorf("status %d close %v", resp.StatusCode, resp.Close)
	}
}

func BenchmarkParse(b *testing.B) {
	raw := []byte(validRequests[1].raw)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Parse(raw); err != nil {
			b.Fatal(err)
		}
	}
}

func bufioReader(b []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(b)) }
