package server

import (
	"sync"
	"time"

	"github.com/filbert/filbert/cluster"
	"github.com/filbert/filbert/codec"
	"github.com/filbert/filbert/imap"
	"github.com/filbert/filbert/partition"
	"github.com/filbert/filbert/protocol"
	"github.com/filbert/filbert/worker"
)

// Backups replicate state, not operations: after a mutation the owner
// ships the key's whole record (or its removal) to the partition's backup
// replicas, so applying a backup is idempotent and needs no knowledge of
// the operation. Each (partition, replica index) has a version the owner
// increments per message; a backup that sees a gap, a new owner or a new
// index asks the owner for the whole partition (replica sync) and holds
// its acks until that snapshot is in.

const codeIndeterminate int32 = 80

// Backup record operations.
const (
	bkRecord byte = iota
	bkRemove
	bkClear
)

// primaryState is the owner's replication state of one partition.
type primaryState struct {
	// ver is the last version sent per replica index.
	ver [partition.MaxReplicaCount]uint64
	// batch collects the keys changed by the running operation.
	batch []bkItem
}

type bkItem struct {
	op   byte
	name string
	key  []byte
}

// backupState is a backup replica's view of one partition.
type backupState struct {
	owner  protocol.UUID
	idx    int
	ver    uint64
	synced bool
	// asked: a replica sync was requested and not yet answered.
	asked bool
	// held are acks of backups that arrived while out of sync; the sync
	// snapshot covers them.
	held []cluster.Reply
	// touches are backup reads to report to the owner.
	touches []bkItem
}

// mapBackups is what replication needs of a map's configuration.
type mapBackups struct {
	sync, async int
	readBackup  bool
	// forwardAccess: backup reads are reported to the owner (as hits and
	// accesses) in batches.
	forwardAccess bool
	// persist: the map is written to the Hot Restart store; fsync: each
	// write is durable before it is acknowledged.
	persist, fsync bool
}

func (m *Member) backupsOf(name string) mapBackups {
	key := name
	if v, ok := m.bkCache.Load(key); ok {
		return v.(mapBackups)
	}
	c := m.mapConfig(name)
	b := mapBackups{sync: c.BackupCount, async: c.AsyncBackupCount, readBackup: c.ReadBackupData, forwardAccess: c.BackupReadAccessForwarding,
		persist: m.cfg.Persistence.Enabled && c.Persistence.Enabled, fsync: c.Persistence.Fsync}
	m.bkCache.Store(key, b)
	return b
}

// needsBatch reports whether changes to map name must be collected: it
// has backups in a cluster, or is persistent.
func (m *Member) needsBatch(name string) bool {
	if m.persist == nil && !m.clustered() {
		return false // a lone member without persistence: nothing to ship
	}
	b := m.backupsOf(name)
	return b.persist && m.persist != nil || b.sync+b.async > 0 && m.clustered()
}

// replicateKey notes that key of map name changed on partition p (owner's
// worker); shipBatch sends it.
func (m *Member) replicateKey(p *imap.Partition, name string, key []byte) {
	if !m.needsBatch(name) {
		return
	}
	st := &m.pstate[p.ID].prim
	st.batch = append(st.batch, bkItem{op: bkRecord, name: name, key: key})
}

// replicateExpiry ships the removal of an expired key to the backups.
func (m *Member) replicateExpiry(p *imap.Partition, name string, key []byte) {
	if !m.pstate[p.ID].active || !m.needsBatch(name) {
		return
	}
	st := &m.pstate[p.ID].prim
	st.batch = append(st.batch, bkItem{op: bkRemove, name: name, key: append([]byte(nil), key...)})
}

// replicateClear notes that map name was cleared on p.
func (m *Member) replicateClear(p *imap.Partition, name string) {
	if !m.needsBatch(name) {
		return
	}
	st := &m.pstate[p.ID].prim
	st.batch = append(st.batch, bkItem{op: bkClear, name: name})
}

