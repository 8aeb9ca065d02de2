package main

import (
	"fmt"
	"strings"
)

// fixedSizes are the wire sizes of fixed-size types (protocol/fixed.go).
var fixedSizes = map[string]int{
	"boolean": 1,
	"byte":    1,
	"int":     4,
	"long":    8,
	"float":   4,
	"double":  8,
	"UUID":    17,
}

// kind says how a type is laid out on the wire.
type kind int

const (
	kindFixed        kind = iota // a fixed-size field of an initial frame
	kindLeaf                     // one frame: String, Data, byteArray, longArray, floatArray
	kindFixedList                // one frame of fixed-size items: List_Integer, List_UUID, Set_UUID...
	kindFixedEntries             // one frame of fixed-size key/value pairs: EntryList_UUID_Long...
	kindSplitEntries             // BEGIN, variable values, END, then one frame of fixed keys
	kindList                     // BEGIN, items, END
	kindListCN                   // BEGIN, item or NULL per element, END
	kindEntries                  // BEGIN, k1, v1, k2, v2, ..., END (Map_K_V, EntryList_K_V)
	kindCustom                   // a type of Custom.yaml: BEGIN, fixed frame, fields, END
	kindSpecial                  // hand-written in special.go (SqlPage)
)

// goTypes of fixed-size and single-frame types.
var leafGoTypes = map[string]string{
	"boolean":    "bool",
	"byte":       "byte",
	"int":        "int32",
	"long":       "int64",
	"float":      "float32",
	"double":     "float64",
	"UUID":       "protocol.UUID",
	"String":     "string",
	"Data":       "[]byte",
	"byteArray":  "[]byte",
	"longArray":  "[]int64",
	"floatArray": "[]float32",
}

// Element names used inside collection type names.
var elemAliases = map[string]string{
	"Integer": "int",
	"Long":    "long",
	"Boolean": "boolean",
	"Byte":    "byte",
	"Float":   "float",
	"Double":  "double",
}

// specialTypes have codecs written by hand in special.go, named by the
// usual rule (encodeSQLPage, decodeSQLPage).
var specialTypes = map[string]bool{
	"SqlPage": true,
}

// typ is a resolved YAML type.
type typ struct {
	yaml  string // as written in the YAML, e.g. "List_MemberInfo"
	kind  kind
	goTyp string // Go type of a non-null value
	size  int    // wire size for kindFixed
	elem  *typ   // kindFixedList, kindList, kindListCN
	key   *typ   // entries
	value *typ   // entries
	// custom is the definition for kindCustom.
	custom *customType
}

// ident is the suffix of the codec functions of t: encodeListMemberInfo,
// decodeEntryListUUIDLong.
func (t *typ) ident() string {
	if t.kind == kindCustom || t.kind == kindSpecial {
		return t.goTyp
	}
	var b strings.Builder
	for _, part := range strings.Split(t.yaml, "_") {
		b.WriteString(exported(part))
	}
	return b.String()
}

// encodeFn and decodeFn name the functions encoding a non-null value.
// Custom types have exported codecs; everything else is package-internal.
func (t *typ) encodeFn() string {
	if t.kind == kindCustom {
		return "Encode" + t.ident()
	}
	return "encode" + t.ident()
}

func (t *typ) decodeFn() string {
	if t.kind == kindCustom {
		return "Decode" + t.ident()
	}
	return "decode" + t.ident()
}

// nullableGoType is the Go type of a nullable value: slices stay slices
// (nil is null), strings and structs become pointers, UUIDs stay values
// (the zero UUID is null).
func (t *typ) nullableGoType() string {
	if t.pointerWhenNullable() {
		return "*" + t.goTyp
	}
	return t.goTyp
}

func (t *typ) pointerWhenNullable() bool {
	return t.yaml == "String" || t.kind == kindCustom || t.kind == kindSpecial
}

func (t *typ) isFixed() bool { return t.kind == kindFixed }

// units is how many top-level frames or structures a non-null value takes;
// tests use it to cut messages down to what an older peer sends.
func (t *typ) units() int {
	if t.kind == kindSplitEntries {
		return 2
	}
	return 1
}

