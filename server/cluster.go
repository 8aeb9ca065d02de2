package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/filbert/filbert/cluster"
	"github.com/filbert/filbert/codec"
	"github.com/filbert/filbert/protocol"
)

// Member-to-member message kinds of the data services (see cluster.Node for
// membership's own).
const (
	kindForward     = cluster.FirstServiceKind + iota // call: a client request for a partition this member does not own
	kindDeliver                                       // one-way: bytes for a client connection of the receiver
	kindConnGone                                      // one-way: a client connection closed; drop its remote listeners
	kindTable                                         // one-way: the partition table
	kindMigrate                                       // call (master to owner): hand a partition to another member
	kindMigrateData                                   // owner to new owner: a chunk of a partition
	kindLeave                                         // call (to master): this member is shutting down
	kindScatter                                       // call: run a cluster-wide request on the receiver's partitions
	kindListen                                        // one-way: register a listener for a client of the sender
	kindUnlisten                                      // one-way: remove a remote listener
	kindProxy                                         // one-way: a distributed object was created or destroyed
	kindClientGone                                    // one-way: a client left the sender entirely
	kindBackup                                        // call or one-way: backup records for a partition
	kindSyncRequest                                   // one-way (backup to owner): send me the whole partition
	kindSyncData                                      // one-way (owner to backup): a chunk of the whole partition
	kindCheck                                         // one-way (owner to backup): replica version and digest
	kindState                                         // call: a phase of a cluster state change
	kindBackupCtl                                     // call: hot backup control (prepare, start, interrupt, status)
	kindTouch                                         // one-way (backup to owner): reads served from a backup copy
)

// memberHandler adapts the member to cluster.Handler.
type memberHandler struct{ m *Member }

func (h memberHandler) HandleMessage(from protocol.UUID, kind byte, payload []byte, reply cluster.Reply) {
	h.m.handleMemberMessage(from, kind, payload, reply)
}

func (h memberHandler) ViewChanged(prev, next cluster.View) { h.m.viewChanged(prev, next) }

func (h memberHandler) Removed() { h.m.removedFromCluster() }

// newNode creates the membership node (New calls it; the port is bound
// later).
func (m *Member) newNode() error {
	hbi, err := m.cfg.IntProperty("hazelcast.heartbeat.interval.seconds", 1)
	if err != nil {
		return err
	}
	maxNo, err := m.cfg.IntProperty("hazelcast.max.no.heartbeat.seconds", 10)
	if err != nil {
		return err
	}
	waitJoin, err := m.cfg.DurationProperty("filbert.join.wait", time.Second)
	if err != nil {
		return err
	}
	m.node = cluster.NewNode(cluster.Config{
		ClusterName:       m.cfg.ClusterName,
		ClusterID:         m.clusterID,
		Self:              cluster.MemberInfo{UUID: m.uuid, Host: m.host},
		HeartbeatInterval: time.Duration(hbi) * time.Second,
		MaxNoHeartbeat:    time.Duration(maxNo) * time.Second,
		JoinWait:          waitJoin,
		Logger:            m.opts.Logger,
		Handler:           memberHandler{m},
	})
	return nil
}

