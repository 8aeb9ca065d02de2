package config

import (
	"fmt"
	"strings"
)

// Validate checks the configuration and returns a *ValidationError listing
// every problem, or nil. Parse already validates, so Validate is for
// configurations built or changed in Go (tests, a remote controller);
// problems carry a line only for values that came from a file.
//
// The checks: a non-empty cluster name; port 0..65535 (0 = ephemeral);
// port-count >= 1; tcp-ip member entries that expand (when tcp-ip is
// enabled); known properties of the right type and range (partition count
// >= 1, ...); for each map backup-count and async-backup-count in 0..6 with
// a sum of at most 6, non-negative TTL, max-idle and eviction size, and a
// known in-memory format, eviction policy and max-size policy; persistence
// parallelism >= 1, non-negative timeouts and a known recovery policy;
// known REST endpoint groups; and, with security enabled, realm references
// that resolve to realms with simple (or no) authentication.
func (c *Config) Validate() error {
	return newValidationError(c.Source, c.validate())
}

// validate returns every problem of c.
func (c *Config) validate() []Problem {
	var out []Problem
	out = append(out, c.validateNetwork()...)
	out = append(out, c.validateProperties()...)
	out = append(out, c.validateMaps()...)
	out = append(out, c.validatePersistence()...)
	out = append(out, c.validateREST()...)
	out = append(out, c.validateSecurity()...)
	return out
}

// validateNetwork checks cluster name, port and join settings.
func (c *Config) validateNetwork() []Problem {
	var out []Problem
	if strings.TrimSpace(c.ClusterName) == "" {
		out = append(out, Problem{Element: "cluster-name", Value: c.ClusterName, Line: c.line(keyClusterName),
			Reason: "must not be empty"})
	}
	n := c.Network
	if n.Port < 0 || n.Port > maxPort {
		out = append(out, Problem{Element: "port", Value: fmt.Sprint(n.Port), Line: c.line(keyPort),
			Reason: "must be a port number between 0 and 65535 (0 = any free port)"})
	}
	if n.PortCount < 1 {
		line := c.line(keyPortCount)
		if line == 0 {
			line = c.line(keyPort)
		}
		out = append(out, Problem{Element: "port port-count", Value: fmt.Sprint(n.PortCount), Line: line,
			Reason: "must be at least 1"})
	}
	t := n.Join.TCPIP
	if t.ConnectionTimeoutSeconds < 0 {
		out = append(out, Problem{Element: "tcp-ip connection-timeout-seconds", Value: fmt.Sprint(t.ConnectionTimeoutSeconds),
			Line: c.line(keyConnectionTimeout), Reason: "must not be negative"})
	}
	if t.Enabled {
		for i, m := range t.Members {
			if _, err := expandMember(m, DefaultPort); err != nil {
				out = append(out, Problem{Element: "member", Value: m, Line: c.line(keyMember(i)),
					Reason: err.Error(), Context: "tcp-ip"})
			}
		}
		if t.RequiredMember != "" {
			if _, err := expandMember(t.RequiredMember, DefaultPort); err != nil {
				out = append(out, Problem{Element: "required-member", Value: t.RequiredMember,
					Line: c.line(keyRequiredMember), Reason: err.Error(), Context: "tcp-ip"})
			}
		}
	}
	return out
}
