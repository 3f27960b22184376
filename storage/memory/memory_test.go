package memory

import (
	"testing"

	"github.com/agentgate/agentgate/graph/checkpoint"
	"github.com/agentgate/agentgate/graph/checkpoint/checkpointtest"
	"github.com/agentgate/agentgate/storage"
	"github.com/agentgate/agentgate/storage/conformance"
)

func newStore(t *testing.T) storage.Store {
	s := New()
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	conformance.Run(t, newStore)
}

// TestSaver runs the checkpoint suite on the unbound saver too.
func TestSaver(t *testing.T) {
	checkpointtest.Run(t, func(t *testing.T) checkpoint.Saver {
		return &saver{st: New()}
	})
}

func TestClosed(t *testing.T) {
	s := New()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(t.Context()); err == nil {
		t.Error("Ping after Close succeeded")
	}
	if _, err := s.Threads().Create(t.Context(), storage.System(), storage.ThreadCreate{}); err == nil {
		t.Error("Create after Close succeeded")
	}
}
