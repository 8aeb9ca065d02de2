package protocol

// Decoders of the variable-size values every codec uses. Each consumes its
// frames from the iterator; on error they record it in the iterator and
// return a zero value.

// DecodeString reads a string frame.
func DecodeString(it *Iterator) string {
	return string(it.Next().Content)
}

// DecodeNullableString reads a string frame or a null frame.
func DecodeNullableString(it *Iterator) *string {
	if it.NextIsNull() {
		return nil
	}
	s := string(it.Next().Content)
	return &s
}

// DecodeData reads a serialized Data frame. The result aliases the message.
// Hazelcast Data is either empty or at least 8 bytes long (hash and type).
func DecodeData(it *Iterator) []byte {
	f := it.Next()
	if it.err == nil && len(f.Content) != 0 && len(f.Content) < 8 {
		it.Failf("data of %d bytes", len(f.Content))
		return nil
	}
	if f.Content == nil {
		return []byte{}
	}
	return f.Content
}

// DecodeNullableData reads a Data frame or a null frame (nil).
func DecodeNullableData(it *Iterator) []byte {
	if it.NextIsNull() {
		return nil
	}
	return DecodeData(it)
}

// DecodeBytes reads a byte array frame; the result aliases the message.
func DecodeBytes(it *Iterator) []byte {
	f := it.Next()
	if f.Content == nil {
		return []byte{}
	}
	return f.Content
}

// DecodeNullableBytes reads a byte array frame or a null frame (nil).
func DecodeNullableBytes(it *Iterator) []byte {
	if it.NextIsNull() {
		return nil
	}
	return DecodeBytes(it)
}

// EncodeNullableString writes s or a null frame.
func EncodeNullableString(w *Writer, s *string) {
	if s == nil {
		w.Null()
		return
	}
	w.StringFrame(*s)
}

// EncodeNullableBytes writes b or, when b is nil, a null frame. It serves
// nullable Data and byte arrays.
func EncodeNullableBytes(w *Writer, b []byte) {
	if b == nil {
		w.Null()
		return
	}
	w.BytesFrame(0, b)
}
