// Package broker carries the stream events of runs from the worker that
// produces them to the HTTP handlers that stream, join or replay them. Each
// stream (a run, or a thread's runs) is an append-only log: subscribers
// read it with a cursor, so a slow reader never blocks the worker and a
// reconnecting client resumes after the last event id it saw.
package broker

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Event is one stream event. ID is "<unix ms>-<seq>", increasing within a
// stream; Data is compact JSON.
type Event struct {
	ID   string
	Name string
	Data []byte
}

// Start, given as the cursor to Subscribe, replays a stream from its first
// event. The empty cursor means "only events published from now on".
const Start = "0"

// ErrBadEventID is returned for a cursor that is not an event id.
var ErrBadEventID = errors.New("broker: Last-Event-ID must look like <ms>-<seq>")

// ErrDropped is returned by Next when the stream was dropped (its thread
// was deleted), as opposed to ok=false for a stream that finished.
var ErrDropped = errors.New("broker: stream dropped")

// ErrUnavailable is returned (wrapped) by Subscribe and Next when the
// event bus cannot be reached: the stream did not finish, a client should
// join again later with its last event id.
var ErrUnavailable = errors.New("broker: event bus unavailable")

// ErrBufferFull is returned by Publish when the bus is unreachable and the
// event does not fit in the in-process buffer: it is lost, and the stream
// gets an "error" event (EventsLost) in its place.
var ErrBufferFull = errors.New("broker: publish buffer full")

// Broker is implemented in process (Memory) and on Redis streams.
type Broker interface {
	// Publish appends an event to a stream.
	Publish(ctx context.Context, stream, name string, data []byte) (Event, error)
	// Finish marks the end of a stream: subscribers drain it and stop. The
	// stream stays readable for the broker's retention time.
	Finish(ctx context.Context, stream string) error
	// Drop forgets a stream now: current subscriptions end with ErrDropped
	// (on Redis, after the events they already fetched), and a later
	// Subscribe sees none of its events. Dropping an unknown stream is no
	// error.
	Drop(ctx context.Context, stream string) error
	// Subscribe reads a stream after the cursor (an event id, Start, or "").
	Subscribe(ctx context.Context, stream, after string) (Subscription, error)
	Close() error
}

// Subscription is one reader of a stream.
type Subscription interface {
	// Next blocks until the next event. ok is false when the stream has
	// finished and every event has been read.
	Next(ctx context.Context) (ev Event, ok bool, err error)
	Close() error
}

// Settler is implemented by brokers that hold events in process (Memory's):
// Settle says that the events a stream holds now are no longer live (a
// thread's stream when its run ended), so they may go after the finished
// retention although the stream stays open for the thread's next run.
type Settler interface {
	Settle(ctx context.Context, stream string) error
}

// Skipper is implemented by subscriptions that can tell whether the broker
// trimmed events they had not read yet (Memory's). Next never waits for
// trimmed events: it goes on with the oldest one kept, as Redis does.
type Skipper interface {
	Skipped() bool
}

// eventID is a parsed Event.ID.
type eventID struct{ ms, seq uint64 }

func (id eventID) String() string { return fmt.Sprintf("%d-%d", id.ms, id.seq) }

func (id eventID) less(o eventID) bool {
	return id.ms < o.ms || id.ms == o.ms && id.seq < o.seq
}

// parseID parses "<ms>-<seq>" or "<ms>" (a whole millisecond).
func parseID(s string) (eventID, error) {
	msPart, seqPart, hasSeq := strings.Cut(s, "-")
	ms, err := strconv.ParseUint(msPart, 10, 64)
	if err != nil {
		return eventID{}, ErrBadEventID
	}
	var seq uint64
	if hasSeq {
		if seq, err = strconv.ParseUint(seqPart, 10, 64); err != nil {
			return eventID{}, ErrBadEventID
		}
	}
	return eventID{ms, seq}, nil
}

var errClosed = errors.New("broker: closed")
