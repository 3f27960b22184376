package graph

import (
	"context"
	"errors"
	"fmt"

	"github.com/agentgate/agentgate/graph/checkpoint"
)

// START and END are the virtual first and last nodes.
const (
	START = "__start__"
	END   = "__end__"
)

// Internal channel and key names (as LangGraph names them).
const (
	tasksChannel  = "__pregel_tasks"
	branchPrefix  = "branch:to:"
	joinPrefix    = "join:"
	interruptKey  = "__interrupt__"
	noWrites      = "__no_writes__"
	pullPath      = "__pregel_pull"
	pushPath      = "__pregel_push"
	copyNode      = "__copy__"
	inputNode     = "__input__"
	nullTaskID    = "00000000-0000-0000-0000-000000000000"
	defaultLimit  = 25
	checkpointSep = "|"
	nsSep         = ":"
)

// Checkpointer persists runs: the saver interface of package checkpoint.
type Checkpointer = checkpoint.Saver

// State is a graph's state: channel name to value.
type State = map[string]any

// NodeFunc is a node. It returns nil, an update (a State, or any value
// whose JSON form is an object), a Command or *Command. It must not modify
// the state it is given.
type NodeFunc func(ctx context.Context, state State) (any, error)

// RouterFunc chooses where to go after a node: it returns a node name, a
// []string, a Send, a []Send, or a []any of those. It sees the state with
// the node's own writes applied.
type RouterFunc func(ctx context.Context, state State) (any, error)

// Send starts Node in the next step with Arg as its state (fan-out).
type Send struct {
	Node string `json:"node"`
	Arg  State  `json:"arg"`
}

// Command is returned by a node (Update and Goto) or given as a run's input
// (Resume, Update, Goto).
type Command struct {
	// Update is written to the state like a node's return value.
	Update State `json:"update,omitempty"`
	// Goto is a node name, []string, Send or []Send: where to go next, in
	// addition to the node's edges.
	Goto any `json:"goto,omitempty"`
	// Resume answers pending interrupts: one value for the only pending
	// interrupt, or a map of interrupt id to value.
	Resume any `json:"resume,omitempty"`
	// Graph, set to Parent by a node of a subgraph, applies Update and Goto
	// in the parent graph instead, as if the node running the subgraph had
	// returned them (multi-agent handoffs).
	Graph string `json:"graph,omitempty"`
}

// Parent is Command.Graph for the parent graph.
const Parent = "__parent__"

// parentCommand carries a Command{Graph: Parent} out of a subgraph run.
type parentCommand struct{ cmd Command }

func (e *parentCommand) Error() string {
	return "graph: Command(graph=PARENT) used outside a subgraph"
}

// InterruptValue is a value a node asked a human about.
type InterruptValue struct {
	ID    string `json:"id"`
	Value any    `json:"value"`
}

// StreamMode selects events.
type StreamMode string

// The stream modes.
const (
	ModeValues      StreamMode = "values"
	ModeUpdates     StreamMode = "updates"
	ModeMessages    StreamMode = "messages"
	ModeCustom      StreamMode = "custom"
	ModeDebug       StreamMode = "debug"
	ModeTasks       StreamMode = "tasks"
	ModeCheckpoints StreamMode = "checkpoints"
	// ModeEvents streams LangChain astream_events (v2) records: see
	// streamevents.go for the ones the runtime produces.
	ModeEvents StreamMode = "events"
)

// Event is one stream event. Data is JSON-serialisable. Namespace is empty
// for the root graph and ["node:task_id", ...] inside subgraphs.
type Event struct {
	Mode      StreamMode
	Namespace []string
	Data      any
}

// Durability says when checkpoints are written.
type Durability string

// Durability values: "sync" and "async" (the default; both write every
// checkpoint before the next step starts) and "exit" (only when the run
// ends).
const (
	DurabilitySync  Durability = "sync"
	DurabilityAsync Durability = "async"
	DurabilityExit  Durability = "exit"
)

// RunConfig configures one run (and addresses state for the state API).
type RunConfig struct {
	ThreadID     string
	CheckpointID string // run from / read this checkpoint; "" = latest
	CheckpointNS string
	RunID        string
	// Configurable and Context reach every node through Info(ctx).
	Configurable map[string]any
	Context      map[string]any
	// Metadata is added to every checkpoint's metadata and to the metadata
	// of "messages" events.
	Metadata    map[string]any
	StreamModes []StreamMode
	// Subgraphs streams the events of subgraphs too (with namespaces).
	Subgraphs bool
	// InterruptBefore and InterruptAfter, when non-nil, replace the
	// compiled lists. "*" means every node.
	InterruptBefore []string
	InterruptAfter  []string
	// Command, when set, is the input (resume, update, goto).
	Command        *Command
	RecursionLimit int // 0 means 25
	// Checkpointer persists the run; nil runs without persistence.
	Checkpointer Checkpointer
	Durability   Durability
}

// Result is how a run ended (when it did not fail).
type Result struct {
	// Status is "success" or "interrupted".
	Status string
	// Values is the final state.
	Values State
	// Interrupts raised by nodes (empty for static interrupts).
	Interrupts []InterruptValue
	// Next lists the nodes that would run next.
	Next []string
	// Checkpoint addresses the last checkpoint (nil without a checkpointer).
	Checkpoint *checkpoint.Config
}

// NodeError is a node's error; the run fails with it.
type NodeError struct {
	Node string
	Err  error
}

func (e *NodeError) Error() string { return fmt.Sprintf("node %q: %v", e.Node, e.Err) }
func (e *NodeError) Unwrap() error { return e.Err }

// RecursionError is returned when a run takes more supersteps than its
// recursion limit.
type RecursionError struct{ Limit int }

func (e *RecursionError) Error() string {
	return fmt.Sprintf("Recursion limit of %d reached without hitting a stop condition. You can increase the limit by setting the `recursion_limit` config key.", e.Limit)
}

// InvalidUpdateError is returned for a write the graph cannot accept.
type InvalidUpdateError struct{ Msg string }

func (e *InvalidUpdateError) Error() string { return e.Msg }

// ErrEmptyInput is returned when a run has neither input, command nor a
// checkpoint to continue from.
var ErrEmptyInput = errors.New("graph: received no input and there is no checkpoint to resume from")

// ErrorMessage returns the message of the error a node raised, without
// the node names the runtime wrapped it in: what LangGraph sends as the
// "message" of an error event. Other errors keep their own text.
func ErrorMessage(err error) string {
	var ne *NodeError
	for errors.As(err, &ne) {
		err = ne.Err
	}
	return err.Error()
}

// ErrorName returns the LangGraph exception name for err, for the
// {"error": name, "message": ...} events of the HTTP API.
func ErrorName(err error) string {
	var re *RecursionError
	var ie *InvalidUpdateError
	var ne *NodeError
	switch {
	case errors.As(err, &re):
		return "GraphRecursionError"
	case errors.As(err, &ie):
		return "InvalidUpdateError"
	case errors.Is(err, context.Canceled):
		return "CancelledError"
	case errors.Is(err, context.DeadlineExceeded):
		return "TimeoutError"
	case errors.As(err, &ne):
		var named interface{ ErrorName() string }
		if errors.As(ne.Err, &named) {
			return named.ErrorName()
		}
		return "NodeError"
	}
	return "Error"
}
