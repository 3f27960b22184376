package server

import (
	"fmt"
	"testing"

	"github.com/agentgate/agentgate/storage"
)

// TestErrorResponseUnavailable: a database that did not answer in time is a
// 503 with Retry-After, never a 500.
func TestErrorResponseUnavailable(t *testing.T) {
	for _, err := range []error{
		storage.ErrUnavailable,
		storage.Errorf(storage.ErrUnavailable, "slow"),
		fmt.Errorf("get thread: %w", storage.Errorf(storage.ErrUnavailable, "slow")),
	} {
		st, _, hdr, internal := errorResponse(err)
		if st != 503 || hdr.Get("Retry-After") == "" || !internal {
			t.Errorf("%v: got %d, headers %v, internal %v; want a logged 503 with Retry-After", err, st, hdr, internal)
		}
	}
}
