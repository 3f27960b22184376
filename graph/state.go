package graph

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/agentgate/agentgate/graph/checkpoint"
)

// StateSnapshot is a thread's state at a checkpoint, shaped like the API's
// ThreadState.
type StateSnapshot struct {
	Values             State               `json:"values"`
	Next               []string            `json:"next"`
	Tasks              []TaskSnapshot      `json:"tasks"`
	Metadata           checkpoint.Metadata `json:"metadata"`
	CreatedAt          *string             `json:"created_at"`
	Checkpoint         *CheckpointRef      `json:"checkpoint"`
	ParentCheckpoint   *CheckpointRef      `json:"parent_checkpoint"`
	Interrupts         []InterruptValue    `json:"interrupts"`
	CheckpointID       string              `json:"checkpoint_id,omitempty"`
	ParentCheckpointID string              `json:"parent_checkpoint_id,omitempty"`
}

// TaskSnapshot is a task due at a checkpoint.
type TaskSnapshot struct {
	ID         string           `json:"id"`
	Name       string           `json:"name"`
	Path       []any            `json:"path"`
	Error      *string          `json:"error"`
	Interrupts []InterruptValue `json:"interrupts"`
	// Checkpoint addresses the subgraph's state when the task runs a
	// subgraph; State holds that state instead when asked for subgraphs.
	Checkpoint *TaskCheckpoint `json:"checkpoint"`
	State      *StateSnapshot  `json:"state"`
	Result     any             `json:"result"`
}

// TaskCheckpoint addresses a subgraph task's state: its thread and
// namespace, as LangGraph's servers send it (no id, no map).
type TaskCheckpoint struct {
	ThreadID     string `json:"thread_id"`
	CheckpointNS string `json:"checkpoint_ns"`
}

// forNS returns the graph that runs in namespace ns ("" is g itself).
func (g *Graph) forNS(ns string) (*Graph, error) {
	cur := g
	if ns == "" {
		return cur, nil
	}
	for _, part := range strings.Split(ns, checkpointSep) {
		name, _, _ := strings.Cut(part, nsSep)
		n := cur.nodes[name]
		if n == nil || n.sub == nil {
			return nil, fmt.Errorf("graph: namespace %q names no subgraph: %w", ns, checkpoint.ErrNotFound)
		}
		cur = n.sub
	}
	return cur, nil
}

func (g *Graph) stateLoop(cfg RunConfig) (*loop, error) {
	if cfg.Checkpointer == nil {
		return nil, errors.New("graph: the state API needs a checkpointer")
	}
	sub, err := g.forNS(cfg.CheckpointNS)
	if err != nil {
		return nil, err
	}
	cfg.StreamModes = nil
	return sub.newLoop(cfg, nil)
}

// GetState returns the state at cfg.CheckpointID (the latest when empty)
// of cfg.ThreadID in cfg.CheckpointNS. A thread without checkpoints has an
// empty state; an unknown checkpoint id gives checkpoint.ErrNotFound. With
// cfg.Subgraphs, tasks running subgraphs carry the subgraph's state.
func (g *Graph) GetState(ctx context.Context, cfg RunConfig) (StateSnapshot, error) {
	l, err := g.stateLoop(cfg)
	if err != nil {
		return StateSnapshot{}, err
	}
	tup, err := cfg.Checkpointer.GetTuple(ctx, l.config(cfg.CheckpointID))
	if errors.Is(err, checkpoint.ErrNotFound) && cfg.CheckpointID == "" {
		return StateSnapshot{Values: State{}, Next: []string{}, Tasks: []TaskSnapshot{}, Metadata: checkpoint.Metadata{}, Interrupts: []InterruptValue{}}, nil
	}
	if err != nil {
		return StateSnapshot{}, err
	}
	return l.g.snapshot(ctx, cfg, tup)
}

