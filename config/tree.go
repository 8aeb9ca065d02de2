package config

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// element is one node of the small tree built from the XML tokens. Only
// what the parser needs is kept: local names, resolved values and lines.
type element struct {
	name     string
	space    string // namespace URI
	attrs    []attribute
	text     string // trimmed character data with placeholders resolved
	bad      bool   // text referenced an undefined variable (already reported)
	line     int    // line of the start tag
	children []*element

	raw      strings.Builder // character data while the element is open
	textLine int             // line where the character data starts
}

// attribute is an unprefixed attribute with its placeholders resolved.
type attribute struct {
	name  string
	value string
	bad   bool // value referenced an undefined variable (already reported)
}

// attr returns the unprefixed attribute name, whether it is present and
// whether its value could be resolved.
func (e *element) attr(name string) (value string, present, ok bool) {
	for _, a := range e.attrs {
		if a.name == name {
			return a.value, true, !a.bad
		}
	}
	return "", false, false
}

// buildTree decodes data into an element tree. On malformed XML it records
// one problem carrying the parser's line and returns nil.
func (p *parser) buildTree(data []byte) *element {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.CharsetReader = charsetReader
	var root *element
	var stack []*element
	for {
		line, _ := d.InputPos() // where the next token starts
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			p.malformed(err, line)
			return nil
		}
		switch t := tok.(type) {
		case xml.StartElement:
			el := &element{name: t.Name.Local, space: t.Name.Space, line: line}
			for _, a := range t.Attr {
				if a.Name.Space != "" || a.Name.Local == "xmlns" {
					continue // namespace declarations, xsi:schemaLocation, ...
				}
				v, ok := p.resolve(a.Value, line, el.name+" "+a.Name.Local)
				el.attrs = append(el.attrs, attribute{name: a.Name.Local, value: v, bad: !ok})
			}
			if len(stack) == 0 {
				if root != nil {
					p.problem(Problem{Line: line, Reason: fmt.Sprintf("malformed XML: second root element <%s>", el.name)})
					return nil
				}
				root = el
			} else {
				parent := stack[len(stack)-1]
				parent.children = append(parent.children, el)
			}
			stack = append(stack, el)
		case xml.EndElement:
			el := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			v, ok := p.resolve(el.raw.String(), el.textLine, el.name)
			el.text, el.bad = strings.TrimSpace(v), !ok
			el.raw.Reset()
		case xml.CharData:
			if len(stack) == 0 {
				if trimmed := bytes.TrimLeft(t, " \t\r\n"); len(trimmed) > 0 {
					at := line + bytes.Count(t[:len(t)-len(trimmed)], []byte{'\n'})
					p.problem(Problem{Line: at, Reason: "malformed XML: text outside the root element"})
					return nil
				}
				continue
			}
			top := stack[len(stack)-1]
			if top.raw.Len() == 0 {
				top.textLine = line
			}
			top.raw.Write(t)
		}
	}
	if root == nil {
		p.problem(Problem{Line: 1, Reason: "malformed XML: no root element"})
	}
	return root
}

// malformed records a decoding error with the line the XML parser reports.
func (p *parser) malformed(err error, line int) {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		p.problem(Problem{Line: se.Line, Reason: "malformed XML: " + se.Msg})
		return
	}
	p.problem(Problem{Line: line, Reason: "malformed XML: " + err.Error()})
}

// charsetReader accepts the encodings a hazelcast.xml realistically
// declares besides UTF-8 (which encoding/xml handles itself).
func charsetReader(label string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "us-ascii", "ascii", "utf8":
		return input, nil
	case "iso-8859-1", "latin1", "latin-1", "iso8859-1":
		b, err := io.ReadAll(input)
		if err != nil {
			return nil, err
		}
		var out bytes.Buffer
		for _, c := range b {
			out.WriteRune(rune(c))
		}
		return &out, nil
	}
	return nil, fmt.Errorf("unsupported encoding %q (use UTF-8)", label)
}

// resolve replaces ${NAME} and $ENV{NAME} placeholders in s. ${NAME} is
// looked up in the system properties first and then with the Lookup
// function (the environment by default); $ENV{NAME} only with Lookup.
// Undefined names are reported (naming element, variable and line) and
// ok is false. A "${" without closing brace is kept literally.
func (p *parser) resolve(s string, line int, elem string) (string, bool) {
	if !strings.Contains(s, "${") && !strings.Contains(s, "$ENV{") {
		return s, true
	}
	var b strings.Builder
	ok := true
	for i := 0; i < len(s); {
		c := s[i]
		if c != '$' {
			_, size := utf8.DecodeRuneInString(s[i:])
			b.WriteString(s[i : i+size])
			i += size
			continue
		}
		rest := s[i+1:]
		envOnly := false
		switch {
		case strings.HasPrefix(rest, "{"):
			rest = rest[1:]
		case strings.HasPrefix(rest, "ENV{"):
			rest, envOnly = rest[4:], true
		default:
			b.WriteByte(c)
			i++
			continue
		}
		end := strings.IndexByte(rest, '}')
		if end < 0 {
			b.WriteString(s[i:])
			break
		}
		name := rest[:end]
		consumed := len(s[i:]) - len(rest) + end + 1
		val, found := p.lookupVar(name, envOnly)
		if !found {
			ok = false
			placeholder := s[i : i+consumed]
			p.problem(Problem{
				Element: elem,
				Value:   placeholder,
				Line:    line + strings.Count(s[:i], "\n"),
				Reason:  fmt.Sprintf("undefined variable %s", name),
			})
			b.WriteString(placeholder)
		} else {
			b.WriteString(val)
		}
		i += consumed
	}
	return b.String(), ok
}

// lookupVar resolves a placeholder name.
func (p *parser) lookupVar(name string, envOnly bool) (string, bool) {
	if name == "" {
		return "", false
	}
	if !envOnly {
		if v, ok := p.opts.SystemProperties[name]; ok {
			return v, true
		}
	}
	return p.lookup(name)
}
