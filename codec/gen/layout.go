package main

import "fmt"

// field is one parameter of a message or custom type, resolved.
type field struct {
	param
	t      *typ
	name   string // exported Go field name
	arg    string // Go argument name in encoder signatures
	newer  bool   // added after the message or type itself
	offset int    // fixed-size fields: offset in the initial frame content
}

// goType is the Go type of the field.
func (f *field) goType() string {
	if f.Nullable {
		return f.t.nullableGoType()
	}
	return f.t.goTyp
}

// encode returns the statement writing the value x of f.
func (f *field) encode(x string) string {
	switch {
	case f.t.isFixed():
		return fmt.Sprintf("protocol.Put%s(c, %d, %s)", fixedAccessor(f.t.yaml), f.offset, x)
	case f.Nullable:
		return fmt.Sprintf("encodeNullable%s(w, %s)", f.t.ident(), x)
	default:
		return fmt.Sprintf("%s(w, %s)", f.t.encodeFn(), x)
	}
}

// decode returns the expression reading f from the initial frame content c
// or the iterator it (an expression of type *protocol.Iterator).
func (f *field) decode(it string) string {
	switch {
	case f.t.isFixed():
		return fmt.Sprintf("protocol.Get%s(c, %d)", fixedAccessor(f.t.yaml), f.offset)
	case f.Nullable:
		return fmt.Sprintf("decodeNullable%s(%s)", f.t.ident(), it)
	default:
		return fmt.Sprintf("%s(%s)", f.t.decodeFn(), it)
	}
}

// layout is the wire layout of a parameter list.
type layout struct {
	fields []*field // YAML order
	fixed  []*field // fixed-size fields, YAML order
	vars   []*field // variable-size fields, YAML order
	base   int      // offset of the first fixed field (header size)
	// fixedEnd is the end offset of all fixed fields; requiredEnd that of the
	// fixed fields of the base version.
	fixedEnd, requiredEnd int
}

// fixedSize is the total size of the fixed-size fields.
func (l *layout) fixedSize() int { return l.fixedEnd - l.base }

// hasNewer reports whether some field was added after the base version.
func (l *layout) hasNewer() bool {
	for _, f := range l.fields {
		if f.newer {
			return true
		}
	}
	return false
}

// newLayout resolves params of something introduced in version since, with
// fixed fields starting at offset base.
func newLayout(ts *typeSet, where string, params []param, since string, base int) (*layout, error) {
	l := &layout{base: base, fixedEnd: base, requiredEnd: base}
	names := map[string]bool{}
	for _, p := range params {
		t, err := ts.use(p)
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", where, p.Name, err)
		}
		f := &field{param: p, t: t, name: exported(p.Name), arg: local(p.Name), newer: versionLess(since, p.Since)}
		if names[f.name] {
			return nil, fmt.Errorf("%s: two parameters named %s", where, f.name)
		}
		names[f.name] = true
		l.fields = append(l.fields, f)
		if t.isFixed() {
			f.offset = l.fixedEnd
			l.fixedEnd += t.size
			if !f.newer {
				l.requiredEnd = l.fixedEnd
			}
			l.fixed = append(l.fixed, f)
		} else {
			l.vars = append(l.vars, f)
		}
	}
	return l, nil
}
