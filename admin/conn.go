package admin

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"github.com/filbert/filbert/codec"
	"github.com/filbert/filbert/protocol"
)

// What the admin client says about itself in Client.authentication.
const (
	// ClientType is the protocol's client type code; "GOO" is the Go
	// client's, which the tool is.
	ClientType = "GOO"
	// ClientName names the connection in the member's log.
	ClientName = "filbert-admin"
	// ClientVersion is the Hazelcast version the client claims to speak.
	ClientVersion = "5.3.0"
)

// Authentication status codes of Client.authentication responses. Wire
// format.
const (
	authOK               = 0
	authCredentialsFail  = 1
	authSerializationBad = 2
	authNotAllowed       = 3
)

// serializationVersion is the serialization version of Hazelcast 4 and 5.
const serializationVersion = 1

// readLimits bound what the member may send back.
var readLimits = protocol.Limits{MaxFrameSize: 16 << 20, MaxMessageSize: 64 << 20}

// Errors of the client side.
var (
	// ErrAuthentication is a refused Client.authentication: wrong cluster
	// name, user name or password.
	ErrAuthentication = errors.New("admin: authentication refused")
	// ErrBroken is a connection unusable after an earlier I/O error or
	// cancelled request; dial again.
	ErrBroken = errors.New("admin: connection broken")
)

// ServerError is an error response from the member (the protocol's
// ErrorHolder list, first holder).
type ServerError struct {
	// Code is Hazelcast's error code.
	Code int32
	// ClassName is the Java exception class the member reports.
	ClassName string
	// Message is the exception message ("" when null).
	Message string
}

// Error implements error.
func (e *ServerError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("member error %s (code %d)", e.ClassName, e.Code)
	}
	return fmt.Sprintf("member error %s: %s", e.ClassName, e.Message)
}

// Member describes the member a Conn is authenticated with.
type Member struct {
	// UUID is the member's identity.
	UUID protocol.UUID
	// Address is the member's address as it reports it, host:port.
	Address string
	// Version is the member's Hazelcast version.
	Version string
	// ClusterID is the cluster's identity.
	ClusterID protocol.UUID
	// PartitionCount is the cluster's partition count.
	PartitionCount int32
}

// Conn is an authenticated client-protocol connection to one member. Its
// methods may be called from several goroutines; requests are sent one at
// a time. After an I/O error or a cancelled request it is broken (ErrBroken)
// and should be closed.
type Conn struct {
	// Member is the member that accepted the connection.
	Member Member

	nc   net.Conn
	mu   sync.Mutex
	w    protocol.Writer
	scan *protocol.Scanner
	asm  *protocol.Assembler
	rbuf []byte
	next int64 // next correlation id
	err  error // sticky: set once the connection is broken
}

// Dial connects to the member at addr (host:port), sends the "CP2"
// preamble and authenticates with clusterName, and user and password when
// not empty (members with security enabled need them). ctx bounds the
// whole exchange.
func Dial(ctx context.Context, addr, clusterName, user, password string) (*Conn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("admin: connecting to %s: %w", addr, err)
	}
	c := &Conn{nc: nc, scan: protocol.NewScanner(readLimits), asm: protocol.NewAssembler(readLimits), next: 1}
	if err := c.authenticate(ctx, clusterName, user, password); err != nil {
		nc.Close()
		return nil, fmt.Errorf("admin: authenticating with %s: %w", addr, err)
	}
	return c, nil
}

