package cli

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/agentgate/agentgate/config"
	"github.com/agentgate/agentgate/server"
)

// openAPISecurity is what /openapi.json says about authentication:
// auth.openapi when given; otherwise, for built-in authenticators, the
// schemes they accept (a bearer token or an API key header). A Go
// Authenticate without auth.openapi documents nothing, with a warning,
// since only its author knows what it reads.
func openAPISecurity(cfg *config.Config, authOn bool, log *slog.Logger) (*server.OpenAPISecurity, error) {
	ca := cfg.Auth
	if ca != nil && ca.OpenAPI != nil {
		sec, err := server.ParseOpenAPISecurity(ca.OpenAPI)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", configName(cfg), err)
		}
		return sec, nil
	}
	if !authOn {
		return nil, nil
	}
	if ca == nil || ca.Authn == nil {
		log.Warn("custom auth without auth.openapi: /openapi.json does not document how to authenticate")
		return nil, nil
	}
	sec := &server.OpenAPISecurity{Schemes: map[string]any{}}
	for _, a := range ca.Authn.Authenticators {
		var name string
		var scheme map[string]any
		switch h := a.Header; {
		case a.Type == "custom":
			continue
		case h == "" || strings.EqualFold(h, "authorization"):
			name, scheme = "BearerAuth", map[string]any{"type": "http", "scheme": "bearer"}
			if a.Type == "jwt" {
				name, scheme["bearerFormat"] = "JWTAuth", "JWT"
			}
		default:
			h = http.CanonicalHeaderKey(h)
			name, scheme = "Header:"+h, map[string]any{"type": "apiKey", "in": "header", "name": h}
		}
		if _, dup := sec.Schemes[name]; !dup {
			sec.Schemes[name] = scheme
			// A chain accepts any one of its authenticators.
			sec.Security = append(sec.Security, map[string]any{name: []any{}})
		}
	}
	if len(sec.Schemes) == 0 {
		return nil, nil
	}
	return sec, nil
}

func configName(cfg *config.Config) string {
	if cfg.File == "" {
		return "langgraph.json"
	}
	return cfg.File
}
