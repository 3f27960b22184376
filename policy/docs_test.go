package policy

import (
	"os"
	"strings"
	"testing"

	"github.com/agentgate/agentgate/auth"
)

// Every ```json block of docs/policy.md is a valid Config (a block of
// one-line objects is read line by line).
func TestDocsExamples(t *testing.T) {
	b, err := os.ReadFile("../docs/policy.md")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(string(b), "```json\n")
	if len(parts) < 4 {
		t.Fatalf("only %d json blocks in docs/policy.md", len(parts)-1)
	}
	for _, p := range parts[1:] {
		block, _, _ := strings.Cut(p, "```")
		if _, err := ParseConfig([]byte(block)); err == nil {
			continue
		}
		for _, line := range strings.Split(strings.TrimSpace(block), "\n") {
			c, err := ParseConfig([]byte(line))
			if err != nil {
				t.Errorf("docs/policy.md block:\n%s\n%v", block, err)
				break
			}
			if err := c.Install(auth.New()); err != nil {
				t.Errorf("%s: %v", line, err)
			}
		}
	}
}

func TestRulesDynMixesBoolAndFilter(t *testing.T) {
	a := rulesAuth(t, map[string]string{"*": `has(user.team) ? dyn({"team": user.team}) : dyn(false)`})
	u := user("a")
	if res, err := decide(t, a, u, &auth.CronsRead{}); err != nil || !res.Denied() {
		t.Errorf("no team: %+v %v", res, err)
	}
	u.Extra = map[string]any{"team": "red"}
	if res, err := decide(t, a, u, &auth.CronsRead{}); err != nil || res.FilterMap()["team"] != "red" {
		t.Errorf("team red: %+v %v", res, err)
	}
}
