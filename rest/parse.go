package rest

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Default limits of Limits.
const (
	// DefaultMaxHeaderBytes bounds the request line and header fields,
	// line ends included.
	DefaultMaxHeaderBytes = 8 << 10
	// DefaultMaxBodyBytes bounds a request body. REST bodies are a few
	// url-encoded fields.
	DefaultMaxBodyBytes = 64 << 10
	// DefaultMaxHeaders bounds the number of header fields.
	DefaultMaxHeaders = 64
	// maxLeadingEmptyLines is how many empty lines before a request line
	// are skipped (RFC 9112 section 2.2: some clients send a CRLF after a
	// POST body).
	maxLeadingEmptyLines = 4
)

// Limits bound what a client may send. Zero fields take their defaults.
type Limits struct {
	// MaxHeaderBytes bounds the request line plus header fields.
	MaxHeaderBytes int
	// MaxBodyBytes bounds the Content-Length a request may announce.
	MaxBodyBytes int
	// MaxHeaders bounds the number of header fields.
	MaxHeaders int
}

// WithDefaults returns l with zero fields replaced by the defaults.
func (l Limits) WithDefaults() Limits {
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if l.MaxBodyBytes <= 0 {
		l.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if l.MaxHeaders <= 0 {
		l.MaxHeaders = DefaultMaxHeaders
	}
	return l
}

// Sentinel errors of Parse, wrapped in a *ParseError.
var (
	// ErrMalformed is a request that does not follow HTTP/1.1 syntax.
	ErrMalformed = errors.New("rest: malformed request")
	// ErrHeaderTooLarge is a request line plus headers above
	// Limits.MaxHeaderBytes, or more than Limits.MaxHeaders fields.
	ErrHeaderTooLarge = errors.New("rest: request header too large")
	// ErrBodyTooLarge is a Content-Length above Limits.MaxBodyBytes.
	ErrBodyTooLarge = errors.New("rest: request body too large")
	// ErrLengthRequired is a body sent with Transfer-Encoding (chunked),
	// which Filbert does not decode.
	ErrLengthRequired = errors.New("rest: Content-Length required")
	// ErrVersion is an HTTP version other than 1.0 and 1.1.
	ErrVersion = errors.New("rest: HTTP version not supported")
)

// ParseError is a request that cannot be parsed. The connection cannot be
// used any further: answer with Response (which closes it) and discard the
// rest of the input.
type ParseError struct {
	// Status is the HTTP status to answer with: 400, 411, 413, 431 or 505.
	Status int
	// Err is one of the sentinel errors above.
	Err error
	// Reason says what is wrong, for the client and the log.
	Reason string
	// Offset is where in the input the problem was found.
	Offset int
	// Snippet quotes up to 32 bytes of input from Offset.
	Snippet string
}

// Error implements error.
func (e *ParseError) Error() string {
	return fmt.Sprintf("%v: %s at offset %d (%s)", e.Err, e.Reason, e.Offset, e.Snippet)
}

// Unwrap returns the sentinel error.
func (e *ParseError) Unwrap() error { return e.Err }

// Response is the answer to send before closing the connection: the status,
// a plain-text reason and Connection: close.
func (e *ParseError) Response() Response {
	return Response{
		Status:      e.Status,
		ContentType: contentTypeText,
		Body:        []byte(http.StatusText(e.Status) + ": " + e.Reason + "\n"),
		Close:       true,
	}
}

func parseErr(status int, sentinel error, buf []byte, off int, format string, args ...any) *ParseError {
	end := min(off+32, len(buf))
	snip := ""
	if off < len(buf) {
		snip = strconv.Quote(string(buf[off:end]))
	}
	return &ParseError{Status: status, Err: sentinel, Reason: fmt.Sprintf(format, args...), Offset: off, Snippet: snip}
}

// Header is one header field as received (Name keeps the client's case).
type Header struct {
	Name, Value string
}

// Request is one parsed HTTP/1.x request. It owns its memory: nothing
// aliases the buffer given to Parse, so it may be handed to another
// goroutine after the bytes are discarded.
type Request struct {
	// Method is the request method as sent, for example "GET".
	Method string
	// Target is the request-target as sent, for example
	// "/hazelcast/rest/management/cluster/backup?seq=7".
	Target string
	// Path is the percent-decoded path of Target.
	Path string
	// Query holds the decoded query parameters of Target.
	Query url.Values
	// Proto is "HTTP/1.0" or "HTTP/1.1".
	Proto string
	// Header holds the header fields in the order received.
	Header []Header
	// Body is the request body (Content-Length bytes), nil when empty.
	Body []byte
	// Close reports whether the connection must be closed after the
	// response: "Connection: close", or HTTP/1.0 without
	// "Connection: keep-alive".
	Close bool
}

// Get returns the value of the first header field named name (case
// insensitive), or "".
func (r *Request) Get(name string) string {
	for _, h := range r.Header {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

// httpMethods are the methods IsHTTP recognises, with the space that
// follows them on the request line.
var httpMethods = [...]string{"GET ", "POST ", "PUT ", "DELETE ", "HEAD "}

// SniffLen is how many bytes IsHTTP needs to decide.
const SniffLen = 3

// IsHTTP reports whether a connection's first bytes are the start of an
// HTTP request line with method GET, POST, PUT, DELETE or HEAD. It needs
// SniffLen bytes (fewer always give false); three bytes already tell HTTP
// from the client protocol preamble "CP2" and the member protocol's "FMP",
// and more bytes are checked against the method and the space after it.
func IsHTTP(prefix []byte) bool {
	if len(prefix) < SniffLen {
		return false
	}
	for _, m := range httpMethods {
		n := min(len(prefix), len(m))
		if string(prefix[:n]) == m[:n] {
			return true
		}
	}
	return false
}

// Parse reads one request from the start of buf with the default limits;
// see Limits.Parse.
func Parse(buf []byte) (req *Request, n int, err error) {
	return Limits{}.Parse(buf)
}

// Parse reads one request from the start of buf.
//
//   - A whole request: req and the number of bytes it took, n > 0; discard
//     n bytes and call again for a pipelined request.
//   - More bytes needed: nil, 0, nil. Call again with the same, longer,
//     buffer. A limit is enforced as soon as it is crossed, so a client
//     cannot make the caller buffer more than the limits.
//   - An error: a *ParseError. Send its Response and close the connection.
//
// Bodies must come with Content-Length; Transfer-Encoding gets 411 Length
// Required. Both CRLF and bare LF end lines. Parse never keeps state
// between calls: an incomplete request is scanned again on the next call,
// which is cheap because the header is bounded.
func (l Limits) Parse(buf []byte) (*Request, int, error) {
	l = l.WithDefaults()
	start := 0
	for i := 0; i < maxLeadingEmptyLines; i++ {
		switch {
		case bytes.HasPrefix(buf[start:], []byte("\r\n")):
			start += 2
		case bytes.HasPrefix(buf[start:], []byte("\n")):
			start++
		}
	}
	// Find the end of the header section, checking the request line as
	// soon as it is whole so garbage fails fast.
	off := start
	lines := 0
	headerEnd := -1
	for {
		nl := bytes.IndexByte(buf[off:], '\n')
		if nl < 0 {
			if len(buf)-start > l.MaxHeaderBytes {
				return nil, 0, parseErr(http.StatusRequestHeaderFieldsTooLarge, ErrHeaderTooLarge, buf, start,
					"request line and headers exceed %d bytes", l.MaxHeaderBytes)
			}
			if lines == 0 {
				if err := checkPartialRequestLine(buf, start); err != nil {
					return nil, 0, err
				}
			}
			return nil, 0, nil
		}
		lineEnd := off + nl + 1
		if lineEnd-start > l.MaxHeaderBytes {
			return nil, 0, parseErr(http.StatusRequestHeaderFieldsTooLarge, ErrHeaderTooLarge, buf, start,
				"request line and headers exceed %d bytes", l.MaxHeaderBytes)
		}
		line := trimEOL(buf[off:lineEnd])
		if lines == 0 {
			if _, _, _, err := parseRequestLine(buf, off, line); err != nil {
				return nil, 0, err
			}
		} else if len(line) == 0 {
			headerEnd = lineEnd
			break
		}
		lines++
		if lines-1 > l.MaxHeaders {
			return nil, 0, parseErr(http.StatusRequestHeaderFieldsTooLarge, ErrHeaderTooLarge, buf, off,
				"more than %d header fields", l.MaxHeaders)
		}
		off = lineEnd
	}
	req, bodyLen, err := parseHead(buf, start, headerEnd, l)
	if err != nil {
		return nil, 0, err
	}
	if len(buf)-headerEnd < bodyLen {
		return nil, 0, nil
	}
	if bodyLen > 0 {
		req.Body = bytes.Clone(buf[headerEnd : headerEnd+bodyLen])
	}
	return req, headerEnd + bodyLen, nil
}

// trimEOL removes the trailing LF or CRLF of a line.
func trimEOL(line []byte) []byte {
	line = line[:len(line)-1]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	return line
}

// checkPartialRequestLine rejects an incomplete first line whose method
// already contains a byte no method may contain.
func checkPartialRequestLine(buf []byte, start int) error {
	if string(buf[start:]) == "\r" {
		return nil // the start of an empty line before the request
	}
	for i := start; i < len(buf); i++ {
		c := buf[i]
		if c == ' ' {
			if i == start {
				return parseErr(http.StatusBadRequest, ErrMalformed, buf, start, "request line starts with a space")
			}
			return nil
		}
		if !isTokenChar(c) {
			return parseErr(http.StatusBadRequest, ErrMalformed, buf, i, "bad byte %#02x in method", c)
		}
	}
	return nil
}

// parseRequestLine splits "METHOD SP target SP HTTP/1.x".
func parseRequestLine(buf []byte, off int, line []byte) (method, target, proto string, err error) {
	sp1 := bytes.IndexByte(line, ' ')
	if sp1 <= 0 {
		return "", "", "", parseErr(http.StatusBadRequest, ErrMalformed, buf, off, "bad request line")
	}
	rest := line[sp1+1:]
	sp2 := bytes.IndexByte(rest, ' ')
	if sp2 <= 0 || bytes.IndexByte(rest[sp2+1:], ' ') >= 0 {
		return "", "", "", parseErr(http.StatusBadRequest, ErrMalformed, buf, off, "bad request line")
	}
	m, t, p := line[:sp1], rest[:sp2], rest[sp2+1:]
	for i, c := range m {
		if !isTokenChar(c) {
			return "", "", "", parseErr(http.StatusBadRequest, ErrMalformed, buf, off+i, "bad byte %#02x in method", c)
		}
	}
	for i, c := range t {
		if c <= ' ' || c == 0x7f {
			return "", "", "", parseErr(http.StatusBadRequest, ErrMalformed, buf, off+sp1+1+i,
				"bad byte %#02x in request target", c)
		}
	}
	switch string(p) {
	case "HTTP/1.1", "HTTP/1.0":
	default:
		if len(p) == 8 && bytes.HasPrefix(p, []byte("HTTP/")) && isDigit(p[5]) && p[6] == '.' && isDigit(p[7]) {
			return "", "", "", parseErr(http.StatusHTTPVersionNotSupported, ErrVersion, buf, off+sp1+1+sp2+1,
				"version %s not supported (HTTP/1.0 and HTTP/1.1 are)", p)
		}
		return "", "", "", parseErr(http.StatusBadRequest, ErrMalformed, buf, off+sp1+1+sp2+1, "bad HTTP version")
	}
	return string(m), string(t), string(p), nil
}

// parseHead parses the request line and header fields in
// buf[start:headerEnd] and returns the request and its body length.
func parseHead(buf []byte, start, headerEnd int, l Limits) (*Request, int, error) {
	off := start
	nl := bytes.IndexByte(buf[off:headerEnd], '\n')
	method, target, proto, err := parseRequestLine(buf, off, trimEOL(buf[off:off+nl+1]))
	if err != nil {
		return nil, 0, err
	}
	req := &Request{Method: method, Target: target, Proto: proto}
	u, uerr := url.ParseRequestURI(target)
	if uerr != nil || !strings.HasPrefix(u.Path, "/") || (u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https") {
		return nil, 0, parseErr(http.StatusBadRequest, ErrMalformed, buf, off+len(method)+1,
			"request target must be an absolute path")
	}
	req.Path = u.Path
	if req.Query, uerr = url.ParseQuery(u.RawQuery); uerr != nil {
		return nil, 0, parseErr(http.StatusBadRequest, ErrMalformed, buf, off+len(method)+1, "bad query: %v", uerr)
	}
	off += nl + 1

	contentLength := -1
	transferEncoding := false
	closeConn, keepAlive := false, false
	for off < headerEnd {
		nl := bytes.IndexByte(buf[off:headerEnd], '\n')
		line := trimEOL(buf[off : off+nl+1])
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			return nil, 0, parseErr(http.StatusBadRequest, ErrMalformed, buf, off, "folded header line")
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			return nil, 0, parseErr(http.StatusBadRequest, ErrMalformed, buf, off, "header line without a name and colon")
		}
		for i, c := range line[:colon] {
			if !isTokenChar(c) {
				return nil, 0, parseErr(http.StatusBadRequest, ErrMalformed, buf, off+i, "bad byte %#02x in header name", c)
			}
		}
		value := bytes.Trim(line[colon+1:], " \t")
		for i, c := range value {
			if (c < ' ' && c != '\t') || c == 0x7f {
				return nil, 0, parseErr(http.StatusBadRequest, ErrMalformed, buf, off+colon+1+i,
					"bad byte %#02x in header value", c)
			}
		}
		h := Header{Name: string(line[:colon]), Value: string(value)}
		req.Header = append(req.Header, h)
		switch {
		case strings.EqualFold(h.Name, "Content-Length"):
			for _, part := range strings.Split(h.Value, ",") {
				n, ok := parseLength(strings.TrimSpace(part))
				if !ok {
					return nil, 0, parseErr(http.StatusBadRequest, ErrMalformed, buf, off, "bad Content-Length %q", h.Value)
				}
				if contentLength >= 0 && n != contentLength {
					return nil, 0, parseErr(http.StatusBadRequest, ErrMalformed, buf, off, "conflicting Content-Length values")
				}
				contentLength = n
			}
		case strings.EqualFold(h.Name, "Transfer-Encoding"):
			transferEncoding = true
		case strings.EqualFold(h.Name, "Connection"):
			for _, tok := range strings.Split(h.Value, ",") {
				switch strings.ToLower(strings.TrimSpace(tok)) {
				case "close":
					closeConn = true
				case "keep-alive":
					keepAlive = true
				}
			}
		}
		off += nl + 1
	}
	switch {
	case transferEncoding && contentLength >= 0:
		return nil, 0, parseErr(http.StatusBadRequest, ErrMalformed, buf, start,
			"both Transfer-Encoding and Content-Length")
	case transferEncoding:
		return nil, 0, parseErr(http.StatusLengthRequired, ErrLengthRequired, buf, start,
			"Transfer-Encoding (chunked) bodies are not supported; send Content-Length")
	case contentLength > l.MaxBodyBytes:
		return nil, 0, parseErr(http.StatusRequestEntityTooLarge, ErrBodyTooLarge, buf, start,
			"Content-Length %d exceeds %d bytes", contentLength, l.MaxBodyBytes)
	}
	req.Close = closeConn || (proto == "HTTP/1.0" && !keepAlive)
	return req, max(contentLength, 0), nil
}

// parseLength parses a non-negative decimal Content-Length.
func parseLength(s string) (int, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isTokenChar reports whether c may appear in an HTTP token (RFC 9110
// section 5.6.2), the syntax of methods and header names.
func isTokenChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', isDigit(c):
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
