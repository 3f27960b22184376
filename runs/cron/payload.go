package cron

import (
	"encoding/json"
	"fmt"
)

// Payload is the run a cron creates on each tick: the run fields of the
// create request, stored as the cron's "payload".
type Payload struct {
	Input           any            `json:"input,omitempty"`
	Metadata        map[string]any `json:"metadata,omitempty"`
	Config          map[string]any `json:"config,omitempty"`
	Context         map[string]any `json:"context,omitempty"`
	Webhook         string         `json:"webhook,omitempty"`
	InterruptBefore []string       `json:"interrupt_before,omitempty"`
	InterruptAfter  []string       `json:"interrupt_after,omitempty"`
	StreamMode      []string       `json:"stream_mode,omitempty"`
	StreamSubgraphs bool           `json:"stream_subgraphs,omitempty"`
	StreamResumable bool           `json:"stream_resumable,omitempty"`
	Durability      string         `json:"durability,omitempty"`
	// MultitaskStrategy applies to thread crons (default enqueue).
	MultitaskStrategy string `json:"multitask_strategy,omitempty"`
}

// Map is the stored form.
func (p Payload) Map() (map[string]any, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("cron: encode payload: %w", err)
	}
	m := map[string]any{}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("cron: encode payload: %w", err)
	}
	return m, nil
}

// ParsePayload reads the stored form.
func ParsePayload(m map[string]any) (Payload, error) {
	var p Payload
	b, err := json.Marshal(m)
	if err != nil {
		return p, fmt.Errorf("cron: decode payload: %w", err)
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return p, fmt.Errorf("cron: decode payload: %w", err)
	}
	return p, nil
}
