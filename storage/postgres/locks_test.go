package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/agentgate/agentgate/internal/testenv"
	"github.com/agentgate/agentgate/storage"
	"github.com/agentgate/agentgate/storage/internal/sqlcore"
)

// openStores opens n stores on one fresh database (n processes sharing
// it) and a database/sql pool on it, all closed when the test ends.
func openStores(t *testing.T, n int) ([]*Store, *sql.DB) {
	u := testenv.FreshPostgres(t)
	stores := make([]*Store, n)
	for i := range stores {
		s, err := Open(t.Context(), u)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores[i] = s
	}
	db, err := sql.Open("pgx", u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return stores, db
}

// TestWritesLockOnlyTheirThread: a transaction holding one thread's lock
// (as a write to it does) holds up writes to that thread only; writes to
// other threads, and new threads, go on. There is no global write lock.
func TestWritesLockOnlyTheirThread(t *testing.T) {
	stores, db := openStores(t, 1)
	s := stores[0]
	ctx, sys := t.Context(), storage.System()
	a := must(s.Threads().Create(ctx, sys, storage.ThreadCreate{}))(t).ThreadID
	b := must(s.Threads().Create(ctx, sys, storage.ThreadCreate{}))(t).ThreadID

	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, "thread:"+a); err != nil {
		t.Fatal(err)
	}

	md := storage.ThreadPatch{Metadata: map[string]any{"k": "v"}}
	short, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if _, err := s.Threads().Update(short, sys, b, md); err != nil {
		t.Errorf("update of another thread while thread a is locked: %v", err)
	}
	if _, err := s.Threads().Create(short, sys, storage.ThreadCreate{}); err != nil {
		t.Errorf("create while thread a is locked: %v", err)
	}
	if _, err := s.Runs().Create(short, storage.Authorized(storage.Event{Resource: "threads", Action: "create_run"}), storage.RunCreate{ThreadID: b, AssistantID: "x"}); err != nil {
		t.Errorf("run on another thread while thread a is locked: %v", err)
	}

	held := make(chan error, 1)
	go func() {
		_, err := s.Threads().Update(ctx, sys, a, md)
		held <- err
	}()
	select {
	case err := <-held:
		t.Fatalf("update of the locked thread did not wait for its lock: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	tx.Rollback()
	select {
	case err := <-held:
		if err != nil {
			t.Errorf("update of thread a once free: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("update of thread a still waits after its lock was released")
	}
}

// TestOneRunPerThreadAcrossStores: two stores on one database (two
// processes) claim and finish runs of a few threads as fast as they can;
// a thread never has two runs running at once, and every run runs once.
func TestOneRunPerThreadAcrossStores(t *testing.T) {
	stores, _ := openStores(t, 2)
	ctx, sys := t.Context(), storage.System()
	const threads, perThread = 4, 15
	var ids []string
	for range threads {
		ids = append(ids, must(stores[0].Threads().Create(ctx, sys, storage.ThreadCreate{}))(t).ThreadID)
	}
	for range perThread {
		for i, th := range ids {
			// Half start at once where they can, as the scheduler asks.
			c := storage.RunCreate{ThreadID: th, AssistantID: "x"}
			if i%2 == 0 {
				c.StartLease = time.Minute
			}
			out := must(stores[i%2].Runs().Create(ctx, storage.Authorized(storage.Event{Resource: "threads", Action: "create_run"}), c))(t)
			if out.Started {
				must(stores[0].Runs().Finish(ctx, sys, storage.RunFinish{ThreadID: th, RunID: out.Run.RunID,
					Status: storage.RunSuccess}))(t)
			}
		}
	}
	var mu sync.Mutex
	running := map[string]string{} // thread → run
	done := map[string]bool{}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			s := stores[w%2]
			for idle := 0; idle < 20; {
				r, ok, err := s.Runs().Claim(ctx, sys, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if !ok {
					idle++
					time.Sleep(5 * time.Millisecond)
					continue
				}
				idle = 0
				mu.Lock()
				if other := running[r.ThreadID]; other != "" {
					t.Errorf("thread %s runs %s and %s at once", r.ThreadID, other, r.RunID)
				}
				if done[r.RunID] {
					t.Errorf("run %s claimed twice", r.RunID)
				}
				running[r.ThreadID], done[r.RunID] = r.RunID, true
				mu.Unlock()
				time.Sleep(time.Millisecond)
				mu.Lock()
				delete(running, r.ThreadID)
				mu.Unlock()
				if _, err := s.Runs().Finish(ctx, sys, storage.RunFinish{ThreadID: r.ThreadID, RunID: r.RunID,
					Status: storage.RunSuccess}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	st := must(stores[0].Runs().Stats(ctx, sys))(t)
	if st.Pending != 0 || st.Running != 0 {
		t.Errorf("left over: %+v", st)
	}
	if want := threads*perThread - threads*perThread/2; len(done) < want-threads {
		t.Errorf("claimed %d runs, want about %d", len(done), want)
	}
}

// TestRunsOnANewThreadAtOnce: runs created at once, from two stores, on
// one thread that none of them finds (if_not_exists=create, starting where
// they can): the thread is created once, one run starts and the others
// wait for it, whichever statement created the thread.
func TestRunsOnANewThreadAtOnce(t *testing.T) {
	stores, _ := openStores(t, 2)
	ctx := t.Context()
	sc := storage.Authorized(storage.Event{Resource: "threads", Action: "create_run"})
	for round := range 5 {
		th := fmt.Sprintf("00000000-0000-4000-8000-%012d", round)
		const n = 12
		outs := make([]storage.RunCreated, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				var err error
				outs[i], err = stores[i%2].Runs().Create(ctx, sc, storage.RunCreate{ThreadID: th, AssistantID: "x",
					IfNotExists: "create", StartLease: time.Minute, MultitaskStrategy: storage.MultitaskEnqueue})
				if err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		created, started := 0, 0
		for _, o := range outs {
			if o.ThreadCreated {
				created++
			}
			if o.Started {
				started++
			}
		}
		running := must(stores[0].Runs().List(ctx, storage.System(), th, storage.RunList{Status: storage.RunRunning}))(t)
		pending := must(stores[0].Runs().List(ctx, storage.System(), th, storage.RunList{Status: storage.RunPending}))(t)
		if created != 1 || started != 1 || len(running) != 1 || len(pending) != n-1 {
			t.Errorf("round %d: %d created the thread, %d started, %d running, %d pending; want 1, 1, 1, %d",
				round, created, started, len(running), len(pending), n-1)
		}
	}
}

func TestRetryable(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{&pgconn.PgError{Code: "40P01"}, true},
		{fmt.Errorf("storage: x: %w", &pgconn.PgError{Code: "40001"}), true},
		{&pgconn.PgError{Code: "23505"}, false},
		{errors.New("x"), false},
		{nil, false},
	} {
		if got := retryable(c.err); got != c.want {
			t.Errorf("retryable(%v) = %v", c.err, got)
		}
	}
}

func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// TestBeginLocksKeys: keys with quotes, backslashes and NUL bytes lock,
// with the statement that begins the transaction, the lock of the key.
func TestBeginLocksKeys(t *testing.T) {
	stores, db := openStores(t, 1)
	s := stores[0]
	ctx := t.Context()
	for _, k := range []string{"thread:a", `it's`, `back\slash\'`, "nul\x00byte", "'); DROP TABLE runs; --"} {
		err := s.e.inTx(ctx, begin("BEGIN", []string{k, "z"}), func(tx *tx) error {
			var one int
			if err := tx.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
				return err
			}
			// Another session cannot take the same lock while it is held.
			param := strings.ReplaceAll(k, "\x00", `\0`)
			var free bool
			if err := db.QueryRowContext(ctx, `SELECT pg_try_advisory_lock(hashtextextended($1, 0))`, param).Scan(&free); err != nil {
				return err
			}
			if free {
				t.Errorf("%q: the lock begin took is not the lock of the key", k)
				db.ExecContext(ctx, `SELECT pg_advisory_unlock(hashtextextended($1, 0))`, param)
			}
			return nil
		})
		if err != nil {
			t.Errorf("%q: %v", k, err)
		}
	}
}

// TestOneStatementWrites: a write whose first statement is its last goes
// without BEGIN and COMMIT, as one implicit transaction with its locks: the
// locks are held while the statement runs and released after, what it wrote
// is committed, and a failing statement leaves nothing written.
func TestOneStatementWrites(t *testing.T) {
	stores, db := openStores(t, 1)
	s := stores[0]
	ctx := t.Context()
	if _, err := db.ExecContext(ctx, `CREATE TABLE scratch (v INT)`); err != nil {
		t.Fatal(err)
	}
	free := func() bool {
		var ok bool
		if err := db.QueryRowContext(ctx, `SELECT pg_try_advisory_xact_lock(hashtextextended('k', 0))`).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		return ok
	}
	held := make(chan bool, 1)
	go func() {
		time.Sleep(150 * time.Millisecond)
		held <- !free()
	}()
	err := s.e.Write(ctx, []string{"k"}, func(ctx context.Context, q sqlcore.Querier) error {
		_, err := sqlcore.Last(q).ExecContext(ctx, `WITH w AS (INSERT INTO scratch VALUES (1)) SELECT pg_sleep(0.4)`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !<-held {
		t.Error("the lock was not held while the statement ran")
	}
	if !free() {
		t.Error("the lock is still held after the write")
	}
	err = s.e.Write(ctx, []string{"k"}, func(ctx context.Context, q sqlcore.Querier) error {
		_, err := sqlcore.Last(q).ExecContext(ctx, `WITH w AS (INSERT INTO scratch VALUES (2)) SELECT 1 / 0`)
		return err
	})
	if err == nil {
		t.Fatal("a division by zero committed")
	}
	var n, sum int
	if err := db.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(v), 0) FROM scratch`).Scan(&n, &sum); err != nil {
		t.Fatal(err)
	}
	if n != 1 || sum != 1 {
		t.Errorf("scratch has %d rows summing %d; want the first write's only", n, sum)
	}
	// The connection went back to the pool usable.
	var one int
	if err := s.e.Reader().QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil || one != 1 {
		t.Errorf("after the failed write: %v", err)
	}
}
