package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"sort"
	"sync"

	"github.com/agentgate/agentgate/graph/checkpoint"
)

// task is one node execution in a step.
type task struct {
	id       string
	name     string
	ns       string
	node     *nodeSpec
	step     int
	triggers []string
	path     []any
	input    State
	push     bool

	// From the checkpoint's pending writes.
	cached         bool
	wasInterrupted bool
	prevInterrupts []InterruptValue
	prevError      string

	// Results.
	writes      []write
	err         error
	interrupted bool

	mu           sync.Mutex
	resume       []any
	interruptIdx int
	interrupts   []InterruptValue
	chunkIDs     map[string]bool
	// For the events mode: the task's run id and its models' streams.
	eventsRunID string
	modelRuns   []*modelRun
}

// update is the task's update as streamed: its writes to state channels.
func (t *task) update(g *Graph) any {
	var u map[string]any
	for _, w := range t.writes {
		if g.channels[w.ch] == nil {
			continue
		}
		if u == nil {
			u = map[string]any{}
		}
		u[w.ch] = w.v
	}
	if u == nil {
		return nil
	}
	return u
}

// runTasks runs a step's tasks concurrently (reusing the writes of tasks
// that finished before an interruption or failure) and returns the
// interrupts raised. A task error fails the step.
func (l *loop) runTasks(ctx context.Context, tasks []*task) ([]InterruptValue, error) {
	for _, t := range tasks {
		if !t.cached {
			l.emitTaskStart(t)
			l.emitNodeStart(t)
		}
	}
	run := func(t *task) {
		if t.cached {
			l.taskDone(t)
			return
		}
		l.runTask(ctx, t)
		l.taskDone(t)
	}
	if len(tasks) == 1 {
		run(tasks[0])
	} else {
		var wg sync.WaitGroup
		for _, t := range tasks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				run(t)
			}()
		}
		wg.Wait()
	}
	var errs []error
	var interrupts []InterruptValue
	for _, t := range tasks {
		if t.err != nil {
			errs = append(errs, t.err)
		}
		interrupts = append(interrupts, t.interrupts...)
	}
	if len(errs) > 0 {
		return nil, errs[0]
	}
	return interrupts, nil
}

// taskDone persists a finished task's outcome and streams it.
func (l *loop) taskDone(t *task) {
	ctx := context.Background()
	switch {
	case t.err != nil:
		var pc *parentCommand
		if !errors.Is(t.err, context.Canceled) && !errors.As(t.err, &pc) {
			_ = l.putWrites(ctx, t.id, []write{{checkpoint.ErrorChannel, t.err.Error()}})
		}
	case t.interrupted:
		if err := l.putWrites(ctx, t.id, []write{{checkpoint.InterruptChannel, t.interrupts}}); err != nil {
			t.err = err
		}
		// As LangGraph: interrupts go to "updates", or to "values" when
		// only that is streamed.
		its := t.interrupts
		if its == nil {
			its = []InterruptValue{}
		}
		ev := map[string]any{interruptKey: its}
		if l.modes[ModeUpdates] {
			l.emit(ModeUpdates, ev)
		} else {
			l.emit(ModeValues, ev)
		}
	default:
		if !t.cached {
			if err := l.putWrites(ctx, t.id, t.writes); err != nil {
				t.err = err
				return
			}
		}
		if t.name != START {
			if l.modes[ModeUpdates] {
				l.emit(ModeUpdates, map[string]any{t.name: t.update(l.g)})
			}
			l.emitWholeMessages(t)
		}
	}
	if !t.cached {
		l.emitTaskResult(t)
		l.emitNodeEnd(t)
	}
}

// emitWholeMessages streams the messages a task wrote that it did not
// stream as chunks.
func (l *loop) emitWholeMessages(t *task) {
	if !l.modes[ModeMessages] {
		return
	}
	// Messages the node was given are not new (a subgraph returns them).
	var known map[string]bool
	for _, v := range t.input {
		if ms, ok := v.([]Message); ok {
			if known == nil {
				known = map[string]bool{}
			}
			for _, m := range ms {
				known[m.ID] = true
			}
		}
	}
	for _, w := range t.writes {
		ms, ok := w.v.([]Message)
		if !ok {
			continue
		}
		for _, m := range ms {
			if m.Type == RemoveType || known[m.ID] {
				continue
			}
			t.mu.Lock()
			streamed := t.chunkIDs[m.ID] || t.chunkIDs[""]
			t.mu.Unlock()
			if !streamed {
				l.emitMessage(t, m)
			}
		}
	}
}

