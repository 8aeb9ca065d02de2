package protocol

import "testing"

func TestParseUUIDRoundTrip(t *testing.T) {
	for _, u := range []UUID{{}, {MSB: 1, LSB: 2}, {MSB: 0xfedcba9876543210, LSB: 0x0123456789abcdef}} {
		got, err := ParseUUID(u.String())
		if err != nil || got != u {
			t.Fatalf("ParseUUID(%q) = %v, %v; want %v", u.String(), got, err, u)
		}
	}
	for _, bad := range []string{"", "xyz", "0123", "01234567-89ab-cdef-0123-456789abcdefaa"} {
		if _, err := ParseUUID(bad); err == nil {
			t.Errorf("ParseUUID(%q) accepted", bad)
		}
	}
}
