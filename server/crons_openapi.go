package server

// cronSchemas are the OpenAPI components of the cron routes.
func cronSchemas() map[string]any {
	str := map[string]any{"type": "string"}
	uuid := map[string]any{"type": "string", "format": "uuid"}
	dt := map[string]any{"type": "string", "format": "date-time"}
	object := map[string]any{"type": "object"}
	boolean := map[string]any{"type": "boolean"}
	nullable := func(s map[string]any) map[string]any {
		return map[string]any{"oneOf": []any{s, map[string]any{"type": "null"}}}
	}
	nodes := map[string]any{"oneOf": []any{map[string]any{"type": "string", "enum": []string{"*"}}, arr(str)}}
	modes := map[string]any{"type": "string", "enum": streamModes}
	onDone := map[string]any{"type": "string", "enum": []string{"delete", "keep"}, "default": "delete"}
	run := func() map[string]any {
		return map[string]any{
			"input": map[string]any{}, "metadata": object, "config": object, "context": object,
			"webhook":          map[string]any{"type": "string", "format": "uri", "description": "Absolute http(s) URL called when each run ends."},
			"interrupt_before": nodes, "interrupt_after": nodes,
			"stream_mode":      map[string]any{"oneOf": []any{modes, arr(modes)}},
			"stream_subgraphs": boolean, "stream_resumable": boolean,
			"durability": map[string]any{"type": "string", "enum": []string{"sync", "async", "exit"}},
		}
	}
	create := run()
	create["assistant_id"] = str
	create["schedule"] = map[string]any{"type": "string", "description": "Standard 5-field cron expression."}
	create["timezone"] = map[string]any{"type": "string", "description": "IANA time zone of the schedule (default UTC)."}
	create["end_time"] = dt
	create["enabled"] = map[string]any{"type": "boolean", "default": true}
	thread := map[string]any{}
	for k, v := range create {
		thread[k] = v
	}
	thread["multitask_strategy"] = map[string]any{"type": "string", "enum": []string{"reject", "enqueue", "interrupt", "rollback"}, "default": "enqueue"}
	create["on_run_completed"] = onDone
	patch := run()
	patch["schedule"] = str
	patch["timezone"] = str
	patch["end_time"] = nullable(dt)
	patch["enabled"] = boolean
	patch["on_run_completed"] = onDone
	patch["multitask_strategy"] = thread["multitask_strategy"]
	return map[string]any{
		"Cron": obj(map[string]any{
			"cron_id": uuid, "assistant_id": uuid, "thread_id": nullable(uuid), "on_run_completed": nullable(str),
			"end_time": nullable(dt), "schedule": str, "timezone": nullable(str), "created_at": dt, "updated_at": dt,
			"user_id": nullable(str), "payload": object, "next_run_date": nullable(dt), "metadata": object, "enabled": boolean,
		}, "cron_id", "assistant_id", "thread_id", "schedule", "created_at", "updated_at", "payload", "metadata", "enabled"),
		"CronList":         arr(ref("Cron")),
		"CronCreate":       obj(create, "assistant_id", "schedule"),
		"ThreadCronCreate": obj(thread, "assistant_id", "schedule"),
		"CronPatch":        obj(patch),
		"CronSearchRequest": obj(map[string]any{"assistant_id": str, "thread_id": uuid, "enabled": boolean,
			"limit": map[string]any{"type": "integer", "default": 10}, "offset": map[string]any{"type": "integer", "default": 0},
			"sort_by":    map[string]any{"type": "string", "enum": []string{"cron_id", "assistant_id", "thread_id", "next_run_date", "end_time", "created_at", "updated_at"}, "default": "created_at"},
			"sort_order": map[string]any{"type": "string", "enum": []string{"asc", "desc"}, "default": "desc"},
			"select":     arr(map[string]any{"type": "string", "enum": cronFields})}),
		"CronCountRequest": obj(map[string]any{"assistant_id": str, "thread_id": uuid}),
	}
}
