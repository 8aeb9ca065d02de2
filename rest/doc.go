// Package rest serves Hazelcast's REST API on the member's own port: a
// connection whose first bytes are an HTTP request line (IsHTTP) rather than
// the client protocol's "CP2" or the member protocol's "FMP" is HTTP/1.1.
//
// # Pieces
//
//   - Parse / Limits.Parse: an incremental HTTP/1.x request parser over the
//     connection's input buffer. It returns (nil, 0, nil) until a whole
//     request is there, bounds header and body sizes, and copies what it
//     returns, so the buffer may be discarded at once.
//   - Router: checks the endpoint group (config.RESTConfig.GroupEnabled),
//     the method and the credentials, then calls a Backend (the member).
//   - Response.AppendTo: the response bytes.
//   - Conn: one connection's requests answered in order on a goroutine, for
//     an event-loop server: Feed on the loop, responses through a send
//     callback.
//
// # Threading
//
// Parse, IsHTTP, Conn.Feed and Response.AppendTo never block and may run on
// an event loop. Router.Handle may block on the Backend (changing the
// cluster state, starting a backup) and must not: call it through
// Router.Serve or Conn, which run it on a goroutine. Backend methods marked
// "does not block" are snapshots.
//
// # Endpoints
//
// Paths match exactly, with or without a trailing slash. A path whose
// endpoint group is disabled answers 403 with a text/plain explanation
// (Hazelcast closes the connection instead); an unknown path 404; a known
// path with another method 405 with Allow. HEAD is GET without the body.
//
// POST bodies are Hazelcast's url-encoded fields joined by '&' (curl
// --data "dev&&frozen"); the first two are the cluster name and password
// (with security enabled: a user name and password, see
// CheckCredentials). Missing fields answer 400
// {"status":"fail","message":"This endpoint expects at least N parameters"};
// wrong credentials 403 {"status":"forbidden","message":"unauthenticated"}.
// Backend errors answer {"status":"fail","message":"..."} with 400 when
// they wrap ErrBadRequest, 409 with ErrConflict, else 500.
//
// CLUSTER_READ:
//
//	GET  /hazelcast/rest/management/cluster/state  -> {"status":"success","state":"active"}  (Filbert extension, no credentials)
//	POST /hazelcast/rest/management/cluster/state  body name&pass -> same (Hazelcast 4/5 form)
//	GET  /hazelcast/rest/cluster   -> {"members":[{"address":"[127.0.0.1]:5701","liteMember":false,
//	                                  "localMember":true,"uuid":"...","memberVersion":"5.3.6"}],
//	                                  "connectionCount":1,"allConnectionCount":2}   (Hazelcast 5 JSON)
//	GET  /hazelcast/rest/instance  -> {"name":"..."}
//
// CLUSTER_WRITE:
//
//	POST /hazelcast/rest/management/cluster/changeState  body name&pass&STATE
//	     STATE is active, no_migration, frozen or passive in any case.
//	     -> 200 {"status":"success","state":"frozen"}
//	     -> 200 {"status":"fail","state":"frozen"} when already in that state (as Hazelcast)
//	     -> 400 {"status":"fail","message":"unknown cluster state ..."}
//
// PERSISTENCE (HOT_RESTART is an alias):
//
//	POST /hazelcast/rest/management/cluster/backup           body name&pass[&SEQ]  (5.x)
//	POST /hazelcast/rest/management/cluster/hotBackup        same (4.x; adds Deprecation and Warning headers)
//	     -> {"status":"success","sequence":N}
//	POST /hazelcast/rest/management/cluster/backupInterrupt  body name&pass  (5.x)
//	POST /hazelcast/rest/management/cluster/hotBackupInterrupt  same (4.x, deprecated)
//	     -> {"status":"success"}
//	GET  /hazelcast/rest/management/cluster/backupStatus     (Filbert extension; POST with name&pass too)
//	     -> {"status":"success","members":[{"member":"127.0.0.1:5701","state":"IN_PROGRESS",
//	         "completed":1,"total":4,"sequence":N}]}   ("error" is added to a FAILURE)
//
// The backup sequence is chosen by the member unless the caller gives one,
// as a third body field (dev&&42) or as ?seq=42 on the path; if both are
// given they must agree. It must be a non-negative integer: the backup's
// directory is backup-<seq>. Hazelcast's own REST call has no sequence and
// answers only {"status":"success"}; the extra field is harmless to it.
//
// HEALTH_CHECK (Hazelcast 5 formats):
//
//	GET /hazelcast/health                      -> {"nodeState":"ACTIVE","clusterState":"ACTIVE","clusterSafe":true,
//	                                               "migrationQueueSize":0,"clusterSize":3}
//	GET /hazelcast/health/ready                -> 200 empty, or 503 while starting or shutting down
//	GET /hazelcast/health/node-state           -> "ACTIVE" (a JSON string); 503 when SHUT_DOWN
//	GET /hazelcast/health/cluster-state        -> "ACTIVE"
//	GET /hazelcast/health/cluster-safe         -> 200 empty or 503
//	GET /hazelcast/health/migration-queue-size -> 0
//	GET /hazelcast/health/cluster-size         -> 3
//	GET /hazelcast/health/other                -> 400 (as Hazelcast)
//
// # Parse errors
//
// A request the parser rejects is answered by ParseError.Response, with
// Connection: close: 400 for bad syntax (request line, header line,
// Content-Length), 411 for Transfer-Encoding (chunked bodies are not
// decoded: send Content-Length), 413 for a body above Limits.MaxBodyBytes,
// 431 for a header above Limits.MaxHeaderBytes or Limits.MaxHeaders, 505 for
// HTTP versions other than 1.0 and 1.1. HTTP/1.1 connections stay open
// unless the client sends Connection: close; HTTP/1.0 ones close unless it
// sends Connection: keep-alive. "Expect: 100-continue" is not answered; curl
// sends the body after its one-second wait.
package rest
