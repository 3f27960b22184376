package server

import (
	"net/http"
	"strings"
)

// HandlerFunc is a route handler, a method of the Server (the table holds
// method expressions, so it is static data). A returned error becomes a
// {"detail": ...} response with the status the error implies (see
// errorResponse).
type HandlerFunc func(s *Server, w http.ResponseWriter, r *http.Request) error

// Route is one entry of the route table. The mux is built only from the
// table. Resource and Action name the authorization event the route asks
// for first (meta routes have none and are not Protected); Then lists the
// events it may raise after that, in order (TestRoutesAuthorizeTheirEvents).
type Route struct {
	Method    string
	Pattern   string
	Resource  string
	Action    string
	Then      []RouteEvent
	Protected bool
	// Authenticated routes require credentials but hold no tenant data,
	// so they raise no authorization event (POST /ui/{name}).
	Authenticated bool
	Handler       HandlerFunc
	// OpenAPI documentation.
	Summary  string
	Body     string // component schema of the request body, "" for none
	Response string // component schema of the 200 response, "" for 204/none
	Query    []string
}

// RouteEvent is an authorization event a route raises; When, if set, says
// when it is raised (otherwise always, once the earlier events allowed).
type RouteEvent struct {
	Resource, Action, When string
}

func (e RouteEvent) String() string { return e.Resource + ":" + e.Action }

// Events lists every event the route raises, the first one included.
func (rt *Route) Events() []RouteEvent {
	if rt.Resource == "" {
		return nil
	}
	return append([]RouteEvent{{Resource: rt.Resource, Action: rt.Action}}, rt.Then...)
}

// Events a route may raise after its first one.
func readAssistant() RouteEvent {
	return RouteEvent{"assistants", "read", "the assistant is not a graph's system assistant"}
}

func cancelOnDisconnect() RouteEvent {
	return RouteEvent{"threads", "update", "cancel_on_disconnect is set"}
}

type routeGroup int

const (
	groupMeta routeGroup = iota
	groupAssistants
	groupThreads
	groupRuns
	groupStore
	groupMCP
	groupA2A
	groupUI
)

func (rt *Route) group() routeGroup {
	switch {
	case strings.HasPrefix(rt.Pattern, "/ui/"):
		return groupUI
	case rt.Resource == "":
		return groupMeta
	case rt.Pattern == "/mcp":
		return groupMCP
	case strings.HasPrefix(rt.Pattern, "/a2a/") || rt.Pattern == agentCardPattern:
		return groupA2A
	case rt.Resource == "assistants":
		return groupAssistants
	case rt.Resource == "store":
		return groupStore
	case rt.Resource == "crons" || strings.Contains(rt.Pattern, "/runs"):
		return groupRuns
	}
	return groupThreads
}

