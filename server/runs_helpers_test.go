package server

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/graphs/chatbot"
	"github.com/agentgate/agentgate/llm"
	"github.com/agentgate/agentgate/storage"
)

// runGraphs are the test graphs plus graphs that stream, block, interrupt,
// fail and report their configurable.
func runGraphs(t *testing.T) map[string]Graph {
	t.Helper()
	gs := testGraphs(t)
	must := func(g *graph.Graph, err error) *graph.Graph {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	gs["chatbot"] = must(chatbot.New(llm.Echo{}))
	gs["block"] = must(graph.New().
		AddChannel("steps", graph.Reduce(func(cur, upd []string) []string { return append(slices.Clone(cur), upd...) })).
		AddNode("first", func(ctx context.Context, s graph.State) (any, error) {
			return graph.State{"steps": []string{"first"}}, nil
		}).
		AddNode("wait", func(ctx context.Context, s graph.State) (any, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}).
		AddEdge(graph.START, "first").AddEdge("first", "wait").AddEdge("wait", graph.END).Compile())
	gs["ask"] = must(graph.New().
		AddChannel("answer", graph.LastValue[string]()).
		AddNode("ask", func(ctx context.Context, s graph.State) (any, error) {
			v, err := graph.Interrupt(ctx, "continue?")
			if err != nil {
				return nil, err
			}
			return graph.State{"answer": fmt.Sprint(v)}, nil
		}).
		AddEdge(graph.START, "ask").AddEdge("ask", graph.END).Compile())
	gs["fail"] = must(graph.New().
		AddChannel("x", graph.LastValue[string]()).
		AddNode("boom", func(ctx context.Context, s graph.State) (any, error) { return nil, errors.New("kaboom") }).
		AddEdge(graph.START, "boom").AddEdge("boom", graph.END).Compile())
	gs["who"] = must(graph.New().
		AddChannel("who", graph.LastValue[map[string]any]()).
		AddNode("whoami", func(ctx context.Context, s graph.State) (any, error) {
			c := graph.Info(ctx).Configurable
			return graph.State{"who": map[string]any{"id": c["langgraph_auth_user_id"], "user": c["langgraph_auth_user"],
				"perms": c["langgraph_auth_permissions"], "user_id": c["user_id"], "x-trace": c["x-trace"],
				"authorization": c["authorization"], "thread_id": c["thread_id"], "run_id": c["run_id"]}}, nil
		}).
		AddEdge(graph.START, "whoami").AddEdge("whoami", graph.END).Compile())
	return gs
}

func newRunServer(t *testing.T, st storage.Store, opts Options) *testServer {
	t.Helper()
	opts.Store = st
	if opts.Graphs == nil {
		opts.Graphs = runGraphs(t)
	}
	return newTestServer(t, opts)
}

type sseEvent struct {
	name, data, id string
}

// sse is an open event stream.
type sse struct {
	t    *testing.T
	resp *http.Response
	rd   *bufio.Reader
	// comments counts ": ..." lines.
	comments int
}

func (ts *testServer) sse(method, path string, body any, hdr ...string) *sse {
	ts.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, err := http.NewRequestWithContext(ts.t.Context(), method, ts.http.URL+path, rd)
	if err != nil {
		ts.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		ts.t.Fatal(err)
	}
	ts.t.Cleanup(func() { resp.Body.Close() })
	return &sse{t: ts.t, resp: resp, rd: bufio.NewReader(resp.Body)}
}

// next returns the next event, or false at the end of the stream.
func (s *sse) next() (sseEvent, bool) {
	s.t.Helper()
	var ev sseEvent
	dataLines := 0
	for {
		line, err := s.rd.ReadString('\n')
		if err != nil {
			if errors.Is(err, io.EOF) && line == "" {
				return ev, false
			}
			s.t.Fatalf("read SSE: %v", err)
		}
		line = strings.TrimRight(line, "\r\n")
		switch {
		case line == "":
			if ev.name != "" || dataLines > 0 {
				if dataLines != 1 {
					s.t.Errorf("event %s has %d data lines", ev.name, dataLines)
				}
				return ev, true
			}
		case strings.HasPrefix(line, ":"):
			s.comments++
		case strings.HasPrefix(line, "event: "):
			ev.name = line[len("event: "):]
		case strings.HasPrefix(line, "data: "):
			ev.data = line[len("data: "):]
			dataLines++
		case strings.HasPrefix(line, "id: "):
			ev.id = line[len("id: "):]
		default:
			s.t.Errorf("unexpected SSE line %q", line)
		}
	}
}

func (s *sse) all() []sseEvent {
	s.t.Helper()
	var out []sseEvent
	for {
		ev, ok := s.next()
		if !ok {
			return out
		}
		out = append(out, ev)
	}
}

func eventNames(evs []sseEvent) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.name
	}
	return out
}

func decodeData(t *testing.T, ev sseEvent) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(ev.data), &v); err != nil {
		t.Fatalf("event %s data %q: %v", ev.name, ev.data, err)
	}
	return v
}

func hello(text string) map[string]any {
	return map[string]any{"messages": []any{map[string]any{"type": "human", "content": text}}}
}

func (ts *testServer) waitRunStatus(thread, run, want string, hdr ...string) storage.Run {
	ts.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var r storage.Run
		resp := ts.do("GET", "/threads/"+thread+"/runs/"+run, nil, hdr...)
		if resp.status == 200 {
			resp.json(ts.t, &r)
			if r.Status == want {
				return r
			}
		}
		if time.Now().After(deadline) {
			ts.t.Fatalf("run %s: %d %s, want status %s", run, resp.status, resp.body, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
