package graph

import (
	"context"
)

// runSubgraph runs a subgraph node in the namespace of its task; its
// output values (the keys the parent has) are the node's update.
func (l *loop) runSubgraph(ctx context.Context, t *task) (any, error) {
	sub := t.node.sub
	in := State{}
	for k, v := range t.input {
		if sub.channels[k] != nil {
			in[k] = v
		}
	}
	res, err := l.runNested(ctx, t, sub, in)
	if err != nil {
		return nil, err
	}
	out := State{}
	for k, v := range res.Values {
		if l.g.channels[k] != nil {
			out[k] = v
		}
	}
	return out, nil
}

// runNested runs sub inside task t: in t's namespace of the same thread,
// with the parent's checkpointer and stream. When t was interrupted before,
// the nested run resumes (with t's latest resume value) instead of
// starting over. An interruption inside becomes an *InterruptError.
func (l *loop) runNested(ctx context.Context, t *task, sub *Graph, input any) (Result, error) {
	cfg := l.cfg
	cfg.CheckpointNS = t.ns
	cfg.CheckpointID = ""
	cfg.Command = nil
	cfg.InterruptBefore, cfg.InterruptAfter = nil, nil
	child, err := sub.newLoop(cfg, nil)
	if err != nil {
		return Result{}, err
	}
	child.emitMu = l.emitMu
	child.emitFn = func(ev Event) error {
		// As LangGraph: nothing from inside a subgraph (not even its
		// messages) unless subgraphs are streamed.
		if l.emitFn == nil || !l.cfg.Subgraphs {
			return nil
		}
		return l.emitFn(ev)
	}
	child.parents = map[string]any{l.ns: l.cpID}
	for k, v := range l.parents {
		child.parents[k] = v
	}
	if t.wasInterrupted {
		child.resuming = true
		t.mu.Lock()
		if len(t.resume) > 0 {
			input = &Command{Resume: t.resume[len(t.resume)-1]}
		}
		t.mu.Unlock()
	}
	res, err := child.run(ctx, input)
	if err != nil {
		return res, err
	}
	if res.Status == "interrupted" {
		return res, &InterruptError{Interrupts: res.Interrupts}
	}
	return res, nil
}
