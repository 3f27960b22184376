package conformance

import (
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/agentgate/agentgate/storage"
)

func cronTests() []test {
	return []test{
		{"CronCreateGet", testCronCreateGet},
		{"CronUpdate", testCronUpdate},
		{"CronDelete", testCronDelete},
		{"CronSearchCount", testCronSearchCount},
		{"CronSearchThreadScope", testCronSearchThreadScope},
		{"CronCascade", testCronCascade},
		{"CronDue", testCronDue},
		{"CronAdvanceOnce", testCronAdvanceOnce},
		{"CronNoScope", testCronNoScope},
	}
}

// cronFixture creates an assistant and a thread owned by who.
func cronFixture(t *testing.T, s storage.Store, who string) (assistant, thread string) {
	t.Helper()
	a := val(s.Assistants().Create(ctx(), sys(), storage.AssistantCreate{GraphID: "agent", Metadata: map[string]any{"owner": who}})).get(t)
	th := val(s.Threads().Create(ctx(), sys(), storage.ThreadCreate{Metadata: map[string]any{"owner": who}})).get(t)
	return a.AssistantID, th.ThreadID
}

func at(min int) *time.Time {
	t := time.Date(2030, 1, 1, 0, min, 0, 123456789, time.UTC)
	return &t
}

func newCron(assistant, thread, who string) storage.CronCreate {
	return storage.CronCreate{AssistantID: assistant, ThreadID: thread, ThreadScope: all(), Schedule: "*/5 * * * *",
		Payload: map[string]any{"input": map[string]any{"x": 1}}, Metadata: map[string]any{"owner": who},
		Enabled: true, NextRunDate: at(5), UserID: who, AuthUser: map[string]any{"identity": who}}
}

func testCronCreateGet(t *testing.T, s storage.Store) {
	aid, tid := cronFixture(t, s, "alice")
	cs := s.Crons()
	c := newCron(aid, "", "alice")
	c.OnRunCompleted = storage.CronKeepThread
	c.Timezone = "Europe/Paris"
	c.EndTime = at(60)
	got := val(cs.Create(ctx(), all(), c)).get(t)
	if got.CronID == "" || got.AssistantID != aid || got.ThreadID != "" || got.OnRunCompleted != "keep" ||
		got.Schedule != c.Schedule || got.Timezone != "Europe/Paris" || got.UserID != "alice" || !got.Enabled ||
		got.CreatedAt.IsZero() || !got.CreatedAt.Equal(got.UpdatedAt) || got.AuthUser["identity"] != "alice" {
		t.Fatalf("created %+v", got)
	}
	if !got.NextRunDate.Equal(at(5).Truncate(time.Microsecond)) || !got.EndTime.Equal(at(60).Truncate(time.Microsecond)) {
		t.Errorf("times: next %v end %v", got.NextRunDate, got.EndTime)
	}
	if p, _ := got.Payload["input"].(map[string]any); p["x"] != float64(1) {
		t.Errorf("payload %v", got.Payload)
	}
	back := val(cs.Get(ctx(), owner(t, "alice"), got.CronID)).get(t)
	b1, _ := json.Marshal(got)
	b2, _ := json.Marshal(back)
	if string(b1) != string(b2) || back.AuthUser["identity"] != "alice" {
		t.Errorf("Get = %s, want %s", b2, b1)
	}
	var wire map[string]any
	must(t, json.Unmarshal(b1, &wire))
	for _, k := range []string{"cron_id", "assistant_id", "thread_id", "on_run_completed", "end_time", "schedule",
		"timezone", "created_at", "updated_at", "user_id", "payload", "next_run_date", "metadata", "enabled"} {
		if _, ok := wire[k]; !ok {
			t.Errorf("wire shape lacks %s: %s", k, b1)
		}
	}
	if wire["thread_id"] != nil || wire["auth_user"] != nil || wire["AuthUser"] != nil {
		t.Errorf("wire shape %s", b1)
	}

	tc := val(cs.Create(ctx(), all(), newCron(aid, tid, "alice"))).get(t)
	if tc.ThreadID != tid || tc.OnRunCompleted != "" || tc.EndTime != nil {
		t.Errorf("thread cron %+v", tc)
	}
	_, err := cs.Get(ctx(), owner(t, "bob"), tc.CronID)
	isErr(t, err, storage.ErrNotFound, "Get hidden cron")
	_, err = cs.Get(ctx(), all(), "nope")
	isErr(t, err, storage.ErrNotFound, "Get missing cron")
	_, err = cs.Create(ctx(), all(), newCron("missing-assistant", "", "alice"))
	isErr(t, err, storage.ErrNotFound, "Create with a missing assistant")
	_, err = cs.Create(ctx(), all(), newCron(aid, "missing-thread", "alice"))
	isErr(t, err, storage.ErrNotFound, "Create with a missing thread")
	// The thread must be visible to the thread scope (the caller's
	// threads:create_run), checked where the cron is inserted.
	hidden := newCron(aid, tid, "bob")
	hidden.ThreadScope = owner(t, "bob")
	_, err = cs.Create(ctx(), all(), hidden)
	isErr(t, err, storage.ErrNotFound, "Create on a thread hidden from the thread scope")
	hidden.ThreadScope = storage.Scope{}
	_, err = cs.Create(ctx(), all(), hidden)
	isErr(t, err, storage.ErrNoScope, "Create on a thread without a thread scope")
	dup := newCron(aid, "", "alice")
	dup.CronID = tc.CronID
	_, err = cs.Create(ctx(), all(), dup)
	isErr(t, err, storage.ErrConflict, "Create with a taken id")
	bad := newCron(aid, "", "alice")
	bad.OnRunCompleted = "sometimes"
	_, err = cs.Create(ctx(), all(), bad)
	isErr(t, err, storage.ErrInvalid, "Create with a bad on_run_completed")
	bad = newCron(aid, "", "alice")
	bad.Schedule = ""
	_, err = cs.Create(ctx(), all(), bad)
	isErr(t, err, storage.ErrInvalid, "Create without a schedule")
}

