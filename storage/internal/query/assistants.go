package query

import "github.com/agentgate/agentgate/storage"

// DefaultName is the name of an assistant created without one.
const DefaultName = "Untitled"

// NewAssistant validates a create request and returns the assistant it
// makes (version 1, without timestamps), with a generated id if needed.
func NewAssistant(c storage.AssistantCreate) (storage.Assistant, error) {
	if err := IfExists(c.IfExists); err != nil {
		return storage.Assistant{}, err
	}
	if c.GraphID == "" {
		return storage.Assistant{}, storage.Errorf(storage.ErrInvalid, "graph_id is required")
	}
	a := storage.Assistant{AssistantID: c.AssistantID, GraphID: c.GraphID, Name: c.Name, Version: 1}
	if a.AssistantID == "" {
		a.AssistantID = NewID()
	}
	if a.Name == "" {
		a.Name = DefaultName
	}
	if c.Description != nil {
		d := *c.Description
		a.Description = &d
	}
	var err error
	if a.Config, err = NormalizeMap(c.Config); err != nil {
		return storage.Assistant{}, err
	}
	if a.Context, err = NormalizeMap(c.Context); err != nil {
		return storage.Assistant{}, err
	}
	if a.Metadata, err = NormalizeMap(c.Metadata); err != nil {
		return storage.Assistant{}, err
	}
	return a, nil
}

// NormalizePatch validates a patch and normalizes its maps (nil stays nil).
func NormalizePatch(p storage.AssistantPatch) (storage.AssistantPatch, error) {
	if p.GraphID != nil && *p.GraphID == "" {
		return p, storage.Errorf(storage.ErrInvalid, "graph_id must not be empty")
	}
	var err error
	for _, m := range []*map[string]any{&p.Config, &p.Context, &p.Metadata} {
		if *m != nil {
			if *m, err = NormalizeMap(*m); err != nil {
				return p, err
			}
		}
	}
	return p, nil
}

// ApplyPatch returns a with p applied: set fields replace, metadata merges.
// a's maps must not be shared with stored data.
func ApplyPatch(a storage.Assistant, p storage.AssistantPatch) storage.Assistant {
	if p.GraphID != nil {
		a.GraphID = *p.GraphID
	}
	if p.Name != nil {
		a.Name = *p.Name
	}
	if p.Description != nil {
		d := *p.Description
		a.Description = &d
	}
	if p.Config != nil {
		a.Config = p.Config
	}
	if p.Context != nil {
		a.Context = p.Context
	}
	if p.Metadata != nil {
		a.Metadata = Merge(a.Metadata, p.Metadata)
	}
	return a
}
