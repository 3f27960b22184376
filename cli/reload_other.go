//go:build !unix

package cli

import (
	"context"
	"errors"
	"log/slog"
	"net"
)

// canReload: no socket handover to a child process here; dev serves in
// its own process.
const canReload = false

func inheritedListener(string) (net.Listener, error) {
	return nil, errors.New("inherited listeners are not supported on this system")
}

func superviseDev(context.Context, serverFlags, env, *slog.Logger) error {
	return errors.New("reload is not supported on this system")
}
