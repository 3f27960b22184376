package server

import (
	"encoding/json"
	"html"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
)

// UIBundle is a generative UI bundle (package genui builds them from
// langgraph.json "ui"): Global is the global its entrypoint.js defines
// (with render(component, shadowRootId)).
type UIBundle struct {
	Global string
	Files  []UIFile
}

// UIFile is one file of a UIBundle: entrypoint.js, entrypoint.css or an
// asset.
type UIFile struct {
	Name string
	Body []byte
}

// uiRoutes serve generative UI components (LangGraph's /ui): POST returns
// the HTML that loads a component of an entry's bundle, GET the bundle's
// files. POST is authenticated but raises no authorization event: it and
// the files hold no tenant data, only what langgraph.json built. GET is
// not authenticated, as in LangGraph: the page loads the files with plain
// <script> and <link> tags, which send no credentials.
func uiRoutes() []Route {
	return []Route{
		{Method: "POST", Pattern: "/ui/{name}", Authenticated: true, Handler: (*Server).uiComponent, Summary: "HTML that loads a generative UI component (body {name}); authenticated, no authorization event", Body: "UIComponentRequest"},
		{Method: "GET", Pattern: "/ui/{name}/{file}", Handler: (*Server).uiAsset, Summary: "A file of a generative UI bundle (not authenticated)"},
	}
}

type uiComponentRequest struct {
	Name  *string        `json:"name"`
	Props map[string]any `json:"props,omitempty"`
}

func (s *Server) uiComponent(w http.ResponseWriter, r *http.Request) error {
	var req uiComponentRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if req.Name == nil || *req.Name == "" {
		return invalid("name is required")
	}
	entry := r.PathValue("name")
	bundle := s.opts.UI[entry]
	files := bundle.Files
	if len(files) == 0 {
		return notFound("UI not found for " + strconv.Quote(entry))
	}
	base := uiBase(r) + s.at("/ui/"+entry+"/")
	var b strings.Builder
	for _, f := range files {
		if path.Ext(f.Name) == ".css" {
			b.WriteString(`<link rel="stylesheet" href="` + html.EscapeString(base+f.Name) + `" />` + "\n")
		}
	}
	for _, f := range files {
		if path.Ext(f.Name) != ".js" {
			continue
		}
		// The component name is a JSON string inside a single-quoted
		// attribute: escape what would end the attribute.
		name, _ := json.Marshal(*req.Name)
		arg := strings.NewReplacer("&", "&amp;", "'", "&#39;", "<", "&lt;", ">", "&gt;").Replace(string(name))
		b.WriteString(`<script src="` + html.EscapeString(base+f.Name) + `" onload='` + bundle.Global + `.render(` + arg + `, "{{shadowRootId}}")'></script>`)
		break
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, err := w.Write([]byte(strings.TrimSuffix(b.String(), "\n")))
	return err
}

func (s *Server) uiAsset(w http.ResponseWriter, r *http.Request) error {
	entry, name := r.PathValue("name"), r.PathValue("file")
	for _, f := range s.opts.UI[entry].Files {
		if f.Name != name {
			continue
		}
		ct := mime.TypeByExtension(path.Ext(name))
		if ct == "" {
			ct = "application/octet-stream"
		}
		h := w.Header()
		h.Set("Content-Type", ct)
		h.Set("Content-Length", strconv.Itoa(len(f.Body)))
		h.Set("X-Content-Type-Options", "nosniff")
		_, err := w.Write(f.Body)
		return err
	}
	return notFound("File not found")
}

// uiBase is the origin the page should load bundle files from: the
// request's own host, with http: for loopback hosts and a scheme-relative
// URL otherwise (the page's scheme), as LangGraph does.
func uiBase(r *http.Request) string {
	host := r.Host
	h := host
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.HasSuffix(h, "]") {
		h = h[:i]
	}
	if h == "localhost" || h == "127.0.0.1" || h == "[::1]" {
		return "http://" + host
	}
	return "//" + host
}
