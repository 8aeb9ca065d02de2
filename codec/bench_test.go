package codec

import (
	"testing"

	"github.com/filbert/filbert/protocol"
)

func benchPut() MapPutRequest {
	return MapPutRequest{
		Name:     "default",
		Key:      make([]byte, 16),
		Value:    make([]byte, 256),
		ThreadID: 1,
		TTL:      -1,
	}
}

func BenchmarkEncodeMapPutRequest(b *testing.B) {
	v := benchPut()
	w := protocol.NewWriter(make([]byte, 0, 1024))
	b.ReportAllocs()
	for b.Loop() {
		w.Reset(w.Finish()[:0])
		b.SetBytes(int64(len(EncodeMapPutRequest(w, 1, &v))))
	}
}

func BenchmarkDecodeMapPutRequest(b *testing.B) {
	v := benchPut()
	msg := protocol.Message(EncodeMapPutRequest(protocol.NewWriter(nil), 1, &v))
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeMapPutRequest(msg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeMembersViewEvent(b *testing.B) {
	members := make([]MemberInfo, 3)
	for i := range members {
		members[i] = MemberInfo{
			Address: Address{Host: "127.0.0.1", Port: int32(5701 + i)},
			UUID:    protocol.UUID{MSB: uint64(i + 1), LSB: 1},
			Version: MemberVersion{Major: 5, Minor: 3, Patch: 6},
		}
	}
	w := protocol.NewWriter(make([]byte, 0, 4096))
	b.ReportAllocs()
	for b.Loop() {
		w.Reset(w.Finish()[:0])
		EncodeClientAddClusterViewListenerMembersViewEvent(w, -1, 1, members)
	}
}
