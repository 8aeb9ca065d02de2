package server

import (
	"errors"

	"github.com/filbert/filbert/codec"
	"github.com/filbert/filbert/imap"
	"github.com/filbert/filbert/protocol"
	"github.com/filbert/filbert/worker"
)

// Hazelcast client protocol error codes (ClientProtocolErrorCodes). Wire
// format: clients map them to their error types.
const (
	codeUndefined             int32 = 0
	codeAuthentication        int32 = 3
	codeDistributedObjDestroy int32 = 14
	codeInstanceNotActive     int32 = 19
	codeIllegalArgument       int32 = 23
	codeIllegalMonitorState   int32 = 26
	codeIllegalState          int32 = 27
	codeRetryable             int32 = 46
	codeUnsupportedOperation  int32 = 61
	codeNullPointer           int32 = 41
	codeOperationTimeout      int32 = 42
	codeInvalidConfiguration  int32 = 32
)

// Error is an error with the Hazelcast code and Java class name clients use
// to pick their error type.
type Error struct {
	Code      int32
	ClassName string
	Message   string
}

func (e *Error) Error() string { return e.ClassName + ": " + e.Message }

func unsupported(msg string) *Error {
	return &Error{Code: codeUnsupportedOperation, ClassName: "java.lang.UnsupportedOperationException", Message: msg}
}

func illegalArgument(msg string) *Error {
	return &Error{Code: codeIllegalArgument, ClassName: "java.lang.IllegalArgumentException", Message: msg}
}

// toError maps internal errors to Hazelcast errors.
func toError(err error) *Error {
	var he *Error
	switch {
	case errors.As(err, &he):
		return he
	case errors.Is(err, imap.ErrNotLockOwner):
		return &Error{Code: codeIllegalMonitorState, ClassName: "java.lang.IllegalMonitorStateException", Message: err.Error()}
	case errors.Is(err, worker.ErrOverloaded):
		return &Error{Code: codeRetryable, ClassName: "com.hazelcast.spi.exception.RetryableHazelcastException", Message: err.Error()}
	case errors.Is(err, worker.ErrStopped):
		return &Error{Code: codeInstanceNotActive, ClassName: "com.hazelcast.core.HazelcastInstanceNotActiveException", Message: "member is shutting down"}
	case errors.Is(err, protocol.ErrMalformed):
		return &Error{Code: codeIllegalArgument, ClassName: "java.lang.IllegalArgumentException", Message: err.Error()}
	}
	return &Error{Code: codeUndefined, ClassName: "com.hazelcast.core.HazelcastException", Message: err.Error()}
}

// encodeError writes an error response: type 0 and a non-empty ErrorHolder
// list (the Go client treats an empty list as success).
func encodeError(w *protocol.Writer, err error) []byte {
	e := toError(err)
	msg := e.Message
	return codec.EncodeErrorResponse(w, []codec.ErrorHolder{{
		ErrorCode:          e.Code,
		ClassName:          e.ClassName,
		Message:            &msg,
		StackTraceElements: []codec.StackTraceElement{},
	}})
}