// routeTable lists every route. Runs and crons join it with the run
// scheduler (resource "threads", action "create_run" / "read" / "delete" /
// "update" and "crons:*").
//
// Routes is static: `agentgate auth check`, the OpenAPI document and the
// isolation suite read it without building a server.
func Routes() []Route {
	const (
		A = "assistants"
		T = "threads"
		S = "store"
	)
	return append([]Route{
		// Meta: not authenticated.
		{Method: "GET", Pattern: "/ok", Handler: (*Server).handleOK, Summary: "Health check", Response: "Ok", Query: []string{"check_db"}},
		{Method: "GET", Pattern: "/info", Handler: (*Server).handleInfo, Summary: "Server information", Response: "Info"},
		{Method: "GET", Pattern: "/openapi.json", Handler: (*Server).handleOpenAPI, Summary: "OpenAPI document"},
		{Method: "GET", Pattern: "/docs", Handler: (*Server).handleDocs, Summary: "API reference (HTML)"},
		{Method: "GET", Pattern: docsScriptPattern, Handler: (*Server).handleDocsScript, Summary: "The API reference page's script (embedded, pinned @scalar/api-reference)"},
		{Method: "GET", Pattern: metricsPattern, Handler: (*Server).handleMetrics, Summary: "Run queue, workers and request counts (format=prometheus or json)", Query: []string{"format"}},

		// Assistants.
		{Method: "POST", Pattern: "/assistants", Resource: A, Action: "create", Protected: true, Handler: (*Server).createAssistant, Summary: "Create an assistant", Body: "AssistantCreate", Response: "Assistant"},
		{Method: "POST", Pattern: "/assistants/search", Resource: A, Action: "search", Protected: true, Handler: (*Server).searchAssistants, Summary: "Search assistants", Body: "AssistantSearchRequest", Response: "AssistantList"},
		{Method: "POST", Pattern: "/assistants/count", Resource: A, Action: "search", Protected: true, Handler: (*Server).countAssistants, Summary: "Count assistants", Body: "AssistantCountRequest", Response: "Count"},
		{Method: "GET", Pattern: "/assistants/{assistant_id}", Resource: A, Action: "read", Protected: true, Handler: (*Server).getAssistant, Summary: "Get an assistant", Response: "Assistant"},
		{Method: "PATCH", Pattern: "/assistants/{assistant_id}", Resource: A, Action: "update", Protected: true, Handler: (*Server).patchAssistant, Summary: "Update an assistant (new version)", Body: "AssistantPatch", Response: "Assistant"},
		{Method: "DELETE", Pattern: "/assistants/{assistant_id}", Resource: A, Action: "delete", Then: []RouteEvent{{T, "search", "delete_threads is set"}, {T, "delete", "delete_threads is set: each thread found"}}, Protected: true, Handler: (*Server).deleteAssistant, Summary: "Delete an assistant", Query: []string{"delete_threads"}},
		{Method: "GET", Pattern: "/assistants/{assistant_id}/graph", Resource: A, Action: "read", Protected: true, Handler: (*Server).assistantGraph, Summary: "Get an assistant's graph", Response: "GraphJSON", Query: []string{"xray"}},
		{Method: "GET", Pattern: "/assistants/{assistant_id}/schemas", Resource: A, Action: "read", Protected: true, Handler: (*Server).assistantSchemas, Summary: "Get an assistant's schemas", Response: "GraphSchema"},
		{Method: "GET", Pattern: "/assistants/{assistant_id}/subgraphs", Resource: A, Action: "read", Protected: true, Handler: (*Server).assistantSubgraphs, Summary: "Get an assistant's subgraphs", Response: "Subgraphs", Query: []string{"recurse"}},
		{Method: "GET", Pattern: "/assistants/{assistant_id}/subgraphs/{namespace}", Resource: A, Action: "read", Protected: true, Handler: (*Server).assistantSubgraphs, Summary: "Get one subgraph namespace", Response: "Subgraphs", Query: []string{"recurse"}},
		{Method: "POST", Pattern: "/assistants/{assistant_id}/versions", Resource: A, Action: "read", Protected: true, Handler: (*Server).assistantVersions, Summary: "List an assistant's versions", Body: "AssistantVersionsRequest", Response: "AssistantVersionList"},
		{Method: "POST", Pattern: "/assistants/{assistant_id}/latest", Resource: A, Action: "update", Protected: true, Handler: (*Server).setLatestAssistant, Summary: "Make a version the latest", Body: "AssistantLatestRequest", Response: "Assistant"},

		// Threads.
		{Method: "POST", Pattern: "/threads", Resource: T, Action: "create", Protected: true, Handler: (*Server).createThread, Summary: "Create a thread", Body: "ThreadCreate", Response: "Thread"},
		{Method: "POST", Pattern: "/threads/search", Resource: T, Action: "search", Protected: true, Handler: (*Server).searchThreads, Summary: "Search threads", Body: "ThreadSearchRequest", Response: "ThreadList"},
		{Method: "POST", Pattern: "/threads/count", Resource: T, Action: "search", Protected: true, Handler: (*Server).countThreads, Summary: "Count threads", Body: "ThreadCountRequest", Response: "Count"},
		{Method: "POST", Pattern: "/threads/prune", Resource: T, Action: "delete", Then: []RouteEvent{{T, "delete", "each further thread"}}, Protected: true, Handler: (*Server).pruneThreads, Summary: "Prune threads", Body: "ThreadPruneRequest", Response: "PruneResult"},
		{Method: "GET", Pattern: "/threads/{thread_id}", Resource: T, Action: "read", Protected: true, Handler: (*Server).getThread, Summary: "Get a thread", Response: "Thread", Query: []string{"include"}},
		{Method: "PATCH", Pattern: "/threads/{thread_id}", Resource: T, Action: "update", Protected: true, Handler: (*Server).patchThread, Summary: "Update a thread's metadata", Body: "ThreadPatch", Response: "Thread"},
		{Method: "DELETE", Pattern: "/threads/{thread_id}", Resource: T, Action: "delete", Protected: true, Handler: (*Server).deleteThread, Summary: "Delete a thread"},
		{Method: "POST", Pattern: "/threads/{thread_id}/copy", Resource: T, Action: "read", Then: []RouteEvent{{T, "create", ""}}, Protected: true, Handler: (*Server).copyThread, Summary: "Copy a thread (threads:read, then threads:create)", Response: "Thread"},

		// Thread state.
		{Method: "GET", Pattern: "/threads/{thread_id}/state", Resource: T, Action: "read", Protected: true, Handler: (*Server).getState, Summary: "Get a thread's state", Response: "ThreadState", Query: []string{"subgraphs"}},
		{Method: "GET", Pattern: "/threads/{thread_id}/state/{checkpoint_id}", Resource: T, Action: "read", Protected: true, Handler: (*Server).getStateAt, Summary: "Get a thread's state at a checkpoint", Response: "ThreadState", Query: []string{"subgraphs"}},
		{Method: "POST", Pattern: "/threads/{thread_id}/state/checkpoint", Resource: T, Action: "read", Protected: true, Handler: (*Server).postStateCheckpoint, Summary: "Get a thread's state at a checkpoint config", Body: "ThreadStateCheckpointRequest", Response: "ThreadState"},
		{Method: "POST", Pattern: "/threads/{thread_id}/state", Resource: T, Action: "update", Then: []RouteEvent{{T, "read", ""}}, Protected: true, Handler: (*Server).updateState, Summary: "Update a thread's state", Body: "ThreadStateUpdate", Response: "ThreadStateUpdateResponse"},
		{Method: "GET", Pattern: "/threads/{thread_id}/history", Resource: T, Action: "read", Protected: true, Handler: (*Server).getHistory, Summary: "Get a thread's history", Response: "ThreadStateList", Query: []string{"limit", "before"}},
		{Method: "POST", Pattern: "/threads/{thread_id}/history", Resource: T, Action: "read", Protected: true, Handler: (*Server).postHistory, Summary: "Search a thread's history", Body: "ThreadHistoryRequest", Response: "ThreadStateList"},

		// Runs: every route is authorized on the parent thread.
		{Method: "POST", Pattern: "/threads/{thread_id}/runs", Resource: T, Action: "create_run", Then: []RouteEvent{readAssistant()}, Protected: true, Handler: createRunHandler(runCreate), Summary: "Create a run on a thread", Body: "RunCreateStateful", Response: "Run"},
		{Method: "POST", Pattern: "/threads/{thread_id}/runs/stream", Resource: T, Action: "create_run", Then: []RouteEvent{readAssistant()}, Protected: true, Handler: createRunHandler(runStream), Summary: "Create a run on a thread and stream it (SSE)", Body: "RunCreateStateful"},
		{Method: "POST", Pattern: "/threads/{thread_id}/runs/wait", Resource: T, Action: "create_run", Then: []RouteEvent{readAssistant()}, Protected: true, Handler: createRunHandler(runWait), Summary: "Create a run on a thread and wait for its result", Body: "RunCreateStateful", Response: "RunResult"},
		{Method: "GET", Pattern: "/threads/{thread_id}/runs", Resource: T, Action: "search", Protected: true, Handler: (*Server).listRuns, Summary: "List a thread's runs", Response: "RunList", Query: []string{"limit", "offset", "status", "select"}},
		{Method: "GET", Pattern: "/threads/{thread_id}/runs/{run_id}", Resource: T, Action: "read", Protected: true, Handler: (*Server).getRun, Summary: "Get a run", Response: "Run"},
		{Method: "DELETE", Pattern: "/threads/{thread_id}/runs/{run_id}", Resource: T, Action: "delete", Protected: true, Handler: (*Server).deleteRun, Summary: "Delete a run"},
		{Method: "GET", Pattern: "/threads/{thread_id}/runs/{run_id}/join", Resource: T, Action: "read", Then: []RouteEvent{cancelOnDisconnect()}, Protected: true, Handler: (*Server).joinRun, Summary: "Wait for a run's result", Response: "RunResult", Query: []string{"cancel_on_disconnect"}},
		{Method: "GET", Pattern: "/threads/{thread_id}/runs/{run_id}/stream", Resource: T, Action: "read", Then: []RouteEvent{cancelOnDisconnect()}, Protected: true, Handler: (*Server).joinRunStream, Summary: "Join a run's stream (SSE; Last-Event-ID replays)", Query: []string{"stream_mode", "cancel_on_disconnect"}},
		{Method: "POST", Pattern: "/threads/{thread_id}/runs/{run_id}/cancel", Resource: T, Action: "update", Protected: true, Handler: (*Server).cancelRun, Summary: "Cancel a run (202; with wait, its result)", Query: []string{"wait", "action"}},
		{Method: "GET", Pattern: "/threads/{thread_id}/stream", Resource: T, Action: "read", Protected: true, Handler: (*Server).threadStream, Summary: "Join every run of a thread (SSE)", Query: []string{"stream_mode"}},
		{Method: "POST", Pattern: "/runs", Resource: T, Action: "create_run", Then: []RouteEvent{readAssistant()}, Protected: true, Handler: createRunHandler(runCreate), Summary: "Create a stateless run", Body: "RunCreateStateless", Response: "Run"},
		{Method: "POST", Pattern: "/runs/stream", Resource: T, Action: "create_run", Then: []RouteEvent{readAssistant()}, Protected: true, Handler: createRunHandler(runStream), Summary: "Create a stateless run and stream it (SSE)", Body: "RunCreateStateless"},
		{Method: "POST", Pattern: "/runs/wait", Resource: T, Action: "create_run", Then: []RouteEvent{readAssistant()}, Protected: true, Handler: createRunHandler(runWait), Summary: "Create a stateless run and wait for its result", Body: "RunCreateStateless", Response: "RunResult"},
		{Method: "POST", Pattern: "/runs/batch", Resource: T, Action: "create_run", Then: []RouteEvent{readAssistant(), {T, "create_run", "each further run"}}, Protected: true, Handler: (*Server).batchRuns, Summary: "Create stateless runs", Body: "RunBatch", Response: "RunList"},
		{Method: "GET", Pattern: "/runs/{run_id}/stream", Resource: T, Action: "read", Then: []RouteEvent{cancelOnDisconnect()}, Protected: true, Handler: (*Server).joinStatelessRunStream, Summary: "Join a run's stream by its id, e.g. a stateless run (SSE; Last-Event-ID replays)", Query: []string{"stream_mode", "cancel_on_disconnect"}},
		{Method: "POST", Pattern: "/runs/cancel", Resource: T, Action: "update", Protected: true, Handler: (*Server).cancelRuns, Summary: "Cancel runs by id or status", Body: "RunCancelRequest", Query: []string{"action"}},

		// Store.
		{Method: "PUT", Pattern: "/store/items", Resource: S, Action: "put", Protected: true, Handler: (*Server).putItem, Summary: "Put an item", Body: "StorePutRequest"},
		{Method: "GET", Pattern: "/store/items", Resource: S, Action: "get", Protected: true, Handler: (*Server).getItem, Summary: "Get an item (null when missing)", Response: "Item", Query: []string{"namespace", "key", "refresh_ttl"}},
		{Method: "DELETE", Pattern: "/store/items", Resource: S, Action: "delete", Protected: true, Handler: (*Server).deleteItem, Summary: "Delete an item", Body: "StoreDeleteRequest"},
		{Method: "POST", Pattern: "/store/items/search", Resource: S, Action: "search", Protected: true, Handler: (*Server).searchItems, Summary: "Search items", Body: "StoreSearchRequest", Response: "StoreSearchResponse"},
		{Method: "POST", Pattern: "/store/namespaces", Resource: S, Action: "list_namespaces", Protected: true, Handler: (*Server).listNamespaces, Summary: "List namespaces", Body: "StoreNamespacesRequest", Response: "StoreNamespacesResponse"},

		// MCP: assistants as tools (mcp.go).
		{Method: "POST", Pattern: "/mcp", Resource: A, Action: "search", Then: []RouteEvent{{T, "create_run", "tools/call"}, readAssistant()}, Protected: true, Handler: (*Server).handleMCP, Summary: "MCP Streamable HTTP endpoint (JSON-RPC, stateless): the assistants the caller may search are tools; tools/call runs one statelessly and waits"},
	}, append(append(cronRoutes(), a2aRoutes()...), uiRoutes()...)...)
}
