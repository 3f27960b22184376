package policy

import (
	"fmt"
	"strings"

	"github.com/agentgate/agentgate/auth"
)

// pattern is an event pattern as auth.On reads it: resource and action,
// either of which may be "*".
type pattern struct{ resource, action string }

// parsePattern accepts the forms of auth.On: "*", "threads",
// "threads:create", "*:create" ("threads:*" is "threads").
func parsePattern(s string) (pattern, error) {
	r, a, ok := strings.Cut(s, ":")
	if !ok {
		a = "*"
	}
	k := pattern{r, a}
	for _, ev := range auth.Events() {
		if (r == "*" || r == ev[0]) && k.matches(ev[0], ev[1]) {
			return k, nil
		}
	}
	return pattern{}, fmt.Errorf("%q is not an event pattern (want \"*\", a resource such as \"threads\", \"threads:create\" or \"*:create\"; resources: threads, assistants, crons, store)", s)
}

func (k pattern) matches(resource, action string) bool {
	return (k.resource == "*" || k.resource == resource) && (k.action == "*" || k.action == action)
}

func (k pattern) String() string {
	switch {
	case k.resource == "*" && k.action == "*":
		return "*"
	case k.action == "*":
		return k.resource
	}
	return k.resource + ":" + k.action
}

// precedence lists the patterns that may decide (resource, action), most
// specific first, as auth picks its handler.
func precedence(resource, action string) [4]pattern {
	return [4]pattern{{resource, action}, {resource, "*"}, {"*", action}, {"*", "*"}}
}
