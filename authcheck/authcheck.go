// Package authcheck reports, for an *auth.Auth, which handler decides each
// protected route of the server, and which routes no handler covers (they
// are allowed for every authenticated user). `agentgate auth check`
// prints it.
package authcheck

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/server"
)

// Row is one event a protected route raises and the handler that decides
// it; a route raising several events has a row for each, in order.
type Row struct {
	Method, Pattern string
	Event           string // resource:action
	When            string // when the event is raised; "" for always
	Handler         string // the registered pattern ("threads", "*", ...); "" when none
}

// Report lists the events of the protected routes in table order.
func Report(routes []server.Route, a *auth.Auth) []Row {
	var rows []Row
	for _, rt := range routes {
		if !rt.Protected {
			continue
		}
		for _, ev := range rt.Events() {
			_, pattern := a.Handler(ev.Resource, ev.Action)
			rows = append(rows, Row{Method: rt.Method, Pattern: rt.Pattern, Event: ev.String(), When: ev.When,
				Handler: pattern})
		}
	}
	return rows
}

// Uncovered returns the rows no handler decides.
func Uncovered(rows []Row) []Row {
	var out []Row
	for _, r := range rows {
		if r.Handler == "" {
			out = append(out, r)
		}
	}
	return out
}

// Write prints rows as a table and a warning for uncovered routes.
func Write(w io.Writer, rows []Row) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "METHOD\tROUTE\tEVENT\tHANDLER\tWHEN")
	for i, r := range rows {
		h := r.Handler
		if h == "" {
			h = "(none: allowed)"
		}
		method, pattern := r.Method, r.Pattern
		if i > 0 && rows[i-1].Method == method && rows[i-1].Pattern == pattern {
			method, pattern = "", "  then" // a further event of the same route
		}
		when := r.When
		if when == "" {
			when = "always"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", method, pattern, r.Event, h, when)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if un := Uncovered(rows); len(un) > 0 {
		_, err := fmt.Fprintf(w, "\nwarning: %d of %d route events have no authorization handler and are allowed for every authenticated user.\n"+
			"Register a handler for \"*\" (for example one that denies) to cover them.\n", len(un), len(rows))
		return err
	}
	_, err := fmt.Fprintf(w, "\nall %d route events are covered by a handler.\n", len(rows))
	return err
}