func (l *loop) runTask(ctx context.Context, t *task) {
	if sctx, sp := startNodeSpan(ctx, t); sp != nil {
		ctx = sctx
		defer endNodeSpan(sp, t)
	}
	tctx := context.WithValue(ctx, ctxKey{}, &taskCtx{l: l, t: t})
	var out any
	var err error
	func() {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
			}
		}()
		if t.node.sub != nil {
			out, err = l.runSubgraph(tctx, t)
		} else {
			out, err = t.node.fn(tctx, t.input)
		}
	}()
	var ie *InterruptError
	if errors.As(err, &ie) || len(t.interrupts) > 0 {
		if ie != nil && len(t.interrupts) == 0 {
			t.interrupts = ie.Interrupts
		}
		t.interrupted = true
		return
	}
	var pc *parentCommand
	if errors.As(err, &pc) {
		// A subgraph run by this node handed a command to this graph.
		out, err = pc.cmd, nil
	}
	if err != nil {
		t.err = &NodeError{Node: t.name, Err: err}
		return
	}
	func() {
		defer func() {
			if r := recover(); r != nil {
				err = &NodeError{Node: t.name, Err: fmt.Errorf("router panic: %v\n%s", r, debug.Stack())}
			}
		}()
		err = l.outputWrites(tctx, t, out)
	}()
	if err != nil {
		t.writes = nil
		t.err = err
	}
}

// outputWrites turns a node's return value into writes, then adds its
// edges and routes.
func (l *loop) outputWrites(ctx context.Context, t *task, out any) error {
	var update map[string]any
	var gotos any
	switch o := out.(type) {
	case nil:
	case *Command:
		if o != nil {
			return l.outputWrites(ctx, t, *o)
		}
	case Command:
		if o.Graph == Parent {
			o.Graph = ""
			return &parentCommand{cmd: o}
		}
		if o.Graph != "" {
			return &InvalidUpdateError{Msg: fmt.Sprintf("node %q: unknown Command graph %q", t.name, o.Graph)}
		}
		update, gotos = o.Update, o.Goto
	case map[string]any:
		update = o
	default:
		m, err := convert[map[string]any](out)
		if err != nil {
			return &InvalidUpdateError{Msg: fmt.Sprintf("node %q: expected an update object, got %T", t.name, out)}
		}
		update = m
	}
	if err := l.updateWrites(t, update, t.name == START); err != nil {
		return err
	}
	for _, to := range l.g.edges[t.name] {
		if to != END {
			t.writes = append(t.writes, write{branchPrefix + to, nil})
		}
	}
	for _, ch := range l.g.joinsFrom[t.name] {
		t.writes = append(t.writes, write{ch, t.name})
	}
	if brs := l.g.branches[t.name]; len(brs) > 0 {
		fresh, err := l.freshState(t)
		if err != nil {
			return err
		}
		for _, br := range brs {
			dest, err := br.router(ctx, fresh)
			if err != nil {
				return &NodeError{Node: t.name, Err: fmt.Errorf("router: %w", err)}
			}
			if err := l.gotoWrites(t, dest, br.pathMap); err != nil {
				return err
			}
		}
	}
	return l.gotoWrites(t, gotos, nil)
}

// updateWrites adds a write per key of update (sorted), converted to the
// channel's type. Unknown keys are an error unless ignoreUnknown.
func (l *loop) updateWrites(t *task, update map[string]any, ignoreUnknown bool) error {
	keys := make([]string, 0, len(update))
	for k := range update {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		spec := l.g.channels[k]
		if spec == nil {
			if ignoreUnknown {
				continue
			}
			return &InvalidUpdateError{Msg: fmt.Sprintf("node %q: invalid update for channel %q: the graph has no such key", t.name, k)}
		}
		v, err := spec.coerce(update[k])
		if err != nil {
			return &InvalidUpdateError{Msg: fmt.Sprintf("node %q: invalid update for channel %q: %v", t.name, k, err)}
		}
		t.writes = append(t.writes, write{k, v})
	}
	return nil
}

