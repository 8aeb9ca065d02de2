package rest

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// FuzzParse parses arbitrary input with small limits. Nothing may panic; an
// accepted request must not overrun the input, every shorter prefix of it
// must ask for more bytes, and the same request must come back when it is
// followed by more input; an error must be a *ParseError with a response.
func FuzzParse(f *testing.F) {
	for _, tc := range validRequests {
		f.Add([]byte(tc.raw))
	}
	f.Add([]byte("POST /hazelcast/rest/management/cluster/backup?seq=1 HTTP/1.1\r\nContent-Length: 5\r\n\r\ndev&&"))
	f.Add([]byte("GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"))
	f.Add([]byte("CP2\x00\x00"))
	l := Limits{MaxHeaderBytes: 512, MaxBodyBytes: 256, MaxHeaders: 8}
	f.Fuzz(func(t *testing.T, data []byte) {
		req, n, err := l.Parse(data)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || req != nil || n != 0 {
				t.Fatalf("error %v with %v, %d", err, req, n)
			}
			if resp := pe.Response(); !resp.Close || resp.Status < 400 || len(resp.AppendTo(nil)) == 0 {
				t.Fatalf("error response %+v", resp)
			}
			return
		}
		if req == nil {
			if n != 0 {
				t.Fatalf("no request but n = %d", n)
			}
			return
		}
		if n <= 0 || n > len(data) {
			t.Fatalf("n = %d of %d bytes", n, len(data))
		}
		if len(req.Body) > l.MaxBodyBytes || len(req.Header) > l.MaxHeaders {
			t.Fatalf("limits exceeded: body %d, %d headers", len(req.Body), len(req.Header))
		}
		for cut := 0; cut < n; cut++ {
			if r, k, err := l.Parse(data[:cut]); r != nil || k != 0 || err != nil {
				t.Fatalf("prefix %d of %d: %v, %d, %v", cut, n, r, k, err)
			}
		}
		again, n2, err := l.Parse(append(bytes.Clone(data[:n]), "GET / HTTP/1.1\r\n"...))
		if err != nil || n2 != n || !reflect.DeepEqual(again, req) {
			t.Fatalf("with trailing input: %v, %d, %v; want %v, %d", again, n2, err, req, n)
		}
	})
}
