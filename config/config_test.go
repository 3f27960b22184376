package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/agentgate/agentgate/authn"
	"github.com/google/go-cmp/cmp"
)

// project writes files (path → content) into a temp dir and returns it.
func project(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		json string
		want string // the whole message after "langgraph.json: "
	}{
		{"not json", `{"graphs": }`, `invalid JSON at line 1, column 12: invalid character '}' looking for beginning of value`},
		{"truncated", `{"graphs": {`, `invalid JSON: unexpected end of file`},
		{"top level array", `[]`, `expected an object, got an array`},
		{"unknown top key", `{"graph": {}}`, `unknown key "graph" (known keys: graphs, env, auth, encryption, http, store, mcp, checkpointer, ui, ui_config, $schema, api_version, base_image, dependencies, docker_compose_file, dockerfile_lines, image_distro, node_loader, node_version, pip_config_file, pip_installer, python_version)`},
		{"duplicate key", `{"graphs": {}, "graphs": {}}`, `duplicate key "graphs"`},

		{"graphs not object", `{"graphs": ["a"]}`, `graphs: expected an object, got an array`},
		{"graph number", `{"graphs": {"a": 1}}`, `graphs.a: expected "<package dir>:<Name>", "builtin:<name>" or an object {"path", "description"}, got a number`},
		{"graph no colon", `{"graphs": {"a": "./agent"}}`, `graphs.a: "./agent" must be "<package dir>:<Name>" (for example "./agent:Graph") or "builtin:<name>"`},
		{"graph python file", `{"graphs": {"a": "./agent.py:graph"}}`, `graphs.a: "./agent.py" is a Python or JavaScript file; agentgate serves Go graphs: use "./<package dir>:<ExportedName>" or "builtin:<name>"`},
		{"graph ts file", `{"graphs": {"a": "./src/agent.ts:graph"}}`, `graphs.a: "./src/agent.ts" is a Python or JavaScript file; agentgate serves Go graphs: use "./<package dir>:<ExportedName>" or "builtin:<name>"`},
		{"graph python module", `{"graphs": {"a": "my_pkg.agent:graph"}}`, `graphs.a: "my_pkg.agent:graph": the package must be a directory relative to langgraph.json starting with "./" (for example "./agent:Graph")`},
		{"graph unexported", `{"graphs": {"a": "./agent:graph"}}`, `graphs.a: "./agent:graph": "graph" is not an exported Go identifier (it must start with an upper-case letter)`},
		{"graph empty symbol", `{"graphs": {"a": "./agent:"}}`, `graphs.a: "./agent:": "" is not an exported Go identifier (it must start with an upper-case letter)`},
		{"graph missing dir", `{"graphs": {"a": "./nope:Graph"}}`, `graphs.a: "./nope:Graph": package directory DIR/nope does not exist`},
		{"builtin empty", `{"graphs": {"a": "builtin:"}}`, `graphs.a: invalid built-in graph name "" (lower-case letters, digits, '-' and '_')`},
		{"builtin bad name", `{"graphs": {"a": "builtin:Chat Bot"}}`, `graphs.a: invalid built-in graph name "Chat Bot" (lower-case letters, digits, '-' and '_')`},
		{"graph object unknown key", `{"graphs": {"a": {"path": "builtin:x", "desc": "d"}}}`, `graphs.a: unknown key "desc" (known keys: path, description)`},
		{"graph object no path", `{"graphs": {"a": {"description": "d"}}}`, `graphs.a: missing key "path"`},
		{"graph object path type", `{"graphs": {"a": {"path": 3}}}`, `graphs.a.path: expected a string, got a number`},
		{"graph object bad path", `{"graphs": {"a": {"path": "x"}}}`, `graphs.a.path: "x" must be "<package dir>:<Name>" (for example "./agent:Graph") or "builtin:<name>"`},
		{"graph description type", `{"graphs": {"a": {"path": "builtin:x", "description": false}}}`, `graphs.a.description: expected a string, got a boolean`},
		{"graph empty id", `{"graphs": {"": "builtin:x"}}`, `graphs: a graph id must not be empty`},

		{"env array", `{"env": [".env"]}`, `env: expected a .env file path (string) or an object of variables, got an array`},
		{"env number", `{"env": 1}`, `env: expected a .env file path (string) or an object of variables, got a number`},
		{"env empty path", `{"env": ""}`, `env: the .env file path must not be empty`},
		{"env value type", `{"env": {"PORT": 8080}}`, `env.PORT: expected a string, got a number`},
		{"env bad name", `{"env": {"A=B": "c"}}`, `env: invalid variable name "A=B"`},

		{"auth not object", `{"auth": "./auth:Auth"}`, `auth: expected an object, got the string "./auth:Auth"`},
		{"auth unknown key", `{"auth": {"paths": "./a:A"}}`, `auth: unknown key "paths" (known keys: path, disable_studio_auth, openapi, cache, authenticators, policy, owner, tenant, grants, rules, cost_limit, audit_log)`},
		{"auth path not relative", `{"auth": {"path": "security:Auth"}}`, `auth.path: "security:Auth": the package must be a directory relative to langgraph.json starting with "./" (for example "./security:Auth")`},
		{"auth path unexported", `{"auth": {"path": "./security:auth"}}`, `auth.path: "./security:auth": "auth" is not an exported Go identifier (it must start with an upper-case letter)`},
		{"authenticators type", `{"auth": {"authenticators": {}}}`, `auth.authenticators: expected an array of objects`},
		{"authenticator unknown type", `{"auth": {"authenticators": [{"type": "magic"}]}}`, `auth.authenticators[0].type: unknown type "magic" (want tokens, jwt, userinfo or custom)`},
		{"authenticator unknown key", `{"auth": {"authenticators": [{"type": "tokens", "fil": "x"}]}}`, `auth.authenticators[0].fil: unknown key (known: type, name, header, file, env)`},
		{"authenticator claims", `{"auth": {"authenticators": [{"type": "jwt", "claims": {"identity": 1}}]}}`, `auth.authenticators[0].claims.identity: expected a string`},
		{"policy unknown", `{"auth": {"policy": "mine"}}`, `auth.policy: unknown policy "mine" (the only preset is "owner")`},
		{"policy type", `{"auth": {"policy": true}}`, `auth.policy: expected a string, got a JSON bool`},
		{"owner without policy", `{"auth": {"owner": {"key": "o"}}}`, `auth.owner: "owner" options need "policy": "owner"`},
		{"owner unknown key", `{"auth": {"policy": "owner", "owner": {"keys": "o"}}}`, `auth: unknown field "keys" (known keys: policy, owner, tenant, grants, rules, cost_limit; owner keys: key, hide_system_assistants, studio_sees_all; tenant keys: claim, key)`},
		{"rules type", `{"auth": {"rules": ["x"]}}`, `auth.rules: expected an object, got a JSON array`},
		{"cost limit type", `{"auth": {"rules": {"*": "true"}, "cost_limit": -1}}`, `auth.cost_limit: expected a non-negative integer, got a JSON number -1`},
		{"grant bad CEL", `{"auth": {"policy": "owner", "grants": {"threads:read": "\"viewer\" in permission"}}}`, `auth.grants: grant "threads:read":` + "\nERROR: <input>:1:13: undeclared reference to 'permission' (did you mean 'permissions'?)\n | \"viewer\" in permission\n | ............^"},
		{"grant not bool", `{"auth": {"policy": "owner", "grants": {"threads": "{\"a\": 1}"}}}`, `auth.grants: grant "threads": must return a bool (granted or not), it returns map(string, int):` + "\n | {\"a\": 1}"},
		{"grants type", `{"auth": {"policy": "owner", "grants": ["x"]}}`, `auth.grants: expected an object, got a JSON array`},
		{"grants without owner", `{"auth": {"grants": {"*": "true"}}}`, `auth.grants: grants lift the owner filter, so they need "policy": "owner"`},
		{"tenant no claim", `{"auth": {"tenant": {}}}`, `auth.tenant.claim: missing (the user field holding the caller's tenant, e.g. "org_id")`},
		{"tenant claim type", `{"auth": {"tenant": {"claim": 1}}}`, `auth.tenant.claim: expected a string, got a JSON number`},
		{"tenant unknown key", `{"auth": {"tenant": {"claim": "org_id", "keys": "o"}}}`, `auth.tenant: unknown field "keys" (known keys: policy, owner, tenant, grants, rules, cost_limit; owner keys: key, hide_system_assistants, studio_sees_all; tenant keys: claim, key)`},
		{"tenant key clash", `{"auth": {"policy": "owner", "tenant": {"claim": "org_id", "key": "owner"}}}`, `auth.tenant.key: "owner" is also the owner key`},
		{"auth path no colon", `{"auth": {"path": "./auth"}}`, `auth.path: "./auth" must be "<package dir>:<Name>", for example "./security:Auth"`},
		{"auth path empty name", `{"auth": {"path": "./auth:"}}`, `auth.path: "./auth:" must be "<package dir>:<Name>", for example "./security:Auth"`},
		{"auth path type", `{"auth": {"path": true}}`, `auth.path: expected a string, got a boolean`},
		{"studio auth string", `{"auth": {"disable_studio_auth": "true"}}`, `auth.disable_studio_auth: expected a JSON boolean (true or false without quotes), got the string "true"`},
		{"studio auth number", `{"auth": {"disable_studio_auth": 1}}`, `auth.disable_studio_auth: expected a boolean, got a number`},
		{"auth openapi type", `{"auth": {"openapi": []}}`, `auth.openapi: expected an object, got an array`},
		{"audit log type", `{"auth": {"audit_log": true}}`, `auth.audit_log: expected a string, got a boolean`},
		{"audit log empty", `{"auth": {"audit_log": ""}}`, `auth.audit_log: is empty: give a file path, or "-" for stderr`},
		{"auth cache unknown", `{"auth": {"cache": {"ttl": 5}}}`, `auth.cache: unknown key "ttl" (known keys: cache_keys, ttl_seconds, max_size)`},
		{"auth cache keys type", `{"auth": {"cache": {"cache_keys": "authorization"}}}`, `auth.cache.cache_keys: expected an array of strings, got the string "authorization"`},
		{"auth cache key item", `{"auth": {"cache": {"cache_keys": ["a", 1]}}}`, `auth.cache.cache_keys[1]: expected a string, got a number`},
		{"auth cache ttl float", `{"auth": {"cache": {"ttl_seconds": 1.5}}}`, `auth.cache.ttl_seconds: expected an integer, got 1.5`},
		{"auth cache ttl negative", `{"auth": {"cache": {"ttl_seconds": -1}}}`, `auth.cache.ttl_seconds: must be at least 0, got -1`},
		{"auth cache size string", `{"auth": {"cache": {"max_size": "10"}}}`, `auth.cache.max_size: expected an integer, got the string "10"`},

		{"encryption not object", `{"encryption": "./crypt:Enc"}`, `encryption: expected an object, got the string "./crypt:Enc"`},
		{"encryption no path", `{"encryption": {}}`, `encryption: has no "path": name the Go package and its *encryption.Encryption, for example "./crypt:Encryption"`},
		{"encryption unknown key", `{"encryption": {"path": "./c:E", "key": "x"}}`, `encryption: unknown key "key" (known keys: path)`},
		{"encryption path not relative", `{"encryption": {"path": "crypt:Enc"}}`, `encryption.path: "crypt:Enc": the package must be a directory relative to langgraph.json starting with "./" (for example "./crypt:Encryption")`},
		{"encryption path unexported", `{"encryption": {"path": "./crypt:enc"}}`, `encryption.path: "./crypt:enc": "enc" is not an exported Go identifier (it must start with an upper-case letter)`},

		{"http not object", `{"http": true}`, `http: expected an object, got a boolean`},
		{"http app not relative", `{"http": {"app": "webapp:Routes"}}`, `http.app: "webapp:Routes": the package must be a directory relative to langgraph.json starting with "./" (for example "./webapp:Routes")`},
		{"http app no name", `{"http": {"app": "./webapp"}}`, `http.app: "./webapp" must be "<package dir>:<Name>", for example "./webapp:Routes"`},
		{"http app unexported", `{"http": {"app": "./webapp:routes"}}`, `http.app: "./webapp:routes": "routes" is not an exported Go identifier (it must start with an upper-case letter)`},
		{"http app python", `{"http": {"app": "./app.py:app"}}`, `http.app: "./app.py:app": "app" is not an exported Go identifier (it must start with an upper-case letter)`},
		{"http mount prefix no slash", `{"http": {"mount_prefix": "api"}}`, `http.mount_prefix: "api": want a path such as /api (a leading /, no trailing /; letters, digits and -._~/)`},
		{"http mount prefix trailing", `{"http": {"mount_prefix": "/api/"}}`, `http.mount_prefix: "/api/": want a path such as /api (a leading /, no trailing /; letters, digits and -._~/)`},
		{"http mount prefix dots", `{"http": {"mount_prefix": "/a/.."}}`, `http.mount_prefix: "/a/..": want a path such as /api (a leading /, no trailing /; letters, digits and -._~/)`},
		{"http unknown", `{"http": {"disable_thread": true}}`, `http: unknown key "disable_thread" (known keys: app, configurable_headers, cors, disable_a2a, disable_assistants, disable_mcp, disable_meta, disable_runs, disable_store, disable_threads, disable_ui, disable_webhooks, enable_custom_route_auth, max_body_bytes, mount_prefix)`},
		{"http disable string", `{"http": {"disable_runs": "yes"}}`, `http.disable_runs: expected a JSON boolean (true or false without quotes), got the string "yes"`},
		{"http max body zero", `{"http": {"max_body_bytes": 0}}`, `http.max_body_bytes: must be at least 1, got 0`},
		{"http max body string", `{"http": {"max_body_bytes": "1MB"}}`, `http.max_body_bytes: expected an integer, got the string "1MB"`},
		{"cors unknown", `{"http": {"cors": {"allow_origin": ["*"]}}}`, `http.cors: unknown key "allow_origin" (known keys: allow_origins, allow_methods, allow_headers, allow_credentials, allow_origin_regex, expose_headers, max_age)`},
		{"cors origins string", `{"http": {"cors": {"allow_origins": "*"}}}`, `http.cors.allow_origins: expected an array of strings, got the string "*"`},
		{"cors methods item", `{"http": {"cors": {"allow_methods": [null]}}}`, `http.cors.allow_methods[0]: expected a string, got null`},
		{"cors credentials", `{"http": {"cors": {"allow_credentials": "false"}}}`, `http.cors.allow_credentials: expected a JSON boolean (true or false without quotes), got the string "false"`},
		{"cors regex", `{"http": {"cors": {"allow_origin_regex": "("}}}`, "http.cors.allow_origin_regex: invalid regular expression: error parsing regexp: missing closing ): `(`"},
		{"cors max age", `{"http": {"cors": {"max_age": -5}}}`, `http.cors.max_age: must be between 0 and 2147483647, got -5`},
		{"headers unknown", `{"http": {"configurable_headers": {"included": []}}}`, `http.configurable_headers: unknown key "included" (known keys: includes, include, excludes, exclude)`},
		{"headers both", `{"http": {"configurable_headers": {"include": [], "includes": []}}}`, `http.configurable_headers: give "includes" or "include", not both`},
		{"headers exclude type", `{"http": {"configurable_headers": {"exclude": "x-*"}}}`, `http.configurable_headers.exclude: expected an array of strings, got the string "x-*"`},

		{"store unknown", `{"store": {"indexes": {}}}`, `store: unknown key "indexes" (known keys: index, ttl)`},
		{"store index no dims", `{"store": {"index": {"embed": "openai:x"}}}`, `store.index: missing key "dims"`},
		{"store index no embed", `{"store": {"index": {"dims": 3}}}`, `store.index: missing key "embed"`},
		{"store index dims", `{"store": {"index": {"dims": 0, "embed": "e"}}}`, `store.index.dims: must be between 1 and 2147483647, got 0`},
		{"store index fields", `{"store": {"index": {"dims": 3, "embed": "e", "fields": "$"}}}`, `store.index.fields: expected an array of strings, got the string "$"`},
		{"store index unknown", `{"store": {"index": {"dims": 3, "embed": "e", "field": []}}}`, `store.index: unknown key "field" (known keys: dims, embed, fields)`},
		{"store ttl unknown", `{"store": {"ttl": {"default": 1}}}`, `store.ttl: unknown key "default" (known keys: refresh_on_read, default_ttl, sweep_interval_minutes)`},
		{"store ttl default", `{"store": {"ttl": {"default_ttl": "60"}}}`, `store.ttl.default_ttl: expected a number, got the string "60"`},
		{"store ttl negative", `{"store": {"ttl": {"default_ttl": -1}}}`, `store.ttl.default_ttl: must be at least 0, got -1`},
		{"store ttl sweep", `{"store": {"ttl": {"sweep_interval_minutes": 0}}}`, `store.ttl.sweep_interval_minutes: must be between 1 and 2147483647, got 0`},
		{"store ttl refresh", `{"store": {"ttl": {"refresh_on_read": 1}}}`, `store.ttl.refresh_on_read: expected a boolean, got a number`},
		{"checkpointer path", `{"checkpointer": {"path": "./cp.py:saver"}}`, `checkpointer.path: not supported: agentgate keeps checkpoints in its own database`},
		{"checkpointer unknown", `{"checkpointer": {"ttls": {}}}`, `checkpointer: unknown key "ttls" (known keys: ttl)`},
		{"checkpointer strategy", `{"checkpointer": {"ttl": {"strategy": "archive"}}}`, `checkpointer.ttl.strategy: must be "delete" or "keep_latest", got "archive"`},
		{"checkpointer ttl zero", `{"checkpointer": {"ttl": {"default_ttl": 0}}}`, `checkpointer.ttl.default_ttl: must be a positive number of minutes, got 0`},
		{"checkpointer limit", `{"checkpointer": {"ttl": {"sweep_limit": 0}}}`, `checkpointer.ttl.sweep_limit: must be between 1 and 2147483647, got 0`},
		{"checkpointer ttl key", `{"checkpointer": {"ttl": {"ttl": 5}}}`, `checkpointer.ttl: unknown key "ttl" (known keys: strategy, default_ttl, sweep_interval_minutes, sweep_limit)`},

		{"mcp not object", `{"mcp": []}`, `mcp: expected an object, got an array`},
		{"mcp unknown", `{"mcp": {"server": {}}}`, `mcp: unknown key "server" (known keys: servers)`},
		{"mcp server name", `{"mcp": {"servers": {"a b": {"command": "x"}}}}`, `mcp.servers: invalid server name "a b" (1-32 letters, digits, '-' and '_')`},
		{"mcp server unknown", `{"mcp": {"servers": {"fs": {"command": "x", "cmd": "y"}}}}`, `mcp.servers.fs: unknown key "cmd" (known keys: command, args, env, cwd, url, headers, connect_timeout_seconds, call_timeout_seconds)`},
		{"mcp server empty", `{"mcp": {"servers": {"fs": {}}}}`, `mcp.servers.fs: give "command" (a stdio server) or "url" (a Streamable HTTP server)`},
		{"mcp server both", `{"mcp": {"servers": {"fs": {"command": "x", "url": "http://h"}}}}`, `mcp.servers.fs: give "command" or "url", not both`},
		{"mcp args type", `{"mcp": {"servers": {"fs": {"command": "x", "args": "-v"}}}}`, `mcp.servers.fs.args: expected an array of strings, got the string "-v"`},
		{"mcp env value", `{"mcp": {"servers": {"fs": {"command": "x", "env": {"A": 1}}}}}`, `mcp.servers.fs.env.A: expected a string, got a number`},
		{"mcp headers on command", `{"mcp": {"servers": {"fs": {"command": "x", "headers": {}}}}}`, `mcp.servers.fs.headers: only for "url" servers`},
		{"mcp args on url", `{"mcp": {"servers": {"web": {"url": "http://h", "args": []}}}}`, `mcp.servers.web.args: only for "command" servers`},
		{"mcp url scheme", `{"mcp": {"servers": {"web": {"url": "file:///etc/passwd"}}}}`, `mcp.servers.web.url: "file:///etc/passwd" is not an http:// or https:// URL`},
		{"mcp timeout", `{"mcp": {"servers": {"web": {"url": "http://h", "call_timeout_seconds": -1}}}}`, `mcp.servers.web.call_timeout_seconds: must be at least 0, got -1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := project(t, map[string]string{"langgraph.json": tt.json})
			_, err := Load(dir)
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			file := filepath.Join(dir, FileName)
			want := file + ": " + strings.ReplaceAll(tt.want, "DIR", dir)
			if err.Error() != want {
				t.Errorf("error:\n got %s\nwant %s", err, want)
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Errorf("error %T is not a *config.Error", err)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(dir)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Load(empty dir) = %v, want fs.ErrNotExist", err)
	}
	if want := filepath.Join(dir, FileName) + ": no such file"; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q does not start with %q", err, want)
	}
}

func TestLoadFull(t *testing.T) {
	dir := project(t, map[string]string{
		"agent/agent.go": "package agent\n",
		".env":           "# comment\nFROM_FILE=1\nQUOTED=\"a b\"\n",
		"langgraph.json": `{
  "$schema": "https://langgra.ph/schema.json",
  "dependencies": ["."],
  "python_version": "3.12",
  "graphs": {
    "chat": "builtin:chatbot",
    "agent": {"path": "./agent:Graph", "description": "My agent"}
  },
  "env": ".env",
  "auth": {
    "path": "./security:Auth",
    "disable_studio_auth": true,
    "openapi": {"securitySchemes": {"bearer": {"type": "http"}}},
    "cache": {"cache_keys": ["authorization"], "ttl_seconds": 60, "max_size": 1000},
    "audit_log": "logs/audit.jsonl"
  },
  "http": {
    "cors": {"allow_origins": ["https://a.example"], "allow_methods": ["GET"], "allow_headers": ["x-a"],
             "allow_credentials": true, "allow_origin_regex": "^https://.*\\.example$", "expose_headers": ["x-b"], "max_age": 60},
    "disable_assistants": true, "disable_threads": false, "disable_runs": true, "disable_store": true,
    "disable_meta": true, "disable_ui": true, "disable_mcp": true, "disable_a2a": true, "disable_webhooks": true, "enable_custom_route_auth": true,
    "configurable_headers": {"include": ["x-user-*"], "excludes": ["x-user-secret"]},
    "max_body_bytes": 1048576, "mount_prefix": "/agents/v1"
  },
  "store": {"index": {"dims": 1536, "embed": "openai:text-embedding-3-small", "fields": ["$"]},
            "ttl": {"refresh_on_read": true, "default_ttl": 1440.5, "sweep_interval_minutes": 60}}
}`,
	})
	c, err := Load(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	tru, ttl, sweep := true, 1440.5, int64(60)
	want := &Config{
		File: filepath.Join(dir, FileName),
		Dir:  dir,
		Graphs: map[string]Graph{
			"chat":  {ID: "chat", Ref: "builtin:chatbot", Kind: GraphBuiltin, Builtin: "chatbot"},
			"agent": {ID: "agent", Ref: "./agent:Graph", Kind: GraphGoPackage, Dir: filepath.Join(dir, "agent"), Symbol: "Graph", Description: "My agent"},
		},
		Env:     map[string]string{"FROM_FILE": "1", "QUOTED": "a b"},
		EnvFile: filepath.Join(dir, ".env"),
		Auth: &Auth{
			Path: "./security:Auth", Dir: filepath.Join(dir, "security"), Symbol: "Auth", DisableStudioAuth: true,
			OpenAPI:  map[string]any{"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http"}}},
			Cache:    &AuthCache{CacheKeys: []string{"authorization"}, TTLSeconds: 60, MaxSize: 1000},
			AuditLog: filepath.Join(dir, "logs", "audit.jsonl"),
		},
		HTTP: HTTP{
			CORS: &CORS{AllowOrigins: []string{"https://a.example"}, AllowMethods: []string{"GET"}, AllowHeaders: []string{"x-a"},
				AllowCredentials: true, AllowOriginRegex: `^https://.*\.example$`, ExposeHeaders: []string{"x-b"}, MaxAge: 60},
			DisableAssistants: true, DisableRuns: true, DisableStore: true, DisableMeta: true,
			DisableUI: true, DisableMCP: true, DisableA2A: true, DisableWebhooks: true, EnableCustomRouteAuth: true,
			ConfigurableHeaders: &HeaderFilter{Includes: []string{"x-user-*"}, Excludes: []string{"x-user-secret"}},
			MaxBodyBytes:        1 << 20,
			MountPrefix:         "/agents/v1",
		},
		Store: Store{
			Index: &StoreIndex{Dims: 1536, Embed: "openai:text-embedding-3-small", Fields: []string{"$"}},
			TTL:   &StoreTTL{RefreshOnRead: &tru, DefaultTTLMinutes: &ttl, SweepIntervalMinutes: &sweep},
		},
		Ignored: []string{"$schema", "dependencies", "python_version"},
	}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("Load mismatch (-want +got):\n%s", diff)
	}
	if got := c.GraphIDs(); !cmp.Equal(got, []string{"agent", "chat"}) {
		t.Errorf("GraphIDs = %v", got)
	}
}

