package config

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// maxPort is the highest TCP port.
const maxPort = 65535

// MaxExpandedAddresses bounds how many addresses one tcp-ip member entry
// may expand to, so a typo such as "host:1-65535" fails instead of
// producing a huge list.
const MaxExpandedAddresses = 4096

// Addresses expands the member entries (and RequiredMember) into "host:port"
// addresses, in order and without duplicates:
//
//	"10.0.0.1"            -> 10.0.0.1:<defaultPort>
//	"10.0.0.1:5702"       -> 10.0.0.1:5702
//	"10.0.0.1:5701-5703"  -> 10.0.0.1:5701, 10.0.0.1:5702, 10.0.0.1:5703
//	"10.0.0.1-3"          -> 10.0.0.1, 10.0.0.2, 10.0.0.3 (last IPv4 octet range)
//	"[::1]:5701", "::1"   -> [::1]:5701, [::1]:<defaultPort>
//
// A defaultPort outside 1..65535 (such as 0, an ephemeral member port) is
// replaced by DefaultPort.
func (t TCPIPConfig) Addresses(defaultPort int) ([]string, error) {
	if defaultPort < 1 || defaultPort > maxPort {
		defaultPort = DefaultPort
	}
	entries := t.Members
	if t.RequiredMember != "" {
		entries = append(append([]string(nil), entries...), t.RequiredMember)
	}
	var out []string
	seen := map[string]bool{}
	for _, m := range entries {
		addrs, err := expandMember(m, defaultPort)
		if err != nil {
			return nil, fmt.Errorf("config: tcp-ip member %q: %w", m, err)
		}
		for _, a := range addrs {
			if !seen[a] {
				seen[a] = true
				out = append(out, a)
			}
		}
	}
	return out, nil
}

// expandMember expands one member entry; see TCPIPConfig.Addresses.
func expandMember(entry string, defaultPort int) ([]string, error) {
	s := strings.TrimSpace(entry)
	if s == "" {
		return nil, errors.New("empty member address")
	}
	host, portSpec := s, ""
	switch {
	case strings.HasPrefix(s, "["):
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return nil, errors.New("missing ']' in IPv6 address")
		}
		host, portSpec = s[1:end], s[end+1:]
		if portSpec != "" {
			if portSpec[0] != ':' {
				return nil, fmt.Errorf("unexpected %q after IPv6 address", portSpec)
			}
			portSpec = portSpec[1:]
			if portSpec == "" {
				return nil, errors.New("missing port after ':'")
			}
		}
	case strings.Count(s, ":") == 1:
		i := strings.IndexByte(s, ':')
		host, portSpec = s[:i], s[i+1:]
		if portSpec == "" {
			return nil, errors.New("missing port after ':'")
		}
	}
	if host == "" {
		return nil, errors.New("missing host")
	}
	if strings.ContainsAny(host, " \t\r\n/[]") {
		return nil, fmt.Errorf("invalid host %q", host)
	}
	ports := []int{defaultPort}
	if portSpec != "" {
		lo, hi, err := parseRange(portSpec, 1, maxPort)
		if err != nil {
			return nil, fmt.Errorf("port %q: %w", portSpec, err)
		}
		ports = ports[:0]
		for p := lo; p <= hi; p++ {
			ports = append(ports, p)
			if len(ports) > MaxExpandedAddresses {
				return nil, fmt.Errorf("port range %q expands to more than %d addresses", portSpec, MaxExpandedAddresses)
			}
		}
	}
	hosts, err := expandHost(host)
	if err != nil {
		return nil, err
	}
	if len(hosts)*len(ports) > MaxExpandedAddresses {
		return nil, fmt.Errorf("expands to more than %d addresses", MaxExpandedAddresses)
	}
	out := make([]string, 0, len(hosts)*len(ports))
	for _, h := range hosts {
		for _, p := range ports {
			out = append(out, net.JoinHostPort(h, strconv.Itoa(p)))
		}
	}
	return out, nil
}

// expandHost expands an IPv4 range in the last octet ("10.0.0.1-3");
// other hosts are returned as they are.
func expandHost(host string) ([]string, error) {
	i := strings.LastIndexByte(host, '.')
	if i < 0 || !strings.Contains(host[i+1:], "-") {
		return []string{host}, nil
	}
	prefix := host[:i]
	if net.ParseIP(prefix+".0").To4() == nil {
		return []string{host}, nil // a host name with a dash, e.g. "node.my-host"
	}
	lo, hi, err := parseRange(host[i+1:], 0, 255)
	if err != nil {
		return nil, fmt.Errorf("address range %q: %w", host, err)
	}
	hosts := make([]string, 0, hi-lo+1)
	for o := lo; o <= hi; o++ {
		hosts = append(hosts, prefix+"."+strconv.Itoa(o))
	}
	return hosts, nil
}

// parseRange parses "n" or "lo-hi" within [min, max].
func parseRange(s string, min, max int) (lo, hi int, err error) {
	loS, hiS, isRange := strings.Cut(s, "-")
	lo, err = strconv.Atoi(strings.TrimSpace(loS))
	if err != nil {
		return 0, 0, errors.New("not a number")
	}
	hi = lo
	if isRange {
		if hi, err = strconv.Atoi(strings.TrimSpace(hiS)); err != nil {
			return 0, 0, errors.New("not a number")
		}
	}
	if lo < min || hi > max {
		return 0, 0, fmt.Errorf("must be between %d and %d", min, max)
	}
	if hi < lo {
		return 0, 0, errors.New("range end is below its start")
	}
	return lo, hi, nil
}
