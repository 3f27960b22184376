package server

import (
	"encoding/json"
	"math"
	"time"
)

// ItemsOptions mirror langgraph.json store.ttl.
type ItemsOptions struct {
	// DefaultTTL applies to a store put that gives no ttl (0: none). A put
	// with "ttl": null keeps its item forever.
	DefaultTTL time.Duration
	// NoRefreshOnRead stops reads from extending an item's TTL when the
	// request does not say (refresh_ttl); LangGraph refreshes by default.
	NoRefreshOnRead bool
}

// itemTTL reads a put's ttl (minutes): absent gives the default, null or 0
// none.
func (s *Server) itemTTL(raw json.RawMessage) (*time.Duration, error) {
	if raw == nil {
		if d := s.opts.Items.DefaultTTL; d > 0 {
			return &d, nil
		}
		return nil, nil
	}
	var m *float64
	if err := json.Unmarshal(raw, &m); err != nil || m != nil && (*m < 0 || math.IsInf(*m, 0)) {
		return nil, invalid("Invalid value for 'ttl': must be a number of minutes >= 0, or null")
	}
	if m == nil || *m == 0 {
		return nil, nil
	}
	d := Minutes(*m)
	return &d, nil
}

// Minutes converts a non-negative number of minutes to a Duration, capped
// at the largest Duration (about 292 years) instead of overflowing.
func Minutes(m float64) time.Duration {
	if m >= float64(math.MaxInt64)/float64(time.Minute) {
		return math.MaxInt64
	}
	return time.Duration(m * float64(time.Minute))
}
