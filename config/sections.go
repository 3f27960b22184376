package config

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/agentgate/agentgate/authn"
	"github.com/agentgate/agentgate/policy"
	"github.com/joho/godotenv"
)

// readEnvFile parses a .env file without touching the process environment.
func readEnvFile(file string) (map[string]string, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil {
		return nil, err
	} else if st.IsDir() {
		return nil, errors.New("is a directory")
	}
	return godotenv.Parse(f)
}

// goRef decodes a Go package reference "./dir:Name" at key p: the string
// as written, the absolute package directory and the exported name.
func (d *decoder) goRef(p, dir string, v json.RawMessage, example string) (ref, pkgDir, sym string, err error) {
	if ref, err = d.str(p, v); err != nil {
		return "", "", "", err
	}
	i := strings.LastIndex(ref, ":")
	if i <= 0 || i == len(ref)-1 {
		return "", "", "", d.errf(p, `%q must be "<package dir>:<Name>", for example %q`, ref, example)
	}
	pkg, sym := ref[:i], ref[i+1:]
	if pkg != "." && pkg != ".." && !strings.HasPrefix(pkg, "./") && !strings.HasPrefix(pkg, "../") {
		return "", "", "", d.errf(p, "%q: the package must be a directory relative to langgraph.json starting with \"./\" (for example %q)", ref, example)
	}
	if !exportedIdent(sym) {
		return "", "", "", d.errf(p, "%q: %q is not an exported Go identifier (it must start with an upper-case letter)", ref, sym)
	}
	return ref, filepath.Join(dir, filepath.FromSlash(pkg)), sym, nil
}

func (d *decoder) auth(dir string, raw json.RawMessage) (*Auth, error) {
	obj, err := d.object("auth", raw)
	if err != nil {
		return nil, err
	}
	if err := d.checkKeys("auth", obj, "path", "disable_studio_auth", "openapi", "cache",
		"authenticators", "policy", "owner", "tenant", "grants", "rules", "cost_limit", "audit_log"); err != nil {
		return nil, err
	}
	a := &Auth{}
	if v, ok := obj["path"]; ok {
		if a.Path, a.Dir, a.Symbol, err = d.goRef("auth.path", dir, v, "./security:Auth"); err != nil {
			return nil, err
		}
	}
	if v, ok := obj["disable_studio_auth"]; ok {
		if a.DisableStudioAuth, err = d.boolean("auth.disable_studio_auth", v); err != nil {
			return nil, err
		}
	}
	if v, ok := obj["openapi"]; ok {
		if a.OpenAPI, err = d.anyObject("auth.openapi", v); err != nil {
			return nil, err
		}
	}
	if v, ok := obj["audit_log"]; ok {
		if a.AuditLog, err = d.str("auth.audit_log", v); err != nil {
			return nil, err
		}
		switch {
		case a.AuditLog == "":
			return nil, d.errf("auth.audit_log", `is empty: give a file path, or "-" for stderr`)
		case a.AuditLog != "-" && !filepath.IsAbs(a.AuditLog):
			a.AuditLog = filepath.Join(dir, filepath.FromSlash(a.AuditLog))
		}
	}
	if v, ok := obj["cache"]; ok {
		if a.Cache, err = d.authCache(v); err != nil {
			return nil, err
		}
	}
	if v, ok := obj["authenticators"]; ok {
		if a.Authn, err = d.authn(v, a.Cache); err != nil {
			return nil, err
		}
	}
	if a.Policy, err = d.policy(obj); err != nil {
		return nil, err
	}
	return a, nil
}

// authn decodes "auth.authenticators" with authn.ParseConfig; "auth.cache"
// becomes the authenticators' result cache.
func (d *decoder) authn(raw json.RawMessage, cache *AuthCache) (*authn.Config, error) {
	doc, err := json.Marshal(map[string]json.RawMessage{"authenticators": raw})
	if err != nil {
		return nil, d.errf("auth.authenticators", "%v", err)
	}
	c, err := authn.ParseConfig(doc)
	if err != nil {
		var ce *authn.ConfigError
		if errors.As(err, &ce) {
			return nil, d.errf(join("auth", ce.Path), "%s", ce.Msg)
		}
		return nil, d.errf("auth.authenticators", "%v", err)
	}
	if cache != nil {
		c.Cache = &authn.CacheConfig{TTLSeconds: clampInt(cache.TTLSeconds), MaxSize: clampInt(cache.MaxSize),
			CacheKeys: cache.CacheKeys}
	}
	return c, nil
}

