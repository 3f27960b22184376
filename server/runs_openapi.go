package server

// runSchemas are the OpenAPI components of the run routes.
func runSchemas() map[string]any {
	str := map[string]any{"type": "string"}
	uuid := map[string]any{"type": "string", "format": "uuid"}
	dt := map[string]any{"type": "string", "format": "date-time"}
	object := map[string]any{"type": "object"}
	boolean := map[string]any{"type": "boolean"}
	nodes := map[string]any{"oneOf": []any{map[string]any{"type": "string", "enum": []string{"*"}}, arr(str)}}
	modes := map[string]any{"type": "string", "enum": streamModes}
	common := map[string]any{
		"assistant_id": str, "input": map[string]any{}, "metadata": object, "config": object, "context": object,
		"command":          obj(map[string]any{"update": map[string]any{}, "resume": map[string]any{}, "goto": map[string]any{}}),
		"interrupt_before": nodes, "interrupt_after": nodes,
		"stream_mode":      map[string]any{"oneOf": []any{modes, arr(modes)}},
		"stream_subgraphs": boolean, "stream_resumable": boolean, "feedback_keys": arr(str), "webhook": str,
		"on_disconnect": map[string]any{"type": "string", "enum": []string{"cancel", "continue"}, "default": "continue"},
		"after_seconds": map[string]any{"type": "number"},
		"durability":    map[string]any{"type": "string", "enum": []string{"sync", "async", "exit"}, "default": "async"},
	}
	stateful := map[string]any{
		"checkpoint_id": str, "checkpoint": object,
		"multitask_strategy": map[string]any{"type": "string", "enum": []string{"reject", "enqueue", "interrupt", "rollback"}, "default": "enqueue"},
		"if_not_exists":      map[string]any{"type": "string", "enum": []string{"reject", "create"}, "default": "reject"},
	}
	for k, v := range common {
		stateful[k] = v
	}
	stateless := map[string]any{
		"on_completion": map[string]any{"type": "string", "enum": []string{"delete", "keep"}, "default": "delete"},
	}
	for k, v := range common {
		stateless[k] = v
	}
	return map[string]any{
		"Run": obj(map[string]any{
			"run_id": uuid, "thread_id": uuid, "assistant_id": uuid, "created_at": dt, "updated_at": dt,
			"status":   map[string]any{"type": "string", "enum": []string{"pending", "running", "error", "success", "timeout", "interrupted"}},
			"metadata": object, "multitask_strategy": str, "kwargs": object,
		}, "run_id", "thread_id", "assistant_id", "created_at", "updated_at", "status", "metadata", "multitask_strategy", "kwargs"),
		"RunList":            arr(ref("Run")),
		"RunCreateStateful":  obj(stateful, "assistant_id"),
		"RunCreateStateless": obj(stateless, "assistant_id"),
		"RunBatch":           arr(ref("RunCreateStateless")),
		"RunResult": map[string]any{"type": "object",
			"description": "The run's last values, with __interrupt__ when it stopped at an interrupt, or {\"__error__\": {error, message}}."},
		"RunCancelRequest": obj(map[string]any{"thread_id": uuid, "run_ids": arr(uuid),
			"status": map[string]any{"type": "string", "enum": []string{"pending", "running", "all"}}}),
	}
}
