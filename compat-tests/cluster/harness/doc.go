// Package harness runs clusters of real filbert member processes for the
// multi-member compatibility tests in compat-tests/cluster, and drives them
// with the official Hazelcast Go client (hazelcast-go-client v1.5.0).
//
// # Members
//
// The member binary is built once per test binary run ([Binary]: `go build
// -o <tmp>/filbert ./cmd/filbert` from the module root; FILBERT_BINARY names
// a prebuilt one instead). [StartCluster] writes one hazelcast.xml into the
// test's temporary directory (a cluster name unique to the test, a free base
// port probed on every bind address, port auto-increment, a tcp-ip member
// list covering the port range, the map and property settings of [Options])
// and starts every member from that one file with
//
//	filbert --config FILE --log-level info [--host 127.0.0.x]
//
// one after the other, each once the previous has joined, so member 0 is the
// oldest (the master) and [Cluster.Master] is the oldest live member.
//
// # Logs and events
//
// A member writes JSON lines (zerolog) on stderr. A goroutine per member
// reads them as they come, copies them to the member's log file and keeps
// them in memory; every new line (and every exit) wakes the waiters, so
// [Member.WaitLog], [Cluster.WaitClusterSize] and friends react to events
// rather than sleeping. The lines the harness knows:
//
//	{"message":"member started","address":"127.0.0.1:5701","uuid":"..."}
//	{"message":"Members {size:3, ver:3} [...]","size":3,"version":3}   on every member-list change
//	{"message":"partition table","version":V,"owned":X,"backups":Y}     on every table a member applies
//	{"message":"migrations finished","version":V,"migrations":K}        master, after a rebalance
//	{"message":"member stopped"}                                        at exit
//
// When a test fails, the tail of every member's log is written to the test
// log; FILBERT_CLUSTER_LOGDIR=<dir> keeps the full logs (and the
// configuration) in <dir>/<test name>/ instead of the test's temporary
// directory. Every process started is killed when the test ends
// (t.Cleanup), and by the kernel if the test binary dies first.
//
// # Partition table
//
// The official Go client keeps its partition table private, so the harness
// reads the table the way a smart client receives it: [FetchTable] opens a
// raw client-protocol connection to one member, authenticates and registers
// a cluster-view listener, and decodes the MembersView and PartitionsView
// events the member pushes. [Cluster.WaitPartitionsSettled] polls every live
// member until they all publish one table that assigns every partition to a
// live member. [PartitionOf] computes a string key's partition the way the
// client and the member do, so tests can pick keys owned by a given member.
//
// # Load
//
// [StartLoad] runs goroutines that write distinct keys (Put and Set in
// turn) and read them back through one client, recording per key the last
// acknowledged write and every write whose outcome is unknown (it returned
// an error). [Load.Verify] reads every key back and accepts the last
// acknowledged value or a later unacknowledged one.
package harness
