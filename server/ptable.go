package server

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/filbert/filbert/cluster"
	"github.com/filbert/filbert/codec"
	"github.com/filbert/filbert/imap"
	"github.com/filbert/filbert/partition"
	"github.com/filbert/filbert/protocol"
	"github.com/filbert/filbert/worker"
)

// pstate is this member's role for one partition. Only the partition's
// worker touches it.
type pstate struct {
	// active: this member owns the partition and holds its data.
	active bool
	// movingTo is the member the partition is being handed to; requests
	// are forwarded there until the new table arrives.
	movingTo protocol.UUID
	// movingAt is the master's table version when the hand-over began: a
	// later table that still names this member owner means the hand-over
	// was abandoned.
	movingAt int32
	// backup replica state (see backup.go)
	bk backupState
	// prim is the owner's replication state (see backup.go)
	prim primaryState
}

func toPart(u protocol.UUID) partition.UUID   { return partition.UUID{MSB: u.MSB, LSB: u.LSB} }
func fromPart(u partition.UUID) protocol.UUID { return protocol.UUID{MSB: u.MSB, LSB: u.LSB} }

// currentTable returns the partition table in force on this member.
func (m *Member) currentTable() *partition.ReplicaTable { return m.table.Load() }

// ownerOf returns the owner of pid in the current table.
func (m *Member) ownerOf(pid int32) protocol.UUID {
	t := m.table.Load()
	if t == nil {
		return protocol.UUID{}
	}
	return fromPart(t.Owner(pid))
}

// replicaIndex returns this member's replica index for pid (-1 for none).
func replicaIndex(t *partition.ReplicaTable, pid int32, u protocol.UUID) int {
	if t == nil {
		return -1
	}
	pu := toPart(u)
	for i := 0; i < t.Levels(); i++ {
		if t.Replica(pid, i) == pu {
			return i
		}
	}
	return -1
}

// serveTable installs a partition table sent by the master.
func (m *Member) serveTable(from protocol.UUID, payload []byte) error {
	if !m.node.IsMasterOf(from) {
		m.log.Debug().Str("from", from.String()).Msg("ignored a partition table from a member that is not the master")
		return nil
	}
	t, err := partition.DecodeReplicaTable(payload)
	if err != nil {
		return fmt.Errorf("partition table: %w", err)
	}
	if t.Count() != int(m.pcount) {
		return fmt.Errorf("partition table has %d partitions, this member %d", t.Count(), m.pcount)
	}
	m.installTable(t, false) // on the event loop: do not wait
	return nil
}

// installTable makes t the table in force if it is newer, and lets every
// partition's worker reconcile its role with it.
func (m *Member) installTable(t *partition.ReplicaTable, wait bool) {
	for {
		cur := m.table.Load()
		if cur != nil && cur.Version() >= t.Version() {
			return
		}
		if m.table.CompareAndSwap(cur, t) {
			break
		}
	}
	owned, backups := 0, 0
	for pid := int32(0); pid < m.pcount; pid++ {
		switch i := replicaIndex(t, pid, m.uuid); {
		case i == 0:
			owned++
		case i > 0:
			backups++
		}
	}
	m.log.Info().Int32("version", t.Version()).Int("owned", owned).Int("backups", backups).
		Int("members", len(t.Members())).Msg("partition table")
	// Reconciling is queued on every worker now, so that it runs before
	// whatever this connection delivers next for those partitions
	// (migration data, backups); the rest waits off the caller's
	// goroutine, which may be an event loop.
	var wg sync.WaitGroup
	wg.Add(m.pool.Size())
	n := m.pool.Size()
	for w := 0; w < n; w++ {
		slot := w
		if err := m.pool.SubmitWorker(slot, worker.Func(func() {
			defer wg.Done()
			for pid := int32(slot); pid < m.pcount; pid += int32(n) {
				m.reconcile(pid, t)
			}
		})); err != nil {
			wg.Done()
		}
	}
	done := make(chan struct{})
	go func() {
		wg.Wait()
		m.pushPartitionsView()
		m.saveMeta()
		m.tableOnce.Do(func() { close(m.tableReady) })
		close(done)
	}()
	if wait {
		<-done
	}
}

