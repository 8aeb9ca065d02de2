package codec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"reflect"
	"testing"

	"github.com/filbert/filbert/protocol"
)

// Harness for the generated cases in roundtrip.gen_test.go.

type messageKind int

const (
	requestKind messageKind = iota
	responseKind
	eventKind
)

// messageCase round-trips one message: encode builds a sample value and
// its encoding, decode reads an encoding back.
type messageCase struct {
	name    string
	kind    messageKind
	msgType int32
	encode  func(w *protocol.Writer, s *sampler) (any, []byte)
	decode  func(m protocol.Message) (any, error)
}

// oldPeerCase describes a message with parameters added after its method:
// fixedEnd is the initial frame content length an older peer sends and
// varUnits how many variable-size values; clear zeroes the newer fields.
type oldPeerCase struct {
	name     string
	fixedEnd int
	varUnits int
	clear    func(any) any
}

// customOldPeerCase is the same for a custom type.
type customOldPeerCase struct {
	name     string
	hasFixed bool
	fixedEnd int
	varUnits int
	encode   func(w *protocol.Writer, s *sampler) any
	decode   func(it *protocol.Iterator) any
	clear    func(any) any
}

// rawFrame is a frame of a message under test.
type rawFrame struct {
	flags   uint16
	content []byte
}

func splitFrames(t *testing.T, b []byte) []rawFrame {
	t.Helper()
	var out []rawFrame
	for len(b) > 0 {
		if len(b) < protocol.FrameHeaderSize {
			t.Fatalf("trailing %d bytes", len(b))
		}
		n := int(binary.LittleEndian.Uint32(b))
		if n < protocol.FrameHeaderSize || n > len(b) {
			t.Fatalf("bad frame length %d with %d bytes left", n, len(b))
		}
		out = append(out, rawFrame{flags: binary.LittleEndian.Uint16(b[4:]), content: b[protocol.FrameHeaderSize:n]})
		b = b[n:]
	}
	return out
}

// joinFrames encodes frames, setting IsFinal on the last one only.
func joinFrames(frames []rawFrame) []byte {
	var b []byte
	for i, f := range frames {
		flags := f.flags &^ protocol.IsFinal
		if i == len(frames)-1 {
			flags |= protocol.IsFinal
		}
		b = binary.LittleEndian.AppendUint32(b, uint32(protocol.FrameHeaderSize+len(f.content)))
		b = binary.LittleEndian.AppendUint16(b, flags)
		b = append(b, f.content...)
	}
	return b
}

// unitEnd returns the index after the value starting at frames[i]: one
// frame, or a structure up to its matching END.
func unitEnd(t *testing.T, frames []rawFrame, i int) int {
	t.Helper()
	depth := 0
	for ; i < len(frames); i++ {
		f := frames[i]
		if f.flags&protocol.BeginDataStructure != 0 {
			depth++
		} else if f.flags&protocol.EndDataStructure != 0 {
			depth--
		}
		if depth <= 0 {
			return i + 1
		}
	}
	t.Fatalf("unterminated structure")
	return 0
}

func checkWireShape(t *testing.T, tc messageCase, b []byte) {
	t.Helper()
	frames := splitFrames(t, b)
	m := protocol.Message(b)
	if got := m.Type(); got != tc.msgType {
		t.Errorf("type %#06x, want %#06x", got, tc.msgType)
	}
	if m.CorrelationID() != 0 {
		t.Errorf("correlation id %d set by the encoder", m.CorrelationID())
	}
	first := frames[0].flags
	if first&protocol.Unfragmented != protocol.Unfragmented {
		t.Errorf("initial frame flags %#04x without both fragment bits", first)
	}
	if isEvent := first&protocol.IsEvent != 0; isEvent != (tc.kind == eventKind) {
		t.Errorf("initial frame flags %#04x: IsEvent %v for a %v", first, isEvent, tc.kind)
	}
	if first&(protocol.BackupAware|protocol.BackupEvent|protocol.IsNull|protocol.BeginDataStructure|protocol.EndDataStructure) != 0 {
		t.Errorf("initial frame flags %#04x", first)
	}
	switch tc.kind {
	case requestKind, eventKind:
		if m.PartitionID() != testPartitionID {
			t.Errorf("partition id %d", m.PartitionID())
		}
	case responseKind:
		if frames[0].content[protocol.BackupAcksOffset] != 0 {
			t.Errorf("backup acks %d", frames[0].content[protocol.BackupAcksOffset])
		}
	}
	for i, f := range frames {
		if final := f.flags&protocol.IsFinal != 0; final != (i == len(frames)-1) {
			t.Errorf("frame %d of %d: IsFinal %v", i, len(frames), final)
		}
	}
	depth := 0
	for _, f := range frames[1:] {
		if f.flags&protocol.BeginDataStructure != 0 {
			depth++
		}
		if f.flags&protocol.EndDataStructure != 0 {
			depth--
		}
		if depth < 0 {
			t.Fatalf("END without BEGIN")
		}
	}
	if depth != 0 {
		t.Errorf("%d structures left open", depth)
	}
}

