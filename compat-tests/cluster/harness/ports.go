package harness

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
)

// Ports are probed outside the kernel's ephemeral range, so that the
// outgoing connections of clients and members (and other test packages
// listening on port 0) do not take a port a member is about to bind.
const (
	lowestPort  = 10000
	highestPort = 65000
)

// freeBase returns a port p such that p .. p+span-1 can be bound now on
// every host.
func freeBase(hosts []string, span int) (int, error) {
	lo, hi := ephemeralRange()
	type interval struct{ from, to int } // candidate bases, to exclusive
	var cands []interval
	add := func(from, to int) {
		to -= span
		if to > from {
			cands = append(cands, interval{from, to})
		}
	}
	add(lowestPort, min(lo, highestPort))
	add(max(hi+1, lowestPort), highestPort)
	if len(cands) == 0 {
		add(lowestPort, highestPort)
	}
	var lastErr error
	for range 200 {
		iv := cands[rand.IntN(len(cands))]
		base := iv.from + rand.IntN(iv.to-iv.from)
		if err := probe(hosts, base, span); err != nil {
			lastErr = err
			continue
		}
		return base, nil
	}
	return 0, fmt.Errorf("no %d consecutive free ports on %v: %w", span, hosts, lastErr)
}

// probe binds and releases every port of the range on every host.
func probe(hosts []string, base, span int) error {
	for p := base; p < base+span; p++ {
		for _, h := range hosts {
			ln, err := net.Listen("tcp", net.JoinHostPort(h, strconv.Itoa(p)))
			if err != nil {
				return err
			}
			ln.Close()
		}
	}
	return nil
}

// ephemeralRange reads Linux's ephemeral port range, or returns the usual
// default elsewhere.
func ephemeralRange() (int, int) {
	lo, hi := 32768, 60999
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return lo, hi
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return lo, hi
	}
	l, err1 := strconv.Atoi(f[0])
	h, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil || l > h {
		return lo, hi
	}
	return l, h
}

// CheckHosts reports whether a TCP listener can be bound on every host (an
// IP address), for tests that give members distinct loopback addresses. The
// error names the first host that cannot be bound.
func CheckHosts(hosts ...string) error {
	for _, h := range hosts {
		if net.ParseIP(h) == nil {
			return fmt.Errorf("%q is not an IP address", h)
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(h, "0"))
		if err != nil {
			return fmt.Errorf("cannot listen on %s: %w", h, err)
		}
		ln.Close()
	}
	if len(hosts) == 0 {
		return errors.New("no hosts")
	}
	return nil
}
