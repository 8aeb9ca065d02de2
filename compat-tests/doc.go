// Package compattests is Filbert's client-compatibility suite: it starts
// Filbert members in-process on 127.0.0.1 (ephemeral ports) and drives them
// over real TCP with the official, unmodified Hazelcast Go client
// (github.com/hazelcast/hazelcast-go-client v1.5.0), in both smart and
// unisocket routing modes.
//
// The suite checks what an application would see: every IMap operation with
// several value types, entry listeners, TTL and max-idle expiry (per call and
// from map configuration), lock ownership and leases, a contended counter
// under locks, bulk loads, authentication refusals, partition-id agreement
// between the client and the member, and robustness against misbehaving raw
// connections while a healthy client keeps working.
//
// Everything a test starts (members, clients, proxies, raw connections,
// goroutines) is stopped through t.Cleanup. Set FILBERT_COMPAT_LOG=1 to see
// member and client logs on stderr.
//
// Run with:
//
//	go test -race ./compat-tests/
package compattests
