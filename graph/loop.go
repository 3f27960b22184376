package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/google/uuid"

	"github.com/agentgate/agentgate/graph/checkpoint"
)

// loop runs one graph (one namespace) of a run.
type loop struct {
	g      *Graph
	cfg    RunConfig
	saver  checkpoint.Saver
	ns     string
	nsPath []string
	modes  map[StreamMode]bool
	emitFn func(Event) error
	emitMu *sync.Mutex
	// emitErr is the first error emit returned; guarded by emitMu.
	emitErr error

	limit         int
	before, after []string

	// Channels.
	vals     map[string]any
	versions map[string]int64
	seen     map[string]map[string]int64

	// The current checkpoint.
	step      int
	cpID      string
	parentID  string
	ts        string
	md        checkpoint.Metadata
	pending   []pendingWrite
	parents   map[string]any
	savedID   string // last checkpoint id persisted (for durability "exit")
	dirty     bool   // the current checkpoint is not persisted yet
	cpUpdated []string

	resumeMu   sync.Mutex
	nullResume any
	hasNull    bool

	// resuming is set for a subgraph loop that continues an interrupted run.
	resuming bool
}

type pendingWrite struct {
	taskID  string
	channel string
	value   any
}

type write struct {
	ch string
	v  any
}

func (l *loop) takeNullResume() (any, bool) {
	l.resumeMu.Lock()
	defer l.resumeMu.Unlock()
	if !l.hasNull {
		return nil, false
	}
	l.hasNull = false
	return l.nullResume, true
}

// emit sends an event of a requested mode.
func (l *loop) emit(mode StreamMode, data any) {
	if l.emitFn == nil || !l.modes[mode] {
		return
	}
	l.emitMu.Lock()
	defer l.emitMu.Unlock()
	if l.emitErr != nil {
		return
	}
	l.emitErr = l.emitFn(Event{Mode: mode, Namespace: l.nsPath, Data: data})
}

func (l *loop) emitError() error {
	l.emitMu.Lock()
	defer l.emitMu.Unlock()
	return l.emitErr
}

// ---- checkpoint encoding ----

func (l *loop) restore(tup checkpoint.Tuple) error {
	cp := tup.Checkpoint
	l.cpID, l.ts, l.md = cp.ID, cp.TS, tup.Metadata
	l.savedID = cp.ID
	if tup.ParentConfig != nil {
		l.parentID = tup.ParentConfig.CheckpointID
	}
	l.step = tup.Metadata.Step()
	if p, ok := tup.Metadata["parents"].(map[string]any); ok {
		l.parents = p
	}
	l.cpUpdated = cp.UpdatedChannels
	for name, raw := range cp.ChannelValues {
		v, err := l.decodeChannel(name, raw)
		if err != nil {
			return fmt.Errorf("graph: checkpoint %s: channel %q: %w", cp.ID, name, err)
		}
		l.vals[name] = v
	}
	for ch, v := range cp.ChannelVersions {
		l.versions[ch] = checkpoint.ParseVersion(v)
	}
	for node, m := range cp.VersionsSeen {
		s := make(map[string]int64, len(m))
		for ch, v := range m {
			s[ch] = checkpoint.ParseVersion(v)
		}
		l.seen[node] = s
	}
	for _, w := range tup.PendingWrites {
		v, err := l.decodeWrite(w.Channel, w.Value)
		if err != nil {
			return fmt.Errorf("graph: checkpoint %s: pending write %q: %w", cp.ID, w.Channel, err)
		}
		l.pending = append(l.pending, pendingWrite{taskID: w.TaskID, channel: w.Channel, value: v})
	}
	return nil
}

func (l *loop) decodeChannel(name string, raw json.RawMessage) (any, error) {
	if ch := l.g.channels[name]; ch != nil {
		return ch.decode(raw)
	}
	switch name {
	case START:
		var v any
		err := json.Unmarshal(raw, &v)
		return v, err
	case tasksChannel:
		var v []Send
		err := json.Unmarshal(raw, &v)
		return v, err
	}
	return nil, nil // a channel this graph no longer has
}

