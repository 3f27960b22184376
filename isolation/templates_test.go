package isolation_test

import "strings"

// attack is one request user B sends to a route, aimed at user A's data.
// Path, query and body may use these placeholders, filled with A's values:
//
//	{thread_id} {assistant_id} {checkpoint_id} {run_id} {cron_id}
//	{namespace}   a subgraph namespace (path parameter of /subgraphs/{namespace})
//	{ns}          A's store namespace as a JSON array, e.g. ["alice","notes"]
//	{ns_dotted}   the same namespace joined with "." (query form)
//	{owner}       A's identity, as stamped into metadata.owner
//	{marker}      the value of metadata.tag on A's threads and assistant
//	{b_thread_id} a thread of B's own, with state (only in path)
//	{stateless_run_id} A's pending stateless run (its thread is temporary)
type attack struct {
	// path replaces the route's pattern, to aim at B's own thread
	// ({b_thread_id}) with A's ids elsewhere in the request.
	path  string
	query string // without "?"
	body  string // JSON, "" for none
	// conflict: the spec answers 409 here (create with an existing id,
	// copy of an invisible thread).
	conflict bool
	// refuse: the body names A's resource, so any 2xx means B used it (for
	// paths with A's ids this is implied).
	refuse bool
	// empty, when set, is the only 2xx body allowed: a count cannot show
	// A's data, only its number can.
	empty string
	// sseError: the route may answer 200 with an SSE stream that carries a
	// single 404 error event (auth-spec §4.2 "stream: error event").
	sseError bool
	// rpcError: the route speaks JSON-RPC (A2A) and refuses with HTTP 200
	// and a JSON-RPC error (or an SSE stream of one): see rpcRefused.
	rpcError bool
	// header: extra request header name/value pairs.
	header []string
	// echoes: text B sends (placeholders filled) that a refusal may quote
	// back ("unknown tool <name>"); it does not count as a leak.
	echoes string
}

// bThread is B's own thread.
const bThread = "/threads/{b_thread_id}"

// humanB is the input of B's runs.
const humanB = `{"messages":[{"type":"human","content":"hello from B"}]}`

