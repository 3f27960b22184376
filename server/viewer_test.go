package server

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/storage"
)

// viewerAuth is the "viewer" grant: everyone may read every thread (and
// join its runs), only the owner may do anything else.
type viewerAuth struct{ ownerIdentity }

func (a viewerAuth) Authorize(ctx context.Context, v auth.Value) (storage.Scope, error) {
	if _, ok := v.(*auth.ThreadsRead); ok {
		return scopeFor(v), nil
	}
	return a.ownerIdentity.Authorize(ctx, v)
}

// TestViewerCannotScheduleOnAnothersThread: a read grant on a thread does
// not let a cron be created on it (it needs threads:create_run there), on
// either cron route.
func TestViewerCannotScheduleOnAnothersThread(t *testing.T) {
	eachStore(t, func(t *testing.T, st storage.Store) {
		a := viewerAuth{}
		ts := newRunServer(t, st, Options{Authenticator: a, Authorizer: a})
		th := ts.createThread(nil, alice...).ThreadID
		ts.ok(200, "GET", "/threads/"+th, nil, bob...)
		body := map[string]any{"assistant_id": "who", "schedule": "* * * * *", "input": map[string]any{}}
		ts.ok(404, "POST", "/threads/"+th+"/runs/crons", body, bob...)
		var list []storage.Cron
		ts.ok(200, "POST", "/runs/crons/search", map[string]any{}, bob...).json(t, &list)
		if len(list) != 0 {
			t.Fatalf("bob has crons: %+v", list)
		}
		// The owner still can.
		ts.ok(200, "POST", "/threads/"+th+"/runs/crons", body, alice...)
	})
}

// TestViewerJoinDoesNotCancel: a viewer joining another user's run with
// cancel_on_disconnect cannot cancel it by leaving (the flag needs
// threads:update on the run's thread); the owner can.
func TestViewerJoinDoesNotCancel(t *testing.T) {
	eachStore(t, func(t *testing.T, st storage.Store) {
		a := viewerAuth{}
		ts := newRunServer(t, st, Options{Authenticator: a, Authorizer: a})
		th := ts.createThread(nil, alice...).ThreadID
		var r storage.Run
		ts.ok(200, "POST", "/threads/"+th+"/runs", map[string]any{"assistant_id": "block", "input": map[string]any{}}, alice...).json(t, &r)
		ts.waitRunStatus(th, r.RunID, storage.RunRunning, alice...)
		leave := func(path, user string) {
			t.Helper()
			ctx, cancel := context.WithCancel(t.Context())
			req, _ := http.NewRequestWithContext(ctx, "GET", ts.http.URL+path, nil)
			req.Header.Set("X-User", user)
			req.Header.Set("Last-Event-ID", "0") // replay: the first event comes at once
			if !strings.Contains(path, "/stream") {
				// A wait answers nothing until its first keep-alive: leave
				// while it is under way.
				done := make(chan struct{})
				go func() {
					defer close(done)
					if resp, err := http.DefaultClient.Do(req); err == nil {
						resp.Body.Close()
					}
				}()
				time.Sleep(200 * time.Millisecond)
				cancel()
				<-done
				return
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil || resp.StatusCode != 200 {
				t.Fatalf("join %s as %s: %d %v", path, user, resp.StatusCode, err)
			}
			cancel()
			resp.Body.Close()
		}
		base := "/threads/" + th + "/runs/" + r.RunID
		for _, p := range []string{base + "/stream?cancel_on_disconnect=1", base + "/join?cancel_on_disconnect=1",
			"/runs/" + r.RunID + "/stream?cancel_on_disconnect=1"} {
			leave(p, "bob")
		}
		time.Sleep(300 * time.Millisecond)
		var got storage.Run
		ts.ok(200, "GET", base, nil, alice...).json(t, &got)
		if got.Status != storage.RunRunning {
			t.Fatalf("a viewer's disconnect changed alice's run: %s", got.Status)
		}
		leave(base+"/stream?cancel_on_disconnect=1", "alice")
		ts.waitRunStatus(th, r.RunID, storage.RunInterrupted, alice...)
	})
}