func (l *loop) decodeWrite(channel string, raw json.RawMessage) (any, error) {
	switch channel {
	case tasksChannel:
		var s Send
		err := json.Unmarshal(raw, &s)
		return s, err
	case checkpoint.InterruptChannel:
		var v []InterruptValue
		err := json.Unmarshal(raw, &v)
		return v, err
	case checkpoint.ResumeChannel:
		var v []any
		err := json.Unmarshal(raw, &v)
		return v, err
	case checkpoint.ErrorChannel:
		var v string
		err := json.Unmarshal(raw, &v)
		return v, err
	}
	if ch := l.g.channels[channel]; ch != nil {
		return ch.decode(raw)
	}
	return nil, nil
}

func (l *loop) encode() (checkpoint.Checkpoint, error) {
	cp := checkpoint.Checkpoint{
		V:               1,
		ID:              l.cpID,
		TS:              l.ts,
		ChannelValues:   make(map[string]json.RawMessage, len(l.vals)),
		ChannelVersions: make(map[string]string, len(l.versions)),
		VersionsSeen:    make(map[string]map[string]string, len(l.seen)),
		UpdatedChannels: l.cpUpdated,
	}
	for name, v := range l.vals {
		b, err := json.Marshal(v)
		if err != nil {
			return cp, fmt.Errorf("graph: channel %q is not JSON-serialisable: %w", name, err)
		}
		cp.ChannelValues[name] = b
	}
	for ch, v := range l.versions {
		cp.ChannelVersions[ch] = checkpoint.FormatVersion(v)
	}
	for node, m := range l.seen {
		s := make(map[string]string, len(m))
		for ch, v := range m {
			s[ch] = checkpoint.FormatVersion(v)
		}
		cp.VersionsSeen[node] = s
	}
	return cp, nil
}

func (l *loop) config(id string) checkpoint.Config {
	return checkpoint.Config{ThreadID: l.cfg.ThreadID, CheckpointNS: l.ns, CheckpointID: id}
}

// newCheckpoint starts a checkpoint after the current one and saves it.
func (l *loop) newCheckpoint(ctx context.Context, source string, writes any, updated []string) error {
	l.parentID = l.cpID
	l.cpID = checkpoint.NewID()
	l.ts = checkpoint.Now()
	l.cpUpdated = updated
	l.pending = nil
	if !l.recordsCheckpoints() {
		l.md = nil
		return nil
	}
	md := checkpoint.Metadata{}
	for k, v := range l.cfg.Configurable {
		if strings.HasPrefix(k, "__") || k == "checkpoint_id" || k == "checkpoint_ns" || k == "checkpoint_map" {
			continue
		}
		switch v.(type) {
		case string, bool, int, int64, float64, json.Number:
			md[k] = v
		}
	}
	if l.cfg.ThreadID != "" {
		md["thread_id"] = l.cfg.ThreadID
	}
	if l.cfg.RunID != "" {
		md["run_id"] = l.cfg.RunID
	}
	maps.Copy(md, l.cfg.Metadata)
	md["source"] = source
	md["step"] = l.step
	md["writes"] = writes
	parents := l.parents
	if parents == nil {
		parents = map[string]any{}
	}
	md["parents"] = parents
	l.md = md
	l.pending = nil
	return l.save(ctx)
}

// recordsCheckpoints reports whether checkpoint metadata is saved or
// streamed; when not, the loop skips building it.
func (l *loop) recordsCheckpoints() bool {
	return l.saver != nil || l.modes[ModeDebug] || l.modes[ModeCheckpoints]
}

// save persists the current checkpoint (deferred with durability "exit").
func (l *loop) save(ctx context.Context) error {
	if l.saver == nil {
		return nil
	}
	if l.cfg.Durability == DurabilityExit {
		l.dirty = true
		return nil
	}
	return l.put(ctx)
}

func (l *loop) put(ctx context.Context) error {
	cp, err := l.encode()
	if err != nil {
		return err
	}
	parent := l.parentID
	if l.cfg.Durability == DurabilityExit {
		parent = l.savedID
		if parent == l.cpID {
			parent = l.parentID
		}
	}
	// Finished work is saved even when the run is being cancelled.
	ctx = context.WithoutCancel(ctx)
	if _, err := l.saver.Put(ctx, l.config(parent), cp, l.md, cp.ChannelVersions); err != nil {
		return fmt.Errorf("graph: save checkpoint: %w", err)
	}
	l.savedID, l.dirty = l.cpID, false
	return nil
}

