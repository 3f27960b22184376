package cli

import (
	"context"
	"log/slog"
	"time"

	"github.com/agentgate/agentgate/tracing"
)

// tracesSummary says where traces go, for the startup line.
func tracesSummary(tp *tracing.Provider) string {
	if !tp.On() {
		return "off"
	}
	return "otlp " + tp.EndpointURL()
}

// shutdownTracing exports the spans still buffered (at most 5 s).
func shutdownTracing(ctx context.Context, tp *tracing.Provider, log *slog.Logger) {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := tp.Shutdown(sctx); err != nil {
		log.Warn("exporting the last traces", "err", err)
	}
}