// gotoWrites adds writes that send control to dest (a node name, Send or
// a list of them).
func (l *loop) gotoWrites(t *task, dest any, pathMap map[string]string) error {
	switch d := dest.(type) {
	case nil:
		return nil
	case string:
		to := d
		if pathMap != nil {
			m, ok := pathMap[d]
			if !ok {
				return &InvalidUpdateError{Msg: fmt.Sprintf("node %q: router returned %q, which is not in its path map", t.name, d)}
			}
			to = m
		}
		if to == END {
			return nil
		}
		if l.g.nodes[to] == nil {
			return &InvalidUpdateError{Msg: fmt.Sprintf("node %q: cannot go to unknown node %q", t.name, to)}
		}
		t.writes = append(t.writes, write{branchPrefix + to, nil})
	case Send:
		if l.g.nodes[d.Node] == nil {
			return &InvalidUpdateError{Msg: fmt.Sprintf("node %q: cannot send to unknown node %q", t.name, d.Node)}
		}
		arg, err := l.sendArg(d.Arg, true)
		if err != nil {
			return &InvalidUpdateError{Msg: fmt.Sprintf("node %q: send to %q: %v", t.name, d.Node, err)}
		}
		t.writes = append(t.writes, write{tasksChannel, Send{Node: d.Node, Arg: arg}})
	case *Send:
		return l.gotoWrites(t, *d, pathMap)
	case []string:
		for _, x := range d {
			if err := l.gotoWrites(t, x, pathMap); err != nil {
				return err
			}
		}
	case []Send:
		for _, x := range d {
			if err := l.gotoWrites(t, x, pathMap); err != nil {
				return err
			}
		}
	case map[string]any:
		// A Send in its JSON form: {"node": ..., "input"|"arg": {...}}.
		node, _ := d["node"].(string)
		arg, ok := d["input"].(map[string]any)
		if !ok {
			arg, _ = d["arg"].(map[string]any)
		}
		if node == "" {
			return &InvalidUpdateError{Msg: fmt.Sprintf("node %q: cannot go to %v", t.name, d)}
		}
		return l.gotoWrites(t, Send{Node: node, Arg: arg}, nil)
	case []any:
		for _, x := range d {
			if err := l.gotoWrites(t, x, pathMap); err != nil {
				return err
			}
		}
	default:
		return &InvalidUpdateError{Msg: fmt.Sprintf("node %q: cannot go to %T", t.name, dest)}
	}
	return nil
}

// sendArg gives a Send's argument the types it has after a checkpoint
// round trip: state keys are converted to their channel's type, other
// values (when normalise) to their JSON-decoded form.
func (l *loop) sendArg(arg State, normalise bool) (State, error) {
	out := make(State, len(arg))
	for k, v := range arg {
		if spec := l.g.channels[k]; spec != nil {
			c, err := spec.coerce(v)
			if err != nil {
				return nil, fmt.Errorf("key %q: %w", k, err)
			}
			out[k] = c
			continue
		}
		if normalise {
			b, err := json.Marshal(v)
			if err != nil {
				return nil, fmt.Errorf("key %q: %w", k, err)
			}
			var c any
			if err := json.Unmarshal(b, &c); err != nil {
				return nil, fmt.Errorf("key %q: %w", k, err)
			}
			v = c
		}
		out[k] = v
	}
	return out, nil
}

// freshState is the state with the task's own writes applied.
func (l *loop) freshState(t *task) (State, error) {
	s := l.state()
	byCh := map[string][]any{}
	for _, w := range t.writes {
		if l.g.channels[w.ch] != nil {
			byCh[w.ch] = append(byCh[w.ch], w.v)
		}
	}
	for ch, ws := range byCh {
		cur, has := s[ch]
		v, err := l.g.channels[ch].reduce(cur, has, ws)
		if err != nil {
			return nil, &InvalidUpdateError{Msg: fmt.Sprintf("At key '%s': %v", ch, err)}
		}
		s[ch] = v
	}
	return s, nil
}