// History lists the states of a thread, newest first.
func (g *Graph) History(ctx context.Context, cfg RunConfig, opts checkpoint.ListOptions) ([]StateSnapshot, error) {
	l, err := g.stateLoop(cfg)
	if err != nil {
		return nil, err
	}
	tuples, err := cfg.Checkpointer.List(ctx, l.config(""), opts)
	if err != nil {
		return nil, err
	}
	out := make([]StateSnapshot, 0, len(tuples))
	for _, tup := range tuples {
		s, err := l.g.snapshot(ctx, cfg, tup)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func (g *Graph) snapshot(ctx context.Context, cfg RunConfig, tup checkpoint.Tuple) (StateSnapshot, error) {
	cfg.CheckpointNS = tup.Config.CheckpointNS
	l, err := g.newLoop(cfg, nil)
	if err != nil {
		return StateSnapshot{}, err
	}
	if err := l.restore(tup); err != nil {
		return StateSnapshot{}, err
	}
	created := tup.Checkpoint.TS
	s := StateSnapshot{
		Values:       l.state(),
		Next:         []string{},
		Tasks:        []TaskSnapshot{},
		Metadata:     tup.Metadata,
		CreatedAt:    &created,
		Checkpoint:   l.ref(tup.Checkpoint.ID),
		Interrupts:   []InterruptValue{},
		CheckpointID: tup.Checkpoint.ID,
	}
	if tup.ParentConfig != nil {
		s.ParentCheckpoint = l.ref(tup.ParentConfig.CheckpointID)
		s.ParentCheckpointID = tup.ParentConfig.CheckpointID
	}
	for _, t := range l.prepare() {
		s.Next = append(s.Next, t.name)
		ts := TaskSnapshot{ID: t.id, Name: t.name, Path: t.path, Interrupts: t.prevInterrupts}
		if ts.Interrupts == nil {
			ts.Interrupts = []InterruptValue{}
		}
		if t.prevError != "" {
			e := t.prevError
			ts.Error = &e
		}
		if t.cached {
			ts.Result = t.update(g)
		}
		if t.node != nil && t.node.sub != nil {
			ts.Checkpoint = &TaskCheckpoint{ThreadID: cfg.ThreadID, CheckpointNS: t.ns}
			if cfg.Subgraphs {
				subCfg := cfg
				subCfg.CheckpointNS, subCfg.CheckpointID = t.ns, ""
				if subTup, err := cfg.Checkpointer.GetTuple(ctx, checkpoint.Config{ThreadID: cfg.ThreadID, CheckpointNS: t.ns}); err == nil {
					st, err := t.node.sub.snapshot(ctx, subCfg, subTup)
					if err != nil {
						return StateSnapshot{}, err
					}
					ts.State, ts.Checkpoint = &st, nil
				}
			}
		}
		s.Interrupts = append(s.Interrupts, ts.Interrupts...)
		s.Tasks = append(s.Tasks, ts)
	}
	return s, nil
}

// UpdateState writes values to the state as if node asNode had returned
// them (its edges then decide what runs next) and saves a checkpoint with
// source "update". asNode "" means the node that ran last (or START on an
// empty thread); END applies the values and leaves nothing to run;
// "__copy__" copies the checkpoint as a new one with source "fork";
// "__input__" writes the values as the graph's input (to START, as a run's
// input does) in a checkpoint with source "input", leaving START to run
// next. It returns the new checkpoint's config.
func (g *Graph) UpdateState(ctx context.Context, cfg RunConfig, values any, asNode string) (checkpoint.Config, error) {
	l, err := g.stateLoop(cfg)
	if err != nil {
		return checkpoint.Config{}, err
	}
	if err := l.load(ctx); err != nil {
		return checkpoint.Config{}, err
	}
	if asNode == copyNode {
		if l.cpID == "" {
			return checkpoint.Config{}, errors.New("graph: nothing to copy: the thread has no checkpoint")
		}
		l.step++
		if err := l.newCheckpoint(ctx, "fork", nil, nil); err != nil {
			return checkpoint.Config{}, err
		}
		return l.config(l.cpID), nil
	}
	if asNode == inputNode {
		return l.inputUpdate(ctx, values)
	}
	if asNode == "" {
		asNode = l.lastNode()
	}
	if asNode != START && asNode != END && l.g.nodes[asNode] == nil {
		return checkpoint.Config{}, &InvalidUpdateError{Msg: fmt.Sprintf("node %q does not exist", asNode)}
	}
	var update map[string]any
	if values != nil {
		m, ok := values.(map[string]any)
		if !ok {
			conv, err := convert[map[string]any](values)
			if err != nil {
				return checkpoint.Config{}, &InvalidUpdateError{Msg: fmt.Sprintf("state update must be an object, got %T", values)}
			}
			m = conv
		}
		update = m
	}
	t := &task{name: asNode, path: []any{pullPath, asNode}, step: l.step + 1}
	if asNode == END {
		if err := l.updateWrites(t, update, false); err != nil {
			return checkpoint.Config{}, err
		}
		for _, p := range l.prepare() {
			l.markSeen(p)
		}
	} else {
		t.triggers = []string{branchPrefix + asNode}
		if asNode == START {
			t.triggers = []string{START}
		}
		if err := l.outputWrites(ctx, t, update); err != nil {
			return checkpoint.Config{}, err
		}
	}
	updated, err := l.apply([]*task{t})
	if err != nil {
		return checkpoint.Config{}, err
	}
	l.markInterrupted()
	l.step++
	if err := l.newCheckpoint(ctx, "update", map[string]any{asNode: update}, updated); err != nil {
		return checkpoint.Config{}, err
	}
	return l.config(l.cpID), nil
}

// inputUpdate is UpdateState as "__input__": like a run's input step, but
// the tasks still due at the checkpoint are kept (LangGraph's update as
// input only writes the input channel).
func (l *loop) inputUpdate(ctx context.Context, values any) (checkpoint.Config, error) {
	if values == nil {
		return checkpoint.Config{}, &InvalidUpdateError{Msg: fmt.Sprintf("Received no input writes for %s", START)}
	}
	m, ok := values.(map[string]any)
	if !ok {
		conv, err := convert[map[string]any](values)
		if err != nil || conv == nil {
			return checkpoint.Config{}, &InvalidUpdateError{Msg: fmt.Sprintf("state update must be an object, got %T", values)}
		}
		m = conv
	}
	l.vals[START] = m
	l.versions[START]++
	l.step++
	if err := l.newCheckpoint(ctx, "input", map[string]any{START: m}, []string{START}); err != nil {
		return checkpoint.Config{}, err
	}
	return l.config(l.cpID), nil
}

// lastNode is the node that ran most recently (START when none did).
func (l *loop) lastNode() string {
	best, bestV := START, int64(0)
	for _, name := range l.g.nodeOrder {
		for _, v := range l.seen[name] {
			if v > bestV {
				best, bestV = name, v
			}
		}
	}
	if best == START && len(l.g.nodeOrder) == 1 && l.cpID != "" {
		return l.g.nodeOrder[0]
	}
	return best
}