func clampInt(v int64) int { return int(min(v, math.MaxInt32)) }

// policyKeys are the keys of "auth" that policy.ParseConfig decodes.
var policyKeys = []string{"policy", "owner", "tenant", "grants", "rules", "cost_limit"}

// policy decodes the policy keys of "auth" with policy.ParseConfig; nil
// when none is present.
func (d *decoder) policy(obj map[string]json.RawMessage) (*policy.Config, error) {
	sub := map[string]json.RawMessage{}
	var present []string
	for _, k := range policyKeys {
		if v, ok := obj[k]; ok {
			sub[k] = v
			present = append(present, k)
		}
	}
	if len(sub) == 0 {
		return nil, nil
	}
	doc, err := json.Marshal(sub)
	if err != nil {
		return nil, d.errf("auth", "%v", err)
	}
	p, err := policy.ParseConfig(doc)
	if err != nil {
		return nil, d.errf(policyErrorPath(err.Error(), present))
	}
	return p, nil
}

// policyErrorPath turns a policy error into a path under "auth" and a
// message: the key the message starts with, or the only key present.
func policyErrorPath(msg string, present []string) (string, string, any) {
	msg = strings.TrimPrefix(msg, "policy config: ")
	if strings.HasPrefix(msg, "policy: rule ") {
		return "auth.rules", "%s", strings.TrimPrefix(msg, "policy: ")
	}
	if strings.HasPrefix(msg, "policy: grant ") {
		return "auth.grants", "%s", strings.TrimPrefix(msg, "policy: ")
	}
	for _, k := range policyKeys {
		if rest, ok := strings.CutPrefix(msg, k); ok && (strings.HasPrefix(rest, ": ") || strings.HasPrefix(rest, ".")) {
			key, m, _ := strings.Cut(msg, ": ")
			return "auth." + key, "%s", m
		}
	}
	if len(present) == 1 {
		return "auth." + present[0], "%s", strings.TrimPrefix(msg, "policy: ")
	}
	return "auth", "%s", msg
}

func (d *decoder) authCache(raw json.RawMessage) (*AuthCache, error) {
	const p = "auth.cache"
	obj, err := d.object(p, raw)
	if err != nil {
		return nil, err
	}
	if err := d.checkKeys(p, obj, "cache_keys", "ttl_seconds", "max_size"); err != nil {
		return nil, err
	}
	c := &AuthCache{}
	if v, ok := obj["cache_keys"]; ok {
		if c.CacheKeys, err = d.strings(p+".cache_keys", v); err != nil {
			return nil, err
		}
	}
	if v, ok := obj["ttl_seconds"]; ok {
		if c.TTLSeconds, err = d.integer(p+".ttl_seconds", v, 0, math.MaxInt64); err != nil {
			return nil, err
		}
	}
	if v, ok := obj["max_size"]; ok {
		if c.MaxSize, err = d.integer(p+".max_size", v, 0, math.MaxInt64); err != nil {
			return nil, err
		}
	}
	return c, nil
}

var mountPrefix = regexp.MustCompile(`^(/[A-Za-z0-9._~-]+)+$`)

