package server

import (
	"fmt"
	"strings"
)

// OpenAPISecurity documents how clients authenticate, in /openapi.json
// (langgraph.json auth.openapi). It is documentation only: enforcement is
// the Authenticator's.
type OpenAPISecurity struct {
	// Schemes become components.securitySchemes, by name.
	Schemes map[string]any
	// Security is the top-level security requirement list.
	Security []any
	// Paths sets the security of single operations: path pattern (as in
	// the route table) → lower- or upper-case method → requirement list.
	Paths map[string]map[string][]any
}

// ParseOpenAPISecurity reads langgraph.json's auth.openapi object:
// securitySchemes (or security_schemes), security and paths, as the
// LangGraph server does. Shapes are checked so that a typo refuses to start
// instead of documenting nothing.
func ParseOpenAPISecurity(raw map[string]any) (*OpenAPISecurity, error) {
	if raw == nil {
		return nil, nil
	}
	out := &OpenAPISecurity{}
	for k, v := range raw {
		switch k {
		case "securitySchemes", "security_schemes":
			m, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("auth.openapi.%s must be an object of security schemes", k)
			}
			for name, sch := range m {
				if _, ok := sch.(map[string]any); !ok {
					return nil, fmt.Errorf("auth.openapi.%s.%s must be an object", k, name)
				}
			}
			out.Schemes = m
		case "security":
			list, err := requirementList("auth.openapi.security", v)
			if err != nil {
				return nil, err
			}
			out.Security = list
		case "paths":
			m, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("auth.openapi.paths must be an object: path → method → security")
			}
			out.Paths = map[string]map[string][]any{}
			for p, ops := range m {
				om, ok := ops.(map[string]any)
				if !ok {
					return nil, fmt.Errorf("auth.openapi.paths[%q] must be an object: method → security", p)
				}
				out.Paths[p] = map[string][]any{}
				for method, sec := range om {
					list, err := requirementList(fmt.Sprintf("auth.openapi.paths[%q].%s", p, method), sec)
					if err != nil {
						return nil, err
					}
					out.Paths[p][strings.ToLower(method)] = list
				}
			}
		default:
			return nil, fmt.Errorf("auth.openapi: unknown key %q (securitySchemes, security, paths)", k)
		}
	}
	return out, nil
}

// requirementList checks an OpenAPI security requirement list:
// [{"scheme": ["scope", ...]}, ...].
func requirementList(where string, v any) ([]any, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s must be a list of security requirements like [{\"BearerAuth\": []}]", where)
	}
	for i, e := range list {
		req, ok := e.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s[%d] must be an object: scheme name → list of scopes", where, i)
		}
		for name, scopes := range req {
			ss, ok := scopes.([]any)
			if !ok {
				return nil, fmt.Errorf("%s[%d].%s must be a list of scope strings", where, i, name)
			}
			for _, sc := range ss {
				if _, ok := sc.(string); !ok {
					return nil, fmt.Errorf("%s[%d].%s must be a list of scope strings", where, i, name)
				}
			}
		}
	}
	return list, nil
}

// applySecurity writes sec into an OpenAPI document being built. It
// returns the paths/methods of sec that match no route, for a warning.
func applySecurity(doc map[string]any, paths map[string]map[string]any, sec *OpenAPISecurity) []string {
	if sec == nil {
		return nil
	}
	if sec.Schemes != nil {
		doc["components"].(map[string]any)["securitySchemes"] = sec.Schemes
	}
	if sec.Security != nil {
		doc["security"] = sec.Security
	}
	var unknown []string
	for p, ops := range sec.Paths {
		for method, list := range ops {
			op, ok := paths[p][method].(map[string]any)
			if !ok {
				unknown = append(unknown, strings.ToUpper(method)+" "+p)
				continue
			}
			op["security"] = list
		}
	}
	return unknown
}
