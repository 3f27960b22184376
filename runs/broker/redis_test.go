package broker

import (
	"context"
	"testing"
	"time"

	"github.com/agentgate/agentgate/internal/testenv"
	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
)

func TestRedis(t *testing.T) {
	opt, err := redis.ParseURL(testenv.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("redis: %v", err)
	}
	runSuite(t, func(t *testing.T) Broker {
		prefix := "agentgate-test:" + uuid.NewString() + ":"
		b := NewRedis(rdb, RedisOptions{Prefix: prefix, Retention: time.Minute})
		b.block = 100 * time.Millisecond
		t.Cleanup(func() {
			keys, _ := rdb.Keys(context.Background(), prefix+"*").Result()
			if len(keys) > 0 {
				rdb.Del(context.Background(), keys...)
			}
		})
		return b
	})
}
