package main

import (
	"fmt"
	"sort"
)

// customLayouts resolves the fields of every custom type.
func customLayouts(ts *typeSet, defs *definitions) (map[string]*layout, error) {
	out := map[string]*layout{}
	for _, c := range defs.customs {
		lay, err := newLayout(ts, c.Name, c.Params, c.Since, 0)
		if err != nil {
			return nil, err
		}
		if len(lay.fixed) > 0 && lay.requiredEnd == 0 {
			// An older peer would send no fixed frame at all, which a decoder
			// cannot tell from a variable field.
			return nil, fmt.Errorf("%s: all fixed-size fields are newer than the type", c.Name)
		}
		out[c.Name] = lay
	}
	return out, nil
}

// emitCustom writes custom.gen.go: a struct and codec per custom type, then
// the codecs of every collection type the definitions use, then nullable
// wrappers.
func emitCustom(dir string, ts *typeSet, defs *definitions, lays map[string]*layout) error {
	e := &emitter{}
	e.p("package codec")
	e.p("")
	e.p(`import "github.com/filbert/filbert/protocol"`)
	for _, c := range defs.customs {
		t, _ := ts.resolve(c.Name)
		emitCustomType(e, t, lays[c.Name])
	}
	for _, t := range ts.sorted() {
		switch t.kind {
		case kindFixedList:
			emitFixedList(e, t)
		case kindFixedEntries:
			emitFixedEntries(e, t)
		case kindSplitEntries:
			emitSplitEntries(e, t)
		case kindList, kindListCN:
			emitList(e, t)
		case kindEntries:
			emitEntries(e, t)
		}
	}
	for _, t := range ts.sortedNullable() {
		emitNullable(e, t)
	}
	return e.write(dir, "custom.gen.go")
}

// sorted returns the distinct resolved types ordered by codec name.
func (ts *typeSet) sorted() []*typ {
	seen := map[string]bool{}
	var out []*typ
	for _, t := range ts.byName {
		if !seen[t.yaml] {
			seen[t.yaml] = true
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ident() < out[j].ident() })
	return out
}

// sortedNullable returns the types used as nullable values.
func (ts *typeSet) sortedNullable() []*typ {
	var out []*typ
	for _, t := range ts.sorted() {
		if ts.nullable[t.yaml] {
			out = append(out, t)
		}
	}
	return out
}

func emitCustomType(e *emitter, t *typ, lay *layout) {
	c := t.custom
	e.p("")
	doc := fmt.Sprintf("%s is the custom type %s (since %s).", t.goTyp, c.Name, c.Since)
	if c.Doc != "" {
		doc += " " + firstSentence(c.Doc)
	}
	e.doc("", doc)
	if len(lay.fields) == 0 {
		e.p("type %s struct{}", t.goTyp)
	} else {
		e.p("type %s struct {", t.goTyp)
		for _, f := range lay.fields {
			emitFieldDoc(e, f)
			e.p("\t%s %s", f.name, f.goType())
		}
		e.p("}")
	}

	e.p("")
	if len(lay.fixed) > 0 {
		e.doc("", fmt.Sprintf("Encode%s writes v as BEGIN, one frame with the fixed-size fields (%d bytes), the variable-size fields, END.", t.goTyp, lay.fixedSize()))
	} else {
		e.doc("", fmt.Sprintf("Encode%s writes v as BEGIN, the fields, END.", t.goTyp))
	}
	e.p("func Encode%s(w *protocol.Writer, v %s) {", t.goTyp, t.goTyp)
	e.p("\tw.Begin()")
	if len(lay.fixed) > 0 {
		e.p("\tc := w.Frame(0, %d)", lay.fixedSize())
		for _, f := range lay.fixed {
			e.p("\t%s", f.encode("v."+f.name))
		}
	}
	for _, f := range lay.vars {
		e.p("\t%s", f.encode("v."+f.name))
	}
	e.p("\tw.End()")
	e.p("}")

	e.p("")
	e.doc("", fmt.Sprintf("Decode%s reads a value of custom type %s and skips to the END of its structure, so fields added by newer versions are ignored. Errors are recorded in it.", t.goTyp, c.Name))
	e.p("func Decode%s(it *protocol.Iterator) %s {", t.goTyp, t.goTyp)
	e.p("\tvar v %s", t.goTyp)
	e.p("\tit.Begin()")
	if len(lay.fixed) > 0 {
		e.p("\tc := fixedFrame(it, %q, %d)", c.Name, lay.requiredEnd)
		e.p("\tif c == nil {")
		e.p("\t\treturn v")
		e.p("\t}")
		for _, f := range lay.fixed {
			if f.newer {
				e.p("\tif len(c) >= %d {", f.offset+f.t.size)
				e.p("\t\tv.%s = %s", f.name, f.decode("it"))
				e.p("\t}")
				continue
			}
			e.p("\tv.%s = %s", f.name, f.decode("it"))
		}
	}
	for _, f := range lay.vars {
		if f.newer {
			e.p("\tif !it.NextIsEnd() {")
			e.p("\t\tv.%s = %s", f.name, f.decode("it"))
			e.p("\t}")
			continue
		}
		e.p("\tv.%s = %s", f.name, f.decode("it"))
	}
	e.p("\tit.SkipToEnd()")
	e.p("\treturn v")
	e.p("}")
}

