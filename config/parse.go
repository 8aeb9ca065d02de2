package config

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"unicode"
)

// hazelcastNamespace is the namespace of Hazelcast member configuration
// files.
const hazelcastNamespace = "http://www.hazelcast.com/schema/config"

// parser carries the state of one Parse call.
type parser struct {
	source   string
	opts     ParseOptions
	lookup   func(string) (string, bool)
	cfg      *Config
	problems []Problem
	warnings []Warning
}

// Parse parses a hazelcast.xml document. source names it in problems and
// warnings (typically the file path). Starting from Default, every
// supported element overrides the corresponding value; unsupported
// elements produce one Warning each. The result is validated as by
// Config.Validate.
//
// On failure the returned error is a *ValidationError listing every problem
// (malformed XML, undefined variables, unparsable or invalid values) and
// the Config is nil. Warnings are returned in both cases.
func Parse(data []byte, source string, opts ParseOptions) (*Config, []Warning, error) {
	p := &parser{source: source, opts: opts, lookup: opts.Lookup, cfg: Default()}
	if p.lookup == nil {
		p.lookup = os.LookupEnv
	}
	p.cfg.Source = source
	for k, v := range opts.SystemProperties {
		p.cfg.SystemProperties[k] = v
	}
	if root := p.buildTree(data); root != nil {
		p.parseRoot(root)
		p.problems = append(p.problems, p.cfg.validate()...)
	}
	if err := newValidationError(source, p.problems); err != nil {
		return nil, p.warnings, err
	}
	return p.cfg, p.warnings, nil
}

// problem records a problem.
func (p *parser) problem(pr Problem) {
	p.problems = append(p.problems, pr)
}

// warn records a warning about e.
func (p *parser) warn(e *element, format string, args ...any) {
	p.warnings = append(p.warnings, Warning{
		Source:  p.source,
		Element: e.name,
		Line:    e.line,
		Message: fmt.Sprintf(format, args...),
	})
}

// unsupported records the one warning for an element Filbert ignores
// (together with everything inside it).
func (p *parser) unsupported(e *element, ctx string) {
	msg := "ignored: not supported by Filbert"
	if v, present, _ := e.attr("enabled"); present && strings.EqualFold(strings.TrimSpace(v), "false") {
		msg = "ignored (disabled): not supported by Filbert"
	}
	if ctx != "" {
		msg += " (" + ctx + ")"
	}
	p.warn(e, "%s", msg)
}

// mark records the line a value was read from.
func (p *parser) mark(key string, line int) {
	p.cfg.lines[key] = line
}

// once reports a repeated element that may occur only once in its parent
// and returns false for the repetition (which is then skipped).
func (p *parser) once(seen map[string]int, e *element, ctx string) bool {
	if first, dup := seen[e.name]; dup {
		p.problem(Problem{
			Element: e.name,
			Value:   e.text,
			Line:    e.line,
			Reason:  fmt.Sprintf("duplicate element (first at line %d)", first),
			Context: ctx,
		})
		return false
	}
	seen[e.name] = e.line
	return true
}

// value is a raw value about to be interpreted, with what is needed to
// report it.
type value struct {
	elem string // "backup-count" or "port port-count"
	text string
	line int
	ctx  string
}

// textOf returns the text of e, or false when it referenced an undefined
// variable (already reported).
func (p *parser) textOf(e *element, ctx string) (value, bool) {
	return value{elem: e.name, text: e.text, line: e.line, ctx: ctx}, !e.bad
}

// attrOf returns attribute name of e, or false when it is absent or
// referenced an undefined variable.
func (p *parser) attrOf(e *element, name, ctx string) (value, bool) {
	v, present, ok := e.attr(name)
	if !present || !ok {
		return value{}, false
	}
	return value{elem: e.name + " " + name, text: strings.TrimSpace(v), line: e.line, ctx: ctx}, true
}

// invalid records a problem about v.
func (p *parser) invalid(v value, reason string) {
	p.problem(Problem{Element: v.elem, Value: v.text, Line: v.line, Reason: reason, Context: v.ctx})
}

// toInt interprets v as a 32-bit integer, as Hazelcast (Java int) does.
func (p *parser) toInt(v value) (int, bool) {
	n, err := strconv.ParseInt(v.text, 10, 32)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			p.invalid(v, fmt.Sprintf("must be between %d and %d", math.MinInt32, math.MaxInt32))
		} else {
			p.invalid(v, "must be an integer")
		}
		return 0, false
	}
	return int(n), true
}

// toBool interprets v as an xs:boolean (true, false, 1, 0; case is
// ignored).
func (p *parser) toBool(v value) (bool, bool) {
	b, ok := parseBool(v.text)
	if !ok {
		p.invalid(v, "must be true or false")
	}
	return b, ok
}