func TestLoadMinimal(t *testing.T) {
	dir := project(t, map[string]string{"langgraph.json": `{}`})
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Graphs) != 0 || c.Auth != nil || c.HTTP.CORS != nil || c.Store.Index != nil || len(c.Env) != 0 {
		t.Errorf("empty config decoded to %+v", c)
	}
}

func TestParentDirGraph(t *testing.T) {
	dir := project(t, map[string]string{"shared/g.go": "package shared\n", "app/langgraph.json": `{"graphs": {"g": "../shared:G"}}`})
	c, err := Load(filepath.Join(dir, "app"))
	if err != nil {
		t.Fatal(err)
	}
	if g := c.Graphs["g"]; g.Dir != filepath.Join(dir, "shared") || g.Symbol != "G" || g.Kind != GraphGoPackage {
		t.Errorf("graph = %+v", g)
	}
}

func TestHTTPApp(t *testing.T) {
	dir := project(t, map[string]string{"langgraph.json": `{"http": {"app": "./webapp:Routes"}}`})
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if h := c.HTTP; h.App != "./webapp:Routes" || h.AppDir != filepath.Join(c.Dir, "webapp") || h.AppSymbol != "Routes" {
		t.Errorf("http = %+v", h)
	}
}

func TestEnvMissingFileWarns(t *testing.T) {
	dir := project(t, map[string]string{"langgraph.json": `{"env": ".env"}`})
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "does not exist") {
		t.Errorf("Warnings = %q, want one about the missing .env", c.Warnings)
	}
	if c.EnvFile != filepath.Join(dir, ".env") {
		t.Errorf("EnvFile = %q", c.EnvFile)
	}
}

