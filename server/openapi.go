package server

import (
	"encoding/json"
	"maps"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// answer is a response described by desc, with a schema per media type.
func answer(desc string, schemas map[string]any) map[string]any {
	content := map[string]any{}
	for media, schema := range schemas {
		content[media] = map[string]any{"schema": schema}
	}
	return map[string]any{"description": desc, "content": content}
}

// typed is the schema of a JSON type.
func typed(t string) map[string]any { return map[string]any{"type": t} }

// buildOpenAPI renders an OpenAPI 3.1 document from the route table, with
// the registered graph ids as the graph_id enum.
func (s *Server) buildOpenAPI() ([]byte, error) {
	paths := map[string]map[string]any{}
	for i := range s.routes {
		rt := &s.routes[i]
		if s.disabled(rt) {
			continue
		}
		op := map[string]any{
			"summary":     rt.Summary,
			"operationId": operationID(rt),
			"tags":        []string{tagOf(rt)},
		}
		if rt.Resource != "" {
			op["x-authorization"] = rt.Resource + ":" + rt.Action
			if len(rt.Then) > 0 { // every event the route raises, in order
				var all []any
				for _, ev := range rt.Events() {
					e := map[string]any{"event": ev.String()}
					if ev.When != "" {
						e["when"] = ev.When
					}
					all = append(all, e)
				}
				op["x-authorization-events"] = all
			}
		}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.Pattern, -1) {
			schema := map[string]any{"type": "string"}
			if strings.HasSuffix(m[1], "_id") && m[1] != "checkpoint_id" && m[1] != "assistant_id" {
				schema["format"] = "uuid"
			}
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": schema})
		}
		for _, q := range rt.Query {
			params = append(params, map[string]any{"name": q, "in": "query", "required": q == "key", "schema": map[string]any{"type": "string"}})
		}
		if params != nil {
			op["parameters"] = params
		}
		if rt.Body != "" {
			op["requestBody"] = map[string]any{
				"required": false,
				"content":  map[string]any{"application/json": map[string]any{"schema": ref(rt.Body)}},
			}
		}
		responses := map[string]any{}
		switch {
		case rt.Response != "":
			responses["200"] = answer("Success", map[string]any{"application/json": ref(rt.Response)})
		case rt.Pattern == "/docs":
			responses["200"] = answer("HTML page", map[string]any{"text/html": typed("string")})
		case rt.Pattern == docsScriptPattern:
			responses["200"] = answer("JavaScript", map[string]any{"text/javascript": typed("string")})
		case rt.Pattern == metricsPattern:
			responses["200"] = answer("Prometheus text (format=prometheus) or JSON (format=json)",
				map[string]any{"text/plain": typed("string"), "application/json": typed("object")})
		case rt.Pattern == "/ui/{name}":
			responses["200"] = answer("HTML that loads the component (link and script tags)", map[string]any{"text/html": typed("string")})
		case rt.Pattern == "/ui/{name}/{file}":
			responses["200"] = answer("A file of the bundle",
				map[string]any{"text/javascript": typed("string"), "text/css": typed("string")})
		case rt.Pattern == "/openapi.json":
			responses["200"] = answer("This document", map[string]any{"application/json": typed("object")})
		default:
			responses["204"] = map[string]any{"description": "Success"}
		}
		codes := []int{403, 404, 409, 422}
		if rt.Pattern == metricsPattern { // see MetricsOptions
			codes = []int{401, 403}
		}
		switch rt.Pattern {
		case "/ui/{name}":
			codes = []int{401, 404, 422}
		case "/ui/{name}/{file}":
			codes = []int{404}
		}
		if rt.Resource != "" || rt.Pattern == metricsPattern || rt.group() == groupUI {
			for _, c := range codes {
				responses[strconv.Itoa(c)] = answer(http.StatusText(c), map[string]any{"application/json": ref("ErrorResponse")})
			}
		}
		op["responses"] = responses
		if paths[rt.Pattern] == nil {
			paths[rt.Pattern] = map[string]any{}
		}
		paths[rt.Pattern][strings.ToLower(rt.Method)] = op
	}
	ids := make([]string, 0, len(s.graphs))
	for id := range s.graphs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	schemas := componentSchemas(ids)
	maps.Copy(schemas, runSchemas())
	maps.Copy(schemas, cronSchemas())
	maps.Copy(schemas, a2aSchemas())
	doc := map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":       "agentgate",
			"version":     s.opts.Version,
			"description": "LangGraph Platform compatible agent server. x-authorization names the authorization event (resource:action) of each route.",
		},
		"paths":      paths,
		"components": map[string]any{"schemas": schemas},
	}
	if p := s.opts.HTTP.MountPrefix; p != "" {
		doc["servers"] = []any{map[string]any{"url": p}}
	}
	if unknown := applySecurity(doc, paths, s.opts.OpenAPISecurity); len(unknown) > 0 {
		sort.Strings(unknown)
		s.log.Warn("auth.openapi.paths names operations that do not exist; ignored", "operations", unknown)
	}
	return json.Marshal(doc)
}

