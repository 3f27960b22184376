package broker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a test clock, safe for concurrent use.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// newFakeMemory returns a broker on a fake clock, closed at cleanup.
func newFakeMemory(t *testing.T, opts MemoryOptions) (*Memory, *fakeClock) {
	clock := &fakeClock{t: time.Unix(1000, 0)}
	b := NewMemory(opts)
	b.now = clock.now
	t.Cleanup(func() { b.Close() })
	return b, clock
}

// kept lists the data of a stream's kept events, "-" for a missing stream.
func kept(b *Memory, name string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.streams[name]
	if s == nil {
		return "-"
	}
	var out []string
	for _, ev := range s.events[s.off:] {
		out = append(out, string(ev.Data))
	}
	return strings.Join(out, " ")
}

// checkAccounts verifies the byte and event counts against the streams.
func checkAccounts(t *testing.T, b *Memory) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var total int64
	count, refs := 0, 0
	for name, s := range b.streams {
		if s.name != name || s.gone {
			t.Errorf("stream %q is held as %q (gone %v)", name, s.name, s.gone)
		}
		total += recordSize(name)
		var sb int64
		for _, ev := range s.events[s.off:] {
			sb += eventSize(ev)
		}
		if sb != s.bytes {
			t.Errorf("stream counts %d bytes, holds %d", s.bytes, sb)
		}
		total += sb
		count += s.kept()
	}
	for _, r := range b.order[b.orderHead:] {
		if r.abs >= r.s.trimmed {
			refs++
		}
	}
	if total != b.total || count != b.count || refs != count {
		t.Errorf("total %d bytes / %d events counted, %d / %d held, %d order entries", b.total, b.count, total, count, refs)
	}
}

func drain(t *testing.T, sub Subscription) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var out []string
	for {
		ev, ok, err := sub.Next(ctx)
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if !ok {
			return strings.Join(out, " ")
		}
		out = append(out, string(ev.Data))
	}
}

func skipped(sub Subscription) bool { return sub.(Skipper).Skipped() }

func TestMemoryStreamByteCapTrimsOldestKeepsNewest(t *testing.T) {
	ctx := context.Background()
	size := eventSize(Event{ID: "1000000-0", Name: "e", Data: []byte("d0")})
	b, _ := newFakeMemory(t, MemoryOptions{MaxStreamBytes: 3 * size})
	for i := range 5 {
		b.Publish(ctx, "r", "e", fmt.Appendf(nil, "d%d", i))
	}
	b.Publish(ctx, "other", "e", []byte("o0"))
	if got := kept(b, "r"); got != "d2 d3 d4" {
		t.Errorf("kept %q, want the newest 3", got)
	}
	if got, want := b.Bytes(), 4*size+recordSize("r")+recordSize("other"); got != want {
		t.Errorf("Bytes = %d, want %d", got, want)
	}
	huge := bytes.Repeat([]byte("x"), int(10*size))
	b.Publish(ctx, "r", "e", huge)
	if got := kept(b, "r"); got != string(huge) {
		t.Errorf("after an event over the cap: %d bytes kept, want it alone", len(got))
	}
	b.Publish(ctx, "r", "e", []byte("d6"))
	if got := kept(b, "r"); got != "d6" {
		t.Errorf("after the next one: %q", got)
	}
	if got := kept(b, "other"); got != "o0" {
		t.Errorf("another stream lost %q", got)
	}
	checkAccounts(t, b)
}

