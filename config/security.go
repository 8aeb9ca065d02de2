package config

import (
	"crypto/subtle"
	"fmt"
	"sort"
	"strings"
)

// AuthenticationSimple is RealmConfig.Authentication for <simple> users,
// the only authentication type Filbert implements.
const AuthenticationSimple = "simple"

// SecurityConfig is the <security> element, limited to simple
// authentication.
type SecurityConfig struct {
	// Enabled turns authentication on. When false, CheckClient accepts
	// any credentials.
	Enabled bool
	// Realms holds the <realms> by name.
	Realms map[string]RealmConfig
	// ClientAuthentication names the realm of <client-authentication>.
	ClientAuthentication string
	// MemberAuthentication names the realm of <member-authentication>.
	MemberAuthentication string
}

// RealmConfig is one <realm>.
type RealmConfig struct {
	// Name is the realm's name.
	Name string
	// Authentication is the element inside <authentication>: "simple"
	// (AuthenticationSimple), or "jaas", "ldap", "tls", "kerberos", which
	// Filbert does not implement; empty when there is none.
	Authentication string
	// Users are the <simple> users.
	Users []SimpleUser
	// Identity is the realm's <identity><username-password>, or nil.
	Identity *UsernamePassword
}

// SimpleUser is a <simple><user> entry.
type SimpleUser struct {
	// Username and Password are the credentials.
	Username, Password string
	// Roles are the user's <role> entries.
	Roles []string
}

// UsernamePassword is an <identity><username-password> entry.
type UsernamePassword struct {
	// Username and Password are the credentials.
	Username, Password string
}

// CheckClient reports whether a client presenting username and password
// may connect. With security disabled every client passes. Otherwise:
//
//   - if the realm named by <client-authentication> has <simple>
//     authentication, the credentials must match one of its users;
//   - if that realm has another authentication type (which Validate
//     rejects), no client passes;
//   - otherwise Hazelcast's default authentication applies: the
//     credentials must equal the <identity><username-password> of the
//     member-authentication realm (Filbert also accepts the identity of
//     the client-authentication realm when the former has none); without
//     such an identity any credentials pass.
//
// The cluster name, which Hazelcast's default authentication also checks,
// is not part of this check.
func (s SecurityConfig) CheckClient(username, password string) bool {
	if !s.Enabled {
		return true
	}
	client, hasClient := s.Realms[s.ClientAuthentication]
	if hasClient && client.Authentication != "" {
		if client.Authentication != AuthenticationSimple {
			return false
		}
		match := false
		for _, u := range client.Users {
			if equal(u.Username, username) && equal(u.Password, password) {
				match = true
			}
		}
		return match
	}
	id := s.Realms[s.MemberAuthentication].Identity
	if id == nil && hasClient {
		id = client.Identity
	}
	if id == nil {
		return true
	}
	return equal(id.Username, username) && equal(id.Password, password)
}

// equal compares secrets in constant time.
func equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// parseSecurity reads <security>.
func (p *parser) parseSecurity(e *element) {
	s := &p.cfg.Security
	p.mark(keySecurity, e.line)
	p.setBoolAttr(e, "enabled", "", &s.Enabled)
	seen := map[string]int{}
	for _, ch := range e.children {
		switch ch.name {
		case "realms":
			if p.once(seen, ch, "security") {
				p.parseRealms(ch)
			}
		case "client-authentication", "member-authentication":
			if !p.once(seen, ch, "security") {
				continue
			}
			v, ok := p.attrOf(ch, "realm", "")
			if !ok {
				if _, present, _ := ch.attr("realm"); !present {
					p.problem(Problem{Element: ch.name + " realm", Line: ch.line, Reason: "a realm name is required"})
				}
				continue
			}
			if ch.name == "client-authentication" {
				s.ClientAuthentication = v.text
				p.mark(keyClientAuth, ch.line)
			} else {
				s.MemberAuthentication = v.text
				p.mark(keyMemberAuth, ch.line)
			}
		default:
			p.unsupported(ch, "security")
		}
	}
}

// parseRealms reads <realms>.
func (p *parser) parseRealms(e *element) {
	for _, ch := range e.children {
		if ch.name != "realm" {
			p.unsupported(ch, "realms")
			continue
		}
		v, ok := p.attrOf(ch, "name", "")
		if !ok || v.text == "" {
			if _, present, resolved := ch.attr("name"); !present || resolved {
				p.problem(Problem{Element: "realm name", Line: ch.line, Reason: "a realm needs a name"})
			}
			continue
		}
		if first, dup := p.cfg.lines[keyRealm(v.text)]; dup {
			p.problem(Problem{Element: "realm name", Value: v.text, Line: ch.line,
				Reason: fmt.Sprintf("duplicate realm (first at line %d)", first)})
			continue
		}
		p.mark(keyRealm(v.text), ch.line)
		p.cfg.Security.Realms[v.text] = p.parseRealm(ch, v.text)
	}
}

