// Package admin is a small administration client for Filbert (and
// Hazelcast) members, and the body of the `filbert backup` and
// `filbert cluster-state` commands (Main).
//
// # Client protocol
//
// Dial opens a TCP connection, sends the "CP2" preamble and authenticates
// with Client.authentication (cluster name, and user name and password for
// members with security enabled). A Conn then sends Management Center
// messages, one at a time, with partition id -1:
//
//	Conn.ClusterMetadata / ClusterState  MC.getClusterMetadata       0x200E00
//	Conn.ChangeClusterState              MC.changeClusterState       0x200200 (state code 0..3)
//	Conn.TriggerBackup                   MC.triggerHotRestartBackup  0x201F00
//	Conn.InterruptBackup                 MC.interruptHotRestartBackup 0x202000
//
// Responses are matched by correlation id; events and stray responses are
// skipped and fragmented messages reassembled. An error response becomes a
// *ServerError naming the member's exception class and message. The
// context bounds each call through the socket deadline; a call that fails
// or is cancelled midway leaves the Conn broken (ErrBroken).
//
// # REST
//
// The client protocol has no backup sequence and no backup progress, so
// RESTClient uses the member's REST API on the same port (package rest):
// StartBackup posts name&password[&seq] to
// /hazelcast/rest/management/cluster/backup and returns the sequence, and
// BackupStatus reads /hazelcast/rest/management/cluster/backupStatus. Both
// need <rest-api enabled="true"> with the PERSISTENCE endpoint group.
// RenderProgress draws the statuses as progress bars on a terminal and as
// plain lines otherwise.
package admin