func TestMemoryTotalByteCapTrimsOldestAcrossStreams(t *testing.T) {
	ctx := context.Background()
	size := eventSize(Event{ID: "1000000-0", Name: "e", Data: []byte("a0")})
	rec := recordSize("a")
	b, _ := newFakeMemory(t, MemoryOptions{MaxTotalBytes: 4*size + 5*rec})
	pub := func(stream, data string) { b.Publish(ctx, stream, "e", []byte(data)) }
	state := func() string {
		e := kept(b, "e")
		if e != "-" {
			e = fmt.Sprintf("%d bytes", len(e))
		}
		return fmt.Sprintf("a[%s] b[%s] c[%s] d[%s] e[%s]", kept(b, "a"), kept(b, "b"), kept(b, "c"), kept(b, "d"), e)
	}
	for _, name := range []string{"a", "b", "c", "d", "e"} { // five records first
		sub, _ := b.Subscribe(ctx, name, "")
		sub.Close()
	}
	pub("a", "a0")
	pub("b", "b0")
	pub("a", "a1")
	pub("c", "c0")
	pub("b", "b1") // over by one: a0 goes
	pub("c", "c1") // b0 goes
	if got, want := state(), "a[a1] b[b1] c[c0 c1] d[] e[0 bytes]"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	b.Finish(ctx, "a")
	pub("d", "d0") // a1 goes: a finished stream may lose its newest event, then its record
	if got, want := state(), "a[-] b[b1] c[c0 c1] d[d0] e[0 bytes]"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// An event over the whole cap: every watched open stream keeps its
	// newest event.
	var subs []Subscription
	for _, name := range []string{"b", "c", "d", "e"} {
		sub, _ := b.Subscribe(ctx, name, "")
		subs = append(subs, sub)
	}
	big := bytes.Repeat([]byte("x"), int(10*size))
	bigSize := eventSize(Event{ID: "1000000-0", Name: "e", Data: big})
	b.Publish(ctx, "e", "e", big)
	if got, want := state(), fmt.Sprintf("a[-] b[b1] c[c1] d[d0] e[%d bytes]", len(big)); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got, want := b.Bytes(), 3*size+bigSize+4*rec; got != want {
		t.Errorf("Bytes = %d, want %d", got, want)
	}
	subs[3].Close()
	pub("c", "c2") // c1 goes, then the big one, e being unwatched now, then e's record
	if got, want := state(), "a[-] b[b1] c[c2] d[d0] e[-]"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got, want := b.Bytes(), 3*size+3*rec; got != want {
		t.Errorf("Bytes = %d, want %d", got, want)
	}
	checkAccounts(t, b)
}

// TestMemorySubscribersAcrossTrims: a subscriber behind trimmed events,
// by count or by bytes, goes on with the oldest kept and can tell.
func TestMemorySubscribersAcrossTrims(t *testing.T) {
	ctx := context.Background()
	for _, opts := range []MemoryOptions{{MaxEvents: 3}, {MaxStreamBytes: 3 * eventSize(Event{ID: "1000000-0", Name: "e", Data: []byte("0")})}} {
		t.Run(fmt.Sprintf("events=%d,bytes=%d", opts.MaxEvents, opts.MaxStreamBytes), func(t *testing.T) {
			b, _ := newFakeMemory(t, opts)
			var ids []string
			first, _ := b.Publish(ctx, "r", "e", []byte("0"))
			ids = append(ids, first.ID)
			slow, _ := b.Subscribe(ctx, "r", Start)
			if ev, _, _ := slow.Next(ctx); string(ev.Data) != "0" {
				t.Fatalf("first event %q", ev.Data)
			}
			live, _ := b.Subscribe(ctx, "r", "")
			for i := 1; i < 6; i++ {
				ev, _ := b.Publish(ctx, "r", "e", fmt.Appendf(nil, "%d", i))
				ids = append(ids, ev.ID)
				if ev, _, _ := live.Next(ctx); string(ev.Data) != fmt.Sprint(i) {
					t.Fatalf("live subscriber got %q, want %d", ev.Data, i)
				}
			}
			b.Publish(ctx, "r", "e", []byte("6"))
			ev, ok, err := live.Next(ctx)
			if string(ev.Data) != "6" || !ok || err != nil {
				t.Fatalf("live subscriber got %q %v %v", ev.Data, ok, err)
			}
			afterFirst, _ := b.Subscribe(ctx, "r", first.ID)
			fromStart, _ := b.Subscribe(ctx, "r", Start)
			afterKept, _ := b.Subscribe(ctx, "r", ids[4])
			b.Finish(ctx, "r")
			for name, c := range map[string]struct {
				sub  Subscription
				want string
				skip bool
			}{
				"slow": {slow, "4 5 6", true}, "after the first id": {afterFirst, "4 5 6", true},
				"from start": {fromStart, "4 5 6", true}, "after a kept id": {afterKept, "5 6", false},
				"live": {live, "", false},
			} {
				if got := drain(t, c.sub); got != c.want || skipped(c.sub) != c.skip {
					t.Errorf("%s: read %q, skipped %v; want %q, %v", name, got, skipped(c.sub), c.want, c.skip)
				}
			}
		})
	}
}

