package server

import (
	"context"
	"testing"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/runs"
	"github.com/agentgate/agentgate/storage"
)

// kwargsEditor is an owner policy whose threads:create_run handler edits
// the run's kwargs, as a LangGraph handler may: it pins a model, adds to
// the input, and tries to forge the caller's identity.
type kwargsEditor struct{ ownerIdentity }

func (a kwargsEditor) Authorize(ctx context.Context, v auth.Value) (storage.Scope, error) {
	if rc, ok := v.(*auth.RunsCreate); ok {
		cfg, _ := rc.Kwargs["config"].(map[string]any)
		conf, _ := cfg["configurable"].(map[string]any)
		conf["model"] = "pinned-by-policy"
		conf[runs.KeyAuthUserID] = "mallory"
		rc.Kwargs["input"] = map[string]any{"steps": []any{"from-policy"}}
		rc.Kwargs["stream_mode"] = []any{"values", "updates"}
	}
	return a.ownerIdentity.Authorize(ctx, v)
}

// TestHandlerKwargsChangesApply: what a threads:create_run handler changes
// in the kwargs reaches the stored run (never silently dropped), except the
// caller's identity, which the server stamps again.
func TestHandlerKwargsChangesApply(t *testing.T) {
	eachStore(t, func(t *testing.T, st storage.Store) {
		a := kwargsEditor{}
		ts := newRunServer(t, st, Options{Authenticator: a, Authorizer: a})
		th := ts.createThread(nil, alice...).ThreadID
		var r storage.Run
		ts.ok(200, "POST", "/threads/"+th+"/runs", map[string]any{"assistant_id": "agent",
			"input": map[string]any{"steps": []any{"from-client"}}}, alice...).json(t, &r)
		stored, err := ts.srv.store.Runs().Get(t.Context(), scopeFor(&auth.ThreadsRead{}), th, r.RunID)
		if err != nil {
			t.Fatal(err)
		}
		kw, err := runs.ParseKwargs(stored.Kwargs)
		if err != nil {
			t.Fatal(err)
		}
		conf, _ := kw.Config["configurable"].(map[string]any)
		in, _ := kw.Input.(map[string]any)
		if conf["model"] != "pinned-by-policy" || conf[runs.KeyAuthUserID] != "alice" || conf["thread_id"] != th {
			t.Fatalf("configurable %v", conf)
		}
		if steps, _ := in["steps"].([]any); len(steps) != 1 || steps[0] != "from-policy" {
			t.Fatalf("input %v", kw.Input)
		}
		if len(kw.StreamMode) != 2 || kw.StreamMode[1] != "updates" {
			t.Fatalf("stream modes %v", kw.StreamMode)
		}
	})
}
