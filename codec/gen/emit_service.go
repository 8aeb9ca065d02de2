package main

import (
	"fmt"
	"strings"
)

// emitService writes the codecs of one service: for every method the type
// constants, then request, response and event structs with their encoders
// and decoders.
func emitService(dir string, s *service, methods []*methodInfo) error {
	e := &emitter{}
	e.p("package codec")
	e.p("")
	e.p(`import "github.com/filbert/filbert/protocol"`)
	for _, mi := range methods {
		if mi.svc != s {
			continue
		}
		e.p("")
		e.doc("", fmt.Sprintf("Message types of %s.%s (since %s). %s", s.Name, mi.method.Name, mi.method.Since, firstSentence(mi.method.Doc)))
		e.p("const (")
		for _, msg := range mi.all() {
			e.p("\t// %s is the type of %s messages.", msg.typeConst, msg.label)
			e.p("\t%s int32 = 0x%06X", msg.typeConst, msg.typeValue)
		}
		e.p(")")
		for _, msg := range mi.all() {
			emitStruct(e, msg)
			emitEncoder(e, msg)
			emitDecoder(e, msg)
		}
	}
	return e.write(dir, fileName(s.Name)+".gen.go")
}

// emitStruct writes the struct holding the parameters of msg.
func emitStruct(e *emitter, msg *message) {
	e.p("")
	what := fmt.Sprintf("%s holds the parameters of a %s.", msg.goName, msg.label)
	if msg.kind == eventMsg && msg.event.Doc != "" {
		what += " " + firstSentence(msg.event.Doc)
	}
	e.doc("", what)
	if len(msg.lay.fields) == 0 {
		e.p("type %s struct{}", msg.goName)
		return
	}
	e.p("type %s struct {", msg.goName)
	for _, f := range msg.lay.fields {
		emitFieldDoc(e, f)
		e.p("\t%s %s", f.name, f.goType())
	}
	e.p("}")
}

// emitFieldDoc writes the comment of a struct field: the YAML doc's first
// sentence, and what null and version additions mean for it.
func emitFieldDoc(e *emitter, f *field) {
	text := firstSentence(f.Doc)
	if text != "" && !strings.HasSuffix(text, ".") {
		text += "."
	}
	var notes []string
	if f.Nullable {
		switch {
		case f.t.yaml == "UUID":
			notes = append(notes, "The zero UUID is null.")
		case f.t.pointerWhenNullable():
			notes = append(notes, "Nil is null.")
		default:
			notes = append(notes, "Nil is null; empty is not.")
		}
	}
	if f.newer {
		notes = append(notes, fmt.Sprintf("Since %s (zero if an older peer omits it).", f.Since))
	}
	if len(notes) > 0 {
		text = strings.TrimSpace(text + " " + strings.Join(notes, " "))
	}
	if text != "" {
		e.doc("\t", text)
	}
}

// emitEncoder writes the Encode function of msg. Requests take the struct;
// responses and events take the parameters as arguments, which is how the
// server produces them.
func emitEncoder(e *emitter, msg *message) {
	lay := msg.lay
	e.p("")
	val := func(f *field) string { return f.arg }
	var sig string
	switch msg.kind {
	case requestMsg:
		e.doc("", fmt.Sprintf("Encode%s encodes a %s into w and returns w.Finish().", msg.goName, msg.label))
		sig = fmt.Sprintf("w *protocol.Writer, partitionID int32, v *%s", msg.goName)
		val = func(f *field) string { return "v." + f.name }
	case responseMsg:
		e.doc("", fmt.Sprintf("Encode%s encodes a %s into w and returns w.Finish().", msg.goName, msg.label))
		sig = "w *protocol.Writer"
	case eventMsg:
		e.doc("", fmt.Sprintf("Encode%s encodes a %s for partitionID (-1 if none) into w and returns w.Finish().", msg.goName, msg.label))
		sig = "w *protocol.Writer, partitionID int32"
	}
	if msg.kind != requestMsg {
		for _, f := range lay.fields {
			sig += fmt.Sprintf(", %s %s", f.arg, f.goType())
		}
	}
	e.p("func Encode%s(%s) []byte {", msg.goName, sig)
	start := ""
	switch msg.kind {
	case requestMsg:
		start = fmt.Sprintf("w.StartRequest(%s, partitionID, %d)", msg.typeConst, lay.fixedSize())
	case responseMsg:
		start = fmt.Sprintf("w.StartResponse(%s, %d)", msg.typeConst, lay.fixedSize())
	case eventMsg:
		start = fmt.Sprintf("w.StartEvent(%s, partitionID, %d)", msg.typeConst, lay.fixedSize())
	}
	if len(lay.fixed) > 0 {
		e.p("\tc := %s", start)
	} else {
		e.p("\t%s", start)
	}
	for _, f := range lay.fixed {
		e.p("\t%s", f.encode(val(f)))
	}
	for _, f := range lay.vars {
		e.p("\t%s", f.encode(val(f)))
	}
	e.p("\treturn w.Finish()")
	e.p("}")
}

// emitDecoder writes the Decode function of msg.
func emitDecoder(e *emitter, msg *message) {
	lay := msg.lay
	e.p("")
	e.doc("", fmt.Sprintf("Decode%s decodes a %s; the result aliases m.", msg.goName, msg.label))
	e.p("func Decode%s(m protocol.Message) (%s, error) {", msg.goName, msg.goName)
	e.p("\tvar v %s", msg.goName)
	e.p("\tit := m.Iter()")
	if len(lay.fixed) > 0 {
		e.p("\tc := it.Next().Content")
		e.p("\tif len(c) < %d {", lay.requiredEnd)
	} else {
		e.p("\tif c := it.Next().Content; len(c) < %d {", lay.requiredEnd)
	}
	e.p("\t\treturn v, shortInitialFrame(&it, %q, len(c), %d)", msg.label, lay.requiredEnd)
	e.p("\t}")
	for _, f := range lay.fixed {
		if f.newer {
			e.p("\tif len(c) >= %d {", f.offset+f.t.size)
			e.p("\t\tv.%s = %s", f.name, f.decode("&it"))
			e.p("\t}")
			continue
		}
		e.p("\tv.%s = %s", f.name, f.decode("&it"))
	}
	for _, f := range lay.vars {
		if f.newer {
			e.p("\tif it.HasNext() {")
			e.p("\t\tv.%s = %s", f.name, f.decode("&it"))
			e.p("\t}")
			continue
		}
		e.p("\tv.%s = %s", f.name, f.decode("&it"))
	}
	e.p("\tif err := it.Err(); err != nil {")
	e.p("\t\treturn %s{}, decodeError(%q, err)", msg.goName, msg.label)
	e.p("\t}")
	e.p("\treturn v, nil")
	e.p("}")
}
