//go:build tools

// Package tools pins dependencies that are used only by tests and generators.
package tools

import (
	_ "github.com/cespare/xxhash/v2"
	_ "github.com/hazelcast/hazelcast-go-client"
	_ "github.com/panjf2000/gnet/v2"
	_ "github.com/rs/zerolog"
	_ "gopkg.in/yaml.v3"
)
