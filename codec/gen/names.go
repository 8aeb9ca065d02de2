package main

import (
	"go/token"
	"strings"
	"unicode"
)

// Naming rule, applied to service, method, event, parameter and custom type
// names alike: split the YAML name into words at underscores and case
// changes ("cpDirectToLeaderRouting" -> cp Direct To Leader Routing,
// "CPMap" -> CP Map), capitalize each word, and spell the words in
// initialisms in capitals. So threadId -> ThreadID, memberUuid -> MemberUUID,
// setTtl -> SetTTL, Sql -> SQL, RaftGroupId -> RaftGroupID.
var initialisms = map[string]string{
	"id":    "ID",
	"ids":   "IDs",
	"uuid":  "UUID",
	"uuids": "UUIDs",
	"ttl":   "TTL",
	"uri":   "URI",
	"url":   "URL",
	"json":  "JSON",
	"sql":   "SQL",
	"ip":    "IP",
	"cp":    "CP",
	"tpc":   "TPC",
	"xml":   "XML",
}

// splitWords splits a camelCase, PascalCase or snake_case identifier.
func splitWords(s string) []string {
	var words []string
	rs := []rune(s)
	start := 0
	flush := func(end int) {
		if end > start {
			words = append(words, string(rs[start:end]))
		}
		start = end
	}
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == '_':
			flush(i)
			start = i + 1
		case unicode.IsUpper(r) && i > start:
			prev := rs[i-1]
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			// "aB" starts a word at B; "ABc" starts a word at B.
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
				flush(i)
			}
		}
	}
	flush(len(rs))
	return words
}

// exported returns the exported Go name of a YAML name.
func exported(s string) string {
	var b strings.Builder
	for _, w := range splitWords(s) {
		if up, ok := initialisms[strings.ToLower(w)]; ok {
			b.WriteString(up)
			continue
		}
		rs := []rune(w)
		rs[0] = unicode.ToUpper(rs[0])
		b.WriteString(string(rs))
	}
	return b.String()
}

// local returns an unexported Go name for a parameter used as a function
// argument: the exported name with its first word in lower case. Names that
// would clash with Go keywords, predeclared identifiers or the generated
// code's own locals get a trailing "Arg".
func local(s string) string {
	words := splitWords(s)
	var b strings.Builder
	for i, w := range words {
		switch {
		case i == 0:
			b.WriteString(strings.ToLower(w))
		default:
			if up, ok := initialisms[strings.ToLower(w)]; ok {
				b.WriteString(up)
				continue
			}
			rs := []rune(w)
			rs[0] = unicode.ToUpper(rs[0])
			b.WriteString(string(rs))
		}
	}
	name := b.String()
	if token.IsKeyword(name) || reservedLocals[name] {
		name += "Arg"
	}
	return name
}

// reservedLocals are identifiers the generated encoders use themselves.
var reservedLocals = map[string]bool{
	"w": true, "c": true, "partitionID": true, "protocol": true,
	"len": true, "cap": true, "make": true, "append": true, "new": true, "nil": true,
	"true": true, "false": true, "string": true, "byte": true, "bool": true,
	"int": true, "int32": true, "int64": true, "float32": true, "float64": true,
	"any": true, "error": true, "copy": true, "clear": true, "min": true, "max": true,
}

// fileName returns the snake_case file stem of a service name.
func fileName(service string) string {
	words := splitWords(service)
	for i, w := range words {
		words[i] = strings.ToLower(w)
	}
	return strings.Join(words, "_")
}
