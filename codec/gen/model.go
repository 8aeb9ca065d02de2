package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// The YAML model of the protocol definitions. Field names follow
// protocol-schema.json and custom-codec-schema.json.

type param struct {
	Name     string `yaml:"name"`
	Type     string `yaml:"type"`
	Nullable bool   `yaml:"nullable"`
	Since    string `yaml:"since"`
	Doc      string `yaml:"doc"`
}

type request struct {
	Retryable           bool    `yaml:"retryable"`
	PartitionIdentifier string  `yaml:"partitionIdentifier"`
	Params              []param `yaml:"params"`
}

type response struct {
	Params []param `yaml:"params"`
}

type event struct {
	Name   string  `yaml:"name"`
	Since  string  `yaml:"since"`
	Doc    string  `yaml:"doc"`
	Params []param `yaml:"params"`
}

type method struct {
	ID       int      `yaml:"id"`
	Name     string   `yaml:"name"`
	Since    string   `yaml:"since"`
	Doc      string   `yaml:"doc"`
	Request  request  `yaml:"request"`
	Response response `yaml:"response"`
	Events   []event  `yaml:"events"`
}

type service struct {
	ID      int      `yaml:"id"`
	Name    string   `yaml:"name"`
	Methods []method `yaml:"methods"`

	file string // base name of the YAML file
}

type customType struct {
	Name              string  `yaml:"name"`
	Since             string  `yaml:"since"`
	Doc               string  `yaml:"doc"`
	ReturnWithFactory bool    `yaml:"returnWithFactory"`
	Params            []param `yaml:"params"`
}

type customFile struct {
	CustomTypes []customType `yaml:"customTypes"`
}

// definitions is everything the generator reads.
type definitions struct {
	services []*service
	customs  []*customType
}

// load reads every service YAML in dir and custom/Custom.yaml. Services are
// sorted by id so that the output does not depend on directory order.
func load(dir string) (*definitions, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no *.yaml in %s", dir)
	}
	defs := &definitions{}
	for _, f := range files {
		s := &service{file: filepath.Base(f)}
		if err := readYAML(f, s); err != nil {
			return nil, err
		}
		defs.services = append(defs.services, s)
	}
	sort.Slice(defs.services, func(i, j int) bool { return defs.services[i].ID < defs.services[j].ID })

	var cf customFile
	if err := readYAML(filepath.Join(dir, "custom", "Custom.yaml"), &cf); err != nil {
		return nil, err
	}
	for i := range cf.CustomTypes {
		defs.customs = append(defs.customs, &cf.CustomTypes[i])
	}
	return defs, defs.validate()
}

func readYAML(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// validate checks what the emitters rely on: unique ids, versions that
// parse, and parameters added by later versions that come after older ones.
func (d *definitions) validate() error {
	var errs []string
	fail := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	checkParams := func(where, since string, ps []param) {
		if _, err := parseVersion(since); err != nil {
			fail("%s: %v", where, err)
			return
		}
		// Within fixed and within variable parameters, newer ones must
		// follow older ones, or an older peer's message would be ambiguous.
		var lastFixed, lastVar string = since, since
		for _, p := range ps {
			if _, err := parseVersion(p.Since); err != nil {
				fail("%s.%s: %v", where, p.Name, err)
				continue
			}
			last := &lastVar
			if fixedSizes[p.Type] > 0 {
				last = &lastFixed
			}
			if versionLess(p.Since, *last) {
				fail("%s.%s: since %s after a parameter of %s", where, p.Name, p.Since, *last)
			}
			*last = p.Since
		}
	}
	serviceIDs := map[int]string{}
	for _, s := range d.services {
		if prev, ok := serviceIDs[s.ID]; ok {
			fail("service id %d used by %s and %s", s.ID, prev, s.Name)
		}
		serviceIDs[s.ID] = s.Name
		methodIDs := map[int]bool{}
		for _, m := range s.Methods {
			where := s.Name + "." + m.Name
			if methodIDs[m.ID] {
				fail("%s: duplicate method id %d", where, m.ID)
			}
			methodIDs[m.ID] = true
			if m.ID <= 0 || m.ID > 255 || s.ID < 0 || s.ID > 255 || len(m.Events) > 253 {
				fail("%s: ids out of range", where)
			}
			checkParams(where+" request", m.Since, m.Request.Params)
			checkParams(where+" response", m.Since, m.Response.Params)
			for _, e := range m.Events {
				checkParams(where+" event "+e.Name, e.Since, e.Params)
			}
		}
	}
	for _, c := range d.customs {
		checkParams(c.Name, c.Since, c.Params)
	}
	if len(errs) > 0 {
		return fmt.Errorf("invalid definitions:\n  %s", strings.Join(errs, "\n  "))
	}
	return nil
}

// parseVersion parses "2", "2.7" or "2.0.1" into numeric parts.
func parseVersion(v string) ([]int, error) {
	if v == "" {
		return nil, fmt.Errorf("missing since")
	}
	var out []int
	for _, part := range strings.Split(v, ".") {
		n, err := strconv.Atoi(part)
		if err != nil {
			return nil, fmt.Errorf("bad version %q", v)
		}
		out = append(out, n)
	}
	return out, nil
}

// versionLess reports whether a < b, comparing numerically part by part
// ("2.10" is later than "2.9"; missing parts are 0).
func versionLess(a, b string) bool {
	va, _ := parseVersion(a)
	vb, _ := parseVersion(b)
	for i := 0; i < len(va) || i < len(vb); i++ {
		var x, y int
		if i < len(va) {
			x = va[i]
		}
		if i < len(vb) {
			y = vb[i]
		}
		if x != y {
			return x < y
		}
	}
	return false
}

// firstSentence returns the first sentence of a YAML doc string on one line.
func firstSentence(doc string) string {
	s := strings.Join(strings.Fields(doc), " ")
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '.' && s[i+1] == ' ' {
			return s[:i+1]
		}
	}
	return s
}
