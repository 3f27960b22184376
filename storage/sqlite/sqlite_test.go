package sqlite

import (
	"path/filepath"
	"testing"

	"github.com/agentgate/agentgate/graph/checkpoint"
	"github.com/agentgate/agentgate/graph/checkpoint/checkpointtest"
	"github.com/agentgate/agentgate/storage"
	"github.com/agentgate/agentgate/storage/conformance"
)

func openFile(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "agentgate.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	conformance.Run(t, func(t *testing.T) storage.Store { return openFile(t) })
}

func TestConformanceInMemory(t *testing.T) {
	conformance.Run(t, func(t *testing.T) storage.Store {
		s, err := Open(t.Context(), ":memory:")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestSaver runs the checkpoint suite on the unbound saver.
func TestSaver(t *testing.T) {
	checkpointtest.Run(t, func(t *testing.T) checkpoint.Saver {
		return &saver{s: openFile(t)}
	})
}
