package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestAddresses(t *testing.T) {
	tests := []struct {
		members     []string
		required    string
		defaultPort int
		want        []string
		wantErr     string
	}{
		{[]string{"host"}, "", 5701, []string{"host:5701"}, ""},
		{[]string{"host:5702"}, "", 5701, []string{"host:5702"}, ""},
		{[]string{"host:5701-5703"}, "", 5701, []string{"host:5701", "host:5702", "host:5703"}, ""},
		{[]string{"10.0.0.1-3"}, "", 6000, []string{"10.0.0.1:6000", "10.0.0.2:6000", "10.0.0.3:6000"}, ""},
		{[]string{"10.0.0.1-2:5701-5702"}, "", 0, []string{"10.0.0.1:5701", "10.0.0.1:5702", "10.0.0.2:5701", "10.0.0.2:5702"}, ""},
		{[]string{"my-host.example.com"}, "", 5701, []string{"my-host.example.com:5701"}, ""},
		{[]string{"node.my-host"}, "", 5701, []string{"node.my-host:5701"}, ""},
		{[]string{"[::1]:5702", "::1", "[fe80::1]"}, "", 5701, []string{"[::1]:5702", "[::1]:5701", "[fe80::1]:5701"}, ""},
		{[]string{"a", "a:5701", "b"}, "b", 5701, []string{"a:5701", "b:5701"}, ""},
		{nil, "req:5705", 5701, []string{"req:5705"}, ""},
		{[]string{"a"}, "", 0, []string{"a:5701"}, ""},
		{nil, "", 5701, nil, ""},
		{[]string{"a:"}, "", 5701, nil, "missing port"},
		{[]string{":5701"}, "", 5701, nil, "missing host"},
		{[]string{"a:x"}, "", 5701, nil, "not a number"},
		{[]string{"a:0"}, "", 5701, nil, "between 1 and 65535"},
		{[]string{"a:5703-5701"}, "", 5701, nil, "below its start"},
		{[]string{"a:1-65535"}, "", 5701, nil, "more than 4096"},
		{[]string{"10.0.0.0-255:5701-5720"}, "", 5701, nil, "more than 4096"},
		{[]string{"10.0.0.5-300"}, "", 5701, nil, "between 0 and 255"},
		{[]string{"[::1"}, "", 5701, nil, "missing ']'"},
		{[]string{"[::1]x"}, "", 5701, nil, "unexpected"},
		{[]string{" "}, "", 5701, nil, "empty"},
	}
	for _, tt := range tests {
		tc := TCPIPConfig{Members: tt.members, RequiredMember: tt.required}
		got, err := tc.Addresses(tt.defaultPort)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "tcp-ip member") {
				t.Errorf("Addresses(%q) error = %v, want %q", tt.members, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Addresses(%q, %q) = %v, %v; want %v", tt.members, tt.required, got, err, tt.want)
		}
	}
}

func TestDisabledTCPIPNotValidated(t *testing.T) {
	// Hazelcast only interprets member addresses when it joins with tcp-ip.
	c, _ := mustParse(t, hz(`<network><join><tcp-ip enabled="false"><member>a:bad</member></tcp-ip></join></network>`), ParseOptions{})
	if _, err := c.Network.Join.TCPIP.Addresses(5701); err == nil {
		t.Errorf("Addresses accepted a:bad")
	}
}
