package authn

import (
	"testing"

	"go.uber.org/goleak"
)

// The package starts no goroutines of its own: nothing may outlive a test.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