// parseBool parses an xs:boolean, ignoring case.
func parseBool(s string) (b, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1":
		return true, true
	case "false", "0":
		return false, true
	}
	return false, false
}

// setInt stores the integer text of e in *dst and marks key.
func (p *parser) setInt(e *element, ctx, key string, dst *int) {
	if v, ok := p.textOf(e, ctx); ok {
		if n, ok := p.toInt(v); ok {
			*dst = n
			p.mark(key, e.line)
		}
	}
}

// setBool stores the boolean text of e in *dst and marks key.
func (p *parser) setBool(e *element, ctx, key string, dst *bool) {
	if v, ok := p.textOf(e, ctx); ok {
		if b, ok := p.toBool(v); ok {
			*dst = b
			p.mark(key, e.line)
		}
	}
}

// setIntAttr stores integer attribute name of e in *dst and marks key.
func (p *parser) setIntAttr(e *element, name, ctx, key string, dst *int) {
	if v, ok := p.attrOf(e, name, ctx); ok {
		if n, ok := p.toInt(v); ok {
			*dst = n
			p.mark(key, e.line)
		}
	}
}

// setBoolAttr stores boolean attribute name of e in *dst.
func (p *parser) setBoolAttr(e *element, name, ctx string, dst *bool) {
	if v, ok := p.attrOf(e, name, ctx); ok {
		if b, ok := p.toBool(v); ok {
			*dst = b
		}
	}
}

// parseRoot walks the <hazelcast> element.
func (p *parser) parseRoot(root *element) {
	if root.name != "hazelcast" {
		p.problem(Problem{Element: root.name, Line: root.line,
			Reason: "root element must be <hazelcast> (is this a Hazelcast member configuration?)"})
		return
	}
	if root.space != "" && root.space != hazelcastNamespace {
		p.warn(root, "has namespace %q, expected %q (or none)", root.space, hazelcastNamespace)
	}
	seen := map[string]int{}
	var persistence, hotRestart *persistenceResult
	for _, ch := range root.children {
		switch ch.name {
		case "cluster-name":
			if p.once(seen, ch, "") {
				if v, ok := p.textOf(ch, ""); ok {
					p.cfg.ClusterName = v.text
					p.mark(keyClusterName, ch.line)
				}
			}
		case "group":
			if p.once(seen, ch, "") {
				p.parseGroup(ch, seen)
			}
		case "network":
			if p.once(seen, ch, "") {
				p.parseNetwork(ch)
			}
		case "properties":
			if p.once(seen, ch, "") {
				p.parseProperties(ch)
			}
		case "map":
			p.parseMap(ch)
		case "security":
			if p.once(seen, ch, "") {
				p.parseSecurity(ch)
			}
		case "persistence":
			if p.once(seen, ch, "") {
				persistence = p.parsePersistence(ch)
			}
		case "hot-restart-persistence":
			if p.once(seen, ch, "") {
				hotRestart = p.parsePersistence(ch)
			}
		default:
			p.unsupported(ch, "")
		}
	}
	p.choosePersistence(persistence, hotRestart)
}

// parseGroup reads the Hazelcast 3.x <group> element: its <name> serves as
// cluster name unless <cluster-name> is given too.
func (p *parser) parseGroup(e *element, rootSeen map[string]int) {
	for _, ch := range e.children {
		switch ch.name {
		case "name":
			v, ok := p.textOf(ch, "group")
			if !ok {
				continue
			}
			if _, has := rootSeen["cluster-name"]; has {
				p.warn(ch, "ignored: <cluster-name> is also set (<group> is Hazelcast 3.x syntax)")
				continue
			}
			p.cfg.ClusterName = v.text
			p.mark(keyClusterName, ch.line)
			p.warn(e, "is Hazelcast 3.x syntax: its <name> is used as cluster name; use <cluster-name>")
		default:
			p.unsupported(ch, "group")
		}
	}
}

// parseNetwork reads <network>.
func (p *parser) parseNetwork(e *element) {
	seen := map[string]int{}
	for _, ch := range e.children {
		switch ch.name {
		case "port":
			if p.once(seen, ch, "network") {
				p.parsePort(ch)
			}
		case "public-address":
			if p.once(seen, ch, "network") {
				if v, ok := p.textOf(ch, ""); ok {
					p.cfg.Network.PublicAddress = v.text
					p.mark(keyPublicAddress, ch.line)
				}
			}
		case "join":
			if p.once(seen, ch, "network") {
				p.parseJoin(ch)
			}
		case "rest-api":
			if p.once(seen, ch, "network") {
				p.parseREST(ch)
			}
		default:
			p.unsupported(ch, "network")
		}
	}
}

