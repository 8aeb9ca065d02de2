// Package cluster holds Filbert's multi-member compatibility tests: each
// test starts real filbert member processes from one generated
// hazelcast.xml (see the harness subpackage), drives them with the official
// Hazelcast Go client (hazelcast-go-client v1.5.0) in smart and unisocket
// modes, and kills, stops or pauses members with signals.
//
// The tests follow issue 3 (membership, partition table, migration,
// routing, graceful shutdown, master failover, listeners across members,
// distinct member addresses) and issue 4 (no acknowledged write lost when
// members crash with sync backups; async backups never slow the writer).
//
// Run with:
//
//	go test ./compat-tests/cluster/                    # default sizes, one crash case per scenario
//	FILBERT_LONG=1 go test ./compat-tests/cluster/     # issue sizes (50,000 keys), every crash case
//	go test -short ./compat-tests/cluster/             # the single-member harness check only
//
// Environment: FILBERT_BINARY=<path> uses a prebuilt member binary instead of
// building ./cmd/filbert; FILBERT_CLUSTER_LOGDIR=<dir> keeps member logs and
// configurations; FILBERT_CLUSTER_CLIENT_LOG=1 shows the clients' logs.
// When a test fails, the last lines of every member's log are in the test
// output.
package cluster