// shipBatch sends the partition's pending backup items to its replicas.
// It reports whether sync backups were sent: then it calls then, from
// another goroutine, once every one acknowledged (indeterminate: one did
// not answer in time); otherwise then is not called. Owner's worker only.
func (m *Member) shipBatch(pid int32, then func(indeterminate bool)) bool {
	waiting, _ := m.shipBatchTo(pid, then, nil)
	return waiting
}

// ackTarget names a backup-aware client request: backups acknowledge it
// to the client directly (Client.localBackupListener events).
type ackTarget struct {
	client protocol.UUID
	corr   int64
}

// shipBatchTo is shipBatch that, with ackTo set, does not wait for the
// sync backups (they acknowledge to the client) and reports how many were
// sent.
func (m *Member) shipBatchTo(pid int32, then func(indeterminate bool), ackTo *ackTarget) (bool, int) {
	st := &m.pstate[pid].prim
	batch := st.batch
	if len(batch) == 0 {
		return false, 0
	}
	st.batch = st.batch[:0]
	p := m.partitions[pid]
	var wait *ackWait
	if durable := m.persistItems(p, batch); durable != nil {
		wait = newAckWait(m, m.backupTimeout+30*time.Second, then)
		wait.add()
		go func() {
			if err := durable(); err != nil {
				m.log.Error().Err(err).Msg("persistence write failed")
			}
			wait.persisted()
		}()
	}
	t := m.table.Load()
	if t == nil || t.Levels() < 2 || !m.clustered() {
		if wait == nil {
			return false, 0
		}
		wait.release()
		return true, 0
	}
	// The replica counts of the batch's maps (usually one map).
	syncN, total := 0, 0
	for _, it := range batch {
		b := m.backupsOf(it.name)
		syncN = max(syncN, b.sync)
		total = max(total, b.sync+b.async)
	}
	if total > t.Levels()-1 {
		m.short.Do(func() {
			m.log.Warn().Int("wanted", total).Int("possible", t.Levels()-1).
				Msg("fewer members than backups asked for: keeping one copy per other member until more join")
		})
	}
	total = min(total, t.Levels()-1)
	syncN = min(syncN, total)
	sent := 0
	// Encode the records once; each replica's message differs only in
	// its header.
	var body cluster.Enc
	body.Uvarint(uint64(len(batch)))
	for _, it := range batch {
		body.B = append(body.B, it.op)
		switch it.op {
		case bkRecord:
			if r, ok := p.ExportKey(it.name, it.key); ok {
				body.B = imap.AppendRecord(body.B, it.name, &r)
			} else {
				body.B[len(body.B)-1] = bkRemove
				body.String(it.name)
				body.Bytes(it.key)
			}
		case bkRemove:
			body.String(it.name)
			body.Bytes(it.key)
		case bkClear:
			body.String(it.name)
		}
	}
	for i := 1; i <= total; i++ {
		u := fromPart(t.Replica(pid, i))
		if u.IsZero() {
			continue
		}
		st.ver[i]++
		var e cluster.Enc
		e.Varint(int64(pid))
		e.UUID(m.uuid)
		e.Uvarint(uint64(i))
		e.Uvarint(st.ver[i])
		if ackTo != nil && i <= syncN {
			e.Bool(true)
			e.UUID(ackTo.client)
			e.Varint(ackTo.corr)
		} else {
			e.Bool(false)
		}
		e.B = append(e.B, body.B...)
		l := m.node.Link(u)
		if l == nil {
			m.stats.backupsDropped.Add(1)
			continue
		}
		m.stats.backupsSent.Add(1)
		if i > syncN {
			if !l.TrySend(kindBackup, e.B) {
				m.stats.backupsDropped.Add(1)
			}
			continue
		}
		sent++
		if ackTo != nil {
			l.Call(kindBackup, e.B, func(_ []byte, err error) {
				if err == nil {
					m.stats.backupsAcked.Add(1)
				}
			})
			continue
		}
		if wait == nil {
			wait = newAckWait(m, m.backupTimeout, then)
		}
		wait.add()
		l.Call(kindBackup, e.B, wait.ack)
	}
	if wait == nil {
		return false, sent
	}
	wait.release()
	return true, sent
}