// attacks holds the isolation cases, keyed by "METHOD PATTERN" as in the
// route table. Every protected route must have an entry
// (TestEveryProtectedRouteHasAnAttack and TestIsolation fail otherwise);
// entries for routes the server does not have (yet) are logged and
// skipped. B calls the reads first and the routes that destroy or cancel
// last (see ordered), so that no write can hide a leak elsewhere.
var attacks = map[string][]attack{
	// Assistants (api-surface §3.2).
	"POST /assistants": {
		{body: `{"assistant_id":"{assistant_id}","graph_id":"agent","if_exists":"do_nothing"}`, conflict: true, refuse: true},
		{body: `{"assistant_id":"{assistant_id}","graph_id":"agent","if_exists":"raise"}`, conflict: true, refuse: true},
	},
	"POST /assistants/search": {
		{body: `{}`},
		{body: `{"metadata":{"owner":"{owner}"}}`},
	},
	"POST /assistants/count":                               {{body: `{"metadata":{"tag":"{marker}"}}`, empty: "0"}},
	"GET /assistants/{assistant_id}":                       {{}},
	"PATCH /assistants/{assistant_id}":                     {{body: `{"name":"pwned","metadata":{"owner":"{owner}","pwned":true}}`}},
	"DELETE /assistants/{assistant_id}":                    {{query: "delete_threads=true"}},
	"GET /assistants/{assistant_id}/graph":                 {{query: "xray=true"}},
	"GET /assistants/{assistant_id}/schemas":               {{}},
	"GET /assistants/{assistant_id}/subgraphs":             {{query: "recurse=true"}},
	"GET /assistants/{assistant_id}/subgraphs/{namespace}": {{}},
	"POST /assistants/{assistant_id}/versions":             {{body: `{}`}},
	"POST /assistants/{assistant_id}/latest":               {{body: `{"version":1}`}},

	// Threads (§3.3).
	"POST /threads": {
		{body: `{"thread_id":"{thread_id}","if_exists":"do_nothing"}`, conflict: true, refuse: true},
		{body: `{"thread_id":"{thread_id}","if_exists":"raise"}`, conflict: true, refuse: true},
		{body: `{"thread_id":"{thread_id}","if_exists":"do_nothing","metadata":{"graph_id":"agent"},
			"supersteps":[{"updates":[{"values":{"messages":[{"type":"human","content":"B"}]},"as_node":"chatbot"}]}]}`, conflict: true, refuse: true},
	},
	"POST /threads/search": {
		{body: `{}`},
		{body: `{"ids":["{thread_id}"]}`},
		{body: `{"metadata":{"owner":"{owner}"}}`},
	},
	"POST /threads/count":             {{body: `{"metadata":{"tag":"{marker}"}}`, empty: "0"}},
	"POST /threads/prune":             {{body: `{"thread_ids":["{thread_id}"]}`, refuse: true}},
	"GET /threads/{thread_id}":        {{query: "include=ttl"}},
	"PATCH /threads/{thread_id}":      {{body: `{"metadata":{"owner":"{owner}","pwned":true}}`}},
	"DELETE /threads/{thread_id}":     {{}},
	"POST /threads/{thread_id}/copy":  {{conflict: true}},
	"GET /threads/{thread_id}/stream": {{query: "stream_mode=run_modes", sseError: true}},

	// Thread state (§3.4).
	"GET /threads/{thread_id}/state": {{query: "subgraphs=true"}},
	"GET /threads/{thread_id}/state/{checkpoint_id}": {
		{},
		{path: bThread + "/state/{checkpoint_id}"},
	},
	"POST /threads/{thread_id}/state/checkpoint": {
		{body: `{"checkpoint":{"checkpoint_id":"{checkpoint_id}"}}`},
		{path: bThread + "/state/checkpoint", body: `{"checkpoint":{"thread_id":"{thread_id}","checkpoint_id":"{checkpoint_id}"}}`},
	},
	"POST /threads/{thread_id}/state": {
		{body: `{"values":` + humanB + `,"as_node":"chatbot"}`},
		{path: bThread + "/state", body: `{"values":` + humanB + `,"as_node":"chatbot","checkpoint_id":"{checkpoint_id}"}`},
		{path: bThread + "/state", body: `{"values":` + humanB + `,"as_node":"chatbot","checkpoint":{"thread_id":"{thread_id}","checkpoint_id":"{checkpoint_id}"}}`},
	},
	"GET /threads/{thread_id}/history": {
		{query: "limit=100"},
		{path: bThread + "/history", query: "limit=100&before={checkpoint_id}"},
	},
	"POST /threads/{thread_id}/history": {
		{body: `{"limit":100}`},
		{path: bThread + "/history", body: `{"limit":100,"before":{"thread_id":"{thread_id}","checkpoint_id":"{checkpoint_id}"}}`},
		{path: bThread + "/history", body: `{"limit":100,"checkpoint":{"thread_id":"{thread_id}","checkpoint_ns":""}}`},
	},

	// Stateful runs (§3.5). if_not_exists=create must not turn a foreign
	// thread into B's (the v0.14 bypass); B's own thread must not reach A's
	// assistant, checkpoints or runs.
	"POST /threads/{thread_id}/runs": {
		{body: `{"assistant_id":"agent","input":` + humanB + `,"if_not_exists":"create"}`},
		{body: `{"assistant_id":"{assistant_id}","input":` + humanB + `}`},
		// Double-texting must not act on A's pending run before the check.
		{body: `{"assistant_id":"agent","input":` + humanB + `,"multitask_strategy":"rollback"}`},
		{body: `{"assistant_id":"agent","input":` + humanB + `,"multitask_strategy":"interrupt"}`},
		{path: bThread + "/runs", body: `{"assistant_id":"{assistant_id}","input":` + humanB + `}`, refuse: true},
	},
	"POST /threads/{thread_id}/runs/stream": {
		{body: `{"assistant_id":"agent","input":` + humanB + `,"if_not_exists":"create","stream_mode":["values","messages"]}`, sseError: true},
		{path: bThread + "/runs/stream", body: `{"assistant_id":"{assistant_id}","input":` + humanB + `}`, sseError: true, refuse: true},
	},
	"POST /threads/{thread_id}/runs/wait": {
		{body: `{"assistant_id":"agent","input":` + humanB + `,"if_not_exists":"create"}`},
		{path: bThread + "/runs/wait", body: `{"assistant_id":"agent","input":` + humanB + `,"checkpoint_id":"{checkpoint_id}"}`},
		{path: bThread + "/runs/wait", body: `{"assistant_id":"agent","input":` + humanB + `,"checkpoint":{"thread_id":"{thread_id}","checkpoint_id":"{checkpoint_id}"}}`},
		{path: bThread + "/runs/wait", body: `{"assistant_id":"agent","input":` + humanB + `,"config":{"configurable":{"thread_id":"{thread_id}"}}}`},
	},
	"GET /threads/{thread_id}/runs": {{query: "limit=100"}},
	"GET /threads/{thread_id}/runs/{run_id}": {
		{},
		{path: bThread + "/runs/{run_id}"},
	},
	"DELETE /threads/{thread_id}/runs/{run_id}": {
		{},
		{path: bThread + "/runs/{run_id}"},
	},
	"GET /threads/{thread_id}/runs/{run_id}/join": {
		{},
		{path: bThread + "/runs/{run_id}/join"},
	},
	"GET /threads/{thread_id}/runs/{run_id}/stream": {
		{sseError: true},
		{path: bThread + "/runs/{run_id}/stream", sseError: true},
	},
	"POST /threads/{thread_id}/runs/{run_id}/cancel": {
		{query: "wait=1&action=rollback"},
		{path: bThread + "/runs/{run_id}/cancel", query: "action=rollback"},
	},

	// Stateless runs (§3.6): A's assistant must be invisible (assistants:read
	// on run create, GHSA-jfj5); a configurable thread_id must not reach A's
	// checkpoints.
	"POST /runs": {
		{body: `{"assistant_id":"{assistant_id}","input":` + humanB + `}`, refuse: true},
	},
	"POST /runs/stream": {
		{body: `{"assistant_id":"{assistant_id}","input":` + humanB + `}`, sseError: true, refuse: true},
	},
	"POST /runs/wait": {
		{body: `{"assistant_id":"{assistant_id}","input":` + humanB + `}`, refuse: true},
		{body: `{"assistant_id":"agent","input":` + humanB + `,"config":{"configurable":{"thread_id":"{thread_id}","checkpoint_id":"{checkpoint_id}"}}}`},
	},
	// Join by run id alone: A's stateful and stateless runs, replayed from
	// the start, cancelling them if B's join were let in and then left.
	"GET /runs/{run_id}/stream": {
		{query: "cancel_on_disconnect=1", header: []string{"Last-Event-ID", "0"}, sseError: true},
		{path: "/runs/{stateless_run_id}/stream", query: "cancel_on_disconnect=1", header: []string{"Last-Event-ID", "0"}, sseError: true},
	},
	"POST /runs/batch": {{body: `[{"assistant_id":"{assistant_id}","input":` + humanB + `}]`, refuse: true}},
	"POST /runs/cancel": {
		{query: "action=rollback", body: `{"thread_id":"{thread_id}","run_ids":["{run_id}"]}`, refuse: true},
		{body: `{"status":"all"}`},
	},

	// Crons (§3.7).
	"POST /runs/crons": {{body: `{"schedule":"0 0 1 1 *","assistant_id":"{assistant_id}","input":` + humanB + `}`, refuse: true}},
	"POST /threads/{thread_id}/runs/crons": {
		{body: `{"schedule":"0 0 1 1 *","assistant_id":"agent","input":` + humanB + `}`},
		{path: bThread + "/runs/crons", body: `{"schedule":"0 0 1 1 *","assistant_id":"{assistant_id}","input":` + humanB + `}`, refuse: true},
	},
	"POST /runs/crons/search": {
		{body: `{}`},
		{body: `{"thread_id":"{thread_id}"}`},
		{body: `{"assistant_id":"{assistant_id}"}`},
	},
	"POST /runs/crons/count":       {{body: `{"thread_id":"{thread_id}"}`, empty: "0"}},
	"PATCH /runs/crons/{cron_id}":  {{body: `{"schedule":"0 0 2 1 *","enabled":false}`}},
	"DELETE /runs/crons/{cron_id}": {{}},

	// Store (§3.8). A's namespace starts with A's identity; the owner preset
	// moves B's writes under B's own label, the example refuses them (403).
	"PUT /store/items":    {{body: `{"namespace":{ns},"key":"k","value":{"pwned":true}}`}},
	"GET /store/items":    {{query: "namespace={ns_dotted}&key=k"}},
	"DELETE /store/items": {{body: `{"namespace":{ns},"key":"k"}`}},
	"POST /store/items/search": {
		{body: `{"namespace_prefix":{ns}}`},
		{body: `{"namespace_prefix":[]}`},
	},
	"POST /store/namespaces": {
		{body: `{}`},
		{body: `{"prefix":{ns}}`},
	},

	// A2A: A's assistant must be invisible; through a system assistant, A's
	// thread (contextId) must not take B's message and A's run (task id)
	// must not show.
	"POST /a2a/{assistant_id}": {
		{body: a2aSend(""), rpcError: true},
		{body: `{"jsonrpc":"2.0","id":1,"method":"tasks/get","params":{"id":"{run_id}"}}`, rpcError: true},
		{path: "/a2a/agent", body: a2aSend("{thread_id}"), rpcError: true, refuse: true},
		{path: "/a2a/agent", body: strings.Replace(a2aSend("{thread_id}"), "message/send", "message/stream", 1), rpcError: true, refuse: true},
		{path: "/a2a/agent", body: `{"jsonrpc":"2.0","id":1,"method":"tasks/get","params":{"id":"{run_id}"}}`, rpcError: true, refuse: true},
		{path: "/a2a/agent", body: `{"jsonrpc":"2.0","id":1,"method":"tasks/get","params":{"id":"{run_id}","metadata":{"contextId":"{thread_id}"}}}`, rpcError: true, refuse: true},
	},
	"GET /.well-known/agent-card.json": {{query: "assistant_id={assistant_id}", refuse: true}},

	// MCP: B's tools must not include A's assistant, and calling it by its
	// name (tool names are assistant names) must be an unknown tool.
	"POST /mcp": {
		{body: `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`, header: mcpAccept},
		{body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"{marker}-assistant","arguments":` + humanB + `}}`,
			header: mcpAccept, rpcError: true, refuse: true, echoes: `\"{marker}-assistant\"`},
	},
}

// mcpAccept is the Accept header MCP's Streamable HTTP requires.
var mcpAccept = []string{"Accept", "application/json, text/event-stream"}

// a2aSend is an A2A message/send of B's text, on contextID when set.
func a2aSend(contextID string) string {
	ctx := ""
	if contextID != "" {
		ctx = `,"contextId":"` + contextID + `"`
	}
	return `{"jsonrpc":"2.0","id":1,"method":"message/send","params":{"message":{"kind":"message","messageId":"m-b","role":"user"` +
		ctx + `,"parts":[{"kind":"text","text":"hello from B"}]}}}`
}

// destructive routes run after all others (see ordered).
var destructive = map[string]bool{
	"DELETE /assistants/{assistant_id}":              true,
	"DELETE /threads/{thread_id}":                    true,
	"POST /threads/prune":                            true,
	"DELETE /threads/{thread_id}/runs/{run_id}":      true,
	"POST /threads/{thread_id}/runs/{run_id}/cancel": true,
	"POST /runs/cancel":                              true,
	"DELETE /runs/crons/{cron_id}":                   true,
	"DELETE /store/items":                            true,
}
