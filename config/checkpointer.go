package config

import (
	"encoding/json"
	"math"
)

// Checkpointer is langgraph.json "checkpointer": agentgate keeps
// checkpoints in its own database, so only "ttl" is taken.
type Checkpointer struct {
	TTL *CheckpointTTL
}

// CheckpointTTL is "checkpointer.ttl": what happens to a thread
// DefaultTTLMinutes after its last update (threads created with no ttl of
// their own get it), how often the sweeper looks and how many threads it
// handles per sweep.
type CheckpointTTL struct {
	Strategy             string // "delete" (default) or "keep_latest"
	DefaultTTLMinutes    *float64
	SweepIntervalMinutes *int64
	SweepLimit           *int64
}

func (d *decoder) checkpointer(raw json.RawMessage) (*Checkpointer, error) {
	obj, err := d.object("checkpointer", raw)
	if err != nil {
		return nil, err
	}
	for _, k := range []string{"path", "serde"} {
		if _, ok := obj[k]; ok {
			return nil, d.errf("checkpointer."+k, "not supported: agentgate keeps checkpoints in its own database")
		}
	}
	if err := d.checkKeys("checkpointer", obj, "ttl"); err != nil {
		return nil, err
	}
	c := &Checkpointer{}
	if v, ok := obj["ttl"]; ok {
		if c.TTL, err = d.checkpointTTL(v); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (d *decoder) checkpointTTL(raw json.RawMessage) (*CheckpointTTL, error) {
	const p = "checkpointer.ttl"
	obj, err := d.object(p, raw)
	if err != nil {
		return nil, err
	}
	if err := d.checkKeys(p, obj, "strategy", "default_ttl", "sweep_interval_minutes", "sweep_limit"); err != nil {
		return nil, err
	}
	t := &CheckpointTTL{Strategy: "delete"}
	if v, ok := obj["strategy"]; ok {
		if t.Strategy, err = d.str(p+".strategy", v); err != nil {
			return nil, err
		}
		if t.Strategy != "delete" && t.Strategy != "keep_latest" {
			return nil, d.errf(p+".strategy", "must be \"delete\" or \"keep_latest\", got %q", t.Strategy)
		}
	}
	if v, ok := obj["default_ttl"]; ok {
		f, err := d.number(p+".default_ttl", v, 0)
		if err != nil {
			return nil, err
		}
		if f <= 0 {
			return nil, d.errf(p+".default_ttl", "must be a positive number of minutes, got %g", f)
		}
		t.DefaultTTLMinutes = &f
	}
	for key, dst := range map[string]**int64{"sweep_interval_minutes": &t.SweepIntervalMinutes, "sweep_limit": &t.SweepLimit} {
		if v, ok := obj[key]; ok {
			n, err := d.integer(p+"."+key, v, 1, math.MaxInt32)
			if err != nil {
				return nil, err
			}
			*dst = &n
		}
	}
	return t, nil
}
