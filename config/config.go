// Package config loads langgraph.json, the project file that LangGraph
// servers share, with strict decoding: an unknown key or a value of the
// wrong type is an error that names the key's path, so a typo never turns
// into a silently ignored setting. Keys that only matter to LangGraph's
// Docker and Python tooling are accepted and reported in Config.Ignored.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/agentgate/agentgate/authn"
	"github.com/agentgate/agentgate/policy"
)

// FileName is the configuration file looked up in a directory.
const FileName = "langgraph.json"

// Config is a loaded langgraph.json.
type Config struct {
	// File is the path of the file as given (or dir/langgraph.json).
	File string
	// Dir is the absolute directory of the file; relative paths resolve
	// against it.
	Dir string
	// Graphs by graph id.
	Graphs map[string]Graph
	// Env holds the variables of "env" (inline, or read from EnvFile).
	Env map[string]string
	// EnvFile is the absolute path of the .env file named by "env", if any.
	EnvFile string
	// Auth is nil when the file has no "auth" key.
	Auth *Auth
	// Encryption is nil when the file has no "encryption" key.
	Encryption *Encryption
	HTTP       HTTP
	Store      Store
	// MCP is "mcp": the MCP servers agents may use.
	MCP MCP
	// Checkpointer is "checkpointer" (nil when absent).
	Checkpointer *Checkpointer
	// UI is "ui" and "ui_config".
	UI UI
	// Ignored lists the top-level keys accepted for compatibility with
	// LangGraph tooling that agentgate does not use, sorted.
	Ignored []string
	// Warnings are problems that do not stop loading (for example a
	// missing .env file), for the caller to log.
	Warnings []string
}

// GraphIDs returns the graph ids, sorted.
func (c *Config) GraphIDs() []string {
	ids := make([]string, 0, len(c.Graphs))
	for id := range c.Graphs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// ApplyEnv sets every variable of c.Env that is not already set in the
// process environment: the real environment wins.
func (c *Config) ApplyEnv() error {
	keys := make([]string, 0, len(c.Env))
	for k := range c.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, set := os.LookupEnv(k); set {
			continue
		}
		if err := os.Setenv(k, c.Env[k]); err != nil {
			return fmt.Errorf("%s: env: set %s: %w", c.File, k, err)
		}
	}
	return nil
}

// Encryption is langgraph.json "encryption" (see docs/encryption.md).
type Encryption struct {
	// Path is "dir:Name" as written; Dir is the absolute package directory
	// and Symbol the exported *encryption.Encryption.
	Path, Dir, Symbol string
}

// Auth is langgraph.json "auth" (see docs/config.md).
type Auth struct {
	// Path is the handler reference "dir:Name" as written; Dir is its
	// absolute package directory and Symbol the exported name.
	Path              string
	Dir               string
	Symbol            string
	DisableStudioAuth bool
	// OpenAPI is the security documentation object, kept as given.
	OpenAPI map[string]any
	// AuditLog is "audit_log": the audit log's file (absolute, resolved
	// against the langgraph.json directory) or "-" for stderr; "" for none.
	AuditLog string
	// Cache is nil when not configured. It also appears as Authn.Cache.
	Cache *AuthCache
	// Authn holds "authenticators" (and "cache"), decoded strictly by
	// authn.ParseConfig; nil when "authenticators" is absent.
	Authn *authn.Config
	// Policy holds "policy", "owner", "tenant", "grants", "rules" and
	// "cost_limit", decoded and compiled by policy.ParseConfig; nil when
	// none is present.
	Policy *policy.Config
}

// AuthCache is "auth.cache": the authentication result cache.
type AuthCache struct {
	CacheKeys  []string
	TTLSeconds int64
	MaxSize    int64
}

// HTTP is langgraph.json "http".
type HTTP struct {
	// CORS is nil when not configured (the server's defaults apply).
	CORS              *CORS
	DisableAssistants bool
	DisableThreads    bool
	DisableRuns       bool
	DisableStore      bool
	DisableMeta       bool
	DisableUI         bool
	DisableMCP        bool
	DisableA2A        bool
	DisableWebhooks   bool
	// EnableCustomRouteAuth authenticates requests before the custom
	// routes (http.app) see them, as LangGraph's enable_custom_route_auth.
	EnableCustomRouteAuth bool
	// ConfigurableHeaders is nil when not configured.
	ConfigurableHeaders *HeaderFilter
	// MaxBodyBytes is agentgate's request body limit; 0 means the default.
	MaxBodyBytes int64
	// MountPrefix serves everything under this path ("/api"); "" for the
	// root.
	MountPrefix string
	// App is "app", the custom routes reference "dir:Name" as written;
	// AppDir is its absolute package directory and AppSymbol the name.
	App, AppDir, AppSymbol string
}

