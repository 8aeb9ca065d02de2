package rest

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// Content types of responses.
const (
	contentTypeJSON = "application/json"
	contentTypeText = "text/plain; charset=utf-8"
)

// Response is an HTTP response to write on the connection.
type Response struct {
	// Status is the HTTP status code.
	Status int
	// ContentType is sent as Content-Type when not empty.
	ContentType string
	// Header holds extra header fields. Content-Length and Connection are
	// written by AppendTo and must not be set here.
	Header []Header
	// Body is the response body.
	Body []byte
	// Close asks for "Connection: close"; the caller closes the connection
	// once the response is written.
	Close bool
	// OmitBody leaves the body out while keeping its Content-Length, as
	// the answer to a HEAD request.
	OmitBody bool
	// KeepAlive writes "Connection: keep-alive" (for HTTP/1.0 clients that
	// asked for it) when Close is false.
	KeepAlive bool
}

// AppendTo appends the response's bytes (status line, header fields, body)
// to dst and returns the extended slice.
func (r Response) AppendTo(dst []byte) []byte {
	status := r.Status
	if status < 100 || status > 999 {
		status = http.StatusInternalServerError
	}
	dst = append(dst, "HTTP/1.1 "...)
	dst = strconv.AppendInt(dst, int64(status), 10)
	dst = append(dst, ' ')
	text := http.StatusText(status)
	if text == "" {
		text = "Status " + strconv.Itoa(status)
	}
	dst = append(dst, text...)
	dst = append(dst, "\r\n"...)
	if r.ContentType != "" {
		dst = appendHeader(dst, "Content-Type", r.ContentType)
	}
	for _, h := range r.Header {
		dst = appendHeader(dst, h.Name, h.Value)
	}
	noBody := status < 200 || status == http.StatusNoContent || status == http.StatusNotModified
	if !noBody {
		dst = append(dst, "Content-Length: "...)
		dst = strconv.AppendInt(dst, int64(len(r.Body)), 10)
		dst = append(dst, "\r\n"...)
	}
	switch {
	case r.Close:
		dst = append(dst, "Connection: close\r\n"...)
	case r.KeepAlive:
		dst = append(dst, "Connection: keep-alive\r\n"...)
	}
	dst = append(dst, "\r\n"...)
	if !noBody && !r.OmitBody {
		dst = append(dst, r.Body...)
	}
	return dst
}

// appendHeader appends "name: value\r\n", dropping CR and LF from value so
// a value cannot split the header.
func appendHeader(dst []byte, name, value string) []byte {
	dst = append(dst, name...)
	dst = append(dst, ": "...)
	for i := 0; i < len(value); i++ {
		if c := value[i]; c != '\r' && c != '\n' {
			dst = append(dst, c)
		}
	}
	return append(dst, "\r\n"...)
}

// jsonResponse marshals v (a struct or map of plain values) as the body.
func jsonResponse(status int, v any) Response {
	body, err := json.Marshal(v)
	if err != nil {
		return textResponse(http.StatusInternalServerError, "encoding response: "+err.Error())
	}
	return Response{Status: status, ContentType: contentTypeJSON, Body: body}
}

// textResponse answers with a plain-text line.
func textResponse(status int, text string) Response {
	return Response{Status: status, ContentType: contentTypeText, Body: []byte(text + "\n")}
}

// statusJSON is Hazelcast's {"status":"...","message":"..."} body.
type statusJSON struct {
	Status  string `json:"status"`
	Message string `json:"message,omitempty"`
}

// Hazelcast's status words.
const (
	statusSuccess   = "success"
	statusFail      = "fail"
	statusForbidden = "forbidden"
)

// failResponse is {"status":"fail","message":msg}.
func failResponse(status int, msg string) Response {
	return jsonResponse(status, statusJSON{Status: statusFail, Message: msg})
}
