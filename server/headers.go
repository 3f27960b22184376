package server

import (
	"net/http"
	"path"
	"strings"
)

// ConfigurableHeaders returns the request headers that flow into a run's
// config.configurable (lower-case names): only those matching
// HTTPOptions.ConfigurableHeaders.Includes (glob patterns; excludes win), as
// the Python server does since 0.4.0, and never credentials (authorization,
// cookies, API keys), whatever the patterns say.
func (s *Server) ConfigurableHeaders(r *http.Request) map[string]any {
	f := s.opts.HTTP.ConfigurableHeaders
	out := map[string]any{}
	for name, vs := range r.Header {
		if len(vs) == 0 {
			continue
		}
		n := strings.ToLower(name)
		if neverConfigurable(n) || matchAny(f.Excludes, n) || !matchAny(f.Includes, n) {
			continue
		}
		out[n] = vs[0]
	}
	return out
}

// neverConfigurable lists credentials that no allow-list can copy into a
// run's config, where graphs and thread readers would see them.
func neverConfigurable(n string) bool {
	switch n {
	case "authorization", "proxy-authorization", "cookie", "set-cookie",
		"x-api-key", "x-tenant-id", "x-service-key", "x-auth-scheme":
		return true
	}
	return false
}

func matchAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(strings.ToLower(p), name); ok {
			return true
		}
	}
	return false
}