func testCronUpdate(t *testing.T, s storage.Store) {
	aid, _ := cronFixture(t, s, "alice")
	cs := s.Crons()
	c := newCron(aid, "", "alice")
	c.EndTime = at(60)
	c.Metadata["keep"] = "me"
	cr := val(cs.Create(ctx(), all(), c)).get(t)
	sched, tz, off, orc := "0 * * * *", "Asia/Tokyo", false, "keep"
	up := val(cs.Update(ctx(), owner(t, "alice"), cr.CronID, storage.CronPatch{Schedule: &sched, Timezone: &tz,
		ClearEndTime: true, Enabled: &off, OnRunCompleted: &orc, Payload: map[string]any{"input": "new"},
		Metadata: map[string]any{"extra": true}, NextRunDate: at(30)})).get(t)
	if up.Schedule != sched || up.Timezone != tz || up.EndTime != nil || up.Enabled || up.OnRunCompleted != "keep" ||
		up.Payload["input"] != "new" || up.Metadata["keep"] != "me" || up.Metadata["extra"] != true ||
		!up.NextRunDate.Equal(at(30).Truncate(time.Microsecond)) || !up.UpdatedAt.After(cr.UpdatedAt) ||
		up.AuthUser["identity"] != "alice" || up.UserID != "alice" {
		t.Fatalf("updated %+v", up)
	}
	// An empty patch keeps everything (payload included).
	same := val(cs.Update(ctx(), all(), cr.CronID, storage.CronPatch{EndTime: at(90)})).get(t)
	if same.Payload["input"] != "new" || same.Schedule != sched || !same.EndTime.Equal(at(90).Truncate(time.Microsecond)) {
		t.Errorf("after end-time patch %+v", same)
	}
	_, err := cs.Update(ctx(), owner(t, "bob"), cr.CronID, storage.CronPatch{Enabled: &off})
	isErr(t, err, storage.ErrNotFound, "Update hidden cron")
	empty := ""
	_, err = cs.Update(ctx(), all(), cr.CronID, storage.CronPatch{Schedule: &empty})
	isErr(t, err, storage.ErrInvalid, "Update to an empty schedule")
}

