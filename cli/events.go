package cli

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/agentgate/agentgate/runs/broker"
)

// Defaults of the run event memory flags (docs/runs.md).
const (
	defaultEventsMaxMiB       = 4
	defaultEventsStreamMaxMiB = 4
	defaultEventsRetention    = time.Minute
	// eventFlushTimeout bounds the wait at exit for run events still
	// queued for Redis.
	eventFlushTimeout = 2 * time.Second
)

// eventFlags bound the run events this process keeps for streaming and
// Last-Event-ID replays (--events-max-mib, --events-stream-max-mib,
// --events-retention).
type eventFlags struct {
	maxMiB, streamMaxMiB int
	streamSet            bool // the stream cap was given (flag or env)
	retention            time.Duration
}

// register adds the flags, with defaults from the environment.
func (ef *eventFlags) register(fs *flag.FlagSet, e env) error {
	maxMiB, err := envInt(e, "AGENTGATE_EVENTS_MAX_MIB", defaultEventsMaxMiB)
	if err != nil {
		return err
	}
	streamMiB, err := envInt(e, "AGENTGATE_EVENTS_STREAM_MAX_MIB", defaultEventsStreamMaxMiB)
	if err != nil {
		return err
	}
	ef.streamSet = strings.TrimSpace(e.getenv("AGENTGATE_EVENTS_STREAM_MAX_MIB")) != ""
	retention := defaultEventsRetention
	if v := strings.TrimSpace(e.getenv("AGENTGATE_EVENTS_RETENTION")); v != "" {
		if retention, err = time.ParseDuration(v); err != nil {
			return fmt.Errorf("AGENTGATE_EVENTS_RETENTION=%q: want a duration such as 60s", v)
		}
	}
	fs.IntVar(&ef.maxMiB, "events-max-mib", maxMiB, "MiB of run events kept in this process over all streams, oldest trimmed first (without --redis-url; env AGENTGATE_EVENTS_MAX_MIB)")
	ef.streamMaxMiB = streamMiB
	fs.Func("events-stream-max-mib", fmt.Sprintf("`MiB` of run events kept per stream, at most --events-max-mib (default %d, or --events-max-mib when that is less; without --redis-url; env AGENTGATE_EVENTS_STREAM_MAX_MIB)", defaultEventsStreamMaxMiB),
		func(v string) error {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("want a whole number")
			}
			ef.streamMaxMiB, ef.streamSet = n, true
			return nil
		})
	fs.DurationVar(&ef.retention, "events-retention", retention, "how long an ended run's events stay replayable with Last-Event-ID (env AGENTGATE_EVENTS_RETENTION)")
	return nil
}

func envInt(e env, name string, def int) (int, error) {
	v := strings.TrimSpace(e.getenv(name))
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("%s=%q: want a whole number", name, v)
	}
	return n, nil
}

// check validates the flags' values; a stream cap not given follows a
// smaller total.
func (ef *eventFlags) check() error {
	if !ef.streamSet {
		ef.streamMaxMiB = min(ef.streamMaxMiB, ef.maxMiB)
	}
	switch {
	case ef.maxMiB < 1:
		return fmt.Errorf("--events-max-mib %d: want at least 1", ef.maxMiB)
	case ef.streamMaxMiB < 1 || ef.streamMaxMiB > ef.maxMiB:
		return fmt.Errorf("--events-stream-max-mib %d: want 1 to --events-max-mib (%d)", ef.streamMaxMiB, ef.maxMiB)
	case ef.retention < time.Second:
		return fmt.Errorf("--events-retention %s: want at least 1s", ef.retention)
	}
	return nil
}

// memory is the in-process broker's options.
func (ef eventFlags) memory() broker.MemoryOptions {
	return broker.MemoryOptions{FinishedRetention: ef.retention,
		MaxStreamBytes: int64(ef.streamMaxMiB) << 20, MaxTotalBytes: int64(ef.maxMiB) << 20}
}

// openBroker connects to --redis-url, or returns the in-process broker. An
// unreachable Redis refuses the start. The close function gives the events
// still queued for Redis (the last ones of runs that just stopped, the
// shutdown's error events among them) eventFlushTimeout to be stored.
func openBroker(ctx context.Context, f serverFlags, log *slog.Logger) (broker.Broker, func(), string, error) {
	if f.redis == nil {
		return broker.NewMemory(f.events.memory()), func() {}, "memory", nil
	}
	rdb := redis.NewClient(f.redis)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := rdb.Ping(pctx).Err(); err != nil {
		_ = rdb.Close()
		return nil, nil, "", fmt.Errorf("redis %s: %w", f.redisShown, err)
	}
	bk := broker.NewRedis(rdb, broker.RedisOptions{Retention: f.events.retention, Logger: log})
	closeRedis := func() {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), eventFlushTimeout)
		defer cancel()
		if err := bk.Flush(fctx); err != nil {
			log.Warn("run events still queued for Redis at exit are lost", "bytes", bk.Buffered(), "err", err)
		}
		_ = bk.Close()
		_ = rdb.Close()
	}
	return bk, closeRedis, "redis:" + f.redisShown, nil
}
