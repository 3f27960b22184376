package graph

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
)

type ctxKey struct{}

type taskCtx struct {
	l *loop
	t *task
}

func fromCtx(ctx context.Context) *taskCtx {
	tc, _ := ctx.Value(ctxKey{}).(*taskCtx)
	return tc
}

// NodeInfo describes the run and task a node is running in.
type NodeInfo struct {
	RunID        string
	ThreadID     string
	CheckpointNS string // the task's namespace, "node:task_id" at the root
	Node         string
	TaskID       string
	Step         int
	Triggers     []string
	// Configurable and Context are the run's maps (do not modify them).
	Configurable map[string]any
	Context      map[string]any
}

// Info returns what the node running with ctx should know about its run;
// the zero NodeInfo outside a node.
func Info(ctx context.Context) NodeInfo {
	tc := fromCtx(ctx)
	if tc == nil {
		return NodeInfo{}
	}
	return NodeInfo{
		RunID:        tc.l.cfg.RunID,
		ThreadID:     tc.l.cfg.ThreadID,
		CheckpointNS: tc.t.ns,
		Node:         tc.t.name,
		TaskID:       tc.t.id,
		Step:         tc.t.step,
		Triggers:     tc.t.triggers,
		Configurable: tc.l.cfg.Configurable,
		Context:      tc.l.cfg.Context,
	}
}

// InterruptError is returned by Interrupt when the run must stop for a
// human; a node should return it (the run stops even if it does not).
type InterruptError struct{ Interrupts []InterruptValue }

func (e *InterruptError) Error() string {
	return fmt.Sprintf("graph: interrupted (%d pending)", len(e.Interrupts))
}

// Interrupt asks for human input. The first time it stops the run: it
// returns an *InterruptError that the node should return, and the value is
// stored with the checkpoint. When the run is resumed with
// Command{Resume: v}, the node runs again from the start and this call
// returns v. A node may call Interrupt several times; each call is matched
// with the resume values in order.
func Interrupt(ctx context.Context, value any) (any, error) {
	tc := fromCtx(ctx)
	if tc == nil {
		return nil, errors.New("graph: Interrupt called outside a node")
	}
	t := tc.t
	t.mu.Lock()
	idx := t.interruptIdx
	t.interruptIdx++
	if idx < len(t.resume) {
		v := t.resume[idx]
		t.mu.Unlock()
		return v, nil
	}
	t.mu.Unlock()
	if v, ok := tc.l.takeNullResume(); ok {
		t.mu.Lock()
		t.resume = append(t.resume, v)
		t.mu.Unlock()
		return v, nil
	}
	it := InterruptValue{ID: interruptID(t.ns), Value: value}
	t.mu.Lock()
	t.interrupts = append(t.interrupts, it)
	t.mu.Unlock()
	return nil, &InterruptError{Interrupts: []InterruptValue{it}}
}

func interruptID(ns string) string {
	sum := sha256.Sum256([]byte(ns))
	return hex.EncodeToString(sum[:16])
}

// WriteCustom emits v as a "custom" stream event. It does nothing outside a
// node or when the run does not stream custom events.
func WriteCustom(ctx context.Context, v any) {
	tc := fromCtx(ctx)
	if tc == nil || !tc.l.modes[ModeCustom] {
		return
	}
	tc.l.emit(ModeCustom, v)
}

// StreamWriter returns a function that emits "custom" events, like
// LangGraph's get_stream_writer (it does nothing outside a node).
func StreamWriter(ctx context.Context) func(v any) {
	return func(v any) { WriteCustom(ctx, v) }
}

// StreamChunk emits a message chunk (an AIMessageChunk when Type is empty)
// as a "messages" event while the node produces it. Give chunks the id of
// the message the node finally returns, so that the whole message is not
// emitted again.
func StreamChunk(ctx context.Context, chunk Message) {
	tc := fromCtx(ctx)
	if tc == nil {
		return
	}
	if chunk.Type == "" {
		chunk.Type = ChunkType
	}
	t := tc.t
	t.mu.Lock()
	if t.chunkIDs == nil {
		t.chunkIDs = map[string]bool{}
	}
	t.chunkIDs[chunk.ID] = true
	t.mu.Unlock()
	tc.l.emitMessage(t, chunk)
	tc.l.emitModelChunk(t, chunk)
}

// messageMeta is the metadata of "messages" events for a task.
func (l *loop) messageMeta(t *task) map[string]any {
	md := make(map[string]any, len(l.cfg.Metadata)+8)
	maps.Copy(md, l.cfg.Metadata)
	if l.cfg.ThreadID != "" {
		md["thread_id"] = l.cfg.ThreadID
	}
	if l.cfg.RunID != "" {
		md["run_id"] = l.cfg.RunID
	}
	md["langgraph_step"] = t.step
	md["langgraph_node"] = t.name
	md["langgraph_triggers"] = t.triggers
	md["langgraph_path"] = t.path
	md["langgraph_checkpoint_ns"] = t.ns
	md["checkpoint_ns"] = t.ns
	return md
}

func (l *loop) emitMessage(t *task, m Message) {
	if !l.modes[ModeMessages] {
		return
	}
	l.emit(ModeMessages, []any{m, l.messageMeta(t)})
}