func testCronDelete(t *testing.T, s storage.Store) {
	aid, _ := cronFixture(t, s, "alice")
	cs := s.Crons()
	cr := val(cs.Create(ctx(), all(), newCron(aid, "", "alice"))).get(t)
	isErr(t, cs.Delete(ctx(), owner(t, "bob"), cr.CronID), storage.ErrNotFound, "Delete hidden cron")
	val(cs.Get(ctx(), sys(), cr.CronID)).get(t)
	must(t, cs.Delete(ctx(), owner(t, "alice"), cr.CronID))
	_, err := cs.Get(ctx(), sys(), cr.CronID)
	isErr(t, err, storage.ErrNotFound, "Get deleted cron")
	isErr(t, cs.Delete(ctx(), all(), cr.CronID), storage.ErrNotFound, "Delete twice")
}

func cronIDs(cs []storage.Cron) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.CronID
	}
	return out
}

func sameIDs(t *testing.T, what string, got []storage.Cron, want ...string) {
	t.Helper()
	g := cronIDs(got)
	if len(g) != len(want) {
		t.Errorf("%s = %v, want %v", what, g, want)
		return
	}
	for i := range g {
		if g[i] != want[i] {
			t.Errorf("%s = %v, want %v", what, g, want)
			return
		}
	}
}

func testCronSearchCount(t *testing.T, s storage.Store) {
	aid, tid := cronFixture(t, s, "alice")
	bid, _ := cronFixture(t, s, "bob")
	cs := s.Crons()
	c1 := val(cs.Create(ctx(), all(), newCron(aid, "", "alice"))).get(t)
	c2 := newCron(aid, tid, "alice")
	c2.NextRunDate = at(1)
	cr2 := val(cs.Create(ctx(), all(), c2)).get(t)
	c3 := newCron(aid, "", "alice")
	c3.Enabled = false
	c3.NextRunDate = at(9)
	cr3 := val(cs.Create(ctx(), all(), c3)).get(t)
	cb := val(cs.Create(ctx(), all(), newCron(bid, "", "bob"))).get(t)

	alice := owner(t, "alice")
	sameIDs(t, "default order", val(cs.Search(ctx(), alice, all(), storage.CronSearch{})).get(t), cr3.CronID, cr2.CronID, c1.CronID)
	sameIDs(t, "created asc", val(cs.Search(ctx(), alice, all(), storage.CronSearch{SortOrder: "asc"})).get(t), c1.CronID, cr2.CronID, cr3.CronID)
	sameIDs(t, "next_run_date asc", val(cs.Search(ctx(), alice, all(), storage.CronSearch{SortBy: "next_run_date", SortOrder: "asc"})).get(t), cr2.CronID, c1.CronID, cr3.CronID)
	sameIDs(t, "page", val(cs.Search(ctx(), alice, all(), storage.CronSearch{SortOrder: "asc", Limit: 1, Offset: 1})).get(t), cr2.CronID)
	sameIDs(t, "thread", val(cs.Search(ctx(), alice, all(), storage.CronSearch{ThreadID: tid})).get(t), cr2.CronID)
	on, off := true, false
	sameIDs(t, "enabled", val(cs.Search(ctx(), alice, all(), storage.CronSearch{Enabled: &on, SortOrder: "asc"})).get(t), c1.CronID, cr2.CronID)
	sameIDs(t, "disabled", val(cs.Search(ctx(), alice, all(), storage.CronSearch{Enabled: &off})).get(t), cr3.CronID)
	sameIDs(t, "bob's assistant as alice", val(cs.Search(ctx(), alice, all(), storage.CronSearch{AssistantID: bid})).get(t))
	sameIDs(t, "bob", val(cs.Search(ctx(), owner(t, "bob"), all(), storage.CronSearch{})).get(t), cb.CronID)
	if n := val(cs.Count(ctx(), alice, all(), storage.CronSearch{})).get(t); n != 3 {
		t.Errorf("alice counts %d", n)
	}
	if n := val(cs.Count(ctx(), all(), all(), storage.CronSearch{AssistantID: aid, Enabled: &on})).get(t); n != 2 {
		t.Errorf("count enabled of aid = %d", n)
	}
	_, err := cs.Search(ctx(), all(), all(), storage.CronSearch{SortBy: "schedule"})
	isErr(t, err, storage.ErrInvalid, "bad sort_by")
	_, err = cs.Search(ctx(), all(), all(), storage.CronSearch{Limit: -1})
	isErr(t, err, storage.ErrInvalid, "negative limit")
}

