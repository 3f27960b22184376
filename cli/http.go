package cli

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/agentgate/agentgate/config"
	"github.com/agentgate/agentgate/genui"
	"github.com/agentgate/agentgate/server"
)

// httpOptions maps langgraph.json "http" onto the server's options.
func httpOptions(h config.HTTP) server.HTTPOptions {
	o := server.HTTPOptions{
		Disable: server.DisableOptions{
			Assistants: h.DisableAssistants,
			Threads:    h.DisableThreads,
			Runs:       h.DisableRuns,
			Store:      h.DisableStore,
			Meta:       h.DisableMeta,
			MCP:        h.DisableMCP,
			A2A:        h.DisableA2A,
			UI:         h.DisableUI,
		},
		MaxBodyBytes: h.MaxBodyBytes,
		MountPrefix:  h.MountPrefix,
	}
	if c := h.CORS; c != nil {
		o.CORS = server.CORSOptions{
			AllowOrigins:     c.AllowOrigins,
			AllowMethods:     c.AllowMethods,
			AllowHeaders:     c.AllowHeaders,
			AllowCredentials: c.AllowCredentials,
			AllowOriginRegex: c.AllowOriginRegex,
			ExposeHeaders:    c.ExposeHeaders,
			MaxAge:           int(c.MaxAge),
		}
	}
	if ch := h.ConfigurableHeaders; ch != nil {
		o.ConfigurableHeaders = server.HeaderFilter{Includes: ch.Includes, Excludes: ch.Excludes}
	}
	return o
}

// buildUI bundles langgraph.json "ui" (see docs/api.md, Generative UI).
// A bundle that does not build stops the server.
func buildUI(cfg *config.Config, log *slog.Logger) (map[string]server.UIBundle, error) {
	if len(cfg.UI.Entries) == 0 || cfg.HTTP.DisableUI {
		return nil, nil
	}
	start := time.Now()
	bundles, err := genui.Build(cfg.Dir, cfg.UI.Entries, cfg.UI.Shared)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.File, err)
	}
	out := make(map[string]server.UIBundle, len(bundles))
	for _, b := range bundles {
		ub := server.UIBundle{Global: b.Global}
		size := 0
		for _, f := range b.Files {
			ub.Files = append(ub.Files, server.UIFile{Name: f.Name, Body: f.Body})
			size += len(f.Body)
		}
		out[b.Name] = ub
		log.Info("generative UI bundled", "name", b.Name, "files", len(b.Files), "bytes", size,
			"ms", time.Since(start).Milliseconds())
	}
	return out, nil
}