// reconcile aligns this member's role for pid with table t. Reconciles are
// queued in version order; one for a table already replaced does nothing
// (the newer one follows). Worker only.
func (m *Member) reconcile(pid int32, t *partition.ReplicaTable) {
	if cur := m.table.Load(); cur != nil && cur.Version() > t.Version() {
		return
	}
	st := &m.pstate[pid]
	p := m.partitions[pid]
	idx := replicaIndex(t, pid, m.uuid)
	switch {
	case idx == 0:
		if !st.movingTo.IsZero() && t.Version() > st.movingAt {
			// The master published this member as owner after this
			// member began handing the partition over: the hand-over
			// did not complete (the new owner died, or the master
			// changed). This copy is the one to serve.
			m.log.Warn().Int32("partition", pid).Str("to", st.movingTo.String()).Msg("hand-over abandoned; serving the partition again")
			st.movingTo = protocol.UUID{}
		}
		if !st.active {
			// Promotion: the master made this member the owner without a
			// migration (the owner died, or the partition is new). The
			// data held as a backup, if any, becomes the primary copy.
			st.active = true
			if st.bk.owner != (protocol.UUID{}) {
				m.stats.promotions.Add(1)
			}
		}
		if st.active {
			st.bk = backupState{}
			m.primaryTableChanged(pid, t)
		}
	default:
		if st.active {
			// Another member was made owner without taking the data from
			// this one (this member was thought gone). Keep the data as a
			// backup copy; replica sync corrects it.
			m.log.Warn().Int32("partition", pid).Msg("lost ownership without migration")
			st.active = false
		}
		if !st.movingTo.IsZero() && fromPart(t.Owner(pid)) == st.movingTo {
			st.movingTo = protocol.UUID{}
		}
		st.prim = primaryState{}
		if idx < 0 && st.movingTo.IsZero() {
			if p.EntryCount() > 0 {
				m.persistDropAll(p)
				p.Reset()
			}
			st.bk = backupState{}
		} else if idx > 0 {
			m.backupTableChanged(pid, t, idx)
		}
	}
}

// kickRebalance asks the master's rebalancer to look at the cluster again.
func (m *Member) kickRebalance() {
	select {
	case m.rebalanceKick <- struct{}{}:
	default:
	}
}

// rebalancer runs on every member; only the master acts. It publishes the
// table after crashes (promoting backups) and moves partitions towards a
// balanced placement, publishing what was reached.
func (m *Member) rebalancer() {
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-m.rebalanceKick:
		case <-tick.C:
			// Members that missed a table (it raced a member list) get
			// it again; equal versions are ignored.
			if m.node.IsMaster() {
				if t := m.table.Load(); t != nil {
					m.toOthers(kindTable, t.AppendBinary(nil))
				}
			}
			continue
		case <-m.stopping:
			return
		}
		for m.node.IsMaster() && !m.isStopping() {
			done, err := m.rebalanceOnce()
			if err != nil {
				m.log.Warn().Err(err).Msg("rebalance incomplete; retrying")
				select {
				case <-time.After(200 * time.Millisecond):
				case <-m.stopping:
					return
				}
				continue
			}
			if done {
				break
			}
		}
	}
}

// replicaLevels is how many replicas the table keeps per partition: the
// owner plus the most backups any map may ask for.
const replicaLevels = partition.MaxReplicaCount

