package harness

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/filbert/filbert/codec"
	"github.com/filbert/filbert/protocol"
)

// PartitionTable is the cluster view one member publishes to clients: the
// MembersView and PartitionsView events of Client.addClusterViewListener,
// which is what a smart client routes by.
type PartitionTable struct {
	// From is the address of the member asked.
	From string
	// MembersVersion and Members are the MembersView event.
	MembersVersion int32
	Members        []TableMember
	// Version is the PartitionsView version.
	Version int32
	// Owners holds the owner's uuid per partition id ("" if unassigned).
	Owners []string
}

// TableMember is one entry of a MembersView.
type TableMember struct {
	UUID, Address string
}

// Counts returns the number of partitions each owner uuid owns.
func (pt *PartitionTable) Counts() map[string]int {
	out := map[string]int{}
	for _, o := range pt.Owners {
		if o != "" {
			out[o]++
		}
	}
	return out
}

// Owner returns the owner uuid of partition pid.
func (pt *PartitionTable) Owner(pid int32) string { return pt.Owners[pid] }

// same reports whether two tables are identical apart from From.
func (pt *PartitionTable) same(o *PartitionTable) bool {
	return pt.Version == o.Version && pt.MembersVersion == o.MembersVersion &&
		slices.Equal(pt.Members, o.Members) && slices.Equal(pt.Owners, o.Owners)
}

// The table probe's client uuids start with probeUUIDMSB, so that member
// log lines about its connections can be told apart (probeClientMark).
const (
	probeUUIDMSB    = 0x0f11be27
	probeClientMark = `"00000000-0f11-be27-`
)

// FetchTable connects to the member at addr with the raw client protocol,
// authenticates to clusterName, registers a cluster-view listener and
// returns the first MembersView and PartitionsView it receives.
// partitionCount sizes Owners.
func FetchTable(ctx context.Context, addr, clusterName string, partitionCount int) (*PartitionTable, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()

	w := protocol.NewWriter(nil)
	msg := codec.EncodeClientAuthenticationRequest(w, -1, &codec.ClientAuthenticationRequest{
		ClusterName: clusterName, UUID: protocol.UUID{MSB: probeUUIDMSB, LSB: uint64(time.Now().UnixNano())},
		ClientType: "GOO", SerializationVersion: 1, ClientHazelcastVersion: "5.3.0",
		ClientName: "filbert-harness-table", Labels: []string{},
	})
	protocol.SetCorrelationID(msg, 1)
	if _, err := conn.Write(append(protocol.Preamble[:], msg...)); err != nil {
		return nil, err
	}
	r := &msgReader{conn: conn, sc: protocol.NewScanner(protocol.Limits{})}
	resp, err := r.next()
	if err != nil {
		return nil, fmt.Errorf("authentication: %w", err)
	}
	if resp.Type() != codec.ClientAuthenticationResponseType {
		return nil, fmt.Errorf("authentication: %s", describeUnexpected(resp))
	}
	auth, err := codec.DecodeClientAuthenticationResponse(resp)
	if err != nil {
		return nil, err
	}
	if auth.Status != 0 {
		return nil, fmt.Errorf("authentication refused (status %d)", auth.Status)
	}

	w.Reset(nil)
	msg = codec.EncodeClientAddClusterViewListenerRequest(w, -1, &codec.ClientAddClusterViewListenerRequest{})
	protocol.SetCorrelationID(msg, 2)
	if _, err := conn.Write(msg); err != nil {
		return nil, err
	}
	pt := &PartitionTable{From: addr, MembersVersion: -1, Version: -1}
	gotMembers, gotPartitions := false, false
	for !gotMembers || !gotPartitions {
		m, err := r.next()
		if err != nil {
			return nil, fmt.Errorf("cluster view: %w", err)
		}
		switch m.Type() {
		case codec.ClientAddClusterViewListenerResponseType:
		case codec.ClientAddClusterViewListenerMembersViewEventType:
			ev, err := codec.DecodeClientAddClusterViewListenerMembersViewEvent(m)
			if err != nil {
				return nil, err
			}
			pt.MembersVersion, pt.Members = ev.Version, nil
			for _, mi := range ev.MemberInfos {
				pt.Members = append(pt.Members, TableMember{UUID: mi.UUID.String(),
					Address: net.JoinHostPort(mi.Address.Host, fmt.Sprint(mi.Address.Port))})
			}
			gotMembers = true
		case codec.ClientAddClusterViewListenerPartitionsViewEventType:
			ev, err := codec.DecodeClientAddClusterViewListenerPartitionsViewEvent(m)
			if err != nil {
				return nil, err
			}
			pt.Version = ev.Version
			pt.Owners = make([]string, partitionCount)
			for _, e := range ev.Partitions {
				for _, pid := range e.Value {
					if pid < 0 || int(pid) >= partitionCount {
						return nil, fmt.Errorf("PartitionsView lists partition %d (count %d)", pid, partitionCount)
					}
					if pt.Owners[pid] != "" {
						return nil, fmt.Errorf("PartitionsView gives partition %d two owners (%s, %s)", pid, pt.Owners[pid], e.Key)
					}
					pt.Owners[pid] = e.Key.String()
				}
			}
			gotPartitions = true
		case 0:
			return nil, fmt.Errorf("cluster view: %s", describeUnexpected(m))
		default:
			// Other cluster-view events (member groups, cluster version).
		}
	}
	return pt, nil
}