func (d *decoder) http(dir string, raw json.RawMessage) (HTTP, error) {
	var h HTTP
	obj, err := d.object("http", raw)
	if err != nil {
		return h, err
	}
	if v, ok := obj["mount_prefix"]; ok {
		if h.MountPrefix, err = d.str("http.mount_prefix", v); err != nil {
			return h, err
		}
		if !mountPrefix.MatchString(h.MountPrefix) || slices.ContainsFunc(strings.Split(h.MountPrefix, "/"), func(seg string) bool {
			return seg == "." || seg == ".."
		}) {
			return h, d.errf("http.mount_prefix", "%q: want a path such as /api (a leading /, no trailing /; letters, digits and -._~/)", h.MountPrefix)
		}
	}
	if v, ok := obj["app"]; ok {
		if h.App, h.AppDir, h.AppSymbol, err = d.goRef("http.app", dir, v, "./webapp:Routes"); err != nil {
			return h, err
		}
	}
	flags := map[string]*bool{
		"disable_assistants":       &h.DisableAssistants,
		"disable_threads":          &h.DisableThreads,
		"disable_runs":             &h.DisableRuns,
		"disable_store":            &h.DisableStore,
		"disable_meta":             &h.DisableMeta,
		"disable_ui":               &h.DisableUI,
		"disable_mcp":              &h.DisableMCP,
		"disable_a2a":              &h.DisableA2A,
		"disable_webhooks":         &h.DisableWebhooks,
		"enable_custom_route_auth": &h.EnableCustomRouteAuth,
	}
	known := []string{"app", "cors", "configurable_headers", "max_body_bytes", "mount_prefix"}
	for k := range flags {
		known = append(known, k)
	}
	sort.Strings(known)
	if err := d.checkKeys("http", obj, known...); err != nil {
		return h, err
	}
	for k, dst := range flags {
		if v, ok := obj[k]; ok {
			if *dst, err = d.boolean("http."+k, v); err != nil {
				return h, err
			}
		}
	}
	if v, ok := obj["cors"]; ok {
		if h.CORS, err = d.cors(v); err != nil {
			return h, err
		}
	}
	if v, ok := obj["configurable_headers"]; ok {
		if h.ConfigurableHeaders, err = d.headerFilter(v); err != nil {
			return h, err
		}
	}
	if v, ok := obj["max_body_bytes"]; ok {
		if h.MaxBodyBytes, err = d.integer("http.max_body_bytes", v, 1, math.MaxInt64); err != nil {
			return h, err
		}
	}
	return h, nil
}

