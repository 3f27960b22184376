package server

import (
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"strings"
	"testing"
)

// TestDocsAssetsPinned: the embedded script is the one docsui/PIN names
// (scripts/docs-assets.sh), it is served gzipped or plain, and the page
// loads nothing from another origin.
func TestDocsAssetsPinned(t *testing.T) {
	pin, err := os.ReadFile("docsui/PIN")
	if err != nil {
		t.Fatal(err)
	}
	var want string
	for line := range strings.SplitSeq(string(pin), "\n") {
		if v, ok := strings.CutPrefix(line, "sha256 "); ok {
			want = v
		}
	}
	zr, err := gzip.NewReader(strings.NewReader(docsScript))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(plain)
	if got := hex.EncodeToString(sum[:]); want == "" || got != want {
		t.Fatalf("embedded script sha256 %s, docsui/PIN says %q: run scripts/docs-assets.sh", got, want)
	}

	ts := newTestServer(t, Options{})
	page := ts.do("GET", "/docs", nil)
	if page.status != 200 || !strings.Contains(string(page.body), `src="docs/scalar.js"`) || strings.Contains(string(page.body), "https://") {
		t.Fatalf("/docs: %d %s", page.status, page.body)
	}
	gz := ts.do("GET", docsScriptPattern, nil, "Accept-Encoding", "gzip")
	if gz.status != 200 || gz.header.Get("Content-Encoding") != "gzip" || string(gz.body) != docsScript {
		t.Errorf("gzip: %d %q, %d bytes", gz.status, gz.header.Get("Content-Encoding"), len(gz.body))
	}
	raw := ts.do("GET", docsScriptPattern, nil, "Accept-Encoding", "identity")
	if raw.status != 200 || raw.header.Get("Content-Encoding") != "" || string(raw.body) != string(plain) ||
		!strings.HasPrefix(raw.header.Get("Content-Type"), "text/javascript") {
		t.Errorf("plain: %d %q, %d bytes", raw.status, raw.header.Get("Content-Encoding"), len(raw.body))
	}
}
