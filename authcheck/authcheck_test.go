package authcheck

import (
	"context"
	"strings"
	"testing"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/server"
	"github.com/agentgate/agentgate/storage/memory"
)

func routes(t *testing.T) []server.Route {
	srv, err := server.New(context.Background(), server.Options{Store: memory.New()})
	if err != nil {
		t.Fatal(err)
	}
	return srv.Routes()
}

func allow(context.Context, *auth.Context, auth.Value) (auth.Result, error) { return auth.Allow(), nil }

func TestReportNamesTheDecidingHandler(t *testing.T) {
	a := auth.New().On("threads", allow).On("threads:create", allow).On("*:search", allow)
	rows := Report(routes(t), a)
	if len(rows) == 0 {
		t.Fatal("no protected routes")
	}
	byRoute := map[string]Row{}
	for _, r := range rows {
		byRoute[r.Method+" "+r.Pattern] = r
	}
	want := map[string]string{
		"POST /threads":                  "threads:create",
		"GET /threads/{thread_id}":       "threads",
		"POST /assistants/search":        "*:search",
		"GET /assistants/{assistant_id}": "",
		"PUT /store/items":               "",
	}
	for route, handler := range want {
		r, ok := byRoute[route]
		if !ok {
			t.Errorf("%s missing from the report", route)
			continue
		}
		if r.Handler != handler {
			t.Errorf("%s decided by %q, want %q", route, r.Handler, handler)
		}
	}
	var sb strings.Builder
	if err := Write(&sb, rows); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sb.String(), "warning:") || !strings.Contains(sb.String(), "(none: allowed)") {
		t.Errorf("no warning for uncovered routes:\n%s", sb.String())
	}
}

func TestGlobalHandlerCoversEverything(t *testing.T) {
	rows := Report(routes(t), auth.New().On("*", allow))
	if un := Uncovered(rows); len(un) != 0 {
		t.Errorf("uncovered with a global handler: %v", un)
	}
	var sb strings.Builder
	Write(&sb, rows)
	if strings.Contains(sb.String(), "warning") {
		t.Errorf("warning despite a global handler:\n%s", sb.String())
	}
}
