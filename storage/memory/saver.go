package memory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/agentgate/agentgate/graph/checkpoint"
	"github.com/agentgate/agentgate/storage"
	"github.com/agentgate/agentgate/storage/internal/query"
)

// cpThreads holds checkpoints: thread -> namespace -> checkpoint id. It is
// guarded by the Store's mutex.
type cpThreads map[string]map[string]map[string]*cpEntry

type cpEntry struct {
	checkpoint []byte // nil while only writes are known
	metadata   []byte
	parentID   string
	writes     map[writeKey]cpWrite
}

type writeKey struct {
	taskID string
	idx    int
}

type cpWrite struct {
	channel string
	value   []byte
}

func (c cpThreads) entry(thread, ns, id string) *cpEntry {
	t := c[thread]
	if t == nil {
		t = map[string]map[string]*cpEntry{}
		c[thread] = t
	}
	n := t[ns]
	if n == nil {
		n = map[string]*cpEntry{}
		t[ns] = n
	}
	e := n[id]
	if e == nil {
		e = &cpEntry{writes: map[writeKey]cpWrite{}}
		n[id] = e
	}
	return e
}

// latest is the greatest id with a checkpoint in ns, or "".
func latest(ns map[string]*cpEntry) string {
	id := ""
	for k, e := range ns {
		if e.checkpoint != nil && k > id {
			id = k
		}
	}
	return id
}

// copyThread copies every checkpoint and write of src to dst, setting a
// "thread_id" metadata key to dst.
func (c cpThreads) copyThread(src, dst string) error {
	if src == dst {
		return nil
	}
	for nsName, ns := range c[src] {
		for id, e := range ns {
			d := c.entry(dst, nsName, id)
			d.checkpoint, d.metadata, d.parentID = e.checkpoint, e.metadata, e.parentID
			d.writes = make(map[writeKey]cpWrite, len(e.writes))
			for k, w := range e.writes {
				d.writes[k] = w
			}
			if e.metadata == nil {
				continue
			}
			var md map[string]any
			if err := json.Unmarshal(e.metadata, &md); err != nil {
				return fmt.Errorf("memory store: copy checkpoint metadata: %w", err)
			}
			if _, ok := md["thread_id"]; ok {
				md["thread_id"] = dst
				b, err := json.Marshal(md)
				if err != nil {
					return fmt.Errorf("memory store: copy checkpoint metadata: %w", err)
				}
				d.metadata = b
			}
		}
	}
	return nil
}

// keepLatest drops all but the latest checkpoint of each namespace.
func (c cpThreads) keepLatest(thread string) {
	for _, ns := range c[thread] {
		keep := latest(ns)
		for id := range ns {
			if id != keep {
				delete(ns, id)
			}
		}
	}
}

// saver is the checkpoint.Saver of one thread (or of every thread when
// thread is "", which only tests use).
type saver struct {
	st     *Store
	thread string
	scope  storage.Scope
}

var _ checkpoint.Saver = (*saver)(nil)

func (v *saver) check(ctx context.Context, thread string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if v.thread != "" && thread != v.thread {
		return query.OtherThread(v.thread, thread)
	}
	return nil
}

// writable takes the write lock and checks that the bound thread still exists.
func (v *saver) writable(thread string) error {
	v.st.mu.Lock()
	if err := v.st.open(); err != nil {
		v.st.mu.Unlock()
		return err
	}
	if v.thread != "" && v.st.threads[thread] == nil {
		v.st.mu.Unlock()
		return query.ThreadNotFound(thread)
	}
	return nil
}

func (v *saver) Put(ctx context.Context, cfg checkpoint.Config, cp checkpoint.Checkpoint, md checkpoint.Metadata, _ map[string]string) (checkpoint.Config, error) {
	if err := v.check(ctx, cfg.ThreadID); err != nil {
		return checkpoint.Config{}, err
	}
	if cfg.ThreadID == "" || cp.ID == "" {
		return checkpoint.Config{}, errors.New("memory store: put checkpoint: thread id and checkpoint id are required")
	}
	cpb, err := json.Marshal(cp)
	if err != nil {
		return checkpoint.Config{}, fmt.Errorf("memory store: encode checkpoint: %w", err)
	}
	if md == nil {
		md = checkpoint.Metadata{}
	}
	mdb, err := json.Marshal(md)
	if err != nil {
		return checkpoint.Config{}, fmt.Errorf("memory store: encode checkpoint metadata: %w", err)
	}
	if err := v.writable(cfg.ThreadID); err != nil {
		return checkpoint.Config{}, err
	}
	defer v.st.mu.Unlock()
	e := v.st.cps.entry(cfg.ThreadID, cfg.CheckpointNS, cp.ID)
	e.checkpoint, e.metadata, e.parentID = cpb, mdb, cfg.CheckpointID
	return checkpoint.Config{ThreadID: cfg.ThreadID, CheckpointNS: cfg.CheckpointNS, CheckpointID: cp.ID}, nil
}

