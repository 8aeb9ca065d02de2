package main

import (
	"fmt"
)

// msgKind distinguishes the three messages a method defines.
type msgKind int

const (
	requestMsg msgKind = iota
	responseMsg
	eventMsg
)

func (k msgKind) String() string {
	return [...]string{"request", "response", "event"}[k]
}

// message is one request, response or event with its resolved layout.
type message struct {
	svc    *service
	method *method
	kind   msgKind
	event  *event // eventMsg only

	goName    string // MapPutRequest, MapPutResponse, MapAddEntryListenerEntryEvent
	typeConst string // MapPutRequestType
	typeValue int32
	label     string // "Map.put request", "Map.addEntryListener Entry event"
	since     string
	lay       *layout
}

// methodInfo groups the messages of one method.
type methodInfo struct {
	svc      *service
	method   *method
	prefix   string // MapPut
	request  *message
	response *message
	events   []*message
}

// resolveMessages builds the messages of every method of every service.
func resolveMessages(ts *typeSet, defs *definitions) ([]*methodInfo, error) {
	var out []*methodInfo
	for _, s := range defs.services {
		for i := range s.Methods {
			m := &s.Methods[i]
			mi := &methodInfo{svc: s, method: m, prefix: exported(s.Name) + exported(m.Name)}
			base := int32(s.ID)<<16 | int32(m.ID)<<8
			mk := func(kind msgKind, ev *event, params []param, since string, hdr int, k int32) (*message, error) {
				msg := &message{svc: s, method: m, kind: kind, event: ev, since: since, typeValue: base | k}
				switch kind {
				case requestMsg:
					msg.goName = mi.prefix + "Request"
					msg.label = fmt.Sprintf("%s.%s request", s.Name, m.Name)
				case responseMsg:
					msg.goName = mi.prefix + "Response"
					msg.label = fmt.Sprintf("%s.%s response", s.Name, m.Name)
				case eventMsg:
					msg.goName = mi.prefix + exported(ev.Name) + "Event"
					msg.label = fmt.Sprintf("%s.%s %s event", s.Name, m.Name, ev.Name)
				}
				msg.typeConst = msg.goName + "Type"
				lay, err := newLayout(ts, msg.label, params, since, hdr)
				if err != nil {
					return nil, err
				}
				msg.lay = lay
				return msg, nil
			}
			var err error
			if mi.request, err = mk(requestMsg, nil, m.Request.Params, m.Since, 16, 0); err != nil {
				return nil, err
			}
			if mi.response, err = mk(responseMsg, nil, m.Response.Params, m.Since, 13, 1); err != nil {
				return nil, err
			}
			for j := range m.Events {
				ev := &m.Events[j]
				msg, err := mk(eventMsg, ev, ev.Params, ev.Since, 16, int32(2+j))
				if err != nil {
					return nil, err
				}
				mi.events = append(mi.events, msg)
			}
			out = append(out, mi)
		}
	}
	return out, nil
}

// all returns the messages of a method in type order.
func (mi *methodInfo) all() []*message {
	return append([]*message{mi.request, mi.response}, mi.events...)
}
