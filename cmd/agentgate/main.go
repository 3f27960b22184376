// Command agentgate is an agent server that speaks the LangGraph Platform
// HTTP API. All of it lives in package cli; see "agentgate help".
package main

import (
	"os"

	"github.com/agentgate/agentgate/cli"
)

func main() {
	os.Exit(cli.Main(cli.Program{}, os.Args[1:]))
}
