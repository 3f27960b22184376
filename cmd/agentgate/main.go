// Command agentgate is an agent server that speaks the LangGraph Platform
// HTTP API.
//
//	agentgate dev      local development: SQLite under .agentgate/, text logs
//	agentgate serve    production: address, database and log format from flags or env
//	agentgate version  print the version
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], env{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv})
	stop()
	os.Exit(code)
}
