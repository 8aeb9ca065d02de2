package cluster

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/filbert/filbert/protocol"
)

// MemberInfo identifies one member of the cluster.
type MemberInfo struct {
	UUID protocol.UUID
	// Host and Port are the address members and clients dial.
	Host string
	Port int
}

// Addr returns host:port.
func (m MemberInfo) Addr() string { return net.JoinHostPort(m.Host, strconv.Itoa(m.Port)) }

// View is a versioned member list. Members are ordered by join time, oldest
// first; the oldest is the master.
type View struct {
	Version int32
	Members []MemberInfo
	// ClusterID identifies the cluster: made by the member that formed it
	// and kept by every later master, so clients see one cluster.
	ClusterID protocol.UUID
}

// Master returns the oldest member, or the zero MemberInfo of an empty view.
func (v View) Master() MemberInfo {
	if len(v.Members) == 0 {
		return MemberInfo{}
	}
	return v.Members[0]
}

// Index returns the position of u in the view, or -1.
func (v View) Index(u protocol.UUID) int {
	for i, m := range v.Members {
		if m.UUID == u {
			return i
		}
	}
	return -1
}

// Contains reports whether u is a member.
func (v View) Contains(u protocol.UUID) bool { return v.Index(u) >= 0 }

// Lookup returns the member with uuid u.
func (v View) Lookup(u protocol.UUID) (MemberInfo, bool) {
	if i := v.Index(u); i >= 0 {
		return v.Members[i], true
	}
	return MemberInfo{}, false
}

// UUIDs returns the members' UUIDs in view order.
func (v View) UUIDs() []protocol.UUID {
	out := make([]protocol.UUID, len(v.Members))
	for i, m := range v.Members {
		out[i] = m.UUID
	}
	return out
}

// Without returns v minus the members in gone, at version v.Version+1.
func (v View) Without(gone map[protocol.UUID]bool) View {
	out := View{Version: v.Version + 1, ClusterID: v.ClusterID}
	for _, m := range v.Members {
		if !gone[m.UUID] {
			out.Members = append(out.Members, m)
		}
	}
	return out
}

// Format renders the view the way Hazelcast logs its member list:
//
//	Members {size:3, ver:3} [
//		Member 127.0.0.1:5701 - 5b1c... this
//		...
//	]
func (v View) Format(self protocol.UUID) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Members {size:%d, ver:%d} [\n", len(v.Members), v.Version)
	for _, m := range v.Members {
		fmt.Fprintf(&b, "\tMember %s - %s", m.Addr(), m.UUID)
		if m.UUID == self {
			b.WriteString(" this")
		}
		b.WriteByte('\n')
	}
	b.WriteString("]")
	return b.String()
}

func (e *Enc) member(m MemberInfo) {
	e.UUID(m.UUID)
	e.String(m.Host)
	e.Uvarint(uint64(m.Port))
}

func (d *Dec) member() MemberInfo {
	return MemberInfo{UUID: d.UUID(), Host: d.String(), Port: int(d.Uvarint())}
}

// View appends v.
func (e *Enc) View(v View) {
	e.Varint(int64(v.Version))
	e.UUID(v.ClusterID)
	e.Uvarint(uint64(len(v.Members)))
	for _, m := range v.Members {
		e.member(m)
	}
}

// View reads a view.
func (d *Dec) View() View {
	v := View{Version: int32(d.Int()), ClusterID: d.UUID()}
	n := d.Count(18)
	for i := 0; i < n; i++ {
		v.Members = append(v.Members, d.member())
	}
	return v
}
