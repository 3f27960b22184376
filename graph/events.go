package graph

import (
	"time"
)

func now() string { return time.Now().UTC().Format(time.RFC3339Nano) }

func (l *loop) emitTaskStart(t *task) {
	if t.name == START || !l.modes[ModeTasks] && !l.modes[ModeDebug] {
		return
	}
	payload := map[string]any{"id": t.id, "name": t.name, "input": t.input, "triggers": t.triggers}
	l.emit(ModeTasks, payload)
	l.emit(ModeDebug, map[string]any{"type": "task", "timestamp": now(), "step": t.step, "payload": payload})
}

func (l *loop) emitTaskResult(t *task) {
	if t.name == START || !l.modes[ModeTasks] && !l.modes[ModeDebug] {
		return
	}
	var errStr any
	if t.err != nil {
		errStr = t.err.Error()
	}
	result := [][]any{}
	for _, w := range t.writes {
		if l.g.channels[w.ch] != nil {
			result = append(result, []any{w.ch, w.v})
		}
	}
	interrupts := t.interrupts
	if interrupts == nil {
		interrupts = []InterruptValue{}
	}
	payload := map[string]any{"id": t.id, "name": t.name, "error": errStr, "result": result, "interrupts": interrupts}
	l.emit(ModeTasks, payload)
	l.emit(ModeDebug, map[string]any{"type": "task_result", "timestamp": now(), "step": t.step, "payload": payload})
}

// afterCheckpoint streams a new checkpoint: values when state channels
// changed, and the checkpoint for "debug" and "checkpoints".
func (l *loop) afterCheckpoint(updated []string) {
	for _, ch := range updated {
		if l.modes[ModeValues] && l.g.channels[ch] != nil {
			l.emit(ModeValues, l.state())
			break
		}
	}
	l.emitCheckpoint()
}

// emitCheckpoint streams the current checkpoint for "debug" and
// "checkpoints".
func (l *loop) emitCheckpoint() {
	if !l.modes[ModeDebug] && !l.modes[ModeCheckpoints] {
		return
	}
	payload := l.checkpointPayload()
	l.emit(ModeCheckpoints, payload)
	l.emit(ModeDebug, map[string]any{"type": "checkpoint", "timestamp": l.ts, "step": l.step, "payload": payload})
}

func (l *loop) checkpointPayload() map[string]any {
	cfg := func(id string) map[string]any {
		return map[string]any{"configurable": map[string]any{"thread_id": l.cfg.ThreadID, "checkpoint_ns": l.ns, "checkpoint_id": id}}
	}
	var parent, parentRef any
	if l.parentID != "" {
		parent = cfg(l.parentID)
		parentRef = l.ref(l.parentID)
	}
	next := []string{}
	tasks := []any{}
	for _, t := range l.prepare() {
		next = append(next, t.name)
		var state any
		if t.node != nil && t.node.sub != nil {
			state = map[string]any{"configurable": map[string]any{"thread_id": l.cfg.ThreadID, "checkpoint_ns": t.ns}}
		}
		tasks = append(tasks, map[string]any{"id": t.id, "name": t.name, "interrupts": []InterruptValue{}, "state": state})
	}
	return map[string]any{
		"config":            cfg(l.cpID),
		"parent_config":     parent,
		"checkpoint":        l.ref(l.cpID),
		"parent_checkpoint": parentRef,
		"values":            l.state(),
		"metadata":          l.md,
		"next":              next,
		"tasks":             tasks,
	}
}

// CheckpointRef is the API's Checkpoint object.
type CheckpointRef struct {
	ThreadID      string         `json:"thread_id"`
	CheckpointNS  string         `json:"checkpoint_ns"`
	CheckpointID  string         `json:"checkpoint_id"`
	CheckpointMap map[string]any `json:"checkpoint_map"`
}

func (l *loop) ref(id string) *CheckpointRef {
	return &CheckpointRef{ThreadID: l.cfg.ThreadID, CheckpointNS: l.ns, CheckpointID: id}
}
