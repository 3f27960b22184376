package server

import (
	"net/http"
	"strings"
)

// HTTPOptions.MountPrefix serves the whole server (API, custom routes,
// docs, /ok) under a path, as langgraph.json http.mount_prefix does in
// LangGraph: "/api/threads" reaches the "/threads" route, and a path
// outside the prefix is 404. Locations the server hands out (run
// Location and Content-Location headers, the A2A card's url, generative
// UI file URLs, /openapi.json's servers) carry the prefix, so that clients
// following them stay under it.

// under returns path without prefix ("/" for prefix itself), and whether
// path is under prefix at all.
func under(prefix, path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, prefix)
	switch {
	case !ok || rest != "" && rest[0] != '/':
		return path, false
	case rest == "":
		return "/", true
	}
	return rest, true
}

// mount strips prefix from the request path before h sees it.
func mount(prefix string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest, ok := under(prefix, r.URL.Path)
		if !ok {
			writeDetail(w, http.StatusNotFound, "Not Found")
			return
		}
		r2 := new(http.Request)
		*r2 = *r
		u := *r.URL
		u.Path, u.RawPath = rest, ""
		r2.URL = &u
		h.ServeHTTP(w, r2)
	})
}

// at is path (absolute, from the server's root) as clients must ask for it.
func (s *Server) at(path string) string { return s.opts.HTTP.MountPrefix + path }