func (d *decoder) cors(raw json.RawMessage) (*CORS, error) {
	const p = "http.cors"
	obj, err := d.object(p, raw)
	if err != nil {
		return nil, err
	}
	if err := d.checkKeys(p, obj, "allow_origins", "allow_methods", "allow_headers",
		"allow_credentials", "allow_origin_regex", "expose_headers", "max_age"); err != nil {
		return nil, err
	}
	c := &CORS{}
	lists := map[string]*[]string{
		"allow_origins":  &c.AllowOrigins,
		"allow_methods":  &c.AllowMethods,
		"allow_headers":  &c.AllowHeaders,
		"expose_headers": &c.ExposeHeaders,
	}
	for k, dst := range lists {
		if v, ok := obj[k]; ok {
			if *dst, err = d.strings(p+"."+k, v); err != nil {
				return nil, err
			}
		}
	}
	if v, ok := obj["allow_credentials"]; ok {
		if c.AllowCredentials, err = d.boolean(p+".allow_credentials", v); err != nil {
			return nil, err
		}
	}
	if v, ok := obj["allow_origin_regex"]; ok {
		if c.AllowOriginRegex, err = d.str(p+".allow_origin_regex", v); err != nil {
			return nil, err
		}
		if _, err := regexp.Compile(c.AllowOriginRegex); err != nil {
			return nil, d.errf(p+".allow_origin_regex", "invalid regular expression: %v", err)
		}
	}
	if v, ok := obj["max_age"]; ok {
		if c.MaxAge, err = d.integer(p+".max_age", v, 0, math.MaxInt32); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (d *decoder) headerFilter(raw json.RawMessage) (*HeaderFilter, error) {
	const p = "http.configurable_headers"
	obj, err := d.object(p, raw)
	if err != nil {
		return nil, err
	}
	if err := d.checkKeys(p, obj, "includes", "include", "excludes", "exclude"); err != nil {
		return nil, err
	}
	f := &HeaderFilter{}
	for _, pair := range [][2]string{{"includes", "include"}, {"excludes", "exclude"}} {
		a, hasA := obj[pair[0]]
		b, hasB := obj[pair[1]]
		if hasA && hasB {
			return nil, d.errf(p, "give %q or %q, not both", pair[0], pair[1])
		}
		key, v := pair[0], a
		if hasB {
			key, v = pair[1], b
		}
		if !hasA && !hasB {
			continue
		}
		list, err := d.strings(p+"."+key, v)
		if err != nil {
			return nil, err
		}
		if pair[0] == "includes" {
			f.Includes = list
		} else {
			f.Excludes = list
		}
	}
	return f, nil
}

func (d *decoder) store(raw json.RawMessage) (Store, error) {
	var s Store
	obj, err := d.object("store", raw)
	if err != nil {
		return s, err
	}
	if err := d.checkKeys("store", obj, "index", "ttl"); err != nil {
		return s, err
	}
	if v, ok := obj["index"]; ok {
		if s.Index, err = d.storeIndex(v); err != nil {
			return s, err
		}
	}
	if v, ok := obj["ttl"]; ok {
		if s.TTL, err = d.storeTTL(v); err != nil {
			return s, err
		}
	}
	return s, nil
}

func (d *decoder) storeIndex(raw json.RawMessage) (*StoreIndex, error) {
	const p = "store.index"
	obj, err := d.object(p, raw)
	if err != nil {
		return nil, err
	}
	if err := d.checkKeys(p, obj, "dims", "embed", "fields"); err != nil {
		return nil, err
	}
	ix := &StoreIndex{}
	v, ok := obj["dims"]
	if !ok {
		return nil, d.errf(p, `missing key "dims"`)
	}
	if ix.Dims, err = d.integer(p+".dims", v, 1, math.MaxInt32); err != nil {
		return nil, err
	}
	if v, ok = obj["embed"]; !ok {
		return nil, d.errf(p, `missing key "embed"`)
	}
	if ix.Embed, err = d.str(p+".embed", v); err != nil {
		return nil, err
	}
	if v, ok := obj["fields"]; ok {
		if ix.Fields, err = d.strings(p+".fields", v); err != nil {
			return nil, err
		}
	}
	return ix, nil
}

func (d *decoder) storeTTL(raw json.RawMessage) (*StoreTTL, error) {
	const p = "store.ttl"
	obj, err := d.object(p, raw)
	if err != nil {
		return nil, err
	}
	if err := d.checkKeys(p, obj, "refresh_on_read", "default_ttl", "sweep_interval_minutes"); err != nil {
		return nil, err
	}
	t := &StoreTTL{}
	if v, ok := obj["refresh_on_read"]; ok {
		b, err := d.boolean(p+".refresh_on_read", v)
		if err != nil {
			return nil, err
		}
		t.RefreshOnRead = &b
	}
	if v, ok := obj["default_ttl"]; ok {
		f, err := d.number(p+".default_ttl", v, 0)
		if err != nil {
			return nil, err
		}
		t.DefaultTTLMinutes = &f
	}
	if v, ok := obj["sweep_interval_minutes"]; ok {
		n, err := d.integer(p+".sweep_interval_minutes", v, 1, math.MaxInt32)
		if err != nil {
			return nil, err
		}
		t.SweepIntervalMinutes = &n
	}
	return t, nil
}

// encryption decodes "encryption": {"path": "./dir:Name"}.
func (d *decoder) encryption(dir string, raw json.RawMessage) (*Encryption, error) {
	obj, err := d.object("encryption", raw)
	if err != nil {
		return nil, err
	}
	if err := d.checkKeys("encryption", obj, "path"); err != nil {
		return nil, err
	}
	v, ok := obj["path"]
	if !ok {
		return nil, d.errf("encryption", `has no "path": name the Go package and its *encryption.Encryption, for example "./crypt:Encryption"`)
	}
	e := &Encryption{}
	if e.Path, e.Dir, e.Symbol, err = d.goRef("encryption.path", dir, v, "./crypt:Encryption"); err != nil {
		return nil, err
	}
	return e, nil
}
