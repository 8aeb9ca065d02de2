package config

import (
	_ "embed"
	"fmt"
	"os"
)

// DefaultXML is the embedded default configuration file (default.xml). The
// repository's root hazelcast.xml is a byte-identical copy.
//
//go:embed default.xml
var DefaultXML []byte

// DefaultSource is the source name used for DefaultXML in errors and
// warnings.
const DefaultSource = "default.xml"

// Built-in defaults, as in Hazelcast.
const (
	// DefaultClusterName is the cluster name members and clients use when
	// none is configured.
	DefaultClusterName = "dev"
	// DefaultPort is the first port a member tries to bind.
	DefaultPort = 5701
	// DefaultPortCount is how many ports a member tries when auto-increment
	// is on.
	DefaultPortCount = 100
	// DefaultConnectionTimeoutSeconds is the tcp-ip join connection timeout.
	DefaultConnectionTimeoutSeconds = 5
)

// Config is a member configuration. Build one with Default, Parse, Load or
// LoadDefault; a Config assembled in Go should be checked with Validate.
type Config struct {
	// ClusterName must match the name clients and other members present.
	ClusterName string
	// Network holds the member's listening port and join settings.
	Network NetworkConfig
	// Properties are the <properties> of the file, by name. Use the
	// property methods (PartitionCount, IntProperty, ...) to read them, as
	// they also consult SystemProperties.
	Properties map[string]string
	// SystemProperties are -Dname=value style overrides. Unlike Hazelcast,
	// where a property set in the file wins over a JVM system property, an
	// entry here takes precedence over Properties.
	SystemProperties map[string]string
	// Security holds the simple security settings.
	Security SecurityConfig
	// Maps holds the <map> configurations keyed by the name as written,
	// which may be a wildcard pattern or "default". Use Map to resolve a
	// map name the way Hazelcast does.
	Maps map[string]MapConfig
	// Persistence is the cluster-wide persistence (hot restart) setting,
	// from <persistence> or <hot-restart-persistence>.
	Persistence PersistenceConfig
	// REST is the <network><rest-api> setting.
	REST RESTConfig
	// Source names where the configuration came from (a file path,
	// DefaultSource, or empty for a Config built in Go).
	Source string

	// lines maps a value's key (see the key helpers) to the line it was
	// read from, so that Validate can point at the file.
	lines map[string]int
}

// NetworkConfig is the <network> element.
type NetworkConfig struct {
	// Port is the first port the member tries; 0 asks the OS for an
	// ephemeral port.
	Port int
	// PortAutoIncrement makes the member try Port, Port+1, ... when Port
	// is taken.
	PortAutoIncrement bool
	// PortCount bounds the ports tried with auto-increment.
	PortCount int
	// PublicAddress overrides the address advertised to members and
	// clients (host or host:port); empty means the bind address.
	PublicAddress string
	// Join says how the member discovers the cluster.
	Join JoinConfig
}

// JoinConfig is the <network><join> element.
type JoinConfig struct {
	// TCPIP is the well-known-members discovery.
	TCPIP TCPIPConfig
	// Multicast is parsed for its enabled flag only.
	Multicast MulticastConfig
}

// TCPIPConfig is the <join><tcp-ip> element.
type TCPIPConfig struct {
	// Enabled turns tcp-ip discovery on.
	Enabled bool
	// Members lists the member entries as written, one per entry: "host",
	// "host:port", "host:5701-5703", "10.0.0.1-5", "[::1]:5701". Comma
	// separated lists (<members>a,b</members>) are split into entries.
	// Use Addresses to expand them.
	Members []string
	// RequiredMember, when set, is the member that must be present for
	// the cluster to form.
	RequiredMember string
	// ConnectionTimeoutSeconds bounds each connection attempt to a member.
	ConnectionTimeoutSeconds int
}

// MulticastConfig is the <join><multicast> element. Filbert only reads the
// flag; multicast discovery settings are ignored.
type MulticastConfig struct {
	// Enabled is Hazelcast's multicast flag (true by default in Hazelcast).
	Enabled bool
}

// ParseOptions tunes Parse and Load.
type ParseOptions struct {
	// Lookup resolves ${NAME} and $ENV{NAME} placeholders; nil means
	// os.LookupEnv. A placeholder whose name is not found is an error.
	Lookup func(name string) (string, bool)
	// SystemProperties are -Dname=value style values. They override
	// <properties> entries of the same name (see Config.SystemProperties)
	// and are consulted first when resolving ${NAME} placeholders, as
	// Hazelcast resolves placeholders from system properties.
	SystemProperties map[string]string
}

// Default returns the built-in configuration: what an empty <hazelcast/>
// file yields. Values follow Hazelcast's defaults: cluster name "dev",
// port 5701 with auto-increment over 100 ports, multicast join enabled and
// tcp-ip disabled, 271 partitions, no map configurations (so every map
// gets DefaultMapConfig), persistence, REST and security disabled.
//
// Note that the shipped default file (DefaultXML) differs on purpose: it
// disables multicast and enables tcp-ip with 127.0.0.1.
func Default() *Config {
	return &Config{
		ClusterName: DefaultClusterName,
		Network: NetworkConfig{
			Port:              DefaultPort,
			PortAutoIncrement: true,
			PortCount:         DefaultPortCount,
			Join: JoinConfig{
				TCPIP:     TCPIPConfig{ConnectionTimeoutSeconds: DefaultConnectionTimeoutSeconds},
				Multicast: MulticastConfig{Enabled: true},
			},
		},
		Properties:       map[string]string{},
		SystemProperties: map[string]string{},
		Security:         SecurityConfig{Realms: map[string]RealmConfig{}},
		Maps:             map[string]MapConfig{},
		Persistence:      DefaultPersistenceConfig(),
		REST:             RESTConfig{EndpointGroups: map[string]bool{}},
		lines:            map[string]int{},
	}
}

// Load reads and parses the file at path; the path is used as source in
// errors and warnings. See Parse.
func Load(path string, opts ParseOptions) (*Config, []Warning, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("config: read %s: %w", path, err)
	}
	return Parse(data, path, opts)
}

// LoadDefault parses the embedded DefaultXML.
func LoadDefault(opts ParseOptions) (*Config, []Warning, error) {
	return Parse(DefaultXML, DefaultSource, opts)
}

// Ports returns the ports the member tries to bind, in order: Port through
// Port+PortCount-1 (capped at 65535) with auto-increment, otherwise just
// Port. Port 0 (ephemeral) is never incremented.
func (c *Config) Ports() []int {
	n := c.Network
	if !n.PortAutoIncrement || n.Port <= 0 || n.PortCount <= 1 {
		return []int{n.Port}
	}
	last := n.Port + n.PortCount - 1
	if last > maxPort {
		last = maxPort
	}
	if last < n.Port {
		return []int{n.Port}
	}
	ports := make([]int, 0, last-n.Port+1)
	for p := n.Port; p <= last; p++ {
		ports = append(ports, p)
	}
	return ports
}

// line returns the source line recorded for key, or 0.
func (c *Config) line(key string) int {
	return c.lines[key]
}