// testCronSearchThreadScope: a cron on a thread the caller cannot read is
// left out of search and count even when the cron itself is visible.
func testCronSearchThreadScope(t *testing.T, s storage.Store) {
	aid, tid := cronFixture(t, s, "alice")
	cs := s.Crons()
	// The cron is marked shared, its thread is alice's.
	c := newCron(aid, tid, "alice")
	c.Metadata = map[string]any{"shared": true}
	onThread := val(cs.Create(ctx(), all(), c)).get(t)
	c = newCron(aid, "", "alice")
	c.Metadata = map[string]any{"shared": true}
	stateless := val(cs.Create(ctx(), all(), c)).get(t)
	shared := scope(t, map[string]any{"shared": true})
	sameIDs(t, "alice", val(cs.Search(ctx(), shared, owner(t, "alice"), storage.CronSearch{SortOrder: "asc"})).get(t), onThread.CronID, stateless.CronID)
	sameIDs(t, "bob", val(cs.Search(ctx(), shared, owner(t, "bob"), storage.CronSearch{})).get(t), stateless.CronID)
	if n := val(cs.Count(ctx(), shared, owner(t, "bob"), storage.CronSearch{})).get(t); n != 1 {
		t.Errorf("bob counts %d", n)
	}
	sameIDs(t, "bob by thread", val(cs.Search(ctx(), shared, owner(t, "bob"), storage.CronSearch{ThreadID: tid})).get(t))
}

func testCronCascade(t *testing.T, s storage.Store) {
	aid, tid := cronFixture(t, s, "alice")
	cs := s.Crons()
	onThread := val(cs.Create(ctx(), all(), newCron(aid, tid, "alice"))).get(t)
	stateless := val(cs.Create(ctx(), all(), newCron(aid, "", "alice"))).get(t)
	must(t, s.Threads().Delete(ctx(), all(), tid))
	_, err := cs.Get(ctx(), sys(), onThread.CronID)
	isErr(t, err, storage.ErrNotFound, "cron of a deleted thread")
	val(cs.Get(ctx(), sys(), stateless.CronID)).get(t)
	must(t, s.Assistants().Delete(ctx(), all(), aid))
	_, err = cs.Get(ctx(), sys(), stateless.CronID)
	isErr(t, err, storage.ErrNotFound, "cron of a deleted assistant")
}

