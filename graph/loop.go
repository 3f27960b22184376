package graph

import (
	"context"
	"errors"
	"fmt"
	"sync"

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
	step     int
	cpID     string
	parentID string
	ts       string
	md       checkpoint.Metadata
	pending  []pendingWrite
	parents  map[string]any
	savedID  string // last checkpoint id persisted (for durability "exit")
	// encoded caches each channel's JSON by version.
	encoded map[string]encodedValue
	// savedVersions are the channel versions of the last saved checkpoint.
	savedVersions map[string]int64
	dirty         bool // the current checkpoint is not persisted yet
	cpUpdated     []string

	resumeMu   sync.Mutex
	nullResume any
	hasNull    bool

	// resuming is set for a subgraph loop that continues an interrupted run.
	resuming bool
	// eventsID is the graph's run id in "events" when the run has none.
	eventsID string
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

func (l *loop) run(ctx context.Context, input any) (res Result, err error) {
	if err := l.load(ctx); err != nil {
		return Result{}, err
	}
	defer func() {
		if ferr := l.flush(context.WithoutCancel(ctx)); ferr != nil && err == nil {
			err = ferr
		}
	}()
	l.emitGraphStart(input)
	defer func() {
		if err == nil {
			l.emitGraphEnd(res.Values)
		}
	}()
	// As LangGraph: steps up to the loaded checkpoint's step + limit + 2.
	stop := l.step + 1 + l.limit + 1
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
	nullUpdated, err := l.applyNullWrites()
	if err != nil {
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
		// again before anything changes, and the state and the
		// checkpoint it continues from are streamed first.
		l.markInterrupted()
		if st := l.state(); len(st) > 0 {
			l.emit(ModeValues, st)
		}
		l.emitCheckpoint()
	}
	for {
		if err := ctx.Err(); err != nil {
			return l.result("error"), err
		}
		if err := l.emitError(); err != nil {
			return l.result("error"), err
		}
		tasks := l.prepare()
		if len(tasks) == 0 {
			if len(nullUpdated) > 0 {
				// A command's update that triggers no node (the graph had
				// finished) is still saved, as its own checkpoint.
				l.step++
				if err := l.newCheckpoint(ctx, "loop", nil, nullUpdated); err != nil {
					return Result{}, err
				}
				l.afterCheckpoint(nullUpdated)
			}
			return l.result("success"), nil
		}
		nullUpdated = nil
		if l.step+1 > stop {
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
// pending on the checkpoint and returns the channels they updated.
func (l *loop) applyNullWrites() ([]string, error) {
	byCh := map[string][]any{}
	for _, p := range l.pending {
		if p.taskID == nullTaskID {
			byCh[p.channel] = append(byCh[p.channel], p.value)
		}
	}
	return l.applyWrites(byCh)
}

// mapResume assigns resume values to the interrupted tasks of the current
// checkpoint.
func (l *loop) mapResume(ctx context.Context, resume any) error {
	tasks := l.prepare()
	var interrupted []*task
	for _, t := range tasks {
		if t.wasInterrupted && !t.cached {
			interrupted = append(interrupted, t)
		}
	}
	// A map whose keys all look like interrupt ids answers by id (as
	// LangGraph decides); any other value is the answer itself.
	if byID, ok := resume.(map[string]any); ok && len(byID) > 0 && allInterruptIDs(byID) {
		for _, t := range interrupted {
			for _, it := range t.prevInterrupts {
				if v, ok := byID[it.ID]; ok {
					if err := l.putWrites(ctx, t.id, []write{{checkpoint.ResumeChannel, append(t.resume, v)}}); err != nil {
						return err
					}
					break
				}
			}
		}
		return nil
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

func allInterruptIDs(m map[string]any) bool {
	for k := range m {
		if len(k) != 32 {
			return false
		}
		for _, c := range k {
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return false
			}
		}
	}
	return true
}
