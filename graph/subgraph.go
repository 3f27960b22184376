package graph

import (
	"context"
)

// runSubgraph runs a subgraph node in the namespace of its task.
func (l *loop) runSubgraph(ctx context.Context, t *task) (any, error) {
	sub := t.node.sub
	cfg := l.cfg
	cfg.CheckpointNS = t.ns
	cfg.CheckpointID = ""
	cfg.Command = nil
	cfg.InterruptBefore, cfg.InterruptAfter = nil, nil
	child, err := sub.newLoop(cfg, nil)
	if err != nil {
		return nil, err
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
	var input any = t.input
	if t.wasInterrupted {
		child.resuming = true
		t.mu.Lock()
		if len(t.resume) > 0 {
			input = &Command{Resume: t.resume[len(t.resume)-1]}
		}
		t.mu.Unlock()
	} else {
		in := State{}
		for k, v := range t.input {
			if sub.channels[k] != nil {
				in[k] = v
			}
		}
		input = in
	}
	res, err := child.run(ctx, input)
	if err != nil {
		return nil, err
	}
	if res.Status == "interrupted" {
		return nil, &InterruptError{Interrupts: res.Interrupts}
	}
	out := State{}
	for k, v := range res.Values {
		if l.g.channels[k] != nil {
			out[k] = v
		}
	}
	return out, nil
}
