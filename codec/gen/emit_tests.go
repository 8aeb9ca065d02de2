package main

import (
	"fmt"
	"strings"
)

// emitTests writes roundtrip.gen_test.go: sample builders for every custom
// and collection type, one round-trip case per message, the old-peer cases
// of messages and custom types with parameters added after them, and the
// request re-encoders the fuzz target uses. The harness that runs them is
// hand-written (roundtrip_test.go, sample_test.go).
func emitTests(dir string, ts *typeSet, defs *definitions, lays map[string]*layout, methods []*methodInfo) error {
	e := &emitter{}
	e.p("package codec")
	e.p("")
	e.p(`import "github.com/filbert/filbert/protocol"`)

	emitMessageCases(e, methods)
	emitOldPeerCases(e, methods)
	emitCustomOldPeerCases(e, ts, defs, lays)
	emitReencoders(e, methods)

	for _, c := range defs.customs {
		t, _ := ts.resolve(c.Name)
		emitSampleCustom(e, t, lays[c.Name])
	}
	for _, t := range ts.sorted() {
		emitSampleComposite(e, t)
	}
	for _, t := range ts.sortedNullable() {
		emitSampleNullable(e, t)
	}
	return e.write(dir, "roundtrip.gen_test.go")
}

// sampleExpr is the expression building a sample value of f.
func sampleExpr(f *field) string {
	if f.Nullable {
		return fmt.Sprintf("sampleNullable%s(s)", f.t.ident())
	}
	return fmt.Sprintf("sample%s(s)", f.t.ident())
}

func emitStructLiteral(e *emitter, goType string, lay *layout) {
	if len(lay.fields) == 0 {
		e.p("v := %s{}", goType)
		return
	}
	e.p("v := %s{", goType)
	for _, f := range lay.fields {
		e.p("%s: %s,", f.name, sampleExpr(f))
	}
	e.p("}")
}

func kindConst(k msgKind) string {
	return [...]string{"requestKind", "responseKind", "eventKind"}[k]
}

func emitMessageCases(e *emitter, methods []*methodInfo) {
	e.p("")
	e.p("// messageCases has one round-trip case per request, response and event.")
	e.p("var messageCases = []messageCase{")
	for _, mi := range methods {
		for _, msg := range mi.all() {
			e.p("{")
			e.p("name: %q, kind: %s, msgType: %s,", msg.label, kindConst(msg.kind), msg.typeConst)
			e.p("encode: func(w *protocol.Writer, s *sampler) (any, []byte) {")
			emitStructLiteral(e, msg.goName, msg.lay)
			switch msg.kind {
			case requestMsg:
				e.p("return v, Encode%s(w, testPartitionID, &v)", msg.goName)
			default:
				args := []string{"w"}
				if msg.kind == eventMsg {
					args = append(args, "testPartitionID")
				}
				for _, f := range msg.lay.fields {
					args = append(args, "v."+f.name)
				}
				e.p("return v, Encode%s(%s)", msg.goName, strings.Join(args, ", "))
			}
			e.p("},")
			e.p("decode: func(m protocol.Message) (any, error) { return Decode%s(m) },", msg.goName)
			e.p("},")
		}
	}
	e.p("}")
}

// varUnits counts the top-level values of the variable-size fields an older
// peer sends.
func varUnits(lay *layout) int {
	n := 0
	for _, f := range lay.vars {
		if !f.newer {
			n += f.t.units()
		}
	}
	return n
}

// emitClear writes a function zeroing the fields added after the base
// version.
func emitClear(e *emitter, goType string, lay *layout) {
	e.p("clear: func(v any) any {")
	e.p("x := v.(%s)", goType)
	for _, f := range lay.fields {
		if f.newer {
			e.p("x.%s = %s", f.name, zeroValue(f.goType()))
		}
	}
	e.p("return x")
	e.p("},")
}