// typeSet resolves YAML type names and remembers every type seen, so that
// the custom.gen.go emitter can write codecs for the composite ones.
type typeSet struct {
	customs map[string]*customType
	byName  map[string]*typ
	// nullable records the types used as nullable values.
	nullable map[string]bool
}

func newTypeSet(defs *definitions) *typeSet {
	ts := &typeSet{customs: map[string]*customType{}, byName: map[string]*typ{}, nullable: map[string]bool{}}
	for _, c := range defs.customs {
		ts.customs[c.Name] = c
	}
	return ts
}

// resolve returns the type named name, recording it and its parts.
func (ts *typeSet) resolve(name string) (*typ, error) {
	if t, ok := ts.byName[name]; ok {
		return t, nil
	}
	t, err := ts.build(name)
	if err != nil {
		return nil, err
	}
	ts.byName[name] = t
	return t, nil
}

// use resolves the type of a parameter and records whether it is used as a
// nullable value.
func (ts *typeSet) use(p param) (*typ, error) {
	t, err := ts.resolve(p.Type)
	if err != nil {
		return nil, err
	}
	if p.Nullable {
		if t.kind == kindFixed && t.yaml != "UUID" {
			return nil, fmt.Errorf("nullable fixed-size %s is not supported", p.Type)
		}
		if t.kind != kindFixed {
			ts.nullable[t.yaml] = true
		}
	}
	return t, nil
}

func (ts *typeSet) build(name string) (*typ, error) {
	if a, ok := elemAliases[name]; ok {
		name = a
	}
	if size, ok := fixedSizes[name]; ok {
		return &typ{yaml: name, kind: kindFixed, goTyp: leafGoTypes[name], size: size}, nil
	}
	if g, ok := leafGoTypes[name]; ok {
		return &typ{yaml: name, kind: kindLeaf, goTyp: g}, nil
	}
	if specialTypes[name] {
		return &typ{yaml: name, kind: kindSpecial, goTyp: exported(name)}, nil
	}
	if c, ok := ts.customs[name]; ok {
		return &typ{yaml: name, kind: kindCustom, goTyp: exported(name), custom: c}, nil
	}
	head, rest, ok := strings.Cut(name, "_")
	if !ok {
		return nil, fmt.Errorf("unknown type %q", name)
	}
	switch head {
	case "List", "Set":
		elem, err := ts.resolve(rest)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		t := &typ{yaml: name, elem: elem, goTyp: "[]" + elem.goTyp}
		if elem.kind == kindFixed {
			t.kind = kindFixedList
		} else {
			t.kind = kindList
		}
		return t, nil
	case "ListCN":
		elem, err := ts.resolve(rest)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if elem.kind == kindFixed {
			return nil, fmt.Errorf("%s: elements cannot be null", name)
		}
		ts.nullable[elem.yaml] = true
		return &typ{yaml: name, kind: kindListCN, elem: elem, goTyp: "[]" + elem.nullableGoType()}, nil
	case "Map", "EntryList":
		key, value, err := ts.splitPair(rest)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		t := &typ{yaml: name, key: key, value: value,
			goTyp: fmt.Sprintf("[]Entry[%s, %s]", key.goTyp, value.goTyp)}
		switch {
		case head == "Map":
			t.kind = kindEntries
		case key.kind == kindFixed && value.kind == kindFixed:
			t.kind = kindFixedEntries
		case key.kind == kindFixed:
			t.kind = kindSplitEntries
		default:
			t.kind = kindEntries
		}
		return t, nil
	}
	return nil, fmt.Errorf("unknown type %q", name)
}

// splitPair splits "K_V" where either side may itself contain underscores
// (EntryList_String_EntryList_Integer_Long, EntryList_UUID_List_Integer):
// the key is the shortest prefix that names a type.
func (ts *typeSet) splitPair(s string) (*typ, *typ, error) {
	parts := strings.Split(s, "_")
	for i := 1; i < len(parts); i++ {
		k := strings.Join(parts[:i], "_")
		v := strings.Join(parts[i:], "_")
		key, err := ts.resolve(k)
		if err != nil {
			continue
		}
		value, err := ts.resolve(v)
		if err != nil {
			return nil, nil, err
		}
		return key, value, nil
	}
	return nil, nil, fmt.Errorf("cannot split %q into key and value types", s)
}
