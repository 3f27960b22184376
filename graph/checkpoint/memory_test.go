package checkpoint_test

import (
	"sort"
	"testing"

	"github.com/agentgate/agentgate/graph/checkpoint"
	"github.com/agentgate/agentgate/graph/checkpoint/checkpointtest"
)

func TestMemoryConformance(t *testing.T) {
	checkpointtest.Run(t, func(t *testing.T) checkpoint.Saver { return checkpoint.NewMemory() })
}

func TestNewIDIsTimeOrdered(t *testing.T) {
	ids := make([]string, 1000)
	for i := range ids {
		ids[i] = checkpoint.NewID()
	}
	if !sort.StringsAreSorted(ids) {
		t.Fatal("ids made in sequence do not sort as strings")
	}
	for i := 1; i < len(ids); i++ {
		if ids[i] == ids[i-1] {
			t.Fatalf("duplicate id %s", ids[i])
		}
	}
}

func TestVersionFormat(t *testing.T) {
	a, b := checkpoint.FormatVersion(9), checkpoint.FormatVersion(10)
	if !(a < b) {
		t.Errorf("%q !< %q", a, b)
	}
	if checkpoint.ParseVersion(b) != 10 || checkpoint.ParseVersion("") != 0 {
		t.Errorf("ParseVersion round trip failed")
	}
}