func ref(name string) map[string]any {
	return map[string]any{"$ref": "#/components/schemas/" + name}
}

func tagOf(rt *Route) string {
	switch rt.group() {
	case groupAssistants:
		return "Assistants"
	case groupThreads:
		return "Threads"
	case groupRuns:
		return "Runs"
	case groupStore:
		return "Store"
	case groupA2A:
		return "A2A"
	}
	return "System"
}

func operationID(rt *Route) string {
	p := pathParam.ReplaceAllString(rt.Pattern, "by_$1")
	p = strings.NewReplacer("/", "_", ".", "_").Replace(strings.Trim(p, "/"))
	return strings.ToLower(rt.Method) + "_" + p
}

func obj(props map[string]any, required ...string) map[string]any {
	o := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

func arr(items any) map[string]any { return map[string]any{"type": "array", "items": items} }

func componentSchemas(graphIDs []string) map[string]any {
	str := map[string]any{"type": "string"}
	uuid := map[string]any{"type": "string", "format": "uuid"}
	dt := map[string]any{"type": "string", "format": "date-time"}
	object := map[string]any{"type": "object"}
	integer := map[string]any{"type": "integer"}
	boolean := map[string]any{"type": "boolean"}
	nullableStr := map[string]any{"type": []string{"string", "null"}}
	limit := map[string]any{"type": "integer", "minimum": 1, "maximum": 1000, "default": 10}
	offset := map[string]any{"type": "integer", "minimum": 0, "default": 0}
	sortOrder := map[string]any{"type": "string", "enum": []string{"asc", "desc"}}
	graphID := map[string]any{"type": "string"}
	if len(graphIDs) > 0 {
		graphID["enum"] = graphIDs
	}
	ifExists := map[string]any{"type": "string", "enum": []string{"raise", "do_nothing"}, "default": "raise"}
	status := map[string]any{"type": "string", "enum": threadStatuses}
	namespace := arr(str)
	checkpoint := obj(map[string]any{"thread_id": uuid, "checkpoint_ns": str, "checkpoint_id": str, "checkpoint_map": object})
	assistant := obj(map[string]any{
		"assistant_id": uuid, "graph_id": graphID, "name": str, "description": nullableStr,
		"config": object, "context": object, "metadata": object, "version": integer,
		"created_at": dt, "updated_at": dt,
	}, "assistant_id", "graph_id", "config", "metadata", "version", "created_at", "updated_at")
	thread := obj(map[string]any{
		"thread_id": uuid, "created_at": dt, "updated_at": dt, "state_updated_at": dt,
		"metadata": object, "status": status, "config": object, "values": map[string]any{},
		"interrupts": object, "error": map[string]any{}, "ttl": obj(map[string]any{"strategy": str, "ttl": map[string]any{"type": "number"}}),
	}, "thread_id", "created_at", "updated_at", "metadata", "status")
	threadState := obj(map[string]any{
		"values": map[string]any{}, "next": arr(str), "tasks": arr(object), "metadata": object,
		"created_at": map[string]any{"type": []string{"string", "null"}}, "checkpoint": checkpoint,
		"parent_checkpoint": map[string]any{"oneOf": []any{checkpoint, map[string]any{"type": "null"}}},
		"interrupts":        arr(object),
	}, "values", "next", "checkpoint")
	item := obj(map[string]any{"namespace": namespace, "key": str, "value": object, "created_at": dt, "updated_at": dt,
		"score": map[string]any{"type": []string{"number", "null"}}}, "namespace", "key", "value", "created_at", "updated_at")
	return map[string]any{
		"ErrorResponse": obj(map[string]any{"detail": str}, "detail"),
		"Ok":            obj(map[string]any{"ok": boolean}, "ok"),
		"Info":          obj(map[string]any{"version": str, "flags": object}),
		"Count":         integer,
		"Assistant":     assistant,
		"AssistantList": arr(ref("Assistant")),
		"AssistantVersion": obj(map[string]any{
			"assistant_id": uuid, "graph_id": graphID, "name": str, "description": nullableStr,
			"config": object, "context": object, "metadata": object, "version": integer, "created_at": dt,
		}),
		"AssistantVersionList": arr(ref("AssistantVersion")),
		"AssistantCreate": obj(map[string]any{
			"assistant_id": uuid, "graph_id": graphID, "config": object, "context": object, "metadata": object,
			"if_exists": ifExists, "name": str, "description": nullableStr,
		}, "graph_id"),
		"AssistantPatch": obj(map[string]any{
			"graph_id": graphID, "config": object, "context": object, "metadata": object, "name": str, "description": nullableStr,
		}),
		"AssistantSearchRequest": obj(map[string]any{
			"metadata": object, "graph_id": graphID, "name": str, "limit": limit, "offset": offset,
			"sort_by":    map[string]any{"type": "string", "enum": []string{"assistant_id", "graph_id", "name", "created_at", "updated_at"}},
			"sort_order": sortOrder, "select": arr(map[string]any{"type": "string", "enum": assistantFields}),
		}),
		"AssistantCountRequest":    obj(map[string]any{"metadata": object, "graph_id": graphID, "name": str}),
		"AssistantVersionsRequest": obj(map[string]any{"metadata": object, "limit": limit, "offset": offset}),
		"AssistantLatestRequest":   obj(map[string]any{"version": integer}, "version"),
		"GraphJSON": obj(map[string]any{
			"nodes": arr(obj(map[string]any{"id": str, "type": str, "data": map[string]any{}, "metadata": object})),
			"edges": arr(obj(map[string]any{"source": str, "target": str, "data": map[string]any{}, "conditional": boolean})),
		}),
		"GraphSchema": obj(map[string]any{"graph_id": graphID, "input_schema": object, "output_schema": object,
			"state_schema": object, "config_schema": object, "context_schema": object}),
		"Subgraphs": map[string]any{"type": "object", "additionalProperties": obj(map[string]any{"input_schema": object, "output_schema": object,
			"state_schema": object, "config_schema": object, "context_schema": object, "state": object, "input": object, "output": object, "config": object})},
		"Thread":     thread,
		"ThreadList": arr(ref("Thread")),
		"ThreadCreate": obj(map[string]any{
			"thread_id": uuid, "metadata": object, "if_exists": ifExists,
			"ttl": obj(map[string]any{"strategy": str, "ttl": map[string]any{"type": "number"}}),
			"supersteps": arr(obj(map[string]any{"updates": arr(obj(map[string]any{
				"values": map[string]any{}, "command": object, "as_node": str}))})),
		}),
		"ThreadPatch": obj(map[string]any{"metadata": object, "ttl": object}),
		"ThreadSearchRequest": obj(map[string]any{
			"ids": arr(uuid), "metadata": object, "values": object, "status": status, "limit": limit, "offset": offset,
			"sort_by":    map[string]any{"type": "string", "enum": []string{"thread_id", "status", "created_at", "updated_at", "state_updated_at"}},
			"sort_order": sortOrder, "select": arr(map[string]any{"type": "string", "enum": threadFields}),
		}),
		"ThreadCountRequest": obj(map[string]any{"metadata": object, "values": object, "status": status}),
		"ThreadPruneRequest": obj(map[string]any{"thread_ids": arr(uuid),
			"strategy": map[string]any{"type": "string", "enum": []string{"delete", "keep_latest"}, "default": "delete"}}, "thread_ids"),
		"PruneResult":                  obj(map[string]any{"pruned_count": integer}, "pruned_count"),
		"CheckpointConfig":             checkpoint,
		"ThreadState":                  threadState,
		"ThreadStateList":              arr(ref("ThreadState")),
		"ThreadStateCheckpointRequest": obj(map[string]any{"checkpoint": checkpoint, "subgraphs": boolean}, "checkpoint"),
		"ThreadStateUpdate": obj(map[string]any{
			"values": map[string]any{}, "as_node": str, "checkpoint": checkpoint, "checkpoint_id": str,
		}),
		"ThreadStateUpdateResponse": obj(map[string]any{"checkpoint": checkpoint}),
		"ThreadHistoryRequest": obj(map[string]any{
			"limit": limit, "before": map[string]any{"oneOf": []any{str, checkpoint}}, "metadata": object, "checkpoint": checkpoint,
		}),
		"Item": item,
		"StorePutRequest": obj(map[string]any{"namespace": namespace, "key": str, "value": object,
			"index": map[string]any{}, "ttl": map[string]any{"type": []string{"number", "null"}}}, "namespace", "key", "value"),
		"StoreDeleteRequest": obj(map[string]any{"namespace": namespace, "key": str}, "key"),
		"StoreSearchRequest": obj(map[string]any{"namespace_prefix": namespace, "filter": object, "limit": limit,
			"offset": offset, "query": str, "refresh_ttl": boolean}),
		"StoreSearchResponse": obj(map[string]any{"items": arr(ref("Item"))}, "items"),
		"StoreNamespacesRequest": obj(map[string]any{"prefix": namespace, "suffix": namespace, "max_depth": integer,
			"limit": map[string]any{"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}, "offset": offset}),
		"StoreNamespacesResponse": obj(map[string]any{"namespaces": arr(namespace)}, "namespaces"),
		"UIComponentRequest":      obj(map[string]any{"name": str, "props": object}, "name"),
	}
}