func TestEnvFileIsDirectory(t *testing.T) {
	dir := project(t, map[string]string{"langgraph.json": `{"env": "envdir"}`, "envdir/": ""})
	_, err := Load(dir)
	if err == nil || !strings.Contains(err.Error(), ": env: read ") {
		t.Fatalf("Load = %v, want an env read error", err)
	}
}

func TestApplyEnvKeepsRealEnvironment(t *testing.T) {
	dir := project(t, map[string]string{
		"langgraph.json": `{"env": {"AGENTGATE_CFGTEST_SET": "from-config", "AGENTGATE_CFGTEST_NEW": "new"}}`,
	})
	t.Setenv("AGENTGATE_CFGTEST_SET", "real")
	t.Setenv("AGENTGATE_CFGTEST_NEW", "")
	os.Unsetenv("AGENTGATE_CFGTEST_NEW") // t.Setenv restores it afterwards
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ApplyEnv(); err != nil {
		t.Fatal(err)
	}
	if got := os.Getenv("AGENTGATE_CFGTEST_SET"); got != "real" {
		t.Errorf("AGENTGATE_CFGTEST_SET = %q, want the real value kept", got)
	}
	if got := os.Getenv("AGENTGATE_CFGTEST_NEW"); got != "new" {
		t.Errorf("AGENTGATE_CFGTEST_NEW = %q, want %q", got, "new")
	}
}