// startCluster joins (or forms) the cluster. It runs after the port is
// bound.
func (m *Member) startCluster() error {
	var seeds []string
	if m.cfg.Network.Join.TCPIP.Enabled {
		// An entry without a port means the first three ports of the
		// range, as in Hazelcast.
		for i := 0; i < 3; i++ {
			base := m.cfg.Network.Port + i
			if m.cfg.Network.Port == 0 {
				base = m.port
			}
			addrs, err := m.cfg.Network.Join.TCPIP.Addresses(base)
			if err != nil {
				return err
			}
			seeds = append(seeds, addrs...)
		}
	}
	if !m.cfg.Network.Join.TCPIP.Enabled && m.cfg.Network.Join.Multicast.Enabled && m.cfg.Network.Port > 0 {
		// Multicast discovery (Hazelcast's default join) is approximated
		// on one host: look for members on the first ports of this
		// member's range on its own address.
		n := min(max(m.cfg.Network.PortCount, 1), multicastProbePorts)
		if !m.cfg.Network.PortAutoIncrement {
			n = 1
		}
		for p := m.cfg.Network.Port; p < m.cfg.Network.Port+n; p++ {
			seeds = append(seeds, net.JoinHostPort(m.host, strconv.Itoa(p)))
		}
	}
	m.node.Bind(m.port, seeds)
	m.started = time.Now()
	if err := m.node.Join(); err != nil {
		return fmt.Errorf("server: join: %w", err)
	}
	// The view and the table arrive asynchronously; wait until this member
	// has a partition table so that it answers clients with one.
	wait := 30 * time.Second
	if m.restoredTable() != nil {
		wait += time.Duration(m.cfg.Persistence.ValidationTimeoutSeconds) * time.Second
	}
	select {
	case <-m.tableReady:
	case <-time.After(wait):
		return fmt.Errorf("server: no partition table %v after joining", wait)
	}
	return nil
}

// multicastProbePorts bounds the ports probed on the member's own host when
// multicast join is configured.
const multicastProbePorts = 20

// handleMemberMessage serves a data-service message from another member.
// It runs on the event loop: everything that takes time goes to a worker
// or a goroutine.
func (m *Member) handleMemberMessage(from protocol.UUID, kind byte, payload []byte, reply cluster.Reply) {
	var err error
	switch kind {
	case kindForward:
		err = m.serveForward(from, payload, reply)
	case kindDeliver:
		err = m.serveDeliver(payload)
	case kindConnGone:
		err = m.serveConnGone(from, payload)
	case kindTable:
		err = m.serveTable(from, payload)
	case kindMigrate:
		err = m.serveMigrate(from, payload, reply)
	case kindMigrateData:
		err = m.serveMigrateData(from, payload, reply)
	case kindLeave:
		err = m.serveLeave(from, reply)
	case kindScatter:
		err = m.serveScatter(from, payload, reply)
	case kindListen:
		err = m.serveListen(from, payload)
	case kindUnlisten:
		err = m.serveUnlisten(payload)
	case kindProxy:
		err = m.serveProxy(payload)
	case kindClientGone:
		err = m.serveClientGone(payload)
	case kindBackup:
		err = m.serveBackup(from, payload, reply)
	case kindSyncRequest:
		err = m.serveSyncRequest(from, payload)
	case kindSyncData:
		err = m.serveSyncData(from, payload)
	case kindCheck:
		err = m.serveCheck(from, payload)
	case kindState:
		err = m.serveState(from, payload, reply)
	case kindBackupCtl:
		err = m.serveBackupCtl(from, payload, reply)
	case kindTouch:
		err = m.serveTouch(payload)
	default:
		err = fmt.Errorf("unknown member message kind %d", kind)
	}
	if err != nil {
		m.log.Warn().Str("from", from.String()).Int("kind", int(kind)).Err(err).Msg("bad member message")
		if reply != nil {
			reply(nil, err)
		}
	}
}

// viewListeners are the client connections that asked for cluster view
// events.
type viewListeners struct {
	mu sync.Mutex
	ls map[*Conn]int64
}

func (v *viewListeners) add(c *Conn, corr int64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.ls == nil {
		v.ls = map[*Conn]int64{}
	}
	v.ls[c] = corr
}

func (v *viewListeners) drop(c *Conn) {
	v.mu.Lock()
	defer v.mu.Unlock()
	delete(v.ls, c)
}

func (v *viewListeners) each(fn func(c *Conn, corr int64)) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for c, corr := range v.ls {
		fn(c, corr)
	}
}

