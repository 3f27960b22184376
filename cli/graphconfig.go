package cli

import (
	"encoding/json"
	"fmt"
	"strings"
)

// graphConfigs reads LANGGRAPH_CONFIG, which the LangGraph servers take as
// the config of each graph's system assistant: a JSON object of graph id to
// config object (a "context" key in one is the assistant's context). An
// invalid value refuses the start rather than being ignored.
func graphConfigs(e env) (map[string]map[string]any, error) {
	raw := strings.TrimSpace(e.getenv("LANGGRAPH_CONFIG"))
	if raw == "" {
		return nil, nil
	}
	var out map[string]map[string]any
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		return nil, fmt.Errorf("LANGGRAPH_CONFIG: must be a JSON object of graph id to config object: %w", err)
	}
	for id, c := range out {
		if c == nil {
			return nil, fmt.Errorf("LANGGRAPH_CONFIG: %s: must be a config object", id)
		}
		if v, ok := c["context"]; ok && v != nil {
			if _, ok := v.(map[string]any); !ok {
				return nil, fmt.Errorf("LANGGRAPH_CONFIG: %s.context: must be an object", id)
			}
		}
	}
	return out, nil
}