// TestMemoryTrimmedFinishedStreamEnds: a finished stream emptied by the
// total cap ends its subscribers instead of leaving them waiting.
func TestMemoryTrimmedFinishedStreamEnds(t *testing.T) {
	ctx := context.Background()
	b, _ := newFakeMemory(t, MemoryOptions{MaxTotalBytes: 1000})
	b.Publish(ctx, "run", "e", []byte("1"))
	sub, _ := b.Subscribe(ctx, "run", Start)
	b.Finish(ctx, "run")
	b.Publish(ctx, "next", "e", make([]byte, 1000))
	if got := drain(t, sub); got != "" || !skipped(sub) {
		t.Errorf("read %q, skipped %v; want nothing, true", got, skipped(sub))
	}
}

func TestMemoryDropReleasesEvents(t *testing.T) {
	ctx := context.Background()
	b, _ := newFakeMemory(t, MemoryOptions{})
	b.Publish(ctx, "thread", "e", make([]byte, 1000))
	b.Publish(ctx, "run", "e", []byte("1"))
	sub, _ := b.Subscribe(ctx, "thread", Start)
	b.Drop(ctx, "thread")
	if got, want := b.Bytes(), eventSize(Event{ID: "1000000-0", Name: "e", Data: []byte("1")})+recordSize("run"); got != want {
		t.Errorf("Bytes after Drop = %d, want %d (the other stream)", got, want)
	}
	if _, _, err := sub.Next(ctx); !errors.Is(err, ErrDropped) {
		t.Errorf("Next = %v, want ErrDropped before the unread event", err)
	}
	checkAccounts(t, b)
}

// TestMemoryFinishedStreamsExpireWithoutPublish: a finished stream is
// replayable during FinishedRetention, then released by the sweep timer
// even when nothing else is published.
func TestMemoryFinishedStreamsExpireWithoutPublish(t *testing.T) {
	ctx := context.Background()
	b := NewMemory(MemoryOptions{FinishedRetention: 50 * time.Millisecond})
	t.Cleanup(func() { b.Close() })
	b.Publish(ctx, "thread", "e", []byte("t"))
	ev, _ := b.Publish(ctx, "run", "e", []byte("1"))
	b.Publish(ctx, "run", "e", []byte("2"))
	b.Finish(ctx, "run")
	sub, _ := b.Subscribe(ctx, "run", ev.ID) // Last-Event-ID within the grace
	if got := drain(t, sub); got != "2" {
		t.Errorf("replay after %s: %q", ev.ID, got)
	}
	sub.Close()
	left := eventSize(Event{ID: ev.ID, Name: "e", Data: []byte("t")}) + recordSize("thread")
	for deadline := time.Now().Add(5 * time.Second); b.Bytes() != left; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("Bytes = %d long after the grace, want %d (the open stream)", b.Bytes(), left)
		}
	}
	if kept(b, "run") != "-" || kept(b, "thread") != "t" {
		t.Errorf("after the grace: run [%s], thread [%s]", kept(b, "run"), kept(b, "thread"))
	}
}

// TestMemoryBigMessagesStayUnderTotal is the reported case: 30 runs with a
// 4 MB message each, published on the run's stream and its thread's; then
// 30 more on ten streams that stay open.
func TestMemoryBigMessagesStayUnderTotal(t *testing.T) {
	ctx := context.Background()
	b := NewMemory(MemoryOptions{})
	t.Cleanup(func() { b.Close() })
	msg := make([]byte, 4<<20) // shared: the broker keeps but never copies data
	var peak int64
	check := func() {
		peak = max(peak, b.Bytes())
		b.mu.Lock()
		defer b.mu.Unlock()
		for name, s := range b.streams {
			if s.bytes > b.maxStreamBytes {
				t.Errorf("%s holds %d bytes", name, s.bytes)
			}
		}
	}
	for i := range 30 {
		run, thread := fmt.Sprint("run-", i), fmt.Sprint("thread-", i%4)
		b.Publish(ctx, run, "messages", msg)
		b.Publish(ctx, thread, "messages", msg)
		b.Publish(ctx, run, "values", []byte(`{}`))
		b.Finish(ctx, run)
		b.Publish(ctx, thread, "metadata", []byte(`{"status":"run_done"}`))
		check()
	}
	for i := range 30 {
		b.Publish(ctx, fmt.Sprint("open-", i%10), "messages", msg)
		check()
	}
	if peak > b.maxTotalBytes {
		t.Errorf("peak of %d bytes, over MaxTotalBytes %d", peak, b.maxTotalBytes)
	}
	t.Logf("peak %.1f MiB, last %.1f MiB", float64(peak)/(1<<20), float64(b.Bytes())/(1<<20))
	checkAccounts(t, b)
}