func (v *saver) PutWrites(ctx context.Context, cfg checkpoint.Config, writes []checkpoint.Write, taskID string) error {
	if err := v.check(ctx, cfg.ThreadID); err != nil {
		return err
	}
	if cfg.ThreadID == "" || cfg.CheckpointID == "" {
		return errors.New("memory store: put writes: thread id and checkpoint id are required")
	}
	vals, err := checkpoint.WriteValues(writes)
	if err != nil {
		return fmt.Errorf("memory store: %w", err)
	}
	enc := make([]cpWrite, len(writes))
	for i, w := range writes {
		enc[i] = cpWrite{channel: w.Channel, value: vals[i]}
	}
	if err := v.writable(cfg.ThreadID); err != nil {
		return err
	}
	defer v.st.mu.Unlock()
	e := v.st.cps.entry(cfg.ThreadID, cfg.CheckpointNS, cfg.CheckpointID)
	for i, w := range enc {
		e.writes[writeKey{taskID, checkpoint.WriteIndex(w.channel, i)}] = w
	}
	return nil
}

func (v *saver) GetTuple(ctx context.Context, cfg checkpoint.Config) (checkpoint.Tuple, error) {
	if err := v.check(ctx, cfg.ThreadID); err != nil {
		return checkpoint.Tuple{}, err
	}
	v.st.mu.RLock()
	defer v.st.mu.RUnlock()
	ns := v.st.cps[cfg.ThreadID][cfg.CheckpointNS]
	id := cfg.CheckpointID
	if id == "" {
		id = latest(ns)
	}
	e := ns[id]
	if e == nil || e.checkpoint == nil {
		return checkpoint.Tuple{}, checkpoint.ErrNotFound
	}
	return e.tuple(cfg.ThreadID, cfg.CheckpointNS, id)
}

func (v *saver) List(ctx context.Context, cfg checkpoint.Config, opts checkpoint.ListOptions) ([]checkpoint.Tuple, error) {
	if err := v.check(ctx, cfg.ThreadID); err != nil {
		return nil, err
	}
	v.st.mu.RLock()
	defer v.st.mu.RUnlock()
	ns := v.st.cps[cfg.ThreadID][cfg.CheckpointNS]
	ids := make([]string, 0, len(ns))
	for id, e := range ns {
		if e.checkpoint == nil || (cfg.CheckpointID != "" && id != cfg.CheckpointID) || (opts.Before != "" && id >= opts.Before) {
			continue
		}
		ids = append(ids, id)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(ids)))
	var out []checkpoint.Tuple
	for _, id := range ids {
		t, err := ns[id].tuple(cfg.ThreadID, cfg.CheckpointNS, id)
		if err != nil {
			return nil, err
		}
		if !checkpoint.MatchFilter(t.Metadata, opts.Filter) {
			continue
		}
		out = append(out, t)
		if opts.Limit > 0 && len(out) >= opts.Limit {
			break
		}
	}
	return out, nil
}

func (e *cpEntry) tuple(thread, ns, id string) (checkpoint.Tuple, error) {
	t := checkpoint.Tuple{Config: checkpoint.Config{ThreadID: thread, CheckpointNS: ns, CheckpointID: id}}
	if err := json.Unmarshal(e.checkpoint, &t.Checkpoint); err != nil {
		return checkpoint.Tuple{}, fmt.Errorf("memory store: decode checkpoint: %w", err)
	}
	if err := json.Unmarshal(e.metadata, &t.Metadata); err != nil {
		return checkpoint.Tuple{}, fmt.Errorf("memory store: decode checkpoint metadata: %w", err)
	}
	if e.parentID != "" {
		t.ParentConfig = &checkpoint.Config{ThreadID: thread, CheckpointNS: ns, CheckpointID: e.parentID}
	}
	keys := make([]writeKey, 0, len(e.writes))
	for k := range e.writes {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].taskID != keys[j].taskID {
			return keys[i].taskID < keys[j].taskID
		}
		return keys[i].idx < keys[j].idx
	})
	t.PendingWrites = make([]checkpoint.PendingWrite, 0, len(keys))
	for _, k := range keys {
		w := e.writes[k]
		t.PendingWrites = append(t.PendingWrites, checkpoint.PendingWrite{TaskID: k.taskID, Channel: w.channel, Value: append(json.RawMessage(nil), w.value...)})
	}
	return t, nil
}

func (v *saver) DeleteThread(ctx context.Context, thread string) error {
	if err := v.check(ctx, thread); err != nil {
		return err
	}
	v.st.mu.Lock()
	defer v.st.mu.Unlock()
	delete(v.st.cps, thread)
	return nil
}

// CopyThread copies the bound thread's checkpoints to dst, which must be a
// thread the saver's scope can see.
func (v *saver) CopyThread(ctx context.Context, src, dst string) error {
	if err := v.check(ctx, src); err != nil {
		return err
	}
	if dst == "" {
		return errors.New("memory store: copy checkpoints: empty destination")
	}
	v.st.mu.Lock()
	defer v.st.mu.Unlock()
	if v.thread != "" {
		if _, err := v.st.visibleThread(v.scope, dst); err != nil {
			return err
		}
	}
	return v.st.cps.copyThread(src, dst)
}
