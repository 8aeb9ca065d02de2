package config

import (
	"sort"
	"strings"
)

// REST endpoint groups of <rest-api>.
const (
	RESTClusterRead  = "CLUSTER_READ"
	RESTClusterWrite = "CLUSTER_WRITE"
	RESTHealthCheck  = "HEALTH_CHECK"
	RESTPersistence  = "PERSISTENCE" // HOT_RESTART is accepted as an alias
	RESTWAN          = "WAN"
	RESTData         = "DATA"
	RESTCP           = "CP"
)

// restGroupDefaults says which groups are enabled when <rest-api> does not
// list them (Hazelcast's enabledByDefault).
var restGroupDefaults = map[string]bool{
	RESTClusterRead:  true,
	RESTClusterWrite: false,
	RESTHealthCheck:  true,
	RESTPersistence:  false,
	RESTWAN:          false,
	RESTData:         false,
	RESTCP:           false,
}

// RESTConfig is the <network><rest-api> element.
type RESTConfig struct {
	// Enabled is the global switch of the HTTP REST API.
	Enabled bool
	// EndpointGroups holds the groups listed in the file with their
	// enabled flag, by canonical name (HOT_RESTART is stored as
	// PERSISTENCE).
	EndpointGroups map[string]bool
}

// GroupEnabled reports whether the REST endpoint group is served: the API
// must be enabled, and the group enabled explicitly or by default
// (CLUSTER_READ and HEALTH_CHECK are on by default).
func (r RESTConfig) GroupEnabled(group string) bool {
	if !r.Enabled {
		return false
	}
	g := canonicalRESTGroup(group)
	if on, ok := r.EndpointGroups[g]; ok {
		return on
	}
	return restGroupDefaults[g]
}

// canonicalRESTGroup upper-cases a group name and maps the HOT_RESTART
// alias to PERSISTENCE.
func canonicalRESTGroup(name string) string {
	g := strings.ToUpper(strings.TrimSpace(name))
	if g == "HOT_RESTART" {
		return RESTPersistence
	}
	return g
}

// parseREST reads <rest-api enabled=".."><endpoint-group name=".."
// enabled=".."/>...</rest-api>.
func (p *parser) parseREST(e *element) {
	r := &p.cfg.REST
	p.setBoolAttr(e, "enabled", "", &r.Enabled)
	for _, ch := range e.children {
		if ch.name != "endpoint-group" {
			p.unsupported(ch, "rest-api")
			continue
		}
		v, ok := p.attrOf(ch, "name", "rest-api")
		if !ok {
			if _, present, _ := ch.attr("name"); !present {
				p.problem(Problem{Element: "endpoint-group name", Line: ch.line, Reason: "is required"})
			}
			continue
		}
		on := false
		if ev, ok := p.attrOf(ch, "enabled", "rest-api"); ok {
			b, ok := p.toBool(ev)
			if !ok {
				continue
			}
			on = b
		} else if _, present, _ := ch.attr("enabled"); !present {
			p.problem(Problem{Element: "endpoint-group enabled", Value: v.text, Line: ch.line, Reason: "is required"})
			continue
		}
		g := canonicalRESTGroup(v.text)
		r.EndpointGroups[g] = on
		p.mark(keyRESTGroup(g), ch.line)
	}
}

// keyRESTGroup is the key of an endpoint group.
func keyRESTGroup(g string) string { return "rest-api/endpoint-group[" + g + "]" }

// validateREST checks endpoint group names.
func (c *Config) validateREST() []Problem {
	var names []string
	for g := range c.REST.EndpointGroups {
		if _, known := restGroupDefaults[g]; !known {
			names = append(names, g)
		}
	}
	sort.Strings(names)
	var out []Problem
	for _, g := range names {
		out = append(out, Problem{
			Element: "endpoint-group name", Value: g, Line: c.line(keyRESTGroup(g)),
			Reason: "unknown REST endpoint group (known: CLUSTER_READ, CLUSTER_WRITE, HEALTH_CHECK, PERSISTENCE, HOT_RESTART, WAN, DATA, CP)",
		})
	}
	return out
}
