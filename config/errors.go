package config

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one invalid value found while parsing or validating a
// configuration.
type Problem struct {
	// Element names the offending element, or an element and one of its
	// attributes separated by a space ("port port-count"). It is empty for
	// problems that concern the file as a whole, such as malformed XML.
	Element string
	// Value is the offending value as written (or as set in Go).
	Value string
	// Line is the 1-based line in the source file, or 0 when unknown
	// (configurations built in Go, system property overrides).
	Line int
	// Reason says what is wrong.
	Reason string
	// Context optionally locates the element further, e.g. `map "orders"`.
	Context string
}

// String formats the problem without its source and line:
// `<backup-count> "7": must be between 0 and 6 (map "orders")`.
func (p Problem) String() string {
	var b strings.Builder
	if p.Element != "" {
		fmt.Fprintf(&b, "<%s> %q: ", p.Element, p.Value)
	}
	b.WriteString(p.Reason)
	if p.Context != "" {
		fmt.Fprintf(&b, " (%s)", p.Context)
	}
	return b.String()
}

// ValidationError reports every problem found in one configuration. Parse,
// Load and Config.Validate return it (as error) when the configuration must
// not be used.
type ValidationError struct {
	// Source names the configuration, usually the file path.
	Source string
	// Problems lists the problems, ordered by line; problems without a line
	// come last.
	Problems []Problem
}

// Error lists the problems one per line, each prefixed by source and line:
// `hazelcast.xml:12: <backup-count> "7": must be between 0 and 6`.
func (e *ValidationError) Error() string {
	src := e.Source
	if src == "" {
		src = "config"
	}
	if len(e.Problems) == 0 {
		return src + ": invalid configuration"
	}
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		if p.Line > 0 {
			lines[i] = fmt.Sprintf("%s:%d: %s", src, p.Line, p)
		} else {
			lines[i] = fmt.Sprintf("%s: %s", src, p)
		}
	}
	return strings.Join(lines, "\n")
}

// newValidationError sorts the problems by line and wraps them, or returns
// nil when there are none.
func newValidationError(source string, problems []Problem) error {
	if len(problems) == 0 {
		return nil
	}
	sort.SliceStable(problems, func(i, j int) bool {
		li, lj := problems[i].Line, problems[j].Line
		if li == 0 || lj == 0 {
			return li != 0 && lj == 0
		}
		return li < lj
	})
	return &ValidationError{Source: source, Problems: problems}
}

// Warning is a harmless finding, typically an element Filbert does not
// implement and therefore ignores. The caller is expected to log it.
type Warning struct {
	// Source names the configuration, usually the file path.
	Source string
	// Element is the element concerned.
	Element string
	// Line is the 1-based line of the element in the source.
	Line int
	// Message says what was ignored and why.
	Message string
}

// String formats the warning as `hazelcast.xml:40: <near-cache> ignored: ...`.
func (w Warning) String() string {
	var b strings.Builder
	b.WriteString(w.Source)
	if w.Line > 0 {
		fmt.Fprintf(&b, ":%d", w.Line)
	}
	b.WriteString(": ")
	if w.Element != "" {
		fmt.Fprintf(&b, "<%s> ", w.Element)
	}
	b.WriteString(w.Message)
	return b.String()
}
