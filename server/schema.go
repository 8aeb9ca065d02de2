package server

import (
	"sort"
	"sync"

	"github.com/filbert/filbert/codec"
	"github.com/filbert/filbert/protocol"
)

// schemaRegistry keeps Compact serialization schemas clients send, so
// other clients can fetch them.
type schemaRegistry struct {
	mu      sync.Mutex
	schemas map[int64]codec.Schema
}

func newSchemaRegistry() *schemaRegistry {
	return &schemaRegistry{schemas: make(map[int64]codec.Schema)}
}

func (s *schemaRegistry) put(sc codec.Schema) {
	id := schemaID(sc)
	s.mu.Lock()
	s.schemas[id] = sc
	s.mu.Unlock()
}

func (s *schemaRegistry) get(id int64) (codec.Schema, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sc, ok := s.schemas[id]
	return sc, ok
}

// rabinInit seeds the 64-bit Rabin fingerprint Hazelcast uses as the id of
// a Compact schema (RabinFingerprint in Hazelcast and its clients).
const rabinInit = uint64(0xc15d213aa4d7a795)

var rabinTable = func() (t [256]uint64) {
	for i := range t {
		fp := uint64(i)
		for j := 0; j < 8; j++ {
			fp = (fp >> 1) ^ (rabinInit & -(fp & 1))
		}
		t[i] = fp
	}
	return t
}()

func rabinByte(fp uint64, b byte) uint64 { return (fp >> 8) ^ rabinTable[byte(fp)^b] }

func rabinInt(fp uint64, v int32) uint64 {
	for i := 0; i < 4; i++ {
		fp = rabinByte(fp, byte(v>>(8*i)))
	}
	return fp
}

func rabinString(fp uint64, s string) uint64 {
	fp = rabinInt(fp, int32(len(s)))
	for i := 0; i < len(s); i++ {
		fp = rabinByte(fp, s[i])
	}
	return fp
}

// schemaID computes a schema's id: type name, field count, then each field
// (sorted by name) with its kind.
func schemaID(s codec.Schema) int64 {
	fields := append([]codec.FieldDescriptor(nil), s.Fields...)
	sort.Slice(fields, func(i, j int) bool { return fields[i].FieldName < fields[j].FieldName })
	fp := rabinString(rabinInit, s.TypeName)
	fp = rabinInt(fp, int32(len(fields)))
	for _, f := range fields {
		fp = rabinString(fp, f.FieldName)
		fp = rabinInt(fp, f.Kind)
	}
	return int64(fp)
}

func registerSchemaHandlers(add func(int32, handler)) {
	add(codec.ClientSendSchemaRequestType, decoded(codec.DecodeClientSendSchemaRequest, func(m *Member, r request, q *codec.ClientSendSchemaRequest) {
		m.schemas.put(q.Schema)
		w := newWriter()
		r.reply(codec.EncodeClientSendSchemaResponse(&w, []protocol.UUID{m.uuid}))
	}))
	add(codec.ClientSendAllSchemasRequestType, decoded(codec.DecodeClientSendAllSchemasRequest, func(m *Member, r request, q *codec.ClientSendAllSchemasRequest) {
		for _, s := range q.Schemas {
			m.schemas.put(s)
		}
		w := newWriter()
		r.reply(codec.EncodeClientSendAllSchemasResponse(&w))
	}))
	add(codec.ClientFetchSchemaRequestType, decoded(codec.DecodeClientFetchSchemaRequest, func(m *Member, r request, q *codec.ClientFetchSchemaRequest) {
		s, ok := m.schemas.get(q.SchemaID)
		w := newWriter()
		if !ok {
			r.reply(codec.EncodeClientFetchSchemaResponse(&w, nil))
			return
		}
		r.reply(codec.EncodeClientFetchSchemaResponse(&w, &s))
	}))
}
