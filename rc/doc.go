// Package rc is Filbert's remote controller: the Thrift service on
// 127.0.0.1:9701 that the official Hazelcast clients' integration test suites
// call to create clusters and to start, stop, kill, suspend and resume
// members. Its interface is ../shared/remote_controller.thrift (the same IDL
// as hazelcast-remote-controller); the generated Go code is in rcthrift/.
//
// # Transports
//
// The suites do not agree on a transport: the Go client's suite writes
// unframed strict binary protocol through a buffered transport, the Node.js
// suite wraps the binary protocol in framed transport. The controller serves
// both on one port by peeking at the first byte of each connection: 0x80 is
// the high byte of a strict binary message header (version 0x8001), so the
// connection is unframed; anything else is the high byte of a 4-byte frame
// length, so the connection is framed.
//
// # Clusters and members
//
// A cluster is an XML member configuration and the members started from it.
// The XML is parsed with the same config package a member uses
// (config.Parse); elements Filbert does not implement (serialization
// factories, map stores, ring buffers, cp-subsystem, ...) are logged as
// warnings and never fail the call.
//
//   - createCluster gives the cluster a random UUID as id and writes that id
//     into the XML as its cluster-name (replacing the XML's own).
//   - createClusterKeepClusterName uses the XML's cluster-name (default
//     "dev") as id; asking again with the same XML returns the same cluster,
//     with a different XML it raises ServerException.
//   - startMember runs a real Filbert member as a child process
//     (`filbert --config <cluster xml>`; the binary is this executable unless
//     Options.MemberBinary names another), reads the member's JSON log on
//     stderr until the "member started" line, and answers that line's uuid
//     and address. The member binds the XML's port with auto-increment, so
//     several members of one cluster get consecutive ports. Today every member
//     is a cluster of its own: Filbert has no clustering yet.
//   - shutdownMember sends SIGTERM and waits (SIGKILL after
//     Options.StopTimeout); terminateMember sends SIGKILL; suspendMember and
//     resumeMember send SIGSTOP and SIGCONT. shutdownCluster and
//     terminateCluster do the same for every member and forget the cluster.
//   - splitMemberFromCluster and mergeMemberToCluster are not supported
//     (single-member clusters): they answer a Thrift application error that
//     says so.
//   - executeOnController runs no scripts (a Java member's scripting engine is
//     not available): it answers Response{success=false} with the message
//     "scripts are not supported by Filbert", so tests that need scripts fail
//     at once instead of hanging.
//   - The cloud methods answer CloudException.
//   - clean and exit shut every cluster down, as in the Java controller; exit
//     does not stop the controller (the Python suite calls it after each test
//     class and keeps using the controller).
//
// As in the Java controller, when a Thrift client disconnects every cluster
// is shut down, so a test binary that exits leaves no members behind. The
// controller stops every member it started when it is closed (Main closes it
// on SIGINT and SIGTERM); on Linux the members also get SIGKILL from the
// kernel if the controller dies without cleaning up (PR_SET_PDEATHSIG).
//
// # Regenerating rcthrift
//
// rcthrift/ is committed and CI does not regenerate it, because the Thrift
// compiler is not a Go tool. To regenerate it, install the compiler (Debian:
// `apt-get install -y thrift-compiler`, version 0.17.0) and run
//
//	go generate ./rc
//
// with ../shared beside the repository. The code compiles against
// github.com/apache/thrift v0.14.1, the version the official Go client
// already requires, so adding it raised no other dependency.
//
//go:generate sh -c "thrift --gen go:skip_remote,package=rcthrift -out . ../../shared/remote_controller.thrift && gofmt -w rcthrift"
package rc