// elemEncode and elemDecode return code for one element of a collection.
func elemEncode(t *typ, x string) string { return fmt.Sprintf("%s(w, %s)", t.encodeFn(), x) }
func elemDecode(t *typ) string           { return fmt.Sprintf("%s(it)", t.decodeFn()) }

func emitFixedList(e *emitter, t *typ) {
	n := t.elem.size
	acc := fixedAccessor(t.elem.yaml)
	e.p("")
	e.doc("", fmt.Sprintf("encode%s writes a %s as one frame of %d-byte items.", t.ident(), t.yaml, n))
	e.p("func encode%s(w *protocol.Writer, v %s) {", t.ident(), t.goTyp)
	e.p("\tc := w.Frame(0, len(v)*%d)", n)
	e.p("\tfor i, x := range v {")
	e.p("\t\tprotocol.Put%s(c, i*%d, x)", acc, n)
	e.p("\t}")
	e.p("}")
	e.p("")
	e.doc("", fmt.Sprintf("decode%s reads a %s frame.", t.ident(), t.yaml))
	e.p("func decode%s(it *protocol.Iterator) %s {", t.ident(), t.goTyp)
	e.p("\tc := fixedItems(it, %q, %d)", t.yaml, n)
	e.p("\tv := make(%s, len(c)/%d)", t.goTyp, n)
	e.p("\tfor i := range v {")
	e.p("\t\tv[i] = protocol.Get%s(c, i*%d)", acc, n)
	e.p("\t}")
	e.p("\treturn v")
	e.p("}")
}

func emitFixedEntries(e *emitter, t *typ) {
	ks, vs := t.key.size, t.value.size
	n := ks + vs
	e.p("")
	e.doc("", fmt.Sprintf("encode%s writes a %s as one frame of %d-byte entries (%d-byte key, %d-byte value).", t.ident(), t.yaml, n, ks, vs))
	e.p("func encode%s(w *protocol.Writer, v %s) {", t.ident(), t.goTyp)
	e.p("\tc := w.Frame(0, len(v)*%d)", n)
	e.p("\tfor i, x := range v {")
	e.p("\t\tprotocol.Put%s(c, i*%d, x.Key)", fixedAccessor(t.key.yaml), n)
	e.p("\t\tprotocol.Put%s(c, i*%d+%d, x.Value)", fixedAccessor(t.value.yaml), n, ks)
	e.p("\t}")
	e.p("}")
	e.p("")
	e.doc("", fmt.Sprintf("decode%s reads a %s frame.", t.ident(), t.yaml))
	e.p("func decode%s(it *protocol.Iterator) %s {", t.ident(), t.goTyp)
	e.p("\tc := fixedItems(it, %q, %d)", t.yaml, n)
	e.p("\tv := make(%s, len(c)/%d)", t.goTyp, n)
	e.p("\tfor i := range v {")
	e.p("\t\tv[i].Key = protocol.Get%s(c, i*%d)", fixedAccessor(t.key.yaml), n)
	e.p("\t\tv[i].Value = protocol.Get%s(c, i*%d+%d)", fixedAccessor(t.value.yaml), n, ks)
	e.p("\t}")
	e.p("\treturn v")
	e.p("}")
}

func emitSplitEntries(e *emitter, t *typ) {
	n := t.key.size
	acc := fixedAccessor(t.key.yaml)
	entry := t.goTyp[2:]
	e.p("")
	e.doc("", fmt.Sprintf("encode%s writes a %s as BEGIN, the values, END, then one frame with the %d-byte keys in the same order.", t.ident(), t.yaml, n))
	e.p("func encode%s(w *protocol.Writer, v %s) {", t.ident(), t.goTyp)
	e.p("\tw.Begin()")
	e.p("\tfor i := range v {")
	e.p("\t\t%s", elemEncode(t.value, "v[i].Value"))
	e.p("\t}")
	e.p("\tw.End()")
	e.p("\tc := w.Frame(0, len(v)*%d)", n)
	e.p("\tfor i := range v {")
	e.p("\t\tprotocol.Put%s(c, i*%d, v[i].Key)", acc, n)
	e.p("\t}")
	e.p("}")
	e.p("")
	e.doc("", fmt.Sprintf("decode%s reads a %s; the key and value counts must match.", t.ident(), t.yaml))
	e.p("func decode%s(it *protocol.Iterator) %s {", t.ident(), t.goTyp)
	e.p("\tv := %s{}", t.goTyp)
	e.p("\tit.Begin()")
	e.p("\tfor !it.NextIsEnd() {")
	e.p("\t\tv = append(v, %s{Value: %s})", entry, elemDecode(t.value))
	e.p("\t}")
	e.p("\tit.Next()")
	e.p("\tc := fixedItems(it, %q, %d)", t.yaml+" keys", n)
	e.p("\tif len(c)/%d != len(v) {", n)
	e.p("\t\tit.Failf(\"%s: %%d keys for %%d values\", len(c)/%d, len(v))", t.yaml, n)
	e.p("\t\treturn nil")
	e.p("\t}")
	e.p("\tfor i := range v {")
	e.p("\t\tv[i].Key = protocol.Get%s(c, i*%d)", acc, n)
	e.p("\t}")
	e.p("\treturn v")
	e.p("}")
}

