// Package server is a Filbert member's client-protocol endpoint: a gnet v2
// event-loop TCP server that authenticates Hazelcast clients and serves
// their requests.
//
// # The request path
//
//  1. The event loop (gnet OnTraffic) checks the "CP2" preamble once per
//     connection, then finds whole messages in the inbound buffer with
//     protocol.Scanner. Nothing is copied until a message is whole.
//  2. Each whole message is copied once out of gnet's buffer into a message
//     buffer the request owns (the loop's buffer is reused after Discard),
//     and fragments are reassembled.
//  3. The handler for the message type is looked up in the mux; unknown
//     types are answered with UNSUPPORTED_OPERATION.
//  4. The handler decodes the request with the generated codec. Cheap
//     connection-level requests (ping, authentication, listeners) are
//     answered on the loop; map operations are queued on the worker owning
//     the request's partition (package worker). Cluster-wide operations are
//     queued on every worker and the last one to finish answers.
//  5. The worker applies the operation to the partition's record store
//     (package imap), publishes entry events, and encodes the response into a
//     pooled buffer.
//  6. The response is appended to the connection's outbox. After each batch
//     of tasks the worker writes every connection's pending responses with
//     one non-blocking writev and returns the buffers to the pool. If the
//     socket is full, the rest goes back to the outbox and the loop finishes
//     the job through gnet (which waits for writability); until gnet's
//     buffer drains every write goes through the loop, so order is kept.
//     Responses produced on the loop itself are written at the end of
//     OnTraffic. A per-connection write mutex serialises the writers, and
//     OnClose takes it before gnet closes the descriptor.
//
// A single member has no backups and no persistence yet, so nothing else
// completes before the reply.
//
// A protocol error (bad preamble, oversized or malformed frame) closes only
// the offending connection and is logged with the connection id and the
// reason; a request that fails to decode gets an error response.
package server