// ackWait counts the acks one operation waits for. left starts at one
// (held by shipBatch while it sends) so that acks arriving before sending
// is done cannot finish it early.
type ackWait struct {
	m     *Member
	mu    sync.Mutex
	left  int
	done  bool
	timer *time.Timer
	then  func(indeterminate bool)
}

func newAckWait(m *Member, timeout time.Duration, then func(bool)) *ackWait {
	a := &ackWait{m: m, left: 1, then: then}
	a.timer = time.AfterFunc(timeout, func() { a.finish(true) })
	return a
}

func (a *ackWait) add() {
	a.mu.Lock()
	a.left++
	a.mu.Unlock()
}

// release drops one count; the last one finishes.
func (a *ackWait) release() {
	a.mu.Lock()
	a.left--
	last := a.left == 0
	a.mu.Unlock()
	if last {
		a.finish(false)
	}
}

// persisted counts the durable write of the operation's records.
func (a *ackWait) persisted() { a.release() }

func (a *ackWait) ack(_ []byte, err error) {
	if err != nil {
		// The backup is gone or refused: like a timeout, the write's
		// replication is not confirmed.
		a.finish(true)
		return
	}
	a.m.stats.backupsAcked.Add(1)
	a.release()
}

func (a *ackWait) finish(indeterminate bool) {
	a.mu.Lock()
	if a.done {
		a.mu.Unlock()
		return
	}
	a.done = true
	a.timer.Stop()
	a.mu.Unlock()
	if indeterminate {
		a.m.stats.backupsTimedOut.Add(1)
	}
	a.then(indeterminate)
}

// replyAfterBackups ships the batch of r's partition and answers r once
// the sync backups are in (at once if there are none).
func (m *Member) replyAfterBackups(r request, pid int32, b []byte) {
	if len(m.pstate[pid].prim.batch) == 0 {
		r.reply(b)
		return
	}
	var ackTo *ackTarget
	if r.msg.Flags()&protocol.BackupAware != 0 && m.hasBackupListener(r.c.client.uuid) {
		ackTo = &ackTarget{client: r.c.client.uuid, corr: r.corr}
	}
	acks := 0
	async := r
	async.wake = nil
	waiting, sent := m.shipBatchTo(pid, func(indeterminate bool) {
		if ackTo != nil {
			protocol.SetBackupAcks(b, uint8(acks))
		}
		if indeterminate {
			m.log.Warn().Int32("partition", pid).Msg("sync backup not acknowledged in time")
			if m.failOnIndeterminate {
				putBuf(b)
				async.fail(&Error{Code: codeIndeterminate, ClassName: "com.hazelcast.core.IndeterminateOperationStateException",
					Message: "sync backup of the operation was not acknowledged in time"})
				return
			}
		}
		async.reply(b)
	}, ackTo)
	acks = sent
	if !waiting {
		if ackTo != nil {
			protocol.SetBackupAcks(b, uint8(sent))
		}
		r.reply(b)
	}
}

// primaryTableChanged runs on the owner's worker when a table arrives.
func (m *Member) primaryTableChanged(pid int32, t *partition.ReplicaTable) {}

// backupTableChanged runs on a backup's worker when a table arrives: a new
// owner or index means a fresh copy is needed.
func (m *Member) backupTableChanged(pid int32, t *partition.ReplicaTable, idx int) {
	bs := &m.pstate[pid].bk
	owner := fromPart(t.Owner(pid))
	if bs.owner == owner && bs.idx == idx && (bs.synced || bs.asked) {
		return
	}
	m.releaseHeld(bs)
	*bs = backupState{owner: owner, idx: idx}
	m.askSync(pid, bs)
}

func (m *Member) releaseHeld(bs *backupState) {
	for _, r := range bs.held {
		r(nil, errStaleBackup)
	}
	bs.held = nil
}

type backupError string