func emitList(e *emitter, t *typ) {
	e.p("")
	enc, dec := elemEncode(t.elem, "x"), elemDecode(t.elem)
	what := "the items"
	if t.kind == kindListCN {
		enc = fmt.Sprintf("encodeNullable%s(w, x)", t.elem.ident())
		dec = fmt.Sprintf("decodeNullable%s(it)", t.elem.ident())
		what = "each item or a NULL frame for a nil item"
	}
	e.doc("", fmt.Sprintf("encode%s writes a %s as BEGIN, %s, END.", t.ident(), t.yaml, what))
	e.p("func encode%s(w *protocol.Writer, v %s) {", t.ident(), t.goTyp)
	e.p("\tw.Begin()")
	e.p("\tfor _, x := range v {")
	e.p("\t\t%s", enc)
	e.p("\t}")
	e.p("\tw.End()")
	e.p("}")
	e.p("")
	e.doc("", fmt.Sprintf("decode%s reads a %s.", t.ident(), t.yaml))
	e.p("func decode%s(it *protocol.Iterator) %s {", t.ident(), t.goTyp)
	e.p("\tv := %s{}", t.goTyp)
	e.p("\tit.Begin()")
	e.p("\tfor !it.NextIsEnd() {")
	e.p("\t\tv = append(v, %s)", dec)
	e.p("\t}")
	e.p("\tit.Next()")
	e.p("\treturn v")
	e.p("}")
}

func emitEntries(e *emitter, t *typ) {
	if t.key.isFixed() || t.value.isFixed() {
		panic(fmt.Sprintf("%s: fixed-size key or value in a multi-frame map", t.yaml))
	}
	entry := t.goTyp[2:]
	e.p("")
	e.doc("", fmt.Sprintf("encode%s writes a %s as BEGIN, key and value of each entry, END.", t.ident(), t.yaml))
	e.p("func encode%s(w *protocol.Writer, v %s) {", t.ident(), t.goTyp)
	e.p("\tw.Begin()")
	e.p("\tfor i := range v {")
	e.p("\t\t%s", elemEncode(t.key, "v[i].Key"))
	e.p("\t\t%s", elemEncode(t.value, "v[i].Value"))
	e.p("\t}")
	e.p("\tw.End()")
	e.p("}")
	e.p("")
	e.doc("", fmt.Sprintf("decode%s reads a %s.", t.ident(), t.yaml))
	e.p("func decode%s(it *protocol.Iterator) %s {", t.ident(), t.goTyp)
	e.p("\tv := %s{}", t.goTyp)
	e.p("\tit.Begin()")
	e.p("\tfor !it.NextIsEnd() {")
	e.p("\t\tvar x %s", entry)
	e.p("\t\tx.Key = %s", elemDecode(t.key))
	e.p("\t\tx.Value = %s", elemDecode(t.value))
	e.p("\t\tv = append(v, x)")
	e.p("\t}")
	e.p("\tit.Next()")
	e.p("\treturn v")
	e.p("}")
}

func emitNullable(e *emitter, t *typ) {
	id := t.ident()
	e.p("")
	e.doc("", fmt.Sprintf("encodeNullable%s writes v, or a NULL frame if v is nil.", id))
	e.p("func encodeNullable%s(w *protocol.Writer, v %s) {", id, t.nullableGoType())
	e.p("\tif v == nil {")
	e.p("\t\tw.Null()")
	e.p("\t\treturn")
	e.p("\t}")
	if t.pointerWhenNullable() {
		e.p("\t%s(w, *v)", t.encodeFn())
	} else {
		e.p("\t%s(w, v)", t.encodeFn())
	}
	e.p("}")
	e.p("")
	e.doc("", fmt.Sprintf("decodeNullable%s reads a %s or a NULL frame (nil).", id, t.yaml))
	e.p("func decodeNullable%s(it *protocol.Iterator) %s {", id, t.nullableGoType())
	e.p("\tif it.NextIsNull() {")
	e.p("\t\treturn nil")
	e.p("\t}")
	if t.pointerWhenNullable() {
		e.p("\tv := %s(it)", t.decodeFn())
		e.p("\treturn &v")
	} else {
		e.p("\treturn %s(it)", t.decodeFn())
	}
	e.p("}")
}
