package config

import (
	"encoding/json"
	"math"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
)

// MCP is langgraph.json "mcp": the MCP servers whose tools agents may use
// (package agent/mcptools). Runs can only pick among these by name.
type MCP struct {
	// Servers by name; nil when not configured.
	Servers map[string]MCPServer
}

// MCPServer is one entry of "mcp.servers": a stdio command (Command,
// Args, Env, Dir) or a Streamable HTTP endpoint (URL, Headers).
type MCPServer struct {
	Name string
	// Command is absolute when written with a "./" or "../" path
	// (resolved against the file's directory); a bare name is looked up
	// in PATH.
	Command string
	Args    []string
	Env     map[string]string
	// Dir is "cwd", absolute (resolved against the file's directory).
	Dir     string
	URL     string
	Headers map[string]string
	// Timeouts in seconds; 0 means the defaults.
	ConnectTimeoutSeconds float64
	CallTimeoutSeconds    float64
}

var mcpServerName = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,32}$`)

func (d *decoder) mcp(dir string, raw json.RawMessage) (MCP, error) {
	var m MCP
	obj, err := d.object("mcp", raw)
	if err != nil {
		return m, err
	}
	if err := d.checkKeys("mcp", obj, "servers"); err != nil {
		return m, err
	}
	v, ok := obj["servers"]
	if !ok {
		return m, nil
	}
	servers, err := d.object("mcp.servers", v)
	if err != nil {
		return m, err
	}
	m.Servers = make(map[string]MCPServer, len(servers))
	for name, sv := range servers {
		if !mcpServerName.MatchString(name) {
			return m, d.errf("mcp.servers", "invalid server name %q (1-32 letters, digits, '-' and '_')", name)
		}
		s, err := d.mcpServer("mcp.servers."+name, dir, sv)
		if err != nil {
			return m, err
		}
		s.Name = name
		m.Servers[name] = s
	}
	return m, nil
}

func (d *decoder) mcpServer(p, dir string, raw json.RawMessage) (MCPServer, error) {
	var s MCPServer
	obj, err := d.object(p, raw)
	if err != nil {
		return s, err
	}
	if err := d.checkKeys(p, obj, "command", "args", "env", "cwd", "url", "headers",
		"connect_timeout_seconds", "call_timeout_seconds"); err != nil {
		return s, err
	}
	strs := map[string]*string{"command": &s.Command, "cwd": &s.Dir, "url": &s.URL}
	for k, dst := range strs {
		if v, ok := obj[k]; ok {
			if *dst, err = d.str(p+"."+k, v); err != nil {
				return s, err
			}
		}
	}
	if v, ok := obj["args"]; ok {
		if s.Args, err = d.strings(p+".args", v); err != nil {
			return s, err
		}
	}
	maps := map[string]*map[string]string{"env": &s.Env, "headers": &s.Headers}
	for k, dst := range maps {
		if v, ok := obj[k]; ok {
			if *dst, err = d.stringMap(p+"."+k, v); err != nil {
				return s, err
			}
		}
	}
	secs := map[string]*float64{"connect_timeout_seconds": &s.ConnectTimeoutSeconds, "call_timeout_seconds": &s.CallTimeoutSeconds}
	for k, dst := range secs {
		if v, ok := obj[k]; ok {
			if *dst, err = d.number(p+"."+k, v, 0); err != nil {
				return s, err
			}
			if *dst > math.MaxInt32 {
				return s, d.errf(p+"."+k, "must be at most %d", math.MaxInt32)
			}
		}
	}
	switch {
	case s.Command == "" && s.URL == "":
		return s, d.errf(p, `give "command" (a stdio server) or "url" (a Streamable HTTP server)`)
	case s.Command != "" && s.URL != "":
		return s, d.errf(p, `give "command" or "url", not both`)
	case s.Command != "" && s.Headers != nil:
		return s, d.errf(p+".headers", `only for "url" servers`)
	case s.URL != "":
		for _, k := range []string{"args", "env", "cwd"} {
			if _, ok := obj[k]; ok {
				return s, d.errf(p+"."+k, `only for "command" servers`)
			}
		}
		u, err := url.Parse(s.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return s, d.errf(p+".url", "%q is not an http:// or https:// URL", s.URL)
		}
	}
	if strings.HasPrefix(s.Command, "./") || strings.HasPrefix(s.Command, "../") {
		s.Command = filepath.Join(dir, filepath.FromSlash(s.Command))
	}
	if s.Dir != "" && !filepath.IsAbs(s.Dir) {
		s.Dir = filepath.Join(dir, filepath.FromSlash(s.Dir))
	}
	return s, nil
}

// stringMap decodes an object of string values.
func (d *decoder) stringMap(p string, raw json.RawMessage) (map[string]string, error) {
	obj, err := d.object(p, raw)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(obj))
	for k, v := range obj {
		if out[k], err = d.str(p+"."+k, v); err != nil {
			return nil, err
		}
	}
	return out, nil
}
