package runs

import (
	"encoding/json"
	"fmt"

	"github.com/agentgate/agentgate/graph"
)

// Kwargs is what a run executes, stored as the run's "kwargs".
type Kwargs struct {
	Input   any            `json:"input"`
	Command *graph.Command `json:"command"`
	// Config is the merged config (see MergeConfig); configurable holds
	// graph_id, thread_id, run_id and, when given, checkpoint_id.
	Config  map[string]any `json:"config"`
	Context map[string]any `json:"context"`
	// StreamMode lists the modes the client asked for.
	StreamMode      []string `json:"stream_mode"`
	InterruptBefore []string `json:"interrupt_before"`
	InterruptAfter  []string `json:"interrupt_after"`
	Webhook         string   `json:"webhook,omitempty"`
	FeedbackKeys    []string `json:"feedback_keys,omitempty"`
	// Temporary runs (stateless, on_completion=delete) run without a
	// checkpointer and their thread is deleted when they end.
	Temporary  bool   `json:"temporary"`
	Subgraphs  bool   `json:"subgraphs"`
	Resumable  bool   `json:"resumable"`
	Durability string `json:"durability,omitempty"`
	// Traceparent: see TraceparentKey.
	Traceparent string `json:"traceparent,omitempty"`
}

// Map is the JSON object form stored in storage. When k holds JSON values
// (and string lists) only, it is built directly; else through
// encoding/json, the reference.
func (k Kwargs) Map() (map[string]any, error) {
	if m, ok := k.mapOf(); ok {
		return m, nil
	}
	b, err := json.Marshal(k)
	if err != nil {
		return nil, fmt.Errorf("runs: encode kwargs: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("runs: encode kwargs: %w", err)
	}
	return m, nil
}

// ParseKwargs reads the stored form. The usual form (Map's keys with JSON
// values, as storage returns them) is read directly, copying its values;
// anything else goes through encoding/json, whose rules and errors are the
// reference (a run used to pay two JSON round trips here).
func ParseKwargs(m map[string]any) (Kwargs, error) {
	if k, ok := kwargsOf(m); ok {
		return k, nil
	}
	var k Kwargs
	b, err := json.Marshal(m)
	if err != nil {
		return k, fmt.Errorf("runs: decode kwargs: %w", err)
	}
	if err := json.Unmarshal(b, &k); err != nil {
		return k, fmt.Errorf("runs: decode kwargs: %w", err)
	}
	return k, nil
}

// Apply returns k with what an authorization handler changed in its map
// form m (LangGraph hands handlers the live value): everything but
// Temporary, which stays the server's. Callers merge the config again so
// that the caller's identity and the run's ids cannot be changed; a changed
// webhook must pass CheckWebhookURL.
func (k Kwargs) Apply(m map[string]any) (Kwargs, error) {
	changed, err := ParseKwargs(m)
	if err != nil {
		return k, fmt.Errorf("the threads:create_run handler left invalid kwargs: %w", err)
	}
	if changed.Webhook != k.Webhook && changed.Webhook != "" {
		if err := CheckWebhookURL(changed.Webhook); err != nil {
			return k, fmt.Errorf("the threads:create_run handler set a bad webhook: %w", err)
		}
	}
	if len(changed.StreamMode) == 0 {
		changed.StreamMode = []string{"values"}
	}
	changed.Temporary = k.Temporary
	return changed, nil
}

// configurable returns config.configurable (never nil).
func (k Kwargs) configurable() map[string]any {
	if c, ok := k.Config["configurable"].(map[string]any); ok {
		return c
	}
	return map[string]any{}
}

// GraphID is the graph the run executes.
func (k Kwargs) GraphID() string {
	s, _ := k.configurable()["graph_id"].(string)
	return s
}

// graphModes is the set of graph modes to run with: the requested ones
// (messages-tuple and the legacy messages both map to the graph's messages
// mode, and legacy and tuples say which wire forms were asked for; modes the
// runtime does not have are dropped) plus values, which the
// run's result is computed from.
func (k Kwargs) graphModes() (modes []graph.StreamMode, requested map[graph.StreamMode]bool, legacy, tuples bool) {
	requested = map[graph.StreamMode]bool{}
	for _, m := range k.StreamMode {
		gm := graph.StreamMode(m)
		switch gm {
		case "messages-tuple":
			gm = graph.ModeMessages
			tuples = true
		case graph.ModeMessages:
			legacy = true
		case graph.ModeValues, graph.ModeUpdates, graph.ModeCustom,
			graph.ModeDebug, graph.ModeTasks, graph.ModeCheckpoints, graph.ModeEvents:
		default:
			continue
		}
		if !requested[gm] {
			requested[gm] = true
			modes = append(modes, gm)
		}
	}
	if !requested[graph.ModeValues] {
		modes = append(modes, graph.ModeValues)
	}
	return modes, requested, legacy, tuples
}