func TestEveryIgnoredKeyIsAccepted(t *testing.T) {
	for _, k := range ignoredKeys() {
		dir := project(t, map[string]string{"langgraph.json": `{"` + k + `": {"anything": [1, "x"]}}`})
		c, err := Load(dir)
		if err != nil {
			t.Errorf("%s: %v", k, err)
			continue
		}
		if !cmp.Equal(c.Ignored, []string{k}) {
			t.Errorf("%s: Ignored = %v", k, c.Ignored)
		}
	}
}

func TestAuthKeysDelegate(t *testing.T) {
	dir := project(t, map[string]string{"langgraph.json": `{"auth": {"rules": {"threads:read": "1 +"}}}`})
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), `: auth.rules: rule "threads:read":`) {
		t.Errorf("bad CEL rule: %v", err)
	}
	dir = project(t, map[string]string{"langgraph.json": `{"auth": {
		"authenticators": [{"type": "tokens", "file": "tokens.json"}, {"type": "custom"}],
		"cache": {"ttl_seconds": 60, "max_size": 10, "cache_keys": ["x-api-key"]},
		"policy": "owner", "rules": {"assistants:create": "\"admin\" in permissions"}}}`})
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	a := c.Auth
	if a.Authn == nil || len(a.Authn.Authenticators) != 2 || a.Authn.Authenticators[0].File != "tokens.json" ||
		a.Authn.Authenticators[1].Type != "custom" {
		t.Errorf("authenticators = %+v", a.Authn)
	}
	if want := (authn.CacheConfig{TTLSeconds: 60, MaxSize: 10, CacheKeys: []string{"x-api-key"}}); a.Authn.Cache == nil || !cmp.Equal(*a.Authn.Cache, want) {
		t.Errorf("auth.cache did not reach authn: %+v", a.Authn.Cache)
	}
	if a.Policy == nil || a.Policy.Policy != "owner" || len(a.Policy.Rules) != 1 {
		t.Errorf("policy = %+v", a.Policy)
	}
	dir = project(t, map[string]string{"langgraph.json": `{"auth": {"path": "./security:Auth"}}`})
	if c, err = Load(dir); err != nil || c.Auth.Authn != nil || c.Auth.Policy != nil {
		t.Errorf("path only: %+v, %v", c.Auth, err)
	}
}

