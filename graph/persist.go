package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strings"

	"github.com/agentgate/agentgate/graph/checkpoint"
)

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
	l.savedVersions = maps.Clone(l.versions)
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
	if _, ok := l.g.joins[name]; ok {
		var v []string
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
	if _, ok := l.g.joins[channel]; ok {
		var v string
		err := json.Unmarshal(raw, &v)
		return v, err
	}
	return nil, nil
}

type encodedValue struct {
	version int64
	raw     json.RawMessage
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
	if l.encoded == nil {
		l.encoded = map[string]encodedValue{}
	}
	for name, v := range l.vals {
		// A channel's value changes only with its version: reuse its JSON.
		if e, ok := l.encoded[name]; ok && e.version == l.versions[name] {
			cp.ChannelValues[name] = e.raw
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			return cp, fmt.Errorf("graph: channel %q is not JSON-serialisable: %w", name, err)
		}
		cp.ChannelValues[name] = b
		l.encoded[name] = encodedValue{version: l.versions[name], raw: b}
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
		// langgraph_auth_* carry the caller's identity: LangGraph keeps them
		// out of checkpoint metadata, which any reader of the thread sees.
		if strings.HasPrefix(k, "__") || strings.HasPrefix(k, "langgraph_auth_") ||
			k == "checkpoint_id" || k == "checkpoint_ns" || k == "checkpoint_map" {
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
	newVersions := make(map[string]string, len(l.versions))
	for ch, v := range l.versions {
		if v != l.savedVersions[ch] {
			newVersions[ch] = cp.ChannelVersions[ch]
		}
	}
	if _, err := l.saver.Put(ctx, l.config(parent), cp, l.md, newVersions); err != nil {
		return fmt.Errorf("graph: save checkpoint: %w", err)
	}
	l.savedID, l.dirty = l.cpID, false
	l.savedVersions = maps.Clone(l.versions)
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
	if l.saver == nil && taskID != nullTaskID {
		return nil // nothing will read them
	}
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