func (e backupError) Error() string { return string(e) }

const errStaleBackup = backupError("backup replica changed")

// askSync asks the owner for the whole partition. Backup's worker only.
func (m *Member) askSync(pid int32, bs *backupState) {
	if bs.asked || bs.owner.IsZero() || bs.owner == m.uuid {
		return
	}
	bs.asked = true
	m.stats.syncRequests.Add(1)
	var e cluster.Enc
	e.Varint(int64(pid))
	e.Uvarint(uint64(bs.idx))
	if !m.node.Send(bs.owner, kindSyncRequest, e.B) {
		bs.asked = false
	}
}

// serveBackup applies backup records from a partition's owner.
func (m *Member) serveBackup(from protocol.UUID, payload []byte, reply cluster.Reply) error {
	d := cluster.Dec{B: payload}
	pid := int32(d.Int())
	owner := d.UUID()
	idx := int(d.Uvarint())
	ver := d.Uvarint()
	var ack *ackTarget
	if d.Bool() {
		ack = &ackTarget{client: d.UUID(), corr: d.Varint()}
	}
	if d.Err() != nil || pid < 0 || pid >= m.pcount {
		return errMalformedBackup
	}
	body := d.B
	if ack != nil {
		// The client waits for this member's event, not for the owner.
		orig := reply
		reply = func(b []byte, err error) {
			if err == nil {
				m.sendBackupEvent(ack)
			}
			if orig != nil {
				orig(b, err)
			}
		}
	}
	return m.pool.Submit(pid, worker.Func(func() {
		ps := &m.pstate[pid]
		bs := &ps.bk
		if ps.active {
			// This member owns the partition now (tables raced); the
			// sender will learn from the next table.
			if reply != nil {
				reply(nil, nil)
			}
			return
		}
		if bs.owner != owner || bs.idx != idx {
			m.releaseHeld(bs)
			*bs = backupState{owner: owner, idx: idx}
		}
		if !bs.synced || ver != bs.ver+1 {
			if bs.synced {
				m.log.Debug().Int32("partition", pid).Uint64("have", bs.ver).Uint64("got", ver).Msg("backup gap; asking for replica sync")
				bs.synced = false
			}
			m.askSync(pid, bs)
			if reply != nil {
				bs.held = append(bs.held, reply)
			}
			return
		}
		if err := m.applyBackupBody(m.partitions[pid], body); err != nil {
			m.log.Error().Int32("partition", pid).Err(err).Msg("corrupt backup; asking for replica sync")
			bs.synced = false
			m.askSync(pid, bs)
			if reply != nil {
				bs.held = append(bs.held, reply)
			}
			return
		}
		bs.ver = ver
		if reply != nil {
			reply(nil, nil)
		}
	}))
}

const errMalformedBackup = backupError("malformed backup message")

func (m *Member) applyBackupBody(p *imap.Partition, b []byte) error {
	d := cluster.Dec{B: b}
	n := d.Count(2)
	for i := 0; i < n && d.Err() == nil; i++ {
		if len(d.B) == 0 {
			return errMalformedBackup
		}
		op := d.B[0]
		d.B = d.B[1:]
		switch op {
		case bkRecord:
			name, r, used, err := imap.DecodeRecord(d.B)
			if err != nil {
				return err
			}
			d.B = d.B[used:]
			p.ApplyRecord(name, &r)
			m.persistApplied(p, name, r.Key)
		case bkRemove:
			name := d.String()
			key := d.Bytes()
			if d.Err() == nil {
				p.ApplyRemove(name, key)
				m.persistApplied(p, name, key)
			}
		case bkClear:
			name := d.String()
			if d.Err() == nil {
				m.persistClearMap(p, name)
				p.Clear(name, true)
			}
		default:
			return errMalformedBackup
		}
	}
	return d.Err()
}

