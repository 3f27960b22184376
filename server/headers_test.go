package server

import (
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestConfigurableHeaders(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	for k, v := range map[string]string{
		"X-Api-Key": "secret", "X-Tenant-Id": "t", "X-Service-Key": "s", "Authorization": "Bearer x",
		"X-Foo": "1", "X-Request-Id": "r", "User-Agent": "sdk", "Langsmith-Trace": "tr", "Cookie": "c",
	} {
		r.Header.Set(k, v)
	}
	ts := newTestServer(t, Options{})
	want := map[string]any{"x-foo": "1", "x-request-id": "r", "user-agent": "sdk", "langsmith-trace": "tr"}
	if d := cmp.Diff(want, ts.srv.ConfigurableHeaders(r)); d != "" {
		t.Fatalf("default (-want +got):\n%s", d)
	}
	ts = newTestServer(t, Options{HTTP: HTTPOptions{ConfigurableHeaders: HeaderFilter{
		Includes: []string{"x-*", "authorization"}, Excludes: []string{"x-api-key", "x-request-*"},
	}}})
	want = map[string]any{"x-foo": "1", "x-tenant-id": "t", "x-service-key": "s", "authorization": "Bearer x"}
	if d := cmp.Diff(want, ts.srv.ConfigurableHeaders(r)); d != "" {
		t.Fatalf("configured (-want +got):\n%s", d)
	}
}
