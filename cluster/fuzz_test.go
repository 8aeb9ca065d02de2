package cluster

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// FuzzParseFrame parses arbitrary streams: ParseFrame never panics, a frame
// it accepts lies inside the input and re-encodes to the same bytes, and
// every proper prefix of an accepted frame is reported incomplete.
func FuzzParseFrame(f *testing.F) {
	for _, s := range frameSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rest := data
		for len(rest) > 0 {
			fr, n, err := ParseFrame(rest)
			if err != nil {
				if !errors.Is(err, ErrFrameTooLarge) || n != 0 {
					t.Fatalf("n=%d err=%v", n, err)
				}
				return
			}
			if n == 0 {
				return
			}
			if n < HeaderSize || n > len(rest) {
				t.Fatalf("n=%d outside [%d,%d]", n, HeaderSize, len(rest))
			}
			again := AppendHeader(nil, fr.Kind, fr.Flags, fr.Corr, len(fr.Payload))
			again = append(again, fr.Payload...)
			if !bytes.Equal(again, rest[:n]) {
				t.Fatalf("frame %+v re-encodes to %x, parsed from %x", fr, again, rest[:n])
			}
			if _, m, err := ParseFrame(rest[:n-1]); m != 0 || err != nil {
				t.Fatalf("prefix of %d bytes: n=%d err=%v", n-1, m, err)
			}
			rest = rest[n:]
		}
	})
}

// FuzzDecView decodes arbitrary bytes as a view: it never panics, and a
// view it accepts re-encodes canonically (at most as many bytes as it
// consumed) to bytes that decode to the same view.
func FuzzDecView(f *testing.F) {
	for _, s := range viewSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d := Dec{B: data}
		v := d.View()
		if d.Err() != nil {
			if !errors.Is(d.Err(), ErrShort) {
				t.Fatalf("Err = %v", d.Err())
			}
			return
		}
		used := len(data) - len(d.B)
		var e Enc
		e.View(v)
		if len(e.B) > used {
			t.Fatalf("view %+v re-encodes to %d bytes, decoded from %d", v, len(e.B), used)
		}
		d2 := Dec{B: e.B}
		v2 := d2.View()
		if d2.Err() != nil || len(d2.B) != 0 {
			t.Fatalf("re-encoded view: err=%v, %d bytes left", d2.Err(), len(d2.B))
		}
		if !reflect.DeepEqual(v, v2) {
			t.Fatalf("view %+v round-trips to %+v", v, v2)
		}
	})
}