// flush writes what durability "exit" deferred.
func (l *loop) flush(ctx context.Context) error {
	if l.saver == nil || !l.dirty && l.cfg.Durability != DurabilityExit {
		return nil
	}
	if l.dirty {
		if err := l.put(ctx); err != nil {
			return err
		}
	}
	byTask := map[string][]write{}
	var order []string
	for _, w := range l.pending {
		if _, ok := byTask[w.taskID]; !ok {
			order = append(order, w.taskID)
		}
		byTask[w.taskID] = append(byTask[w.taskID], write{w.channel, w.value})
	}
	for _, id := range order {
		if err := l.persistWrites(ctx, id, byTask[id]); err != nil {
			return err
		}
	}
	return nil
}

// putWrites records a task's writes against the current checkpoint.
func (l *loop) putWrites(ctx context.Context, taskID string, ws []write) error {
	l.resumeMu.Lock()
	// Replace earlier writes of the same special channels.
	for _, w := range ws {
		if checkpoint.WriteIndex(w.ch, 0) < 0 {
			kept := l.pending[:0]
			for _, p := range l.pending {
				if !(p.taskID == taskID && p.channel == w.ch) {
					kept = append(kept, p)
				}
			}
			l.pending = kept
		}
	}
	for _, w := range ws {
		l.pending = append(l.pending, pendingWrite{taskID, w.ch, w.v})
	}
	l.resumeMu.Unlock()
	if l.saver == nil || l.cfg.Durability == DurabilityExit {
		return nil
	}
	return l.persistWrites(ctx, taskID, ws)
}

func (l *loop) persistWrites(ctx context.Context, taskID string, ws []write) error {
	if l.cpID == "" {
		return nil // nothing to attach them to yet
	}
	if len(ws) == 0 {
		ws = []write{{noWrites, nil}}
	}
	out := make([]checkpoint.Write, len(ws))
	for i, w := range ws {
		b, err := json.Marshal(w.v)
		if err != nil {
			return fmt.Errorf("graph: write to %q is not JSON-serialisable: %w", w.ch, err)
		}
		out[i] = checkpoint.Write{Channel: w.ch, Value: b}
	}
	if err := l.saver.PutWrites(context.WithoutCancel(ctx), l.config(l.cpID), out, taskID); err != nil {
		return fmt.Errorf("graph: save writes: %w", err)
	}
	return nil
}

// ---- tasks ----

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
		if l.versions[p.trigger] > l.seen[name][p.trigger] {
			t := &task{name: name, node: p.node, step: step, triggers: p.triggers, path: p.path}
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
		}
	}
	return s
}

