package server

import (
	"sort"

	"github.com/filbert/filbert/codec"
	"github.com/filbert/filbert/protocol"
)

// Authentication status codes. Wire format.
const (
	authOK               byte = 0
	authCredentialsFail  byte = 1
	authSerializationBad byte = 2
	authNotAllowed       byte = 3
)

// serializationVersion is the only serialization version Hazelcast 5 uses.
const serializationVersion byte = 1

// EndpointQualifier types (ProtocolType ordinal). Wire format.
const qualifierMember int32 = 0

func registerClientHandlers(add func(int32, handler)) {
	add(codec.ClientAuthenticationRequestType, (*Member).authenticate)
	add(codec.ClientAuthenticationCustomRequestType, (*Member).authenticateCustom)
	add(codec.ClientAddClusterViewListenerRequestType, (*Member).addClusterViewListener)
	add(codec.ClientPingRequestType, func(m *Member, r request) error {
		w := newWriter()
		r.reply(codec.EncodeClientPingResponse(&w))
		return nil
	})
	add(codec.ClientStatisticsRequestType, func(m *Member, r request) error {
		w := newWriter()
		r.reply(codec.EncodeClientStatisticsResponse(&w))
		return nil
	})
	add(codec.ClientTriggerPartitionAssignmentRequestType, func(m *Member, r request) error {
		w := newWriter()
		r.reply(codec.EncodeClientTriggerPartitionAssignmentResponse(&w))
		return nil
	})
	add(codec.ClientCreateProxyRequestType, (*Member).createProxy)
	add(codec.ClientDestroyProxyRequestType, (*Member).destroyProxy)
	add(codec.ClientCreateProxiesRequestType, (*Member).createProxies)
	add(codec.ClientGetDistributedObjectsRequestType, (*Member).getDistributedObjects)
	add(codec.ClientAddDistributedObjectListenerRequestType, (*Member).addDistributedObjectListener)
	add(codec.ClientRemoveDistributedObjectListenerRequestType, (*Member).removeDistributedObjectListener)
	add(codec.ClientLocalBackupListenerRequestType, func(m *Member, r request) error {
		// Backups of this client's backup-aware requests are acknowledged
		// to it through this registration.
		if r.sink == nil {
			m.addBackupListener(r.c, r.corr)
		}
		w := newWriter()
		r.reply(codec.EncodeClientLocalBackupListenerResponse(&w, newUUID()))
		return nil
	})
	add(codec.ClientRemoveMigrationListenerRequestType, func(m *Member, r request) error {
		w := newWriter()
		r.reply(codec.EncodeClientRemoveMigrationListenerResponse(&w, false))
		return nil
	})
	registerSchemaHandlers(add)
}

// joined reports whether this member is part of a cluster with a
// partition table, so that it can serve clients.
func (m *Member) joined() bool {
	select {
	case <-m.tableReady:
		return true
	default:
		return false
	}
}

func (m *Member) authenticate(r request) error {
	req, err := codec.DecodeClientAuthenticationRequest(r.msg)
	if err != nil {
		return err
	}
	if !m.joined() {
		r.fail(&Error{Code: codeInstanceNotActive, ClassName: "com.hazelcast.core.HazelcastInstanceNotActiveException", Message: "member is still joining the cluster"})
		return nil
	}
	status := authOK
	reason := ""
	switch {
	case req.ClusterName != m.cfg.ClusterName:
		status, reason = authCredentialsFail, "cluster name mismatch: client "+req.ClusterName+", member "+m.cfg.ClusterName
	case !m.cfg.Security.CheckClient(deref(req.Username), deref(req.Password)):
		status, reason = authCredentialsFail, "invalid username or password"
	case req.SerializationVersion != serializationVersion:
		status, reason = authSerializationBad, "serialization version mismatch"
	}
	return m.finishAuth(r, status, reason, req.UUID, req.ClientType, req.ClientName, req.ClientHazelcastVersion)
}

func (m *Member) authenticateCustom(r request) error {
	req, err := codec.DecodeClientAuthenticationCustomRequest(r.msg)
	if err != nil {
		return err
	}
	status, reason := authNotAllowed, "custom credentials (tokens) are not supported by Filbert; use username/password"
	if req.ClusterName != m.cfg.ClusterName {
		status, reason = authCredentialsFail, "cluster name mismatch: client "+req.ClusterName+", member "+m.cfg.ClusterName
	}
	return m.finishAuth(r, status, reason, req.UUID, req.ClientType, req.ClientName, req.ClientHazelcastVersion)
}