// CORS is "http.cors".
type CORS struct {
	AllowOrigins     []string
	AllowMethods     []string
	AllowHeaders     []string
	AllowCredentials bool
	AllowOriginRegex string
	ExposeHeaders    []string
	MaxAge           int64
}

// HeaderFilter is "http.configurable_headers": glob patterns.
type HeaderFilter struct {
	Includes []string
	Excludes []string
}

// Store is langgraph.json "store".
type Store struct {
	// Index is nil when not configured.
	Index *StoreIndex
	// TTL is nil when not configured.
	TTL *StoreTTL
}

// StoreIndex is "store.index" (semantic search).
type StoreIndex struct {
	Dims   int64
	Embed  string
	Fields []string
}

// StoreTTL is "store.ttl".
type StoreTTL struct {
	RefreshOnRead        *bool
	DefaultTTLMinutes    *float64
	SweepIntervalMinutes *int64
}

// Load reads langgraph.json from path, which may be the file or a
// directory holding it.
func Load(path string) (*Config, error) {
	file := filepath.Clean(path)
	if st, err := os.Stat(file); err == nil && st.IsDir() {
		file = filepath.Join(file, FileName)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: no such file: %w", file, fs.ErrNotExist)
		}
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	dir, err := filepath.Abs(filepath.Dir(file))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return Parse(file, dir, data)
}

// Parse decodes data as langgraph.json. file names it in errors; dir is the
// directory relative paths (graph packages, the .env file) resolve against.
func Parse(file, dir string, data []byte) (*Config, error) {
	d := &decoder{file: file}
	var probe any
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, syntaxError(file, data, err)
	}
	top, err := d.object("", data)
	if err != nil {
		return nil, err
	}
	known := append([]string{"graphs", "env", "auth", "encryption", "http", "store", "mcp", "checkpointer", "ui", "ui_config"}, ignoredKeys()...)
	if err := d.checkKeys("", top, known...); err != nil {
		return nil, err
	}
	c := &Config{File: file, Dir: dir, Graphs: map[string]Graph{}, Env: map[string]string{}}
	for _, k := range ignoredKeys() {
		if _, ok := top[k]; ok {
			c.Ignored = append(c.Ignored, k)
		}
	}
	sort.Strings(c.Ignored)
	if raw, ok := top["graphs"]; ok {
		if c.Graphs, err = d.graphs(dir, raw); err != nil {
			return nil, err
		}
	}
	if raw, ok := top["env"]; ok {
		if err := d.env(c, raw); err != nil {
			return nil, err
		}
	}
	if raw, ok := top["auth"]; ok {
		if c.Auth, err = d.auth(dir, raw); err != nil {
			return nil, err
		}
	}
	if raw, ok := top["encryption"]; ok {
		if c.Encryption, err = d.encryption(dir, raw); err != nil {
			return nil, err
		}
	}
	if raw, ok := top["http"]; ok {
		if c.HTTP, err = d.http(dir, raw); err != nil {
			return nil, err
		}
	}
	if raw, ok := top["store"]; ok {
		if c.Store, err = d.store(raw); err != nil {
			return nil, err
		}
	}
	if raw, ok := top["checkpointer"]; ok {
		if c.Checkpointer, err = d.checkpointer(raw); err != nil {
			return nil, err
		}
	}
	if raw, ok := top["ui"]; ok {
		if c.UI.Entries, err = d.ui(dir, raw); err != nil {
			return nil, err
		}
	}
	if raw, ok := top["ui_config"]; ok {
		if c.UI.Shared, err = d.uiConfig(raw); err != nil {
			return nil, err
		}
	}
	if raw, ok := top["mcp"]; ok {
		if c.MCP, err = d.mcp(dir, raw); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// ignoredKeys are LangGraph keys for Docker images and Python and JS
// tooling. agentgate accepts them and does nothing with them.
func ignoredKeys() []string {
	return []string{
		"$schema", "api_version", "base_image", "dependencies", "docker_compose_file",
		"dockerfile_lines", "image_distro", "node_loader", "node_version",
		"pip_config_file", "pip_installer", "python_version",
	}
}
