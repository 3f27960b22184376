package mcptools

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"sort"
	"time"

	"github.com/agentgate/agentgate/config"
)

// Default timeouts, used when a ServerConfig leaves them zero.
const (
	DefaultConnectTimeout = 30 * time.Second
	DefaultCallTimeout    = 60 * time.Second
)

// ServerConfig says how to reach one MCP server: either a command to run
// with the stdio transport (Command, Args, Env, Dir) or a Streamable HTTP
// endpoint (URL, Headers). Set exactly one of Command and URL.
type ServerConfig struct {
	// Name names the server; its tools are called "<Name>_<tool>". Connect
	// needs it; in a ServersConfig it is the map key.
	Name string `json:"-"`

	// Command is the program to run (looked up in PATH), with Args.
	Command string   `json:"command,omitempty"`
	Args    []string `json:"args,omitempty"`
	// Env is added to the few variables the process inherits (HOME,
	// LOGNAME, PATH, SHELL, TERM, USER): the server does not see the rest
	// of agentgate's environment, such as its API keys.
	Env map[string]string `json:"env,omitempty"`
	// Dir is the working directory; "" is agentgate's.
	Dir string `json:"cwd,omitempty"`

	// URL is the http(s) endpoint of a Streamable HTTP server, and Headers
	// are sent with every request (for example Authorization).
	URL     string            `json:"url,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`

	// ConnectTimeout bounds starting the server and the MCP handshake;
	// CallTimeout bounds listing tools and each tool call. Zero means the
	// defaults (30s and 60s).
	ConnectTimeout time.Duration `json:"-"`
	CallTimeout    time.Duration `json:"-"`
}

// serverJSON is ServerConfig's JSON form.
type serverJSON struct {
	Command        string            `json:"command,omitempty"`
	Args           []string          `json:"args,omitempty"`
	Env            map[string]string `json:"env,omitempty"`
	Dir            string            `json:"cwd,omitempty"`
	URL            string            `json:"url,omitempty"`
	Headers        map[string]string `json:"headers,omitempty"`
	ConnectTimeout float64           `json:"connect_timeout_seconds,omitempty"`
	CallTimeout    float64           `json:"call_timeout_seconds,omitempty"`
}

// UnmarshalJSON decodes {"command", "args", "env", "cwd"} or {"url",
// "headers"}, with optional "connect_timeout_seconds" and
// "call_timeout_seconds"; unknown keys are an error.
func (s *ServerConfig) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var j serverJSON
	if err := dec.Decode(&j); err != nil {
		return err
	}
	for _, f := range []float64{j.ConnectTimeout, j.CallTimeout} {
		if f < 0 || f > math.MaxInt32 {
			return fmt.Errorf("timeouts must be between 0 and %d seconds, got %g", math.MaxInt32, f)
		}
	}
	*s = ServerConfig{Name: s.Name, Command: j.Command, Args: j.Args, Env: j.Env, Dir: j.Dir,
		URL: j.URL, Headers: j.Headers,
		ConnectTimeout: seconds(j.ConnectTimeout), CallTimeout: seconds(j.CallTimeout)}
	return nil
}

// MarshalJSON is the inverse of UnmarshalJSON.
func (s ServerConfig) MarshalJSON() ([]byte, error) {
	return json.Marshal(serverJSON{Command: s.Command, Args: s.Args, Env: s.Env, Dir: s.Dir,
		URL: s.URL, Headers: s.Headers,
		ConnectTimeout: s.ConnectTimeout.Seconds(), CallTimeout: s.CallTimeout.Seconds()})
}

func seconds(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }

var serverName = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,32}$`)

// Validate checks the name and that exactly one transport is configured.
func (s ServerConfig) Validate() error {
	if !serverName.MatchString(s.Name) {
		return fmt.Errorf("mcp server name %q: use 1-32 letters, digits, _ or -", s.Name)
	}
	switch {
	case s.Command == "" && s.URL == "":
		return fmt.Errorf("mcp server %q: give a command (stdio) or a url (Streamable HTTP)", s.Name)
	case s.Command != "" && s.URL != "":
		return fmt.Errorf("mcp server %q: give a command or a url, not both", s.Name)
	case s.Command != "" && len(s.Headers) > 0:
		return fmt.Errorf("mcp server %q: headers are for url servers", s.Name)
	case s.URL != "" && (len(s.Args) > 0 || len(s.Env) > 0 || s.Dir != ""):
		return fmt.Errorf("mcp server %q: args, env and cwd are for command servers", s.Name)
	case s.ConnectTimeout < 0 || s.CallTimeout < 0:
		return fmt.Errorf("mcp server %q: negative timeout", s.Name)
	}
	if s.URL != "" {
		u, err := url.Parse(s.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("mcp server %q: url %q is not an http(s) URL", s.Name, s.URL)
		}
	}
	return nil
}

func (s ServerConfig) connectTimeout() time.Duration {
	if s.ConnectTimeout > 0 {
		return s.ConnectTimeout
	}
	return DefaultConnectTimeout
}

func (s ServerConfig) callTimeout() time.Duration {
	if s.CallTimeout > 0 {
		return s.CallTimeout
	}
	return DefaultCallTimeout
}

// ServersConfig maps server names to their configuration: the operator's
// list of the MCP servers agents may use. Its JSON form is an object of
// ServerConfig; decoding sets each Name from its key.
type ServersConfig map[string]ServerConfig

// UnmarshalJSON decodes the object and validates every server.
func (c *ServersConfig) UnmarshalJSON(b []byte) error {
	var m map[string]ServerConfig
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	out := make(ServersConfig, len(m))
	for name, s := range m {
		s.Name = name
		out[name] = s
	}
	if err := out.Validate(); err != nil {
		return err
	}
	*c = out
	return nil
}

// Validate checks every server and that each Name, when set, matches its
// key.
func (c ServersConfig) Validate() error {
	var errs []error
	for _, name := range c.Names() {
		s := c[name]
		if s.Name == "" {
			s.Name = name
		}
		if s.Name != name {
			errs = append(errs, fmt.Errorf("mcp server %q is configured under the name %q", s.Name, name))
			continue
		}
		if err := s.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Names returns the server names, sorted.
func (c ServersConfig) Names() []string {
	names := make([]string, 0, len(c))
	for n := range c {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// FromConfig is the "mcp.servers" of a loaded langgraph.json (already
// validated by config.Load) as a ServersConfig; empty when there is none.
func FromConfig(c *config.Config) ServersConfig {
	out := ServersConfig{}
	if c == nil {
		return out
	}
	for name, s := range c.MCP.Servers {
		out[name] = ServerConfig{Name: name, Command: s.Command, Args: s.Args, Env: s.Env, Dir: s.Dir,
			URL: s.URL, Headers: s.Headers,
			ConnectTimeout: seconds(s.ConnectTimeoutSeconds), CallTimeout: seconds(s.CallTimeoutSeconds)}
	}
	return out
}