// msgReader reads whole messages from a connection.
type msgReader struct {
	conn net.Conn
	sc   *protocol.Scanner
	buf  []byte
}

func (r *msgReader) next() (protocol.Message, error) {
	for {
		n, err := r.sc.Next(r.buf)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			m := protocol.Message(slices.Clone(r.buf[:n]))
			r.buf = r.buf[n:]
			return m, nil
		}
		tmp := make([]byte, 64<<10)
		k, err := r.conn.Read(tmp)
		r.buf = append(r.buf, tmp[:k]...)
		if err != nil && k == 0 {
			return nil, err
		}
	}
}

// describeUnexpected names a message that is not the expected answer.
func describeUnexpected(m protocol.Message) string {
	if m.Type() == 0 {
		if errs, err := codec.DecodeErrorResponse(m); err == nil && len(errs) > 0 {
			return fmt.Sprintf("error response %s: %s", errs[0].ClassName, deref(errs[0].Message))
		}
	}
	return fmt.Sprintf("unexpected message type 0x%06x", m.Type())
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Table fetches the cluster view member m publishes.
func (c *Cluster) Table(ctx context.Context, m *Member) (*PartitionTable, error) {
	return FetchTable(ctx, m.Addr, c.Name, c.PartitionCount)
}

// WaitPartitionsSettled polls every live, unpaused member (every 200ms; no
// member event marks the end of a rebalance for every member) until all
// publish the same cluster view twice in a row, listing exactly the live
// members and assigning every partition to one of them. It returns that
// table.
func (c *Cluster) WaitPartitionsSettled(timeout time.Duration) (*PartitionTable, error) {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	var prev *PartitionTable
	var why string
	for {
		pt, reason := c.settledOnce(deadline)
		switch {
		case pt == nil:
			why, prev = reason, nil
		case prev != nil && prev.same(pt):
			return pt, nil
		default:
			why, prev = "table changed since the previous poll (version "+fmt.Sprint(pt.Version)+")", pt
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("partition table did not settle within %s: expected every live member to publish "+
				"the same table assigning all %d partitions to live members; last state: %s", timeout, c.PartitionCount, why)
		}
		<-tick.C
	}
}

// settledOnce fetches every member's view once and returns it if they are
// consistent, or nil and the reason they are not.
func (c *Cluster) settledOnce(deadline time.Time) (*PartitionTable, string) {
	members := c.responsive()
	live := map[string]*Member{}
	for _, m := range c.Live() {
		live[m.UUID] = m
	}
	var first *PartitionTable
	for _, m := range members {
		// Each fetch gets at least a second, and at most five.
		dl := time.Now().Add(5 * time.Second)
		if d := deadline.Add(time.Second); d.Before(dl) && d.After(time.Now().Add(time.Second)) {
			dl = d
		}
		ctx, cancel := context.WithDeadline(context.Background(), dl)
		pt, err := c.Table(ctx, m)
		cancel()
		if err != nil {
			return nil, fmt.Sprintf("%s: %v", m, err)
		}
		if len(pt.Members) != len(live) {
			return nil, fmt.Sprintf("%s lists %d members (version %d), %d are live", m, len(pt.Members), pt.MembersVersion, len(live))
		}
		for _, tm := range pt.Members {
			if live[tm.UUID] == nil {
				return nil, fmt.Sprintf("%s lists member %s (%s), which is not live", m, tm.UUID, tm.Address)
			}
		}
		var unowned, dead int
		for _, o := range pt.Owners {
			switch {
			case o == "":
				unowned++
			case live[o] == nil:
				dead++
			}
		}
		if unowned > 0 || dead > 0 {
			return nil, fmt.Sprintf("%s's table (version %d) has %d partitions without owner and %d owned by a member that is not live",
				m, pt.Version, unowned, dead)
		}
		if first == nil {
			first = pt
		} else if !first.same(pt) {
			return nil, fmt.Sprintf("%s publishes table version %d (members version %d), %s publishes version %d (members version %d)",
				members[0], first.Version, first.MembersVersion, m, pt.Version, pt.MembersVersion)
		}
	}
	if first == nil {
		return nil, "no live member"
	}
	return first, ""
}

// DescribeCounts lists partitions per member, e.g. "member 0: 91, member 1: 90".
func (c *Cluster) DescribeCounts(pt *PartitionTable) string {
	counts := pt.Counts()
	var parts []string
	for _, m := range c.Members() {
		if n, ok := counts[m.UUID]; ok {
			parts = append(parts, fmt.Sprintf("%s: %d", m, n))
		}
	}
	return strings.Join(parts, ", ")
}

// MemberByUUID returns the member with that uuid, or nil.
func (c *Cluster) MemberByUUID(uuid string) *Member {
	for _, m := range c.Members() {
		if m.UUID == uuid {
			return m
		}
	}
	return nil
}