// parsePort reads <port auto-increment=".." port-count="..">5701</port>.
func (p *parser) parsePort(e *element) {
	n := &p.cfg.Network
	if v, ok := p.textOf(e, ""); ok {
		port, err := strconv.ParseInt(v.text, 10, 32)
		if err != nil {
			p.invalid(v, "must be a port number between 0 and 65535")
		} else {
			n.Port = int(port)
			p.mark(keyPort, e.line)
		}
	}
	p.setBoolAttr(e, "auto-increment", "", &n.PortAutoIncrement)
	p.setIntAttr(e, "port-count", "", keyPortCount, &n.PortCount)
	for _, ch := range e.children {
		p.unsupported(ch, "port")
	}
}

// parseJoin reads <join>.
func (p *parser) parseJoin(e *element) {
	seen := map[string]int{}
	for _, ch := range e.children {
		switch ch.name {
		case "tcp-ip":
			if p.once(seen, ch, "join") {
				p.parseTCPIP(ch)
			}
		case "multicast":
			if p.once(seen, ch, "join") {
				p.setBoolAttr(ch, "enabled", "", &p.cfg.Network.Join.Multicast.Enabled)
				for _, m := range ch.children {
					p.unsupported(m, "multicast")
				}
			}
		default:
			p.unsupported(ch, "join")
		}
	}
}

// parseTCPIP reads <tcp-ip>, accepting every member form Hazelcast does.
func (p *parser) parseTCPIP(e *element) {
	t := &p.cfg.Network.Join.TCPIP
	p.setBoolAttr(e, "enabled", "", &t.Enabled)
	p.setIntAttr(e, "connection-timeout-seconds", "", keyConnectionTimeout, &t.ConnectionTimeoutSeconds)
	seen := map[string]int{}
	for _, ch := range e.children {
		switch ch.name {
		case "member", "members", "interface":
			p.addMembers(ch)
		case "member-list":
			for _, m := range ch.children {
				if m.name == "member" {
					p.addMembers(m)
				} else {
					p.unsupported(m, "member-list")
				}
			}
		case "required-member":
			if p.once(seen, ch, "tcp-ip") {
				if v, ok := p.textOf(ch, ""); ok {
					t.RequiredMember = v.text
					p.mark(keyRequiredMember, ch.line)
				}
			}
		default:
			p.unsupported(ch, "tcp-ip")
		}
	}
}

// addMembers splits a member element's text on commas, semicolons and
// white space and appends the entries.
func (p *parser) addMembers(e *element) {
	v, ok := p.textOf(e, "tcp-ip")
	if !ok {
		return
	}
	entries := strings.FieldsFunc(v.text, func(r rune) bool {
		return r == ',' || r == ';' || unicode.IsSpace(r)
	})
	if len(entries) == 0 {
		p.invalid(v, "must name at least one member")
		return
	}
	t := &p.cfg.Network.Join.TCPIP
	for _, m := range entries {
		p.mark(keyMember(len(t.Members)), e.line)
		t.Members = append(t.Members, m)
	}
}

// parseProperties reads <properties><property name="..">value</property>.
func (p *parser) parseProperties(e *element) {
	for _, ch := range e.children {
		if ch.name != "property" {
			p.unsupported(ch, "properties")
			continue
		}
		nv, present, ok := ch.attr("name")
		name := strings.TrimSpace(nv)
		if !present || (ok && name == "") {
			p.problem(Problem{Element: "property name", Line: ch.line, Reason: "a property needs a name"})
			continue
		}
		v, vok := p.textOf(ch, "")
		if !ok || !vok {
			continue
		}
		if first, dup := p.cfg.lines[keyProperty(name)]; dup {
			p.warn(ch, "%q overrides the value set at line %d", name, first)
		}
		p.cfg.Properties[name] = v.text
		p.mark(keyProperty(name), ch.line)
	}
}

// Keys under which value lines are recorded.
const (
	keyClusterName       = "cluster-name"
	keyPort              = "port"
	keyPortCount         = "port@port-count"
	keyPublicAddress     = "public-address"
	keyConnectionTimeout = "tcp-ip@connection-timeout-seconds"
	keyRequiredMember    = "tcp-ip/required-member"
	keySecurity          = "security"
	keyClientAuth        = "security/client-authentication"
	keyMemberAuth        = "security/member-authentication"
)

// keyMember is the key of the i-th tcp-ip member entry.
func keyMember(i int) string { return "tcp-ip/member#" + strconv.Itoa(i) }

// keyProperty is the key of a <property>.
func keyProperty(name string) string { return "property/" + name }
