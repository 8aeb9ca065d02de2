package main

import (
	"fmt"
	"strings"
)

// emitTable writes messages.gen.go: the Messages table and MessageName.
func emitTable(dir string, methods []*methodInfo) error {
	e := &emitter{}
	e.p("package codec")
	e.p("")
	e.doc("", "Messages lists every method of every service in service id, then method id order.")
	e.p("var Messages = []MessageInfo{")
	for _, mi := range methods {
		var evs []string
		for _, ev := range mi.events {
			evs = append(evs, ev.typeConst)
		}
		evList := "nil"
		if len(evs) > 0 {
			evList = "[]int32{" + strings.Join(evs, ", ") + "}"
		}
		e.p("\t{Service: %q, Method: %q, Since: %q, RequestType: %s, ResponseType: %s, EventTypes: %s, Retryable: %v, PartitionIdentifier: %q},",
			mi.svc.Name, mi.method.Name, mi.method.Since, mi.request.typeConst, mi.response.typeConst, evList,
			mi.method.Request.Retryable, mi.method.Request.PartitionIdentifier)
	}
	e.p("}")
	e.p("")
	e.doc("", `MessageName returns a name for message type t for logs: "Map.put" for a request, "Map.put response" for a response, "Map.addEntryListener Entry event" for an event, "error" for 0 and a hex number for anything else.`)
	e.p("func MessageName(t int32) string {")
	e.p("\tswitch t {")
	e.p("\tcase ErrorResponseType:")
	e.p("\t\treturn \"error\"")
	for _, mi := range methods {
		for _, msg := range mi.all() {
			name := fmt.Sprintf("%s.%s", mi.svc.Name, mi.method.Name)
			if msg.kind != requestMsg {
				name = msg.label
			}
			e.p("\tcase %s:", msg.typeConst)
			e.p("\t\treturn %q", name)
		}
	}
	e.p("\t}")
	e.p("\treturn unknownMessageName(t)")
	e.p("}")
	return e.write(dir, "messages.gen.go")
}
