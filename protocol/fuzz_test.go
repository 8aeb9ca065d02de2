package protocol

import "testing"

// FuzzScanner feeds arbitrary streams to the scanner and walks every message
// it accepts: nothing may panic, and accepted messages must be whole.
func FuzzScanner(f *testing.F) {
	f.Add(buildRequest(f, 1))
	f.Add(append(buildRequest(f, 1), buildRequest(f, 2)...))
	f.Add([]byte{0, 0, 0, 0, 0, 0})
	f.Add([]byte{6, 0, 0, 0, 0, 0x20})
	f.Fuzz(func(t *testing.T, data []byte) {
		s := NewScanner(Limits{MaxFrameSize: 1 << 16, MaxMessageSize: 1 << 18})
		a := NewAssembler(Limits{MaxMessageSize: 1 << 18})
		buf := data
		for len(buf) > 0 {
			n, err := s.Next(buf)
			if err != nil || n == 0 {
				return
			}
			if n > len(buf) {
				t.Fatalf("scanner returned %d > %d", n, len(buf))
			}
			msg := Message(buf[:n])
			_ = msg.Type()
			_ = msg.CorrelationID()
			_ = msg.PartitionID()
			if IsFragment(msg) {
				_, _ = a.Add(msg)
			}
			it := msg.Iter()
			for it.HasNext() {
				_ = it.Next()
				_ = DecodeNullableString(&it)
				_ = DecodeNullableData(&it)
				if it.Err() != nil {
					break
				}
			}
			buf = buf[n:]
		}
	})
}

// FuzzSplitStream checks that a stream split at any point yields the same
// messages as the stream in one piece.
func FuzzSplitStream(f *testing.F) {
	f.Add(append(buildRequest(f, 1), buildRequest(f, 2)...), uint16(10))
	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		whole := scanAll(data, len(data))
		split := scanAll(data, int(cut)%(len(data)+1))
		if len(whole) != len(split) {
			t.Fatalf("whole %d messages, split %d", len(whole), len(split))
		}
	})
}

// scanAll returns message lengths found when data arrives in two reads cut
// at cut.
func scanAll(data []byte, cut int) []int {
	s := NewScanner(Limits{MaxFrameSize: 1 << 16, MaxMessageSize: 1 << 18})
	var out []int
	avail := cut
	start := 0
	for {
		n, err := s.Next(data[start:avail])
		if err != nil {
			return append(out, -1)
		}
		if n == 0 {
			if avail == len(data) {
				return out
			}
			avail = len(data)
			continue
		}
		out = append(out, n)
		start += n
	}
}