// finishAuth answers an authentication request. A refused client gets its
// status and the connection stays open for the client to close, as
// Hazelcast does.
func (m *Member) finishAuth(r request, status byte, reason string, client protocol.UUID, typ, name, version string) error {
	log := m.log.With().Uint64("conn", r.c.id).Str("remote", r.c.remote).
		Str("client", client.String()).Str("type", typ).Str("name", name).Logger()
	w := newWriter()
	addr := m.address()
	if status != authOK {
		log.Warn().Str("reason", reason).Int("status", int(status)).Msg("client authentication failed")
		r.reply(codec.EncodeClientAuthenticationResponse(&w, status, nil, protocol.UUID{}, serializationVersion,
			Version, m.pcount, m.clusterIDNow(), false, nil, nil, 0, nil, 0, nil, nil))
		return nil
	}
	first := !r.c.authenticated.Load()
	r.c.client = clientInfo{uuid: client, typ: typ, name: name, version: version}
	r.c.authenticated.Store(true)
	if first {
		m.clients.add(client)
	}
	r.reply(codec.EncodeClientAuthenticationResponse(&w, status, &addr, m.uuid, serializationVersion,
		Version, m.pcount, m.clusterIDNow(), false, nil, nil, m.memberListVersion(), m.memberInfos(),
		m.partitionListVersion(), m.partitionTable(), nil))
	log.Info().Str("version", version).Msg("client connected")
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// address is the member's client-facing address.
func (m *Member) address() codec.Address {
	return codec.Address{Host: m.host, Port: int32(m.port)}
}

// memberInfos is the member list clients see.
func (m *Member) memberInfos() []codec.MemberInfo {
	view := m.node.View()
	out := make([]codec.MemberInfo, 0, len(view.Members))
	for _, mi := range view.Members {
		addr := codec.Address{Host: mi.Host, Port: int32(mi.Port)}
		out = append(out, codec.MemberInfo{
			Address:    addr,
			UUID:       mi.UUID,
			Attributes: []codec.Entry[string, string]{},
			LiteMember: false,
			Version:    codec.MemberVersion{Major: 5, Minor: 3, Patch: 6},
			AddressMap: []codec.Entry[codec.EndpointQualifier, codec.Address]{
				{Key: codec.EndpointQualifier{Type: qualifierMember}, Value: addr},
			},
		})
	}
	return out
}

func (m *Member) memberListVersion() int32 { return m.node.View().Version }

func (m *Member) partitionListVersion() int32 {
	if t := m.table.Load(); t != nil {
		return t.Version()
	}
	return 0
}

// partitionTable lists, per owner, its partition ids.
func (m *Member) partitionTable() []codec.Entry[protocol.UUID, []int32] {
	t := m.table.Load()
	if t == nil {
		return []codec.Entry[protocol.UUID, []int32]{}
	}
	byOwner := t.ByOwner()
	out := make([]codec.Entry[protocol.UUID, []int32], len(byOwner))
	for i, o := range byOwner {
		out[i] = codec.Entry[protocol.UUID, []int32]{Key: fromPart(o.Owner), Value: o.Partitions}
	}
	return out
}

func (m *Member) addClusterViewListener(r request) error {
	if _, err := codec.DecodeClientAddClusterViewListenerRequest(r.msg); err != nil {
		return err
	}
	w := newWriter()
	if r.sink == nil {
		m.viewLs.add(r.c, r.corr)
	}
	r.reply(codec.EncodeClientAddClusterViewListenerResponse(&w))
	// A full snapshot on every registration: the members, then the table.
	w = newWriter()
	r.reply(codec.EncodeClientAddClusterViewListenerMembersViewEvent(&w, -1, m.memberListVersion(), m.memberInfos()))
	w = newWriter()
	r.reply(codec.EncodeClientAddClusterViewListenerPartitionsViewEvent(&w, -1, m.partitionListVersion(), m.partitionTable()))
	return nil
}

// Service names clients use for maps; others are accepted as proxies so
// that creating them does not fail, but their operations are unsupported.
const mapServiceName = "hz:impl:mapService"

func (m *Member) createProxy(r request) error {
	req, err := codec.DecodeClientCreateProxyRequest(r.msg)
	if err != nil {
		r.fail(err)
		return nil
	}
	m.proxyCreated(req.ServiceName, req.Name)
	m.spreadProxy(r, req.ServiceName, req.Name, true)
	w := newWriter()
	r.reply(codec.EncodeClientCreateProxyResponse(&w))
	return nil
}

func (m *Member) createProxies(r request) error {
	req, err := codec.DecodeClientCreateProxiesRequest(r.msg)
	if err != nil {
		r.fail(err)
		return nil
	}
	for _, p := range req.Proxies {
		m.proxyCreated(p.Value, p.Key)
		m.spreadProxy(r, p.Value, p.Key, true)
	}
	w := newWriter()
	r.reply(codec.EncodeClientCreateProxiesResponse(&w))
	return nil
}

func (m *Member) proxyCreated(service, name string) {
	created, ls := m.objects.create(service, name)
	if created {
		m.notifyObjectListeners(ls, service, name, "CREATED")
	}
}

func (m *Member) destroyProxy(r request) error {
	req, err := codec.DecodeClientDestroyProxyRequest(r.msg)
	if err != nil {
		r.fail(err)
		return nil
	}
	destroyed, ls := m.objects.destroy(req.ServiceName, req.Name)
	if req.ServiceName == mapServiceName {
		m.destroyMap(req.Name)
	}
	m.spreadProxy(r, req.ServiceName, req.Name, false)
	if destroyed {
		m.notifyObjectListeners(ls, req.ServiceName, req.Name, "DESTROYED")
	}
	w := newWriter()
	r.reply(codec.EncodeClientDestroyProxyResponse(&w))
	return nil
}

func (m *Member) notifyObjectListeners(ls []objectListener, service, name, kind string) {
	for _, l := range ls {
		w := newWriter()
		b := codec.EncodeClientAddDistributedObjectListenerDistributedObjectEvent(&w, -1, name, service, kind, m.uuid)
		protocol.SetCorrelationID(b, l.corr)
		l.c.send(b)
	}
}

func (m *Member) getDistributedObjects(r request) error {
	objs := m.objects.list()
	sort.Slice(objs, func(i, j int) bool {
		if objs[i].service != objs[j].service {
			return objs[i].service < objs[j].service
		}
		return objs[i].name < objs[j].name
	})
	infos := make([]codec.DistributedObjectInfo, len(objs))
	for i, o := range objs {
		infos[i] = codec.DistributedObjectInfo{ServiceName: o.service, Name: o.name}
	}
	w := newWriter()
	r.reply(codec.EncodeClientGetDistributedObjectsResponse(&w, infos))
	return nil
}

func (m *Member) addDistributedObjectListener(r request) error {
	q, err := codec.DecodeClientAddDistributedObjectListenerRequest(r.msg)
	if err != nil {
		r.fail(err)
		return nil
	}
	id := r.listenerID()
	m.objects.addListener(id, objectListener{c: r.c, corr: r.corr})
	if !q.LocalOnly {
		// As Hazelcast: the member where an object is created raises the
		// event, so a cluster-wide registration lives on every member.
		m.spreadListener(r, id)
	}
	w := newWriter()
	r.reply(codec.EncodeClientAddDistributedObjectListenerResponse(&w, id))
	return nil
}

func (m *Member) removeDistributedObjectListener(r request) error {
	req, err := codec.DecodeClientRemoveDistributedObjectListenerRequest(r.msg)
	if err != nil {
		r.fail(err)
		return nil
	}
	ok := m.objects.removeListener(req.RegistrationID)
	m.withdrawListener("", req.RegistrationID)
	w := newWriter()
	r.reply(codec.EncodeClientRemoveDistributedObjectListenerResponse(&w, ok))
	return nil
}

// connClosed cleans up after a connection: listeners, and the client's
// locks once its last connection is gone.
func (m *Member) connClosed(c *Conn, err error) {
	// Under wmu: once this returns no worker writes to the descriptor,
	// which gnet closes (and the kernel may reuse) right after OnClose.
	c.wmu.Lock()
	c.closed.Store(true)
	c.wmu.Unlock()
	m.connMu.Lock()
	delete(m.conns, c)
	m.connMu.Unlock()
	m.connMu.Lock()
	delete(m.connIDs, c.id)
	m.connMu.Unlock()
	m.listeners.dropConn(c)
	m.objects.dropConn(c)
	m.viewLs.drop(c)
	m.dropBackupListener(c)
	if c.http != nil {
		c.http.Stop()
		return
	}
	if c.member != nil {
		m.log.Debug().Uint64("conn", c.id).Str("remote", c.remote).AnErr("cause", err).Msg("member connection closed")
		return
	}
	m.connRegsGone(c)
	ev := m.log.Debug()
	if c.authenticated.Load() {
		ev = m.log.Info()
		if m.clients.remove(c.client.uuid) {
			m.releaseClientLocks(c.client.uuid)
			m.clientGone(c.client.uuid)
		}
	}
	ev.Uint64("conn", c.id).Str("remote", c.remote).Str("client", c.client.uuid.String()).
		AnErr("cause", err).Msg("client disconnected")
	c.mu.Lock()
	out := c.out
	c.out = nil
	c.mu.Unlock()
	for _, b := range out {
		putBuf(b)
	}
}

// clusterIDNow is the cluster's id (the same on every member).
func (m *Member) clusterIDNow() protocol.UUID {
	if id := m.node.View().ClusterID; !id.IsZero() {
		return id
	}
	return m.clusterID
}
