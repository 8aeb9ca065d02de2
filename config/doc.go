// Package config reads, defaults and validates a Filbert member's
// configuration.
//
// The input is an ordinary Hazelcast member configuration file
// (hazelcast.xml, Hazelcast 4.x and 5.x syntax) so that an existing
// installation can switch to Filbert without rewriting its configuration.
// The package understands the parts Filbert implements:
//
//   - <cluster-name>
//   - <network>: <port>, <public-address>, <join> (<tcp-ip> in all its member
//     forms, the <multicast> enabled flag) and <rest-api>
//   - <properties>, optionally overridden by -Dname=value style system
//     properties (see ParseOptions.SystemProperties)
//   - <map> configurations, with Hazelcast's wildcard name matching
//   - <persistence> (5.x) and <hot-restart-persistence> (4.x)
//   - simple <security>: realms with <simple> users or a username-password
//     <identity>
//
// Every other element a real Hazelcast file may carry (serialization,
// queue, cp-subsystem, near-cache, map-store, ...) is skipped with one
// Warning per element, naming its line, and never stops the member.
//
// Invalid values do stop the member: Parse and Config.Validate return a
// single *ValidationError that lists every Problem found, one per line, in
// the form
//
//	hazelcast.xml:12: <backup-count> "7": must be between 0 and 6 (map "orders")
//
// Placeholders of the form ${NAME} (and $ENV{NAME}) in text and attribute
// values are replaced before the value is interpreted; see ParseOptions.
//
// The file is decoded token by token with encoding/xml into a small element
// tree that keeps line numbers; struct unmarshalling is deliberately not
// used, because it loses line information and silently ignores unknown
// elements.
//
// A Config can also be built in Go, starting from Default; Validate applies
// the same checks as Parse (without line numbers).
package config
