package checkpoint

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"sync"
)

// Memory is an in-process Saver. It keeps JSON encodings of what it is
// given, so what it returns behaves exactly like a JSON-backed store (numbers
// in metadata come back as float64) and callers cannot alias its state.
type Memory struct {
	mu      sync.RWMutex
	threads map[string]map[string]map[string]*memEntry // thread -> ns -> id
}

type memEntry struct {
	checkpoint []byte
	metadata   []byte
	parentID   string
	writes     map[writeKey]memWrite
}

type writeKey struct {
	taskID string
	idx    int
}

type memWrite struct {
	channel string
	value   []byte
}

// NewMemory returns an empty in-memory saver.
func NewMemory() *Memory {
	return &Memory{threads: map[string]map[string]map[string]*memEntry{}}
}

var _ Saver = (*Memory)(nil)

// Put implements Saver.
func (m *Memory) Put(ctx context.Context, config Config, cp Checkpoint, md Metadata, newVersions map[string]string) (Config, error) {
	if err := ctx.Err(); err != nil {
		return Config{}, err
	}
	if config.ThreadID == "" {
		return Config{}, errors.New("checkpoint: put: empty thread id")
	}
	if cp.ID == "" {
		return Config{}, errors.New("checkpoint: put: empty checkpoint id")
	}
	cpb, err := json.Marshal(cp)
	if err != nil {
		return Config{}, fmt.Errorf("checkpoint: put: encode checkpoint: %w", err)
	}
	if md == nil {
		md = Metadata{}
	}
	mdb, err := json.Marshal(md)
	if err != nil {
		return Config{}, fmt.Errorf("checkpoint: put: encode metadata: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	ns := m.namespace(config.ThreadID, config.CheckpointNS)
	e := ns[cp.ID]
	if e == nil {
		e = &memEntry{}
		ns[cp.ID] = e
	}
	e.checkpoint, e.metadata, e.parentID = cpb, mdb, config.CheckpointID
	return Config{ThreadID: config.ThreadID, CheckpointNS: config.CheckpointNS, CheckpointID: cp.ID}, nil
}

func (m *Memory) namespace(thread, ns string) map[string]*memEntry {
	t := m.threads[thread]
	if t == nil {
		t = map[string]map[string]*memEntry{}
		m.threads[thread] = t
	}
	n := t[ns]
	if n == nil {
		n = map[string]*memEntry{}
		t[ns] = n
	}
	return n
}

// PutWrites implements Saver.
func (m *Memory) PutWrites(ctx context.Context, config Config, writes []Write, taskID string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if config.ThreadID == "" || config.CheckpointID == "" {
		return errors.New("checkpoint: put writes: thread id and checkpoint id are required")
	}
	vals, err := WriteValues(writes)
	if err != nil {
		return fmt.Errorf("checkpoint: put writes: %w", err)
	}
	enc := make([]memWrite, len(writes))
	for i, w := range writes {
		enc[i] = memWrite{channel: w.Channel, value: vals[i]}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	ns := m.namespace(config.ThreadID, config.CheckpointNS)
	e := ns[config.CheckpointID]
	if e == nil {
		// Writes may arrive for a checkpoint this saver has not seen; keep
		// them so that a later Put of that id finds them.
		e = &memEntry{}
		ns[config.CheckpointID] = e
	}
	if e.writes == nil {
		e.writes = make(map[writeKey]memWrite, len(enc))
	}
	for i, w := range enc {
		e.writes[writeKey{taskID, WriteIndex(w.channel, i)}] = w
	}
	return nil
}

// GetTuple implements Saver.
func (m *Memory) GetTuple(ctx context.Context, config Config) (Tuple, error) {
	if err := ctx.Err(); err != nil {
		return Tuple{}, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	ns := m.threads[config.ThreadID][config.CheckpointNS]
	id := config.CheckpointID
	if id == "" {
		for k, e := range ns {
			if e.checkpoint != nil && k > id {
				id = k
			}
		}
	}
	e := ns[id]
	if e == nil || e.checkpoint == nil {
		return Tuple{}, ErrNotFound
	}
	return e.tuple(config.ThreadID, config.CheckpointNS, id)
}

// List implements Saver.
func (m *Memory) List(ctx context.Context, config Config, opts ListOptions) ([]Tuple, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	ns := m.threads[config.ThreadID][config.CheckpointNS]
	ids := make([]string, 0, len(ns))
	for id, e := range ns {
		if e.checkpoint == nil {
			continue
		}
		if config.CheckpointID != "" && id != config.CheckpointID {
			continue
		}
		if opts.Before != "" && id >= opts.Before {
			continue
		}
		ids = append(ids, id)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(ids)))
	var out []Tuple
	for _, id := range ids {
		t, err := ns[id].tuple(config.ThreadID, config.CheckpointNS, id)
		if err != nil {
			return nil, err
		}
		if !MatchFilter(t.Metadata, opts.Filter) {
			continue
		}
		out = append(out, t)
		if opts.Limit > 0 && len(out) >= opts.Limit {
			break
		}
	}
	return out, nil
}

// MatchFilter reports whether md has every key of filter with a JSON-equal
// value (after a JSON round trip of both, so 1 equals 1.0).
func MatchFilter(md Metadata, filter map[string]any) bool {
	for k, want := range filter {
		got, ok := md[k]
		if !ok {
			return false
		}
		if !jsonEqual(got, want) {
			return false
		}
	}
	return true
}

func jsonEqual(a, b any) bool {
	var x, y any
	ab, err1 := json.Marshal(a)
	bb, err2 := json.Marshal(b)
	if err1 != nil || err2 != nil {
		return false
	}
	if json.Unmarshal(ab, &x) != nil || json.Unmarshal(bb, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

func (e *memEntry) tuple(thread, ns, id string) (Tuple, error) {
	t := Tuple{Config: Config{ThreadID: thread, CheckpointNS: ns, CheckpointID: id}}
	if err := json.Unmarshal(e.checkpoint, &t.Checkpoint); err != nil {
		return Tuple{}, fmt.Errorf("checkpoint: decode: %w", err)
	}
	if err := json.Unmarshal(e.metadata, &t.Metadata); err != nil {
		return Tuple{}, fmt.Errorf("checkpoint: decode metadata: %w", err)
	}
	if e.parentID != "" {
		t.ParentConfig = &Config{ThreadID: thread, CheckpointNS: ns, CheckpointID: e.parentID}
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
	t.PendingWrites = make([]PendingWrite, 0, len(keys))
	for _, k := range keys {
		w := e.writes[k]
		t.PendingWrites = append(t.PendingWrites, PendingWrite{TaskID: k.taskID, Channel: w.channel, Value: append(json.RawMessage(nil), w.value...)})
	}
	return t, nil
}

// DeleteThread implements Saver.
func (m *Memory) DeleteThread(ctx context.Context, threadID string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.threads, threadID)
	return nil
}

// CopyThread implements Saver.
func (m *Memory) CopyThread(ctx context.Context, srcThreadID, dstThreadID string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if dstThreadID == "" {
		return errors.New("checkpoint: copy thread: empty destination")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if srcThreadID == dstThreadID {
		return nil
	}
	for nsName, ns := range m.threads[srcThreadID] {
		dst := m.namespace(dstThreadID, nsName)
		for id, e := range ns {
			c := &memEntry{checkpoint: e.checkpoint, parentID: e.parentID, writes: make(map[writeKey]memWrite, len(e.writes))}
			for k, w := range e.writes {
				c.writes[k] = w
			}
			c.metadata = e.metadata
			if e.metadata != nil {
				var md Metadata
				if err := json.Unmarshal(e.metadata, &md); err != nil {
					return fmt.Errorf("checkpoint: copy thread: %w", err)
				}
				if _, ok := md["thread_id"]; ok {
					md["thread_id"] = dstThreadID
					b, err := json.Marshal(md)
					if err != nil {
						return fmt.Errorf("checkpoint: copy thread: %w", err)
					}
					c.metadata = b
				}
			}
			dst[id] = c
		}
	}
	return nil
}