// serveSyncRequest sends a backup the whole partition (owner side).
func (m *Member) serveSyncRequest(from protocol.UUID, payload []byte) error {
	d := cluster.Dec{B: payload}
	pid := int32(d.Int())
	idx := int(d.Uvarint())
	if d.Err() != nil || pid < 0 || pid >= m.pcount || idx < 1 || idx >= partition.MaxReplicaCount {
		return errMalformedBackup
	}
	return m.pool.Submit(pid, worker.Func(func() {
		if !m.pstate[pid].active {
			return // the backup will ask the owner the next table names
		}
		m.sendSync(pid, from, idx)
	}))
}

// sendSync streams partition pid to backup u at replica index idx. Owner's
// worker only: the snapshot and the version are consistent.
func (m *Member) sendSync(pid int32, u protocol.UUID, idx int) {
	st := &m.pstate[pid].prim
	keep := func(name string) bool {
		b := m.backupsOf(name)
		return b.sync+b.async >= idx
	}
	chunks := snapshotChunks(m.partitions[pid], migrateChunk, keep)
	l := m.node.Link(u)
	if l == nil {
		return
	}
	m.stats.syncsServed.Add(1)
	for i, c := range chunks {
		var e cluster.Enc
		e.Varint(int64(pid))
		e.UUID(m.uuid)
		e.Uvarint(uint64(idx))
		e.Uvarint(st.ver[idx])
		e.Bool(i == 0)
		e.Bool(i == len(chunks)-1)
		e.B = append(e.B, c...)
		l.Send(kindSyncData, e.B)
	}
}

// serveSyncData installs a replica sync snapshot (backup side).
func (m *Member) serveSyncData(from protocol.UUID, payload []byte) error {
	d := cluster.Dec{B: payload}
	pid := int32(d.Int())
	owner := d.UUID()
	idx := int(d.Uvarint())
	ver := d.Uvarint()
	first := d.Bool()
	last := d.Bool()
	if d.Err() != nil || pid < 0 || pid >= m.pcount {
		return errMalformedBackup
	}
	data := d.B
	return m.pool.Submit(pid, worker.Func(func() {
		ps := &m.pstate[pid]
		bs := &ps.bk
		if ps.active || bs.owner != owner || bs.idx != idx {
			return // stale
		}
		p := m.partitions[pid]
		if first {
			m.persistDropAll(p)
			p.Reset()
		}
		if err := m.applyRecords(p, data); err != nil {
			m.log.Error().Int32("partition", pid).Err(err).Msg("corrupt replica sync data")
			bs.asked = false
			return
		}
		if !last {
			return
		}
		bs.ver = ver
		bs.synced = true
		bs.asked = false
		m.stats.syncsApplied.Add(1)
		held := bs.held
		bs.held = nil
		for _, r := range held {
			r(nil, nil)
		}
	}))
}

// replicaChecker periodically has every owner tell its backups the replica
// version and a digest, so backups that missed updates (dropped async
// backups, lost messages) repair themselves.
func (m *Member) replicaChecker() {
	iv, err := m.cfg.DurationProperty("filbert.replica.check.interval", 10*time.Second)
	if err != nil || iv <= 0 {
		iv = 10 * time.Second
	}
	t := time.NewTicker(iv)
	defer t.Stop()
	mi, err := m.cfg.DurationProperty("filbert.metrics.log.interval", 30*time.Second)
	if err != nil || mi <= 0 {
		mi = 30 * time.Second
	}
	metrics := time.NewTicker(mi)
	defer metrics.Stop()
	touch := time.NewTicker(time.Second)
	defer touch.Stop()
	for {
		select {
		case <-touch.C:
			if m.clustered() {
				m.onEveryPartition(func(p *imap.Partition) { m.flushTouches(p.ID) })
			}
			continue
		case <-t.C:
		case <-metrics.C:
			m.logReplicationStats()
			continue
		case <-m.stopping:
			m.logReplicationStats()
			return
		}
		if !m.clustered() {
			continue
		}
		m.onEveryPartition(func(p *imap.Partition) { m.checkReplicas(p.ID) })
	}
}