// pushMembersView sends the member list to every cluster view listener.
func (m *Member) pushMembersView() {
	ver, infos := m.memberListVersion(), m.memberInfos()
	m.viewLs.each(func(c *Conn, corr int64) {
		w := newWriter()
		b := codec.EncodeClientAddClusterViewListenerMembersViewEvent(&w, -1, ver, infos)
		protocol.SetCorrelationID(b, corr)
		c.send(b)
	})
}

// pushPartitionsView sends the partition table to every cluster view
// listener.
func (m *Member) pushPartitionsView() {
	ver, table := m.partitionListVersion(), m.partitionTable()
	m.viewLs.each(func(c *Conn, corr int64) {
		w := newWriter()
		b := codec.EncodeClientAddClusterViewListenerPartitionsViewEvent(&w, -1, ver, table)
		protocol.SetCorrelationID(b, corr)
		c.send(b)
	})
}

// viewChanged reacts to a member list change: clients hear of it, the
// master rebalances, remote state of departed members is dropped.
func (m *Member) viewChanged(prev, next cluster.View) {
	m.memberCount.Store(int32(len(next.Members)))
	defer m.saveMeta()
	m.pushMembersView()
	for _, old := range prev.Members {
		if !next.Contains(old.UUID) {
			m.dropRemoteMember(old.UUID)
		}
	}
	for _, nw := range next.Members {
		if !prev.Contains(nw.UUID) && nw.UUID != m.uuid {
			m.sendStateTo(nw.UUID)
			if m.node.IsMaster() {
				m.announceState(nw.UUID)
			}
		}
	}
	m.kickRebalance()
}

// removedFromCluster runs when the cluster dropped this member (it was
// unreachable too long). Its data is stale; it leaves so that a
// supervisor restarts it as a new member.
func (m *Member) removedFromCluster() {
	if m.leaving.Load() {
		m.leftOnce.Do(func() { close(m.leftCh) })
		return
	}
	m.log.Error().Msg("this member was removed from the cluster; stopping so that it can rejoin as a new member")
	go func() {
		m.removed.Store(true)
		m.removedOnce.Do(func() { close(m.removedCh) })
		_ = m.Shutdown(contextWithTimeout(10 * time.Second))
		m.doneOnce.Do(func() { close(m.doneCh) })
	}()
}

// Removed is closed when the cluster removed this member (it was
// unreachable longer than hazelcast.max.no.heartbeat.seconds). The member
// then stops itself; its owner may start a new Member to rejoin.
func (m *Member) Removed() <-chan struct{} { return m.removedCh }

// Done is closed when a member that removed itself has stopped.
func (m *Member) Done() <-chan struct{} { return m.doneCh }

// call sends a request to member u, or serves it here when u is this
// member.
func (m *Member) call(u protocol.UUID, kind byte, payload []byte, cb cluster.Callback) {
	if u == m.uuid {
		m.handleMemberMessage(u, kind, payload, func(b []byte, err error) { cb(b, err) })
		return
	}
	m.node.Call(u, kind, payload, cb)
}

// callAll sends a request to every member, this one included, and returns
// the answers by member address once all are in, with the failures joined
// (each naming its member), or ctx's error.
func (m *Member) callAll(ctx context.Context, kind byte, payload []byte) (map[string][]byte, error) {
	members := m.node.View().Members
	type result struct {
		addr string
		b    []byte
		err  error
	}
	ch := make(chan result, len(members))
	for _, mi := range members {
		mi := mi
		m.call(mi.UUID, kind, payload, func(b []byte, err error) { ch <- result{mi.Addr(), b, err} })
	}
	out := make(map[string][]byte, len(members))
	var errs []error
	for range members {
		select {
		case r := <-ch:
			if r.err != nil {
				errs = append(errs, fmt.Errorf("member %s: %w", r.addr, r.err))
			} else {
				out[r.addr] = r.b
			}
		case <-ctx.Done():
			return out, ctx.Err()
		}
	}
	return out, errors.Join(errs...)
}