func TestLoadCheckpointerTTL(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "langgraph.json"), []byte(`{"checkpointer": {"ttl":
		{"strategy": "keep_latest", "default_ttl": 43200, "sweep_interval_minutes": 60, "sweep_limit": 50}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	ttl := c.Checkpointer.TTL
	if ttl.Strategy != "keep_latest" || *ttl.DefaultTTLMinutes != 43200 || *ttl.SweepIntervalMinutes != 60 || *ttl.SweepLimit != 50 {
		t.Errorf("checkpointer.ttl = %+v", ttl)
	}
}

func TestAuditLogPath(t *testing.T) {
	for in, want := range map[string]string{
		"-":           "-",
		"audit.jsonl": filepath.Join("/srv/app", "audit.jsonl"),
		"/var/log/a":  "/var/log/a",
	} {
		c, err := Parse("langgraph.json", "/srv/app", []byte(`{"auth": {"audit_log": "`+in+`"}}`))
		if err != nil {
			t.Fatal(err)
		}
		if c.Auth.AuditLog != want {
			t.Errorf("%q: %q, want %q", in, c.Auth.AuditLog, want)
		}
	}
}

func TestLoadEncryption(t *testing.T) {
	dir := project(t, map[string]string{"langgraph.json": `{"encryption": {"path": "./crypt:Encryption"}}`})
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := &Encryption{Path: "./crypt:Encryption", Dir: filepath.Join(dir, "crypt"), Symbol: "Encryption"}
	if !reflect.DeepEqual(c.Encryption, want) {
		t.Errorf("encryption = %+v, want %+v", c.Encryption, want)
	}
}