// logReplicationStats logs the replication counters: backups sent, acked,
// timed out and dropped, the bytes queued to other members (the lag of
// async backups), replica syncs and repairs, forwarded requests and reads
// served from backups.
func (m *Member) logReplicationStats() {
	if !m.clustered() && m.stats.backupsSent.Load() == 0 {
		return
	}
	queued := 0
	for _, mi := range m.node.View().Members {
		if l := m.node.Link(mi.UUID); l != nil {
			queued += l.Queued()
		}
	}
	s := &m.stats
	m.log.Info().Int64("backups_sent", s.backupsSent.Load()).Int64("backups_acked", s.backupsAcked.Load()).
		Int64("backups_timed_out", s.backupsTimedOut.Load()).Int64("backups_dropped", s.backupsDropped.Load()).
		Int("queued_bytes", queued).Int64("sync_requests", s.syncRequests.Load()).Int64("syncs_served", s.syncsServed.Load()).
		Int64("syncs_applied", s.syncsApplied.Load()).Int64("repairs", s.repairs.Load()).
		Int64("forwarded", s.forwarded.Load()).Int64("backup_reads", s.backupReads.Load()).
		Int64("client_acks", s.clientAcks.Load()).Int64("promotions", s.promotions.Load()).
		Int64("migrated_in", s.migratedIn.Load()).Int64("migrated_out", s.migratedOut.Load()).
		Msg("replication stats")
}

// checkReplicas sends the replica version and digest to each backup of pid.
func (m *Member) checkReplicas(pid int32) {
	if !m.pstate[pid].active {
		return
	}
	t := m.table.Load()
	if t == nil {
		return
	}
	st := &m.pstate[pid].prim
	p := m.partitions[pid]
	var digest uint64
	digested := false
	for i := 1; i < t.Levels(); i++ {
		u := fromPart(t.Replica(pid, i))
		if u.IsZero() {
			continue
		}
		// The digest covers the whole partition: only comparable when
		// every map here is backed up at index i.
		whole := true
		for _, name := range p.Maps() {
			b := m.backupsOf(name)
			if b.sync+b.async < i {
				whole = false
			}
		}
		if whole && !digested {
			digest, digested = p.Digest(), true
		}
		var e cluster.Enc
		e.Varint(int64(pid))
		e.Uvarint(uint64(i))
		e.Uvarint(st.ver[i])
		e.Bool(whole)
		e.Uvarint(digest)
		m.node.Send(u, kindCheck, e.B)
	}
}

// serveCheck compares this backup with the owner's version and digest.
func (m *Member) serveCheck(from protocol.UUID, payload []byte) error {
	d := cluster.Dec{B: payload}
	pid := int32(d.Int())
	idx := int(d.Uvarint())
	ver := d.Uvarint()
	whole := d.Bool()
	digest := d.Uvarint()
	if d.Err() != nil || pid < 0 || pid >= m.pcount {
		return errMalformedBackup
	}
	return m.pool.Submit(pid, worker.Func(func() {
		ps := &m.pstate[pid]
		bs := &ps.bk
		if ps.active || bs.asked {
			return
		}
		diverged := bs.owner != from || bs.idx != idx || !bs.synced || bs.ver != ver
		if !diverged && whole && m.partitions[pid].Digest() != digest {
			diverged = true
		}
		if diverged {
			m.log.Info().Int32("partition", pid).Uint64("have", bs.ver).Uint64("owner_has", ver).Msg("backup replica diverged; repairing")
			m.stats.repairs.Add(1)
			if bs.owner != from || bs.idx != idx {
				m.releaseHeld(bs)
				*bs = backupState{owner: from, idx: idx}
			}
			bs.synced = false
			m.askSync(pid, bs)
		}
	}))
}