// rebalanceOnce makes one step. It reports true when the published table is
// the balanced target for the current members.
func (m *Member) rebalanceOnce() (bool, error) {
	view := m.node.View()
	alive := make([]partition.UUID, 0, len(view.Members))
	data := make([]partition.UUID, 0, len(view.Members))
	m.leaveMu.Lock()
	for _, mi := range view.Members {
		alive = append(alive, toPart(mi.UUID))
		if !m.leavers[mi.UUID] {
			data = append(data, toPart(mi.UUID))
		}
	}
	m.leaveMu.Unlock()
	cur := m.table.Load()
	if cur == nil {
		if restored := m.restoredTable(); restored != nil {
			done, err := m.resumeRestored(restored, view)
			if !done || err != nil {
				return false, err
			}
			return false, nil
		}
		cur = partition.NewReplicaTable(int(m.pcount))
	}
	state := ClusterState(m.state.Load())
	if cur.Version() > 0 && (state == StateFrozen || state == StatePassive) {
		// The table is fixed in these states: a crashed member's
		// partitions wait for it, and a member shutting down leaves
		// without handing over (Hazelcast's cluster shutdown: the data
		// stays with its persistent owner).
		m.leaveMu.Lock()
		var gone []protocol.UUID
		for u := range m.leavers {
			gone = append(gone, u)
			delete(m.leavers, u)
		}
		m.leaveMu.Unlock()
		if len(gone) > 0 {
			m.node.Remove(gone...)
		}
		return true, nil
	}
	// Crashes first: members gone without handing over lose their
	// replicas, backups are promoted, and that is published at once.
	if gone := departed(cur, view); gone {
		next := partition.Promote(cur, alive)
		if next.Version() == cur.Version() {
			next = recompose(next, cur.Version()+1)
		}
		m.publishTable(next)
		m.log.Info().Int32("version", next.Version()).Msg("partition table republished after members left without handing over")
		return false, nil
	}
	if len(data) == 0 {
		m.finishLeavers()
		return true, nil
	}
	if cur.Version() > 0 && state == StateNoMigration {
		return true, nil
	}
	target := partition.Assign(cur, data, replicaLevels)
	if target.Version() == cur.Version() && !sameMembers(target, cur) {
		target = recompose(target, cur.Version()+1)
	}
	if target == cur || len(cur.Diff(target)) == 0 {
		m.finishLeavers()
		return true, nil
	}
	type mig struct {
		pid      int32
		from, to protocol.UUID
	}
	var migs []mig
	for pid := int32(0); pid < m.pcount; pid++ {
		o, n := cur.Owner(pid), target.Owner(pid)
		if o != n && !o.IsZero() {
			migs = append(migs, mig{pid, fromPart(o), fromPart(n)})
		}
	}
	start := time.Now()
	var failed atomic.Int32
	var bytes atomic.Int64
	ok := make([]bool, m.pcount)
	if len(migs) > 0 {
		m.migrating.Store(true)
		defer m.migrating.Store(false)
		m.log.Info().Int("migrations", len(migs)).Int32("target", target.Version()).Msg("migrations started")
		sem := make(chan struct{}, 8)
		var wg sync.WaitGroup
		for _, g := range migs {
			g := g
			sem <- struct{}{}
			wg.Add(1)
			var e cluster.Enc
			e.Varint(int64(g.pid))
			e.UUID(g.to)
			e.Varint(int64(cur.Version()))
			m.call(g.from, kindMigrate, e.B, func(resp []byte, err error) {
				defer func() { <-sem; wg.Done() }()
				if err != nil {
					failed.Add(1)
					m.log.Warn().Int32("partition", g.pid).Str("from", g.from.String()).Str("to", g.to.String()).Err(err).Msg("migration failed")
					return
				}
				d := cluster.Dec{B: resp}
				bytes.Add(int64(d.Uvarint()))
				ok[g.pid] = true
			})
		}
		wg.Wait()
	}
	// Publish what was reached: moved partitions take the target's row,
	// the others keep their owner (with the target's backups where that
	// owner is the target's too).
	rows := make([][]partition.UUID, m.pcount)
	for pid := int32(0); pid < m.pcount; pid++ {
		if cur.Owner(pid) == target.Owner(pid) || ok[pid] || cur.Owner(pid).IsZero() {
			rows[pid] = target.Row(pid)
		} else {
			rows[pid] = cur.Row(pid)
			rows[pid] = rows[pid][:min(len(rows[pid]), target.Levels())]
		}
	}
	levels := max(target.Levels(), 1)
	members := target.Members()
	// Rows kept from cur may name members absent from target's list
	// (leavers): include them.
	seen := map[partition.UUID]bool{}
	for _, u := range members {
		seen[u] = true
	}
	for _, row := range rows {
		for _, u := range row {
			if !u.IsZero() && !seen[u] {
				seen[u] = true
				members = append(members, u)
			}
		}
	}
	reached, err := partition.Compose(cur.Version()+1, members, levels, padRows(rows, levels))
	if err != nil {
		return false, fmt.Errorf("compose table: %w", err)
	}
	if len(cur.Diff(reached)) > 0 {
		m.publishTable(reached)
	}
	if len(migs) > 0 {
		el := time.Since(start)
		mb := float64(bytes.Load()) / (1 << 20)
		m.log.Info().Int32("version", reached.Version()).Int("migrations", len(migs)).Int32("failed", failed.Load()).
			Int64("bytes", bytes.Load()).Dur("took", el).Float64("mb_per_s", mb/el.Seconds()).Msg("migrations finished")
	}
	if failed.Load() > 0 {
		return false, fmt.Errorf("%d of %d migrations failed", failed.Load(), len(migs))
	}
	return false, nil
}

