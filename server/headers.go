package server

import (
	"net/http"
	"path"
	"strings"
)

// ConfigurableHeaders returns the request headers that flow into a run's
// config.configurable (lower-case names): by default every x-* header
// except x-api-key, x-tenant-id and x-service-key, plus user-agent and
// langsmith-trace. HTTPOptions.ConfigurableHeaders replaces the default
// with glob patterns; excludes win over includes.
func (s *Server) ConfigurableHeaders(r *http.Request) map[string]any {
	f := s.opts.HTTP.ConfigurableHeaders
	out := map[string]any{}
	for name, vs := range r.Header {
		if len(vs) == 0 {
			continue
		}
		n := strings.ToLower(name)
		if matchAny(f.Excludes, n) {
			continue
		}
		if len(f.Includes) > 0 {
			if !matchAny(f.Includes, n) {
				continue
			}
		} else if !defaultConfigurable(n) {
			continue
		}
		out[n] = vs[0]
	}
	return out
}

func defaultConfigurable(n string) bool {
	switch n {
	case "x-api-key", "x-tenant-id", "x-service-key":
		return false
	case "user-agent", "langsmith-trace":
		return true
	}
	return strings.HasPrefix(n, "x-")
}

func matchAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(strings.ToLower(p), name); ok {
			return true
		}
	}
	return false
}
