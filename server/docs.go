package server

import (
	"compress/gzip"
	_ "embed" // the API reference script
	"io"
	"net/http"
	"strconv"
	"strings"
)

// docsScript is the standalone bundle of @scalar/api-reference, gzipped,
// pinned and refreshed by scripts/docs-assets.sh (see docsui/PIN): /docs
// needs no network. A string: it cannot be changed.
//
//go:embed docsui/standalone.js.gz
var docsScript string

// docsScriptPattern serves docsScript; the page refers to it relatively.
const docsScriptPattern = "/docs/scalar.js"

// docsPage loads the embedded script; default fonts are off (they would
// come from Scalar's CDN).
const docsPage = `<!doctype html>
<html>
<head>
<title>agentgate API</title>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
</head>
<body>
<script id="api-reference" data-url="openapi.json" data-configuration='{"withDefaultFonts": false}'></script>
<script src="docs/scalar.js"></script>
</body>
</html>
`

func (s *Server) handleDocs(w http.ResponseWriter, r *http.Request) error {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(docsPage)))
	_, _ = w.Write([]byte(docsPage))
	return nil
}

// handleDocsScript serves the embedded script, gzipped to clients that
// accept it.
func (s *Server) handleDocsScript(w http.ResponseWriter, r *http.Request) error {
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=86400")
	h.Set("Vary", "Accept-Encoding")
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		h.Set("Content-Encoding", "gzip")
		h.Set("Content-Length", strconv.Itoa(len(docsScript)))
		_, _ = io.WriteString(w, docsScript)
		return nil
	}
	zr, err := gzip.NewReader(strings.NewReader(docsScript))
	if err != nil {
		return err
	}
	_, _ = io.Copy(w, zr)
	return nil
}
