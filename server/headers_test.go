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
	if got := ts.srv.ConfigurableHeaders(r); len(got) != 0 {
		t.Fatalf("headers copied without an allow-list: %v", got)
	}
	ts = newTestServer(t, Options{HTTP: HTTPOptions{ConfigurableHeaders: HeaderFilter{
		Includes: []string{"x-*", "authorization", "cookie", "user-agent"}, Excludes: []string{"x-request-*"},
	}}})
	// Credentials never pass, whatever the allow-list says.
	want := map[string]any{"x-foo": "1", "user-agent": "sdk"}
	if d := cmp.Diff(want, ts.srv.ConfigurableHeaders(r)); d != "" {
		t.Fatalf("configured (-want +got):\n%s", d)
	}
}