func BenchmarkMemoryPublish4MB(b *testing.B) {
	ctx := context.Background()
	m := NewMemory(MemoryOptions{})
	defer m.Close()
	msg := make([]byte, 4<<20)
	var peak int64
	for i := 0; b.Loop(); i++ {
		m.Publish(ctx, fmt.Sprint("run-", i%30), "messages", msg)
		peak = max(peak, m.Bytes())
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-MiB")
}

// BenchmarkMemoryPublishAtCaps: small events on many streams with every
// cap reached, so that each publish trims.
func BenchmarkMemoryPublishAtCaps(b *testing.B) {
	ctx := context.Background()
	m := NewMemory(MemoryOptions{MaxEvents: 1000, MaxTotalBytes: 1 << 20})
	defer m.Close()
	data := make([]byte, 200)
	for i := 0; b.Loop(); i++ {
		m.Publish(ctx, fmt.Sprint("thread-", i%1000), "values", data)
	}
	b.ReportMetric(float64(m.Bytes())/(1<<20), "kept-MiB")
}

func TestMemoryRetentionAndCap(t *testing.T) {
	ctx := context.Background()
	b, clock := newFakeMemory(t, MemoryOptions{FinishedRetention: time.Minute, MaxEvents: 3})
	for i := range 5 {
		b.Publish(ctx, "r", "e", fmt.Appendf(nil, "%d", i))
	}
	sub, _ := b.Subscribe(ctx, "r", Start)
	b.Finish(ctx, "r")
	var got string
	for {
		ev, ok, _ := sub.Next(ctx)
		if !ok {
			break
		}
		got += string(ev.Data)
	}
	if got != "234" {
		t.Errorf("capped stream replayed %q, want the newest 3", got)
	}
	clock.add(2 * time.Minute)
	b.Publish(ctx, "other", "e", nil)
	b.mu.Lock()
	_, kept := b.streams["r"]
	b.mu.Unlock()
	if kept {
		t.Error("finished stream outlived its retention")
	}
}

func TestMemorySweepForgetsOnlyExpiredFinishedStreams(t *testing.T) {
	ctx := context.Background()
	b, clock := newFakeMemory(t, MemoryOptions{FinishedRetention: time.Minute})
	for i := range 200 {
		name := fmt.Sprint("s", i)
		b.Publish(ctx, name, "e", []byte("1"))
		b.Finish(ctx, name)
		clock.add(time.Second)
	}
	b.Publish(ctx, "s0", "again", []byte("2")) // reopened: no longer expires
	clock.add(30 * time.Second)                // s0..s169 are past their retention
	b.Publish(ctx, "live", "e", []byte("1"))
	b.mu.Lock()
	_, s0 := b.streams["s0"]
	_, s50 := b.streams["s50"]
	_, s180 := b.streams["s180"]
	n := len(b.streams)
	b.mu.Unlock()
	if !s0 || s50 || !s180 {
		t.Errorf("after the sweep: s0 %v, s50 %v, s180 %v (want true, false, true)", s0, s50, s180)
	}
	if n != 1+30+1 {
		t.Errorf("%d streams left, want 32 (s0, s170..s199, live)", n)
	}
}

// TestMemoryForgetsIdleStreams: a stream that is never finished (a kept
// thread's) is forgotten after Idle without events and subscribers.
func TestMemoryForgetsIdleStreams(t *testing.T) {
	ctx := context.Background()
	b, clock := newFakeMemory(t, MemoryOptions{Idle: time.Hour})
	b.Publish(ctx, "quiet", "e", nil)
	b.Publish(ctx, "watched", "e", nil)
	sub, _ := b.Subscribe(ctx, "watched", "")
	clock.add(50 * time.Minute)
	b.Publish(ctx, "busy", "e", nil)
	clock.add(20 * time.Minute)
	b.Publish(ctx, "busy", "e", nil) // quiet: 70 min idle; busy: 20 min
	has := func(name string) bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		_, ok := b.streams[name]
		return ok
	}
	if has("quiet") || !has("watched") || !has("busy") {
		t.Fatalf("after 70 min: quiet %v watched %v busy %v (want false, true, true)", has("quiet"), has("watched"), has("busy"))
	}
	sub.Close()
	clock.add(61 * time.Minute)
	b.Publish(ctx, "other", "e", nil)
	if has("watched") || has("busy") || !has("other") {
		t.Errorf("an hour later: watched %v, busy %v, other %v (want false, false, true)", has("watched"), has("busy"), has("other"))
	}
}

