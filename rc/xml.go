package rc

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// emptyConfigXML stands for the configuration of a createCluster call that
// passes no XML (the Node.js suite's serial tests do): Hazelcast's
// built-in defaults, cluster "dev" on port 5701 with auto-increment.
const emptyConfigXML = `<hazelcast xmlns="http://www.hazelcast.com/schema/config"></hazelcast>`

// withClusterName returns the configuration doc with its root
// <cluster-name> set to name: the element's content is replaced when there
// is one, otherwise a <cluster-name> element is inserted as the root's first
// child. The rest of the document is kept byte for byte. doc must be
// well-formed (it has been through config.Parse).
func withClusterName(doc []byte, name string) ([]byte, error) {
	var escaped bytes.Buffer
	if err := xml.EscapeText(&escaped, []byte(name)); err != nil {
		return nil, err
	}
	d := xml.NewDecoder(bytes.NewReader(doc))
	d.CharsetReader = func(charset string, input io.Reader) (io.Reader, error) {
		if strings.EqualFold(charset, "utf-8") || strings.EqualFold(charset, "us-ascii") {
			return input, nil
		}
		return nil, fmt.Errorf("encoding %q not supported", charset)
	}
	var (
		depth     int
		rootEnd   = -1 // offset just after the root's start tag
		rootSelf  bool // the root is an empty element (<hazelcast/>)
		nameStart = -1 // offset of the root <cluster-name>'s content
	)
	for {
		before := int(d.InputOffset())
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("rc: rewrite cluster-name: %w", err)
		}
		after := int(d.InputOffset())
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			switch {
			case depth == 1:
				rootEnd = after
				rootSelf = bytes.HasSuffix(bytes.TrimRight(doc[before:after], " \t\r\n"), []byte("/>"))
			case depth == 2 && t.Name.Local == "cluster-name" && nameStart < 0:
				nameStart = after
				if bytes.HasSuffix(doc[before:after], []byte("/>")) {
					// <cluster-name/>: give it content.
					prefix := elementPrefix(doc[before:after])
					return splice(doc, before, after, "<"+prefix+"cluster-name>"+escaped.String()+"</"+prefix+"cluster-name>"), nil
				}
			}
		case xml.EndElement:
			if depth == 2 && nameStart >= 0 && t.Name.Local == "cluster-name" {
				return splice(doc, nameStart, before, escaped.String()), nil
			}
			depth--
			if depth == 0 {
				if rootSelf {
					// <hazelcast .../> becomes <hazelcast ...><cluster-name/></hazelcast>.
					tag := bytes.TrimRight(doc[:rootEnd], " \t\r\n")
					tag = bytes.TrimSuffix(tag, []byte("/>"))
					open := string(tag[bytes.LastIndexByte(tag, '<'):])
					prefix := elementPrefix([]byte(open))
					return splice(doc, bytes.LastIndexByte(tag, '<'), rootEnd,
						open+"><"+prefix+"cluster-name>"+escaped.String()+"</"+prefix+"cluster-name></"+prefix+"hazelcast>"), nil
				}
				prefix := elementPrefix(doc[:rootEnd][bytes.LastIndexByte(doc[:rootEnd], '<'):])
				return splice(doc, rootEnd, rootEnd, "<"+prefix+"cluster-name>"+escaped.String()+"</"+prefix+"cluster-name>"), nil
			}
		}
	}
	return nil, errors.New("rc: rewrite cluster-name: no root element")
}

// elementPrefix returns the namespace prefix of a start tag ("hz:" for
// `<hz:hazelcast ...>`), or "".
func elementPrefix(tag []byte) string {
	tag = bytes.TrimPrefix(tag, []byte("<"))
	end := bytes.IndexAny(tag, " \t\r\n/>")
	if end < 0 {
		end = len(tag)
	}
	if i := bytes.IndexByte(tag[:end], ':'); i >= 0 {
		return string(tag[:i+1])
	}
	return ""
}

// splice returns doc with doc[from:to] replaced by s.
func splice(doc []byte, from, to int, s string) []byte {
	out := make([]byte, 0, len(doc)-(to-from)+len(s))
	out = append(out, doc[:from]...)
	out = append(out, s...)
	return append(out, doc[to:]...)
}