// readFromBackup serves a read on a backup replica when the map allows it
// (read-backup-data). Worker only.
func (m *Member) readFromBackup(r request, pid int32, name string, key []byte) bool {
	bs := &m.pstate[pid].bk
	if !bs.synced || bs.owner != m.ownerOf(pid) {
		return false
	}
	if !m.backupsOf(name).readBackup {
		return false
	}
	p := m.partitions[pid]
	v := p.Peek(name, key)
	if v == nil {
		// Absent here: the owner decides (the copy may lag, or an idle
		// deadline the owner extended may have passed here).
		return false
	}
	w := newWriter()
	var b []byte
	switch r.typ {
	case codec.MapGetRequestType:
		b = codec.EncodeMapGetResponse(&w, v)
	case codec.MapContainsKeyRequestType:
		b = codec.EncodeMapContainsKeyResponse(&w, true)
	default:
		putBuf(w.Finish())
		return false
	}
	m.stats.backupReads.Add(1)
	if m.backupsOf(name).forwardAccess {
		bs.touches = append(bs.touches, bkItem{name: name, key: append([]byte(nil), key...)})
	}
	r.wake = &m.wakeLists[m.pool.WorkerOf(pid)]
	r.reply(b)
	return true
}

// backupListeners are the client connections registered with
// Client.localBackupListener, by client.
type backupListeners struct {
	mu sync.Mutex
	ls map[protocol.UUID]backupListener
}

type backupListener struct {
	c    *Conn
	corr int64
}

func (m *Member) addBackupListener(c *Conn, corr int64) {
	b := &m.bkListeners
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ls == nil {
		b.ls = map[protocol.UUID]backupListener{}
	}
	b.ls[c.client.uuid] = backupListener{c: c, corr: corr}
}

func (m *Member) dropBackupListener(c *Conn) {
	b := &m.bkListeners
	b.mu.Lock()
	defer b.mu.Unlock()
	if l, ok := b.ls[c.client.uuid]; ok && l.c == c {
		delete(b.ls, c.client.uuid)
	}
}

func (m *Member) hasBackupListener(client protocol.UUID) bool {
	b := &m.bkListeners
	b.mu.Lock()
	defer b.mu.Unlock()
	_, ok := b.ls[client]
	return ok
}

// sendBackupEvent acknowledges a backup to the client that sent the
// operation, on the connection it registered its backup listener on.
func (m *Member) sendBackupEvent(a *ackTarget) {
	b := &m.bkListeners
	b.mu.Lock()
	l, ok := b.ls[a.client]
	b.mu.Unlock()
	if !ok {
		return
	}
	w := newWriter()
	ev := codec.EncodeClientLocalBackupListenerBackupEvent(&w, -1, a.corr)
	protocol.SetCorrelationID(ev, l.corr)
	protocol.SetInitialFlags(ev, protocol.BackupEvent)
	l.c.send(ev)
	m.stats.clientAcks.Add(1)
}

// flushTouches reports a partition's backup reads to its owner. Worker
// only.
func (m *Member) flushTouches(pid int32) {
	bs := &m.pstate[pid].bk
	if len(bs.touches) == 0 {
		return
	}
	var e cluster.Enc
	e.Varint(int64(pid))
	e.Uvarint(uint64(len(bs.touches)))
	for _, t := range bs.touches {
		e.String(t.name)
		e.Bytes(t.key)
	}
	bs.touches = bs.touches[:0]
	m.node.Send(bs.owner, kindTouch, e.B)
}

// serveTouch records, on the owner, reads another member served from its
// backup copy.
func (m *Member) serveTouch(payload []byte) error {
	d := cluster.Dec{B: payload}
	pid := int32(d.Int())
	n := d.Count(2)
	type item struct {
		name string
		key  []byte
	}
	items := make([]item, 0, n)
	for i := 0; i < n; i++ {
		items = append(items, item{d.String(), d.Bytes()})
	}
	if d.Err() != nil || pid < 0 || pid >= m.pcount {
		return errMalformedBackup
	}
	return m.pool.Submit(pid, worker.Func(func() {
		if !m.pstate[pid].active {
			return
		}
		p := m.partitions[pid]
		for _, it := range items {
			p.Get(it.name, it.key)
		}
		m.shipBatch(pid, func(bool) {})
	}))
}