func pathString(p []any) string { return fmt.Sprint(p...) }

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
	updated := make([]string, 0, len(byCh))
	for ch := range byCh {
		updated = append(updated, ch)
	}
	sort.Strings(updated)
	for _, ch := range updated {
		ws := byCh[ch]
		switch {
		case ch == tasksChannel:
			sends := make([]Send, len(ws))
			for i, w := range ws {
				sends[i] = w.(Send)
			}
			l.vals[ch] = sends
		case strings.HasPrefix(ch, branchPrefix):
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

// markSeen records that a pull task consumed its triggers.
func (l *loop) markSeen(t *task) {
	if t.push {
		return
	}
	for _, trig := range t.triggers {
		if l.seen[t.name] == nil {
			l.seen[t.name] = map[string]int64{}
		}
		l.seen[t.name][trig] = l.versions[trig]
	}
}

func (l *loop) markInterrupted() {
	l.seen[interruptKey] = maps.Clone(l.versions)
}

// ---- the run ----

func (l *loop) run(ctx context.Context, input any) (res Result, err error) {
	if err := l.load(ctx); err != nil {
		return Result{}, err
	}
	defer func() {
		if ferr := l.flush(context.WithoutCancel(ctx)); ferr != nil && err == nil {
			err = ferr
		}
	}()
	cmd := l.cfg.Command
	switch c := input.(type) {
	case Command:
		cmd = &c
	case *Command:
		cmd = c
	}
	if cmd != nil {
		if err := l.applyCommand(ctx, cmd); err != nil {
			return Result{}, err
		}
	}
	if err := l.applyNullWrites(); err != nil {
		return Result{}, err
	}
	resuming := false
	switch {
	case cmd == nil && input != nil && !l.resuming && !l.sameRun():
		if err := l.inputStep(ctx, input); err != nil {
			return Result{}, err
		}
	case l.cpID == "" && cmd == nil:
		return Result{}, ErrEmptyInput
	default:
		resuming = l.cpID != ""
	}
	if resuming {
		// Continuing past a checkpoint: static interrupts do not fire
		// again before anything changes, and the state is streamed first.
		l.markInterrupted()
		if st := l.state(); len(st) > 0 {
			l.emit(ModeValues, st)
		}
	}
	first := l.step + 1
	for {
		if err := ctx.Err(); err != nil {
			return l.result("error"), err
		}
		if err := l.emitError(); err != nil {
			return l.result("error"), err
		}
		tasks := l.prepare()
		if len(tasks) == 0 {
			return l.result("success"), nil
		}
		if l.step+1 > first+l.limit {
			return l.result("error"), &RecursionError{Limit: l.limit}
		}
		if l.shouldInterrupt(l.before, tasks) {
			l.markInterrupted()
			if err := l.save(ctx); err != nil {
				return Result{}, err
			}
			l.emit(ModeUpdates, map[string]any{interruptKey: []InterruptValue{}})
			return l.result("interrupted"), nil
		}
		interrupts, err := l.runTasks(ctx, tasks)
		if err != nil {
			return l.result("error"), err
		}
		if len(interrupts) > 0 || l.anyInterrupted(tasks) {
			// One last "values" event with the finished tasks' writes
			// applied (they stay pending in the checkpoint).
			if preview, ok := l.previewValues(tasks); ok {
				l.emit(ModeValues, preview)
			}
			r := l.result("interrupted")
			r.Interrupts = interrupts
			return r, nil
		}
		updated, err := l.apply(tasks)
		if err != nil {
			return l.result("error"), err
		}
		l.step++
		var writes map[string]any
		if l.recordsCheckpoints() {
			writes = l.stepWrites(tasks)
		}
		if err := l.newCheckpoint(ctx, "loop", writes, updated); err != nil {
			return Result{}, err
		}
		l.afterCheckpoint(updated)
		if l.shouldInterrupt(l.after, tasks) {
			l.markInterrupted()
			if err := l.save(ctx); err != nil {
				return Result{}, err
			}
			l.emit(ModeUpdates, map[string]any{interruptKey: []InterruptValue{}})
			return l.result("interrupted"), nil
		}
	}
}

// previewValues is the state with the writes of the tasks that finished
// applied, and whether any state channel changed.
func (l *loop) previewValues(tasks []*task) (State, bool) {
	byCh := map[string][]any{}
	for _, t := range tasks {
		if t.interrupted || t.err != nil {
			continue
		}
		for _, w := range t.writes {
			if l.g.channels[w.ch] != nil {
				byCh[w.ch] = append(byCh[w.ch], w.v)
			}
		}
	}
	if len(byCh) == 0 {
		return nil, false
	}
	s := l.state()
	for ch, ws := range byCh {
		cur, has := s[ch]
		v, err := l.g.channels[ch].reduce(cur, has, ws)
		if err != nil {
			return nil, false
		}
		s[ch] = v
	}
	return s, true
}

func (l *loop) anyInterrupted(tasks []*task) bool {
	for _, t := range tasks {
		if t.interrupted {
			return true
		}
	}
	return false
}

func (l *loop) result(status string) Result {
	r := Result{Status: status, Values: l.state()}
	for _, t := range l.prepare() {
		r.Next = append(r.Next, t.name)
	}
	if l.saver != nil && l.cpID != "" {
		c := l.config(l.cpID)
		r.Checkpoint = &c
	}
	return r
}

// stepWrites is the "writes" metadata of a loop checkpoint: each node's
// update (a list when a node ran several times).
func (l *loop) stepWrites(tasks []*task) map[string]any {
	out := map[string]any{}
	for _, t := range tasks {
		if t.name == START {
			continue
		}
		u := t.update(l.g)
		if prev, ok := out[t.name]; ok {
			if list, ok := prev.([]any); ok {
				out[t.name] = append(list, u)
			} else {
				out[t.name] = []any{prev, u}
			}
			continue
		}
		out[t.name] = u
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// inputStep writes the input to START in a new "input" checkpoint,
// discarding tasks left from an earlier run.
func (l *loop) inputStep(ctx context.Context, input any) error {
	m, ok := input.(map[string]any)
	if !ok {
		conv, err := convert[map[string]any](input)
		if err != nil || conv == nil {
			return &InvalidUpdateError{Msg: fmt.Sprintf("graph input must be an object, got %T", input)}
		}
		m = conv
	}
	for _, t := range l.prepare() {
		l.markSeen(t)
	}
	delete(l.vals, tasksChannel)
	l.vals[START] = m
	l.versions[START]++
	l.step++
	if err := l.newCheckpoint(ctx, "input", map[string]any{START: m}, []string{START}); err != nil {
		return err
	}
	l.afterCheckpoint(nil)
	return nil
}

// applyCommand handles a Command given as input.
func (l *loop) applyCommand(ctx context.Context, cmd *Command) error {
	if cmd.Resume != nil {
		if err := l.mapResume(ctx, cmd.Resume); err != nil {
			return err
		}
	}
	if cmd.Update == nil && cmd.Goto == nil {
		if l.cpID == "" && cmd.Resume != nil {
			return errors.New("graph: cannot resume: the thread has no checkpoint")
		}
		return nil
	}
	t := &task{name: START, path: []any{pullPath, START}}
	if cmd.Update != nil {
		if err := l.updateWrites(t, cmd.Update, false); err != nil {
			return err
		}
	}
	if err := l.gotoWrites(t, cmd.Goto, nil); err != nil {
		return err
	}
	// Saved with the checkpoint, applied before its next step.
	return l.putWrites(ctx, nullTaskID, t.writes)
}

// sameRun reports whether the checkpoint was made by this run (a retried
// run continues instead of starting over).
func (l *loop) sameRun() bool {
	return l.ns == "" && l.cfg.RunID != "" && l.md != nil && l.md["run_id"] == l.cfg.RunID
}

// applyNullWrites applies the writes of commands (task id nullTaskID)
// pending on the checkpoint.
func (l *loop) applyNullWrites() error {
	byCh := map[string][]any{}
	for _, p := range l.pending {
		if p.taskID == nullTaskID {
			byCh[p.channel] = append(byCh[p.channel], p.value)
		}
	}
	for _, ch := range sortedKeys(byCh) {
		ws := byCh[ch]
		switch {
		case ch == tasksChannel:
			sends, _ := l.vals[ch].([]Send)
			for _, w := range ws {
				sends = append(sends, w.(Send))
			}
			l.vals[ch] = sends
		case strings.HasPrefix(ch, branchPrefix):
		default:
			spec := l.g.channels[ch]
			if spec == nil {
				continue
			}
			cur, has := l.vals[ch]
			v, err := spec.reduce(cur, has, ws)
			if err != nil {
				return &InvalidUpdateError{Msg: fmt.Sprintf("At key '%s': %v", ch, err)}
			}
			l.vals[ch] = v
		}
		l.versions[ch]++
	}
	return nil
}

// mapResume assigns resume values to the interrupted tasks of the current
// checkpoint.
func (l *loop) mapResume(ctx context.Context, resume any) error {
	tasks := l.prepare()
	var interrupted []*task
	for _, t := range tasks {
		if t.wasInterrupted {
			interrupted = append(interrupted, t)
		}
	}
	if byID, ok := resume.(map[string]any); ok && len(byID) > 0 {
		matched := false
		for _, t := range interrupted {
			for _, it := range t.prevInterrupts {
				if v, ok := byID[it.ID]; ok {
					matched = true
					if err := l.putWrites(ctx, t.id, []write{{checkpoint.ResumeChannel, append(t.resume, v)}}); err != nil {
						return err
					}
					break
				}
			}
		}
		if matched {
			return nil
		}
	}
	switch len(interrupted) {
	case 0:
		l.nullResume, l.hasNull = resume, true
		return nil
	case 1:
		t := interrupted[0]
		return l.putWrites(ctx, t.id, []write{{checkpoint.ResumeChannel, append(t.resume, resume)}})
	}
	return errors.New("graph: when there are multiple pending interrupts, you must specify the interrupt id when resuming")
}