// Close closes the connection.
func (c *Conn) Close() error {
	c.mu.Lock()
	if c.err == nil {
		c.err = ErrBroken
	}
	c.mu.Unlock()
	return c.nc.Close()
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// randomUUID returns a random (version 4) client UUID.
func randomUUID() protocol.UUID {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return protocol.UUID{MSB: binary.BigEndian.Uint64(b[:8]), LSB: binary.BigEndian.Uint64(b[8:])}
}

func (c *Conn) authenticate(ctx context.Context, clusterName, user, password string) error {
	req := &codec.ClientAuthenticationRequest{
		ClusterName:            clusterName,
		Username:               optional(user),
		Password:               optional(password),
		UUID:                   randomUUID(),
		ClientType:             ClientType,
		SerializationVersion:   serializationVersion,
		ClientHazelcastVersion: ClientVersion,
		ClientName:             ClientName,
		Labels:                 []string{},
	}
	msg, err := c.call(ctx, protocol.Preamble[:], func(w *protocol.Writer) []byte {
		return codec.EncodeClientAuthenticationRequest(w, -1, req)
	}, codec.ClientAuthenticationResponseType)
	if err != nil {
		return err
	}
	resp, err := codec.DecodeClientAuthenticationResponse(msg)
	if err != nil {
		return err
	}
	switch resp.Status {
	case authOK:
	case authCredentialsFail:
		return fmt.Errorf("%w: wrong cluster name %q or credentials", ErrAuthentication, clusterName)
	case authSerializationBad:
		return fmt.Errorf("%w: serialization version %d not supported by the member", ErrAuthentication, serializationVersion)
	case authNotAllowed:
		return fmt.Errorf("%w: the member does not allow this client", ErrAuthentication)
	default:
		return fmt.Errorf("%w: status %d", ErrAuthentication, resp.Status)
	}
	c.Member = Member{UUID: resp.MemberUUID, Version: resp.ServerHazelcastVersion, ClusterID: resp.ClusterID,
		PartitionCount: resp.PartitionCount}
	if resp.Address != nil {
		c.Member.Address = net.JoinHostPort(resp.Address.Host, fmt.Sprint(resp.Address.Port))
	}
	return nil
}

// call sends prefix (the preamble or nothing) and the request that encode
// writes, then reads messages until the response with the request's
// correlation id: events and other responses are skipped, an error response
// becomes a *ServerError, any type but want is an error.
func (c *Conn) call(ctx context.Context, prefix []byte, encode func(*protocol.Writer) []byte, want int32) (protocol.Message, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return nil, c.err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	id := c.next
	c.next++
	c.w.Reset(nil)
	req := encode(&c.w)
	protocol.SetCorrelationID(req, id)

	if d, ok := ctx.Deadline(); ok {
		c.nc.SetDeadline(d)
	} else {
		c.nc.SetDeadline(time.Time{})
	}
	stop := context.AfterFunc(ctx, func() { c.nc.SetDeadline(time.Unix(1, 0)) })
	msg, err := c.exchange(append(bytes.Clone(prefix), req...), id)
	stopped := stop()
	if err != nil {
		// Failed midway: the stream position is unknown.
		if ctxErr := contextError(ctx, err); ctxErr != nil {
			err = fmt.Errorf("no answer from the member: %w", ctxErr)
		}
		c.err = fmt.Errorf("%w: %v", ErrBroken, err)
		return nil, err
	}
	if !stopped {
		// The cancellation raced with the answer; its deadline change may
		// still land, so the connection cannot be trusted again.
		c.err = fmt.Errorf("%w: request cancelled", ErrBroken)
	}
	switch msg.Type() {
	case want:
		return msg, nil
	case codec.ErrorResponseType:
		holders, derr := codec.DecodeErrorResponse(msg)
		if derr != nil {
			return nil, fmt.Errorf("decoding the member's error response: %w", derr)
		}
		if len(holders) == 0 {
			return nil, &ServerError{ClassName: "(empty error response)"}
		}
		h := holders[0]
		se := &ServerError{Code: h.ErrorCode, ClassName: h.ClassName}
		if h.Message != nil {
			se.Message = *h.Message
		}
		return nil, se
	default:
		return nil, fmt.Errorf("response of type %#x, want %#x", msg.Type(), want)
	}
}

// contextError returns the context's error if ctx ended the exchange that
// failed with err: cancelled, or past its deadline (the socket deadline may
// fire a moment before the context notices).
func contextError(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	if d, ok := ctx.Deadline(); ok && errors.Is(err, os.ErrDeadlineExceeded) && !time.Now().Before(d) {
		return context.DeadlineExceeded
	}
	return nil
}

// exchange writes out and reads up to the response with correlation id.
func (c *Conn) exchange(out []byte, id int64) (protocol.Message, error) {
	if _, err := c.nc.Write(out); err != nil {
		return nil, fmt.Errorf("sending request: %w", err)
	}
	for {
		msg, err := c.readMessage()
		if err != nil {
			return nil, err
		}
		if msg.Flags()&protocol.IsEvent != 0 || msg.CorrelationID() != id {
			continue
		}
		return msg, nil
	}
}

// readMessage returns the next whole (reassembled) message, a copy the
// caller owns.
func (c *Conn) readMessage() (protocol.Message, error) {
	for {
		n, err := c.scan.Next(c.rbuf)
		if err != nil {
			return nil, fmt.Errorf("reading response: %w", err)
		}
		if n == 0 {
			if len(c.rbuf) == cap(c.rbuf) {
				c.rbuf = append(c.rbuf, make([]byte, max(4096, len(c.rbuf)))...)[:len(c.rbuf)]
			}
			k, err := c.nc.Read(c.rbuf[len(c.rbuf):cap(c.rbuf)])
			c.rbuf = c.rbuf[:len(c.rbuf)+k]
			if err != nil && k == 0 {
				return nil, fmt.Errorf("reading response: %w", err)
			}
			continue
		}
		msg := protocol.Message(bytes.Clone(c.rbuf[:n]))
		c.rbuf = append(c.rbuf[:0], c.rbuf[n:]...)
		if !protocol.IsFragment(msg) {
			return msg, nil
		}
		whole, err := c.asm.Add(msg)
		if err != nil {
			return nil, fmt.Errorf("reading response: %w", err)
		}
		if whole != nil {
			return whole, nil
		}
	}
}
