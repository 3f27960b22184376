package cli

import (
	"log/slog"
	"sort"
	"strings"

	"github.com/agentgate/agentgate/agent/mcptools"
	"github.com/agentgate/agentgate/config"
	"github.com/agentgate/agentgate/graphs/approval"
	"github.com/agentgate/agentgate/graphs/chatbot"
	"github.com/agentgate/agentgate/graphs/react"
	"github.com/agentgate/agentgate/llm/models"
	"github.com/agentgate/agentgate/server"
)

// builtinGraph builds one graph compiled into the binary.
type builtinGraph func() (server.Graph, error)

// builtinGraphs is the registry behind "builtin:<name>" in langgraph.json.
// It is built on each call: no package state. getenv reads the model
// settings (llm/models.Default); each graph owns its model registry. The
// agent also gets the tools of the MCP servers in cfg's "mcp" (cfg may be
// nil).
func builtinGraphs(getenv func(string) string, cfg *config.Config) map[string]builtinGraph {
	return map[string]builtinGraph{
		// The chatbot answers with configurable.model, else the default
		// model: the echo model when no API key is set.
		"chatbot": func() (server.Graph, error) {
			reg, err := models.NewRegistry(getenv)
			if err != nil {
				return nil, err
			}
			return chatbot.NewWithModels(reg)
		},
		// A ReAct agent with current_time, calculator and whoami, and the
		// tools of the configured MCP servers (all of them, or those a
		// run names in configurable.mcp_servers).
		"agent": func() (server.Graph, error) {
			reg, err := models.NewRegistry(getenv)
			if err != nil {
				return nil, err
			}
			servers := mcptools.FromConfig(cfg)
			if len(servers) == 0 {
				return react.New(reg)
			}
			pool, err := mcptools.NewPool(servers)
			if err != nil {
				return nil, err
			}
			tools, err := react.Tools()
			if err != nil {
				return nil, err
			}
			return mcptools.NewReact(reg.RunModel(), pool, tools, mcptools.ReactOptions{
				SystemPrompt: react.SystemPrompt, Name: "agent", Servers: pool.Servers()})
		},
		// The approval graph interrupts for a human decision (resume with a command).
		"approval": func() (server.Graph, error) { return approval.New() },
	}
}

// logBuiltinModel logs, once, which model the configured built-in chatbot
// and agent use by default and why (never a key's value).
func logBuiltinModel(cfg *config.Config, getenv func(string) string, log *slog.Logger) {
	var users []string
	for _, name := range []string{"chatbot", "agent"} {
		for _, g := range cfg.Graphs {
			if g.Kind == config.GraphBuiltin && g.Builtin == name {
				users = append(users, name)
				break
			}
		}
	}
	if len(users) == 0 {
		return
	}
	spec, reason := models.Default(getenv)
	log.Info(strings.Join(users, " and ") + " model: " + spec + " (" + reason + ")")
}

func builtinNames(m map[string]builtinGraph) string {
	if len(m) == 0 {
		return "none yet"
	}
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
