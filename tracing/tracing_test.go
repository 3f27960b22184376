package tracing_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"

	collpb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/agentgate/agentgate/tracing"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestConfigured(t *testing.T) {
	for _, c := range []struct {
		env  []string
		want bool
	}{
		{nil, false},
		{[]string{"OTEL_SERVICE_NAME", "x"}, false},
		{[]string{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"}, true},
		{[]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://c:4318/v1/traces"}, true},
		{[]string{"OTEL_TRACES_EXPORTER", "otlp"}, true},
		{[]string{"OTEL_TRACES_EXPORTER", "none", "OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"}, false},
		{[]string{"OTEL_SDK_DISABLED", "true", "OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"}, false},
		{[]string{"OTEL_SDK_DISABLED", "false", "OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"}, true},
	} {
		if got := tracing.Configured(env(c.env...)); got != c.want {
			t.Errorf("Configured(%q) = %v, want %v", c.env, got, c.want)
		}
	}
	if e := tracing.Endpoint(env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318/")); e != "http://c:4318/v1/traces" {
		t.Errorf("Endpoint = %q", e)
	}
}

// TestOffBuildsNothing: with no OTEL_* variables no provider is built and
// the tracer records nothing.
func TestOffBuildsNothing(t *testing.T) {
	p, err := tracing.FromEnv(context.Background(), env())
	if err != nil || p != nil {
		t.Fatalf("FromEnv = %v, %v; want nil, nil", p, err)
	}
	if p.On() || p.TracerOrNil() != nil {
		t.Error("an unconfigured provider is on")
	}
	_, sp := p.Tracer().Start(context.Background(), "x")
	if sp.IsRecording() || sp.SpanContext().IsValid() {
		t.Error("the off tracer records")
	}
	if p.ForceFlush(context.Background()) != nil || p.Shutdown(context.Background()) != nil {
		t.Error("flushing an off provider failed")
	}
}

// TestFromEnvExports: the standard variables point the OTLP/HTTP exporter
// at a collector, which receives the span with the service name.
func TestFromEnvExports(t *testing.T) {
	var mu sync.Mutex
	var got []*collpb.ExportTraceServiceRequest
	col := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var req collpb.ExportTraceServiceRequest
		if r.URL.Path != "/v1/traces" || proto.Unmarshal(b, &req) != nil {
			t.Errorf("bad export to %s", r.URL.Path)
		}
		mu.Lock()
		got = append(got, &req)
		mu.Unlock()
	}))
	defer col.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", col.URL)
	t.Setenv("OTEL_SERVICE_NAME", "gate-test")
	p, err := tracing.FromEnv(context.Background(), os.Getenv)
	if err != nil || !p.On() {
		t.Fatalf("FromEnv = %v, %v", p, err)
	}
	if p.EndpointURL() != col.URL+"/v1/traces" {
		t.Errorf("EndpointURL = %q", p.EndpointURL())
	}
	_, sp := p.Tracer().Start(context.Background(), "hello")
	sp.End()
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || len(got[0].ResourceSpans) != 1 {
		t.Fatalf("exports %v", got)
	}
	rs := got[0].ResourceSpans[0]
	svc := ""
	for _, a := range rs.Resource.Attributes {
		if a.Key == "service.name" {
			svc = a.Value.GetStringValue()
		}
	}
	if svc != "gate-test" || rs.ScopeSpans[0].Spans[0].Name != "hello" {
		t.Errorf("service %q, spans %v", svc, rs.ScopeSpans)
	}
}