func emitOldPeerCases(e *emitter, methods []*methodInfo) {
	e.p("")
	e.p("// oldPeerCases cut messages with parameters added after the method down to")
	e.p("// what a peer of the method's version sends.")
	e.p("var oldPeerCases = []oldPeerCase{")
	for _, mi := range methods {
		for _, msg := range mi.all() {
			if !msg.lay.hasNewer() {
				continue
			}
			e.p("{")
			e.p("name: %q, fixedEnd: %d, varUnits: %d,", msg.label, msg.lay.requiredEnd, varUnits(msg.lay))
			emitClear(e, msg.goName, msg.lay)
			e.p("},")
		}
	}
	e.p("}")
}

func emitCustomOldPeerCases(e *emitter, ts *typeSet, defs *definitions, lays map[string]*layout) {
	e.p("")
	e.p("// customOldPeerCases do the same for custom types with fields added after")
	e.p("// the type.")
	e.p("var customOldPeerCases = []customOldPeerCase{")
	for _, c := range defs.customs {
		lay := lays[c.Name]
		if !lay.hasNewer() {
			continue
		}
		t, _ := ts.resolve(c.Name)
		e.p("{")
		e.p("name: %q, hasFixed: %v, fixedEnd: %d, varUnits: %d,", c.Name, len(lay.fixed) > 0, lay.requiredEnd, varUnits(lay))
		e.p("encode: func(w *protocol.Writer, s *sampler) any { v := sample%s(s); Encode%s(w, v); return v },", t.ident(), t.goTyp)
		e.p("decode: func(it *protocol.Iterator) any { return Decode%s(it) },", t.goTyp)
		emitClear(e, t.goTyp, lay)
		e.p("},")
	}
	e.p("}")
}

func emitReencoders(e *emitter, methods []*methodInfo) {
	e.p("")
	e.p("// requestReencoders decode a request and encode the result again.")
	e.p("var requestReencoders = map[int32]func(w *protocol.Writer, m protocol.Message) ([]byte, error){")
	for _, mi := range methods {
		msg := mi.request
		e.p("%s: func(w *protocol.Writer, m protocol.Message) ([]byte, error) {", msg.typeConst)
		e.p("v, err := Decode%s(m)", msg.goName)
		e.p("if err != nil { return nil, err }")
		e.p("return Encode%s(w, m.PartitionID(), &v), nil", msg.goName)
		e.p("},")
	}
	e.p("}")
}

func emitSampleCustom(e *emitter, t *typ, lay *layout) {
	e.p("")
	e.p("func sample%s(s *sampler) %s {", t.ident(), t.goTyp)
	emitStructLiteral(e, t.goTyp, lay)
	e.p("return v")
	e.p("}")
}

func emitSampleComposite(e *emitter, t *typ) {
	var item string
	switch t.kind {
	case kindFixedList, kindList:
		item = fmt.Sprintf("sample%s(s)", t.elem.ident())
	case kindListCN:
		item = fmt.Sprintf("sampleNullable%s(s)", t.elem.ident())
	case kindFixedEntries, kindSplitEntries, kindEntries:
		item = fmt.Sprintf("%s{Key: sample%s(s), Value: sample%s(s)}", t.goTyp[2:], t.key.ident(), t.value.ident())
	default:
		return
	}
	e.p("")
	e.p("func sample%s(s *sampler) %s {", t.ident(), t.goTyp)
	e.p("v := %s{}", t.goTyp)
	if t.kind == kindListCN {
		// Every other element is null.
		e.p("for i := range s.count() {")
		e.p("if i%%2 == 1 {")
		e.p("v = append(v, nil)")
		e.p("continue")
		e.p("}")
	} else {
		e.p("for range s.count() {")
	}
	e.p("v = append(v, %s)", item)
	e.p("}")
	e.p("return v")
	e.p("}")
}

func emitSampleNullable(e *emitter, t *typ) {
	e.p("")
	e.p("func sampleNullable%s(s *sampler) %s {", t.ident(), t.nullableGoType())
	e.p("if s.null() {")
	e.p("return nil")
	e.p("}")
	if t.pointerWhenNullable() {
		e.p("v := sample%s(s)", t.ident())
		e.p("return &v")
	} else {
		e.p("return sample%s(s)", t.ident())
	}
	e.p("}")
}