func padRows(rows [][]partition.UUID, levels int) [][]partition.UUID {
	for i, r := range rows {
		if len(r) < levels {
			rows[i] = append(r, make([]partition.UUID, levels-len(r))...)
		}
	}
	return rows
}

// recompose returns t at another version.
func recompose(t *partition.ReplicaTable, version int32) *partition.ReplicaTable {
	rows := make([][]partition.UUID, t.Count())
	for pid := range rows {
		rows[pid] = t.Row(int32(pid))
	}
	out, err := partition.Compose(version, t.Members(), max(t.Levels(), 1), rows)
	if err != nil {
		panic(fmt.Sprintf("server: recompose: %v", err)) // t was valid
	}
	return out
}

func sameMembers(a, b *partition.ReplicaTable) bool {
	am, bm := a.Members(), b.Members()
	if len(am) != len(bm) {
		return false
	}
	for i := range am {
		if am[i] != bm[i] {
			return false
		}
	}
	return true
}

// departed reports whether t names members that are not in view.
func departed(t *partition.ReplicaTable, view cluster.View) bool {
	for _, u := range t.Members() {
		if !view.Contains(fromPart(u)) {
			for pid := int32(0); pid < int32(t.Count()); pid++ {
				for i := 0; i < t.Levels(); i++ {
					if t.Replica(pid, i) == u {
						return true
					}
				}
			}
		}
	}
	return false
}

// publishTable installs t locally and sends it to every other member.
func (m *Member) publishTable(t *partition.ReplicaTable) {
	m.toOthers(kindTable, t.AppendBinary(nil))
	m.installTable(t, true)
}

// sendStateTo brings a new member up to date: the master sends the table,
// every member its remote listener registrations and proxies.
func (m *Member) sendStateTo(u protocol.UUID) {
	if m.node.IsMaster() {
		if t := m.table.Load(); t != nil {
			m.node.Send(u, kindTable, t.AppendBinary(nil))
		}
	}
	m.replayRegistrations(u)
	m.replayDynamicConfig(u)
}

// migrateChunk bounds one migration or sync message.
const migrateChunk = 4 << 20

// serveMigrate hands a partition to another member (master's request). On
// the partition's worker: snapshot, send, and forward from then on.
func (m *Member) serveMigrate(from protocol.UUID, payload []byte, reply cluster.Reply) error {
	if from != m.uuid && !m.node.IsMasterOf(from) {
		return fmt.Errorf("migrate: %s is not the master", from)
	}
	d := cluster.Dec{B: payload}
	pid := int32(d.Int())
	to := d.UUID()
	at := int32(d.Int())
	if d.Err() != nil || pid < 0 || pid >= m.pcount {
		return fmt.Errorf("migrate: malformed request")
	}
	if reply == nil {
		return errors.New("migrate: must be a call")
	}
	return m.pool.Submit(pid, worker.Func(func() {
		st := &m.pstate[pid]
		if !st.active {
			reply(nil, fmt.Errorf("partition %d is not active on %s", pid, m.Addr()))
			return
		}
		p := m.partitions[pid]
		chunks := snapshotChunks(p, migrateChunk, nil)
		total := 0
		for _, c := range chunks {
			total += len(c)
		}
		l := m.node.Link(to)
		if l == nil {
			reply(nil, fmt.Errorf("no link to %s", to))
			return
		}
		st.active = false
		st.movingTo = to
		st.movingAt = at
		st.prim = primaryState{}
		for i, c := range chunks {
			var e cluster.Enc
			e.Varint(int64(pid))
			e.Bool(i == 0)
			e.Bool(i == len(chunks)-1)
			e.B = append(e.B, c...)
			if i < len(chunks)-1 {
				l.Send(kindMigrateData, e.B)
				continue
			}
			l.Call(kindMigrateData, e.B, func(_ []byte, err error) {
				_ = m.pool.Submit(pid, worker.Func(func() {
					if st.movingTo != to {
						// A table made this member owner again meanwhile.
						reply(nil, fmt.Errorf("hand-over of partition %d abandoned", pid))
						return
					}
					if err != nil {
						// The new owner is gone: this copy is the best
						// left; serve it again.
						st.active = true
						st.movingTo = protocol.UUID{}
						reply(nil, fmt.Errorf("new owner failed: %w", err))
						return
					}
					m.stats.migratedOut.Add(1)
					var e cluster.Enc
					e.Uvarint(uint64(total))
					reply(e.B, nil)
				}))
			})
		}
	}))
}