// TestMemorySettledEventsGoAfterTheGrace: a thread's stream stays open
// across runs, but the events of a run that ended (Settle) are released
// after the finished retention, all but the newest; a later run's events
// stay, and a reader behind the trim goes on with the oldest kept.
func TestMemorySettledEventsGoAfterTheGrace(t *testing.T) {
	ctx := context.Background()
	b, clock := newFakeMemory(t, MemoryOptions{FinishedRetention: time.Minute})
	first, _ := b.Publish(ctx, "thread", "e", []byte("a1"))
	b.Publish(ctx, "thread", "e", []byte("a2"))
	b.Publish(ctx, "thread", "e", []byte("a-done"))
	if err := b.Settle(ctx, "thread"); err != nil {
		t.Fatal(err)
	}
	live, _ := b.Subscribe(ctx, "thread", "")
	defer live.Close()
	clock.add(30 * time.Second)
	b.Publish(ctx, "other", "e", []byte("x")) // sweeps: within the grace
	if got := kept(b, "thread"); got != "a1 a2 a-done" {
		t.Fatalf("within the grace: %q", got)
	}
	b.Publish(ctx, "thread", "e", []byte("b1")) // the next run
	clock.add(31 * time.Second)
	b.Publish(ctx, "other", "e", []byte("y"))
	if got := kept(b, "thread"); got != "b1" {
		t.Fatalf("after the grace: %q, want the next run's event only", got)
	}
	checkAccounts(t, b)
	late, _ := b.Subscribe(ctx, "thread", first.ID)
	defer late.Close()
	ev, ok, err := late.Next(ctx)
	if err != nil || !ok || string(ev.Data) != "b1" || !skipped(late) {
		t.Errorf("late reader: %q %v %v skipped=%v", ev.Data, ok, err, skipped(late))
	}
	// The stream is still open: its subscriber gets the next events.
	if ev, ok, _ := live.Next(ctx); !ok || string(ev.Data) != "b1" {
		t.Errorf("live subscriber: %q %v", ev.Data, ok)
	}

	// Settled with nothing after: the newest event stays while someone
	// listens; a stream nobody listens to is forgotten whole.
	for _, name := range []string{"quiet", "heard"} {
		b.Publish(ctx, name, "e", []byte(name+"1"))
		b.Publish(ctx, name, "e", []byte(name+"-done"))
		b.Settle(ctx, name)
	}
	heard, _ := b.Subscribe(ctx, "heard", "")
	defer heard.Close()
	b.Settle(ctx, "missing") // unknown streams are no error
	clock.add(2 * time.Minute)
	b.Publish(ctx, "other", "e", []byte("z"))
	if got := kept(b, "heard"); got != "heard-done" {
		t.Errorf("a stream with a subscriber: %q", got)
	}
	if got := kept(b, "quiet"); got != "-" {
		t.Errorf("a stream nobody listens to: %q, want it forgotten", got)
	}
	checkAccounts(t, b)
	// A forgotten stream starts again with the next run; ids still grow.
	next, _ := b.Publish(ctx, "quiet", "e", []byte("q2"))
	if got := kept(b, "quiet"); got != "q2" || !lastID(t, b, "heard").less(mustID(t, next.ID)) {
		t.Errorf("after the next run: %q, id %s", got, next.ID)
	}
}

// TestMemoryThreadStreamsDoNotPileUp: kept threads streamed once each
// leave no records behind after the grace.
func TestMemoryThreadStreamsDoNotPileUp(t *testing.T) {
	ctx := context.Background()
	b, clock := newFakeMemory(t, MemoryOptions{FinishedRetention: time.Minute})
	for i := range 1000 {
		name := fmt.Sprintf("thread-%d", i)
		b.Publish(ctx, name, "e", []byte("values"))
		b.Publish(ctx, name, "metadata", []byte("run_done"))
		b.Settle(ctx, name)
		clock.add(50 * time.Millisecond)
	}
	clock.add(2 * time.Minute)
	b.Publish(ctx, "other", "e", []byte("x"))
	b.mu.Lock()
	n := len(b.streams)
	b.mu.Unlock()
	if n != 1 || b.Bytes() != eventSize(Event{ID: "1000000-0", Name: "e", Data: []byte("x")})+recordSize("other") {
		t.Errorf("%d streams, %d bytes kept; want only the last one's", n, b.Bytes())
	}
}

func lastID(t *testing.T, b *Memory, name string) eventID {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.streams[name]
	return s.ids[len(s.ids)-1]
}

func mustID(t *testing.T, s string) eventID {
	t.Helper()
	id, err := parseID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
