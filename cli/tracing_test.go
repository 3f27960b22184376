package cli

import (
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	collpb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

// TestServeExportsTraces: OTEL_EXPORTER_OTLP_ENDPOINT turns traces on; the
// startup line names the endpoint and the spans of a request reach the
// collector by the time the server has stopped.
func TestServeExportsTraces(t *testing.T) {
	var mu sync.Mutex
	spans := map[string]string{} // name -> trace id
	col := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var req collpb.ExportTraceServiceRequest
		if err := proto.Unmarshal(b, &req); err != nil {
			t.Errorf("collector: %v", err)
		}
		mu.Lock()
		defer mu.Unlock()
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					spans[s.Name] = hex.EncodeToString(s.TraceId)
				}
			}
		}
	}))
	defer col.Close()
	dir := writeConfig(t, `{"graphs": {}}`)
	r := start(t, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": col.URL},
		"dev", "--memory", "--port", "0", "--config", dir)
	const tid = "0af7651916cd43dd8448eb211c80319c"
	if code, _, _ := call(t, "POST", r.url+"/threads", `{}`, "Traceparent", "00-"+tid+"-b7ad6b7169203331-01"); code != 200 {
		t.Fatalf("POST /threads = %d", code)
	}
	if code := r.stop(); code != exitOK {
		t.Fatalf("exit code %d; stderr:\n%s", code, r.stderr)
	}
	if logs := r.stderr.String(); !strings.Contains(logs, "traces=\"otlp "+col.URL+"/v1/traces\"") {
		t.Errorf("startup line does not say where traces go:\n%s", logs)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, name := range []string{"POST /threads", "authorize", "storage Threads.Create"} {
		if spans[name] != tid {
			t.Errorf("span %q in trace %q, want %s (spans %v)", name, spans[name], tid, spans)
		}
	}
}

// TestServeTracesOffByDefault: without OTEL_* variables the startup line
// says traces are off.
func TestServeTracesOffByDefault(t *testing.T) {
	dir := writeConfig(t, `{"graphs": {}}`)
	r := start(t, nil, "dev", "--memory", "--port", "0", "--config", dir)
	if code := r.stop(); code != exitOK {
		t.Fatalf("exit code %d", code)
	}
	if logs := r.stderr.String(); !strings.Contains(logs, "traces=off") {
		t.Errorf("startup line lacks traces=off:\n%s", logs)
	}
}