// snapshotChunks encodes every record of p into chunks of about size bytes
// (at least one chunk, possibly empty). keep, if set, filters maps.
func snapshotChunks(p *imap.Partition, size int, keep func(name string) bool) [][]byte {
	var chunks [][]byte
	var cur []byte
	p.ExportAll(func(name string, r *imap.Record) bool {
		if keep != nil && !keep(name) {
			return true
		}
		cur = imap.AppendRecord(cur, name, r)
		if len(cur) >= size {
			chunks = append(chunks, cur)
			cur = nil
		}
		return true
	})
	if cur != nil || len(chunks) == 0 {
		chunks = append(chunks, cur)
	}
	return chunks
}

// applyRecords installs encoded records into p (and its persistent ones
// into the store).
func (m *Member) applyRecords(p *imap.Partition, b []byte) error {
	for len(b) > 0 {
		name, r, n, err := imap.DecodeRecord(b)
		if err != nil {
			return err
		}
		p.ApplyRecord(name, &r)
		m.persistApplied(p, name, r.Key)
		b = b[n:]
	}
	return nil
}

// serveMigrateData installs a chunk of a partition handed to this member.
func (m *Member) serveMigrateData(from protocol.UUID, payload []byte, reply cluster.Reply) error {
	d := cluster.Dec{B: payload}
	pid := int32(d.Int())
	first := d.Bool()
	last := d.Bool()
	if d.Err() != nil || pid < 0 || pid >= m.pcount {
		return fmt.Errorf("migration data: malformed")
	}
	data := d.B
	return m.pool.Submit(pid, worker.Func(func() {
		st := &m.pstate[pid]
		p := m.partitions[pid]
		if first {
			m.persistDropAll(p)
			p.Reset()
			st.bk = backupState{}
		}
		if err := m.applyRecords(p, data); err != nil {
			m.log.Error().Int32("partition", pid).Err(err).Msg("corrupt migration data")
			if reply != nil {
				reply(nil, err)
			}
			return
		}
		if last {
			st.active = true
			st.movingTo = protocol.UUID{}
			m.stats.migratedIn.Add(1)
			if t := m.table.Load(); t != nil {
				m.primaryTableChanged(pid, t)
			}
			if reply != nil {
				reply(nil, nil)
			}
		}
	}))
}

// serveLeave is the master's side of a graceful shutdown: the member's
// partitions move to the others, then it is removed from the member list.
func (m *Member) serveLeave(from protocol.UUID, reply cluster.Reply) error {
	if !m.node.IsMaster() {
		return fmt.Errorf("not the master")
	}
	m.leaveMu.Lock()
	m.leavers[from] = true
	m.leaveMu.Unlock()
	m.log.Info().Str("member", from.String()).Msg("member is leaving; moving its partitions")
	if reply != nil {
		reply(nil, nil)
	}
	m.kickRebalance()
	return nil
}

// finishLeavers removes the leaving members that hold no replica any more.
func (m *Member) finishLeavers() {
	m.leaveMu.Lock()
	var gone []protocol.UUID
	t := m.table.Load()
	for u := range m.leavers {
		holds := false
		if t != nil {
			for pid := int32(0); pid < m.pcount && !holds; pid++ {
				holds = t.Owner(pid) == toPart(u)
			}
		}
		if !holds {
			gone = append(gone, u)
			delete(m.leavers, u)
		}
	}
	m.leaveMu.Unlock()
	if len(gone) > 0 {
		m.node.Remove(gone...)
	}
}