func TestRoundTrip(t *testing.T) {
	w := protocol.NewWriter(nil)
	for _, mode := range sampleModes {
		for _, tc := range messageCases {
			t.Run(mode.String()+"/"+tc.name, func(t *testing.T) {
				w.Reset(w.Finish()[:0])
				want, b := tc.encode(w, &sampler{mode: mode})
				checkWireShape(t, tc, b)
				got, err := tc.decode(protocol.Message(b))
				if err != nil {
					t.Fatalf("decode: %v\n% x", err, b)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("decoded\n %#v\nwant\n %#v", got, want)
				}
			})
		}
	}
}

// TestNewerPeer decodes messages as a newer peer sends them: a longer
// initial frame and frames after the known parameters.
func TestNewerPeer(t *testing.T) {
	for _, tc := range messageCases {
		w := protocol.NewWriter(nil)
		want, b := tc.encode(w, &sampler{})
		frames := splitFrames(t, b)
		frames[0].content = append(bytes.Clone(frames[0].content), 0xee, 0xee, 0xee, 0xee, 0xee)
		frames = append(frames,
			rawFrame{content: []byte("future")},
			rawFrame{flags: protocol.BeginDataStructure},
			rawFrame{flags: protocol.IsNull},
			rawFrame{flags: protocol.EndDataStructure})
		got, err := tc.decode(protocol.Message(joinFrames(frames)))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: decoded\n %#v\nwant\n %#v", tc.name, got, want)
		}
	}
}

// TestOldPeer decodes messages as a peer of the method's own version sends
// them: fields added later must read as zero values.
func TestOldPeer(t *testing.T) {
	cases := map[string]messageCase{}
	for _, tc := range messageCases {
		cases[tc.name] = tc
	}
	if len(oldPeerCases) == 0 {
		t.Fatal("no old-peer cases generated")
	}
	for _, oc := range oldPeerCases {
		t.Run(oc.name, func(t *testing.T) {
			tc := cases[oc.name]
			want, b := tc.encode(protocol.NewWriter(nil), &sampler{})
			frames := splitFrames(t, b)
			frames[0].content = frames[0].content[:oc.fixedEnd]
			end := 1
			for range oc.varUnits {
				end = unitEnd(t, frames, end)
			}
			old := joinFrames(frames[:end])
			got, err := tc.decode(protocol.Message(old))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if want := oc.clear(want); !reflect.DeepEqual(got, want) {
				t.Fatalf("decoded\n %#v\nwant\n %#v", got, want)
			}
			// One byte short of the old layout is malformed.
			if oc.fixedEnd > protocol.ResponseHeaderSize {
				frames[0].content = frames[0].content[:oc.fixedEnd-1]
				if _, err := tc.decode(protocol.Message(joinFrames(frames[:end]))); !errors.Is(err, protocol.ErrMalformed) {
					t.Fatalf("short initial frame: err %v", err)
				}
			}
		})
	}
}

