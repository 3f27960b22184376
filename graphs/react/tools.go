package react

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // current_time works where the system has no zoneinfo

	"github.com/agentgate/agentgate/agent"
	"github.com/agentgate/agentgate/graph"
)

// Tools returns the built-in agent's tools: current_time, calculator and
// whoami. None reaches the network, the file system or the process.
func Tools() ([]agent.Tool, error) {
	var out []agent.Tool
	for _, mk := range []func() (agent.Tool, error){CurrentTime, Calculator, WhoAmI} {
		t, err := mk()
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// TimeArgs are current_time's arguments.
type TimeArgs struct {
	Timezone string `json:"timezone,omitempty" jsonschema:"description=IANA time zone such as Europe/Oslo or America/New_York; UTC when empty"`
}

// TimeResult is current_time's answer.
type TimeResult struct {
	Time     string `json:"time"` // RFC 3339
	Timezone string `json:"timezone"`
	Weekday  string `json:"weekday"`
}

// CurrentTime is the current_time tool: the date and time in a time zone.
func CurrentTime() (agent.Tool, error) {
	return agent.NewTool("current_time", "The current date and time in a time zone.",
		func(_ context.Context, in TimeArgs) (TimeResult, error) {
			name := strings.TrimSpace(in.Timezone)
			if name == "" {
				name = "UTC"
			}
			loc, err := time.LoadLocation(name)
			if err != nil || name == "Local" {
				return TimeResult{}, fmt.Errorf("unknown time zone %q: use an IANA name such as Europe/Oslo", in.Timezone)
			}
			now := time.Now().In(loc)
			return TimeResult{Time: now.Format(time.RFC3339), Timezone: loc.String(), Weekday: now.Weekday().String()}, nil
		})
}

// CalcArgs are calculator's arguments.
type CalcArgs struct {
	Expression string `json:"expression" jsonschema:"description=Arithmetic such as (2 + 3) * 7 / 2; supports + - * / % ^ parentheses sqrt abs round floor ceil ln log10 pi e"`
}

// Calculator is the calculator tool: Calc on the model's expression,
// answered as a number.
func Calculator() (agent.Tool, error) {
	return agent.NewTool("calculator", "Evaluate an arithmetic expression exactly; use it for any arithmetic.",
		func(_ context.Context, in CalcArgs) (string, error) {
			v, err := Calc(in.Expression)
			if err != nil {
				return "", err
			}
			return strconv.FormatFloat(v, 'g', -1, 64), nil
		})
}

// WhoAmIResult is whoami's answer. The caller's custom fields are left
// out: they may hold secrets and would be sent to the model provider.
type WhoAmIResult struct {
	Authenticated bool     `json:"authenticated"`
	Identity      string   `json:"identity,omitempty"`
	DisplayName   string   `json:"display_name,omitempty"`
	Permissions   []string `json:"permissions,omitempty"`
}

// WhoAmI is the whoami tool: who the run's caller is
// (graph.ServerInfoFrom).
func WhoAmI() (agent.Tool, error) {
	return agent.NewTool("whoami", "Who you are talking to: the caller's identity, display name and permissions.",
		func(ctx context.Context, _ struct{}) (WhoAmIResult, error) {
			si, ok := graph.ServerInfoFrom(ctx)
			if !ok || si.User == nil {
				return WhoAmIResult{}, nil
			}
			u := si.User
			return WhoAmIResult{Authenticated: u.IsAuthenticated, Identity: u.Identity,
				DisplayName: u.DisplayName, Permissions: u.Permissions}, nil
		})
}