// parseRealm reads the inside of one <realm>.
func (p *parser) parseRealm(e *element, name string) RealmConfig {
	r := RealmConfig{Name: name}
	ctx := fmt.Sprintf("realm %q", name)
	seen := map[string]int{}
	for _, ch := range e.children {
		switch ch.name {
		case "authentication":
			if !p.once(seen, ch, ctx) {
				continue
			}
			for _, a := range ch.children {
				if r.Authentication != "" {
					p.problem(Problem{Element: a.name, Line: a.line, Context: ctx,
						Reason: "a realm has a single authentication type"})
					continue
				}
				r.Authentication = a.name
				if a.name == AuthenticationSimple {
					r.Users = p.parseSimpleUsers(a, ctx)
				} else {
					p.unsupported(a, ctx)
				}
			}
		case "identity":
			if !p.once(seen, ch, ctx) {
				continue
			}
			for _, id := range ch.children {
				if id.name != "username-password" {
					p.unsupported(id, ctx)
					continue
				}
				u, uok := p.attrOf(id, "username", ctx)
				pw, pok := p.attrOf(id, "password", ctx)
				if !uok || !pok {
					p.requireAttrs(id, ctx, "username", "password")
					continue
				}
				r.Identity = &UsernamePassword{Username: u.text, Password: pw.text}
			}
		default:
			p.unsupported(ch, ctx)
		}
	}
	return r
}

// parseSimpleUsers reads <simple><user username=".." password=".."><role>..
func (p *parser) parseSimpleUsers(e *element, ctx string) []SimpleUser {
	users := []SimpleUser{}
	for _, ch := range e.children {
		if ch.name != "user" {
			p.unsupported(ch, ctx)
			continue
		}
		u, uok := p.attrOf(ch, "username", ctx)
		pw, pok := p.attrOf(ch, "password", ctx)
		if !uok || !pok || u.text == "" {
			p.requireAttrs(ch, ctx, "username", "password")
			continue
		}
		user := SimpleUser{Username: u.text, Password: pw.text}
		for _, r := range ch.children {
			if r.name != "role" {
				p.unsupported(r, ctx)
				continue
			}
			if v, ok := p.textOf(r, ctx); ok && v.text != "" {
				user.Roles = append(user.Roles, v.text)
			}
		}
		users = append(users, user)
	}
	return users
}

// requireAttrs reports required attributes that are missing or empty
// (unresolvable ones were reported already).
func (p *parser) requireAttrs(e *element, ctx string, names ...string) {
	for _, n := range names {
		v, present, ok := e.attr(n)
		if !present || (ok && n == "username" && strings.TrimSpace(v) == "") {
			p.problem(Problem{Element: e.name + " " + n, Value: v, Line: e.line, Context: ctx,
				Reason: "is required"})
		}
	}
}

// keyRealm is the key of a <realm>.
func keyRealm(name string) string { return "realm[" + name + "]" }

// validateSecurity checks realm references when security is enabled.
func (c *Config) validateSecurity() []Problem {
	s := c.Security
	if !s.Enabled {
		return nil
	}
	var out []Problem
	for _, ref := range []struct{ elem, realm, key string }{
		{"client-authentication realm", s.ClientAuthentication, keyClientAuth},
		{"member-authentication realm", s.MemberAuthentication, keyMemberAuth},
	} {
		if ref.realm == "" {
			continue
		}
		line := c.line(ref.key)
		r, ok := s.Realms[ref.realm]
		if !ok {
			out = append(out, Problem{Element: ref.elem, Value: ref.realm, Line: line, Reason: "no <realm> with this name is defined"})
			continue
		}
		if r.Authentication != "" && r.Authentication != AuthenticationSimple {
			out = append(out, Problem{Element: ref.elem, Value: ref.realm, Line: line,
				Reason: fmt.Sprintf("realm uses <%s> authentication, which Filbert does not support (use <simple>)", r.Authentication)})
		}
	}
	names := make([]string, 0, len(s.Realms))
	for n := range s.Realms {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		for _, u := range s.Realms[n].Users {
			if u.Username == "" {
				out = append(out, Problem{Element: "user username", Line: c.line(keyRealm(n)),
					Reason: "is required", Context: fmt.Sprintf("realm %q", n)})
			}
		}
	}
	return out
}
