package graph

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/agentgate/agentgate/graph/checkpoint"
)

// prepare lists the tasks of the next step.
func (l *loop) prepare() []*task {
	step := l.step + 1
	var tasks []*task
	for i := range l.g.pull {
		p := &l.g.pull[i]
		if p.node == l.g.startNode {
			if _, ok := l.vals[START]; !ok {
				continue
			}
		}
		name := p.node.name
		var fired []string
		for _, trig := range p.triggers {
			if l.versions[trig] > l.seen[name][trig] && l.available(trig) {
				fired = append(fired, trig)
			}
		}
		if fired != nil {
			if len(fired) == len(p.triggers) {
				fired = p.triggers // shared, read-only
			}
			t := &task{name: name, node: p.node, step: step, triggers: fired, path: p.path}
			if name == START {
				t.input, _ = l.vals[START].(map[string]any)
			} else {
				t.input = l.state()
			}
			tasks = append(tasks, t)
		}
	}
	sends, _ := l.vals[tasksChannel].([]Send)
	for i, s := range sends {
		node := l.g.nodes[s.Node]
		if node == nil {
			continue
		}
		arg, err := l.sendArg(s.Arg, false)
		if err != nil {
			arg = maps.Clone(s.Arg)
		}
		tasks = append(tasks, &task{name: s.Node, node: node, step: step, triggers: []string{pushPath}, path: []any{pushPath, i}, input: arg, push: true})
	}
	for _, t := range tasks {
		t.id = l.taskID(t)
		t.ns = t.name + nsSep + t.id
		if l.ns != "" {
			t.ns = l.ns + checkpointSep + t.ns
		}
	}
	for _, w := range l.pending {
		for _, t := range tasks {
			if t.id != w.taskID {
				continue
			}
			switch w.channel {
			case checkpoint.InterruptChannel:
				t.prevInterrupts, _ = w.value.([]InterruptValue)
				t.wasInterrupted = true
			case checkpoint.ResumeChannel:
				t.resume, _ = w.value.([]any)
			case checkpoint.ErrorChannel:
				t.prevError, _ = w.value.(string)
			default:
				t.cached = true
				if w.channel != noWrites {
					t.writes = append(t.writes, write{w.channel, w.value})
				}
			}
		}
	}
	return tasks
}

// taskID is deterministic, so that a resumed step finds the pending writes
// of its tasks.
func (l *loop) taskID(t *task) string {
	key := make([]byte, 0, 128)
	key = append(key, l.cpID...)
	key = append(key, 0)
	key = append(key, l.ns...)
	key = append(key, 0)
	key = strconv.AppendInt(key, int64(t.step), 10)
	key = append(key, 0)
	key = append(key, t.name...)
	for _, p := range t.path {
		key = append(key, 0)
		switch p := p.(type) {
		case string:
			key = append(key, p...)
		case int:
			key = strconv.AppendInt(key, int64(p), 10)
		}
	}
	return uuid.NewSHA1(uuid.NameSpaceOID, key).String()
}

// state returns a copy of the state channels' values.
func (l *loop) state() State {
	s := make(State, len(l.g.chanOrder))
	for _, name := range l.g.chanOrder {
		if v, ok := l.vals[name]; ok {
			s[name] = v
		} else if v, ok := l.g.channels[name].empty(); ok {
			s[name] = v
		}
	}
	return s
}

// apply applies the writes of a finished step in task path order and
// returns the channels it updated.
func (l *loop) apply(tasks []*task) ([]string, error) {
	sorted := append([]*task(nil), tasks...)
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i].path, sorted[j].path
		if a[0] != b[0] {
			return a[0].(string) < b[0].(string)
		}
		if ai, ok := a[1].(int); ok {
			return ai < b[1].(int)
		}
		return a[1].(string) < b[1].(string)
	})
	for _, t := range sorted {
		l.markSeen(t)
	}
	delete(l.vals, START)
	delete(l.vals, tasksChannel)
	byCh := map[string][]any{}
	for _, t := range sorted {
		for _, w := range t.writes {
			byCh[w.ch] = append(byCh[w.ch], w.v)
		}
	}
	return l.applyWrites(byCh)
}

// applyWrites applies writes grouped by channel, in channel name order,
// bumps the versions of the channels written and returns them. Sends are
// appended to the pending ones.
func (l *loop) applyWrites(byCh map[string][]any) ([]string, error) {
	updated := sortedKeys(byCh)
	for _, ch := range updated {
		ws := byCh[ch]
		switch {
		case ch == tasksChannel:
			sends, _ := l.vals[ch].([]Send)
			for _, w := range ws {
				sends = append(sends, w.(Send))
			}
			l.vals[ch] = sends
		case strings.HasPrefix(ch, branchPrefix):
		case strings.HasPrefix(ch, joinPrefix):
			got, _ := l.vals[ch].([]string)
			set := append([]string(nil), got...)
			for _, w := range ws {
				if s, ok := w.(string); ok && !slices.Contains(set, s) {
					set = append(set, s)
				}
			}
			sort.Strings(set)
			l.vals[ch] = set
		default:
			spec := l.g.channels[ch]
			if spec == nil {
				return nil, &InvalidUpdateError{Msg: fmt.Sprintf("invalid update for channel %q: the graph has no such key", ch)}
			}
			cur, has := l.vals[ch]
			v, err := spec.reduce(cur, has, ws)
			if err != nil {
				return nil, &InvalidUpdateError{Msg: fmt.Sprintf("At key '%s': %v", ch, err)}
			}
			l.vals[ch] = v
		}
		l.versions[ch]++
	}
	return updated, nil
}

// shouldInterrupt reports whether a static interrupt applies to tasks:
// some channel changed since the last interrupt and a task's node is
// listed.
func (l *loop) shouldInterrupt(list []string, tasks []*task) bool {
	if len(list) == 0 {
		return false
	}
	seen := l.seen[interruptKey]
	changed := false
	for ch, v := range l.versions {
		if v > seen[ch] {
			changed = true
			break
		}
	}
	if !changed {
		return false
	}
	for _, t := range tasks {
		if t.name == START {
			continue
		}
		for _, n := range list {
			if n == "*" || n == t.name {
				return true
			}
		}
	}
	return false
}

// available reports whether a trigger channel can fire: a join fires once
// all its sources have written.
func (l *loop) available(trig string) bool {
	srcs, ok := l.g.joins[trig]
	if !ok {
		return true
	}
	got, _ := l.vals[trig].([]string)
	return len(got) == len(srcs)
}

// markSeen records that a pull task consumed its triggers (and resets the
// joins it consumed).
func (l *loop) markSeen(t *task) {
	if t.push {
		return
	}
	for _, trig := range t.triggers {
		if l.seen[t.name] == nil {
			l.seen[t.name] = map[string]int64{}
		}
		l.seen[t.name][trig] = l.versions[trig]
		if _, ok := l.g.joins[trig]; ok {
			delete(l.vals, trig)
		}
	}
}

func (l *loop) markInterrupted() {
	l.seen[interruptKey] = maps.Clone(l.versions)
}