// TestCustomOldAndNewPeer decodes custom types without the fields added
// after them, and with fields a newer version might add.
func TestCustomOldAndNewPeer(t *testing.T) {
	for _, cc := range customOldPeerCases {
		t.Run(cc.name, func(t *testing.T) {
			w := protocol.NewWriter(nil)
			want := cc.encode(w, &sampler{})
			frames := splitFrames(t, w.Finish())
			decode := func(frames []rawFrame) (any, error) {
				b := joinFrames(frames)
				it := protocol.Message(b).Iter()
				v := cc.decode(&it)
				if it.Err() == nil && it.Offset() != len(b) {
					t.Errorf("decoder stopped at %d of %d bytes", it.Offset(), len(b))
				}
				return v, it.Err()
			}

			// Older: BEGIN, shorter fixed frame, fewer values, END.
			old := []rawFrame{frames[0]}
			i := 1
			if cc.hasFixed {
				old = append(old, rawFrame{content: frames[1].content[:cc.fixedEnd]})
				i = 2
			}
			for range cc.varUnits {
				j := unitEnd(t, frames, i)
				old = append(old, frames[i:j]...)
				i = j
			}
			old = append(old, frames[len(frames)-1])
			got, err := decode(old)
			if err != nil {
				t.Fatalf("old: %v", err)
			}
			if want := cc.clear(want); !reflect.DeepEqual(got, want) {
				t.Fatalf("old: decoded\n %#v\nwant\n %#v", got, want)
			}

			// Newer: longer fixed frame, extra values before END.
			newer := append([]rawFrame(nil), frames[:len(frames)-1]...)
			if cc.hasFixed {
				newer[1].content = append(bytes.Clone(newer[1].content), 1, 2, 3)
			}
			newer = append(newer,
				rawFrame{content: []byte("x")},
				rawFrame{flags: protocol.BeginDataStructure},
				rawFrame{flags: protocol.EndDataStructure},
				frames[len(frames)-1])
			got, err = decode(newer)
			if err != nil {
				t.Fatalf("newer: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("newer: decoded\n %#v\nwant\n %#v", got, want)
			}
		})
	}
}

// TestTruncated cuts every sample message short at every frame boundary and
// checks the decoder reports ErrMalformed rather than panicking or
// succeeding with frames missing.
func TestTruncated(t *testing.T) {
	for _, tc := range messageCases {
		_, b := tc.encode(protocol.NewWriter(nil), &sampler{})
		frames := splitFrames(t, b)
		for n := 0; n < len(frames); n++ {
			_, err := tc.decode(protocol.Message(joinFrames(frames[:n])))
			if n == 0 && err == nil {
				t.Errorf("%s: empty message decoded", tc.name)
			}
			if err != nil && !errors.Is(err, protocol.ErrMalformed) {
				t.Errorf("%s: %d frames: error %v is not ErrMalformed", tc.name, n, err)
			}
		}
	}
}

func TestMessagesTable(t *testing.T) {
	seen := map[int32]string{}
	add := func(typ int32, what string) {
		if prev, ok := seen[typ]; ok {
			t.Errorf("type %#06x used by %s and %s", typ, prev, what)
		}
		seen[typ] = what
	}
	for _, mi := range Messages {
		name := mi.Service + "." + mi.Method
		add(mi.RequestType, name)
		add(mi.ResponseType, name+" response")
		if mi.ResponseType != mi.RequestType+1 || mi.RequestType&0xff != 0 {
			t.Errorf("%s: types %#06x %#06x", name, mi.RequestType, mi.ResponseType)
		}
		if got := MessageName(mi.RequestType); got != name {
			t.Errorf("MessageName(%#06x) = %q, want %q", mi.RequestType, got, name)
		}
		for i, ev := range mi.EventTypes {
			add(ev, name+" event")
			if ev != mi.RequestType+2+int32(i) {
				t.Errorf("%s: event %d type %#06x", name, i, ev)
			}
		}
	}
	if len(seen) != len(messageCases) {
		t.Errorf("%d types in Messages, %d message cases", len(seen), len(messageCases))
	}
	for _, tc := range messageCases {
		if MessageName(tc.msgType) != tc.name && tc.kind != requestKind {
			t.Errorf("MessageName(%#06x) = %q, want %q", tc.msgType, MessageName(tc.msgType), tc.name)
		}
	}
	for typ, want := range map[int32]string{
		MapPutRequestType:                 "Map.put",
		MapPutResponseType:                "Map.put response",
		MapAddEntryListenerEntryEventType: "Map.addEntryListener Entry event",
		ClientAuthenticationRequestType:   "Client.authentication",
		ErrorResponseType:                 "error",
		0x7f0000:                          "unknown(0x7f0000)",
	} {
		if got := MessageName(typ); got != want {
			t.Errorf("MessageName(%#06x) = %q, want %q", typ, got, want)
		}
	}
	if MapPutRequestType != 0x010100 || MapAddEntryListenerEntryEventType != 0x011902 ||
		ClientAddClusterViewListenerPartitionsViewEventType != 0x000303 {
		t.Error("message type constants do not match the reference values")
	}
}

func TestErrorResponseRoundTrip(t *testing.T) {
	msg := "boom"
	file := "Map.java"
	want := []ErrorHolder{
		{ErrorCode: 23, ClassName: "java.lang.IllegalArgumentException", Message: &msg,
			StackTraceElements: []StackTraceElement{{ClassName: "c", MethodName: "m", FileName: &file, LineNumber: 7}}},
		{ErrorCode: 27, ClassName: "java.lang.IllegalStateException", StackTraceElements: []StackTraceElement{}},
	}
	b := EncodeErrorResponse(protocol.NewWriter(nil), want)
	if protocol.Message(b).Type() != ErrorResponseType {
		t.Fatalf("type %#x", protocol.Message(b).Type())
	}
	got, err := DecodeErrorResponse(protocol.Message(b))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decoded\n %#v\nwant\n %#v", got, want)
	}
}
