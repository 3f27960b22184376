package testenv

import (
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/agentgate/agentgate/internal/faultproxy"
)

// RedisBehindProxy connects to the test Redis through a fault proxy with
// short (300 ms) dial, read and write timeouts, so that a Drop or Stall
// shows at once. It returns the direct options (for a client that
// bypasses the proxy), the proxied client and the proxy; both close when
// t ends.
func RedisBehindProxy(t testing.TB) (*redis.Options, *redis.Client, *faultproxy.Proxy) {
	t.Helper()
	opt, err := redis.ParseURL(RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	p := faultproxy.Start(t, opt.Addr)
	popt := *opt
	popt.Addr = p.Addr()
	popt.DialTimeout, popt.ReadTimeout, popt.WriteTimeout = 300*time.Millisecond, 300*time.Millisecond, 300*time.Millisecond
	rdb := redis.NewClient(&popt)
	t.Cleanup(func() { rdb.Close() })
	return opt, rdb, p
}