// leaveCluster hands this member's partitions to the others before it
// stops. It returns when the master removed this member, or ctx ends.
func (m *Member) leaveCluster(ctx context.Context) error {
	if len(m.node.View().Members) < 2 {
		return nil
	}
	m.leaving.Store(true)
	m.log.Info().Msg("leaving the cluster: handing partitions over")
	for {
		view := m.node.View()
		if !view.Contains(m.uuid) || len(view.Members) < 2 {
			break
		}
		master := view.Master().UUID
		if master == m.uuid {
			m.leaveMu.Lock()
			m.leavers[m.uuid] = true
			m.leaveMu.Unlock()
			m.kickRebalance()
		} else if l := m.node.Link(master); l != nil {
			_, _ = l.CallWait(kindLeave, nil, 5*time.Second)
		}
		select {
		case <-m.leftCh:
			m.log.Info().Msg("left the cluster")
			m.dismissClients(ctx)
			return nil
		case <-time.After(2 * time.Second):
			// The master may have changed; ask again.
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func contextWithTimeout(d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	go func() { <-ctx.Done(); cancel() }()
	return ctx
}

// resumeRestored is the first step of a master that restarted on persisted
// data: it waits (up to validation-timeout-seconds) for the members of the
// persisted table to come back, then publishes that table so every member
// serves the partitions it held. Members missing when the timeout ends
// fail the start under FULL_RECOVERY_ONLY; the partial policies go on
// without them (their backups are promoted).
func (m *Member) resumeRestored(t *partition.ReplicaTable, view cluster.View) (bool, error) {
	var missing []protocol.UUID
	for _, u := range t.Members() {
		if !view.Contains(fromPart(u)) {
			missing = append(missing, fromPart(u))
		}
	}
	timeout := time.Duration(m.cfg.Persistence.ValidationTimeoutSeconds) * time.Second
	if len(missing) > 0 && time.Since(m.started) < timeout {
		m.log.Info().Int("waiting_for", len(missing)).Dur("timeout", timeout).Msg("waiting for the members of the persisted cluster")
		select {
		case <-time.After(250 * time.Millisecond):
		case <-m.stopping:
		}
		m.kickRebalance()
		return false, nil
	}
	next := recompose(t, t.Version()+1)
	if len(missing) > 0 {
		if m.cfg.Persistence.ClusterDataRecoveryPolicy == "FULL_RECOVERY_ONLY" {
			m.log.Error().Int("missing", len(missing)).Msg("members of the persisted cluster did not come back within validation-timeout-seconds; FULL_RECOVERY_ONLY refuses to start")
			go func() { _ = m.Shutdown(contextWithTimeout(10 * time.Second)) }()
			return true, nil
		}
		alive := make([]partition.UUID, 0, len(view.Members))
		for _, mi := range view.Members {
			alive = append(alive, toPart(mi.UUID))
		}
		next = partition.Promote(t, alive)
		next = recompose(next, t.Version()+1)
		m.log.Warn().Int("missing", len(missing)).Msg("resuming without some persisted members (partial recovery)")
	}
	m.publishTable(next)
	m.log.Info().Int32("version", next.Version()).Msg("resumed the persisted partition table")
	return true, nil
}

// dismissClients tells this member's clients the member list without it,
// so they move to other members and close their connections, and waits
// (briefly) for them to do so: closing under a client that is still
// sending would reset its connection and fail its requests.
func (m *Member) dismissClients(ctx context.Context) {
	view := m.node.View()
	var infos []codec.MemberInfo
	for _, mi := range m.memberInfos() {
		if mi.UUID != m.uuid {
			infos = append(infos, mi)
		}
	}
	ver := view.Version + 1
	m.viewLs.each(func(c *Conn, corr int64) {
		w := newWriter()
		b := codec.EncodeClientAddClusterViewListenerMembersViewEvent(&w, -1, ver, infos)
		protocol.SetCorrelationID(b, corr)
		c.send(b)
	})
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if m.clientConnCount() == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// clientConnCount counts the open client connections.
func (m *Member) clientConnCount() int {
	m.connMu.Lock()
	defer m.connMu.Unlock()
	n := 0
	for c := range m.conns {
		if c.member == nil && c.authenticated.Load() {
			n++
		}
	}
	return n
}