func testCronDue(t *testing.T, s storage.Store) {
	aid, tid := cronFixture(t, s, "alice")
	cs := s.Crons()
	mk := func(next, end *time.Time, enabled bool, thread string) storage.Cron {
		c := newCron(aid, thread, "alice")
		c.NextRunDate, c.EndTime, c.Enabled = next, end, enabled
		return val(cs.Create(ctx(), all(), c)).get(t)
	}
	now := *at(10)
	due2 := mk(at(9), nil, true, "")
	due1 := mk(at(2), at(11), true, tid)
	dueNow := mk(&now, nil, true, "")
	mk(at(11), nil, true, "")   // later
	mk(at(3), nil, false, "")   // disabled
	mk(at(3), at(10), true, "") // ended (end_time = now)
	mk(nil, nil, true, "")      // no next run date
	sameIDs(t, "Due", val(cs.Due(ctx(), sys(), now, 0)).get(t), due1.CronID, due2.CronID, dueNow.CronID)
	sameIDs(t, "Due limit", val(cs.Due(ctx(), sys(), now, 2)).get(t), due1.CronID, due2.CronID)
	got := val(cs.Due(ctx(), sys(), now, 1)).get(t)[0]
	if got.AuthUser["identity"] != "alice" || got.Payload["input"] == nil {
		t.Errorf("due cron lacks its user or payload: %+v", got)
	}
	_, err := cs.Due(ctx(), all(), now, 0)
	isErr(t, err, storage.ErrForbidden, "Due with a request scope")
	_, err = cs.Advance(ctx(), all(), due1.CronID, *due1.NextRunDate, now)
	isErr(t, err, storage.ErrForbidden, "Advance with a request scope")
}

func testCronAdvanceOnce(t *testing.T, s storage.Store) {
	aid, _ := cronFixture(t, s, "alice")
	cs := s.Crons()
	cr := val(cs.Create(ctx(), all(), newCron(aid, "", "alice"))).get(t)
	from := *cr.NextRunDate
	next := from.Add(5 * time.Minute)
	const n = 8
	var wg sync.WaitGroup
	wins := make(chan bool, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := cs.Advance(ctx(), sys(), cr.CronID, from, next)
			if err != nil {
				t.Error(err)
			}
			wins <- ok
		}()
	}
	wg.Wait()
	close(wins)
	won := 0
	for ok := range wins {
		if ok {
			won++
		}
	}
	if won != 1 {
		t.Fatalf("%d callers advanced the same tick, want 1", won)
	}
	got := val(cs.Get(ctx(), sys(), cr.CronID)).get(t)
	if !got.NextRunDate.Equal(next.Truncate(time.Microsecond)) {
		t.Errorf("next run date %v, want %v", got.NextRunDate, next)
	}
	if ok := val(cs.Advance(ctx(), sys(), "missing", from, next)).get(t); ok {
		t.Error("advanced a missing cron")
	}
}

func testCronNoScope(t *testing.T, s storage.Store) {
	aid, _ := cronFixture(t, s, "alice")
	cs := s.Crons()
	cr := val(cs.Create(ctx(), all(), newCron(aid, "", "alice"))).get(t)
	var z storage.Scope
	check := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, storage.ErrNoScope) {
			t.Errorf("%s with the zero Scope: err = %v, want ErrNoScope", what, err)
		}
	}
	_, err := cs.Create(ctx(), z, newCron(aid, "", "alice"))
	check("Create", err)
	_, err = cs.Get(ctx(), z, cr.CronID)
	check("Get", err)
	_, err = cs.Update(ctx(), z, cr.CronID, storage.CronPatch{})
	check("Update", err)
	check("Delete", cs.Delete(ctx(), z, cr.CronID))
	_, err = cs.Search(ctx(), z, all(), storage.CronSearch{})
	check("Search", err)
	_, err = cs.Search(ctx(), all(), z, storage.CronSearch{})
	check("Search (threads scope)", err)
	_, err = cs.Count(ctx(), z, all(), storage.CronSearch{})
	check("Count", err)
	_, err = cs.Count(ctx(), all(), z, storage.CronSearch{})
	check("Count (threads scope)", err)
	_, err = cs.Due(ctx(), z, time.Now(), 0)
	check("Due", err)
	_, err = cs.Advance(ctx(), z, cr.CronID, *cr.NextRunDate, time.Now())
	check("Advance", err)
	if n := val(cs.Count(ctx(), sys(), sys(), storage.CronSearch{})).get(t); n != 1 {
		t.Errorf("%d crons after refused calls, want 1", n)
	}
}
