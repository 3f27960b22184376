package wire

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"
)

// server answers attempt n (from 0) with answer and counts attempts.
func server(t *testing.T, answer func(w http.ResponseWriter, r *http.Request, n int)) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if string(b) != `{"q":1}` || r.Header.Get("Content-Type") != "application/json" || r.Header.Get("X-Key") != "k" {
			t.Errorf("attempt %d: body %q, content type %q, key %q", n.Load(), b, r.Header.Get("Content-Type"), r.Header.Get("X-Key"))
		}
		answer(w, r, int(n.Add(1)-1))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func post(ctx context.Context, url string, retries int) (*http.Response, error) {
	return Post(ctx, Request{URL: url, Header: http.Header{"X-Key": {"k"}}, Body: []byte(`{"q":1}`), MaxRetries: retries})
}

func TestPostRetriesWhatTheSDKsRetry(t *testing.T) {
	for _, tc := range []struct {
		status   int
		should   string // x-should-retry
		attempts int32
	}{
		{408, "", 3}, {409, "", 3}, {429, "", 3}, {500, "", 3}, {503, "", 3}, {529, "", 3},
		{400, "", 1}, {401, "", 1}, {403, "", 1}, {404, "", 1}, {422, "", 1},
		{400, "true", 3}, {500, "false", 1}, {302, "", 1},
	} {
		t.Run(fmt.Sprint(tc.status, tc.should), func(t *testing.T) {
			srv, n := server(t, func(w http.ResponseWriter, r *http.Request, n int) {
				w.Header().Set("Retry-After-Ms", "1")
				if tc.should != "" {
					w.Header().Set("X-Should-Retry", tc.should)
				}
				w.WriteHeader(tc.status)
				fmt.Fprintf(w, `{"error": "no %d"}`, n)
			})
			res, err := post(context.Background(), srv.URL, 2)
			var se *StatusError
			if res != nil || !errors.As(err, &se) {
				t.Fatalf("res %v, err %v: want a *StatusError", res, err)
			}
			want := fmt.Sprintf(`{"error": "no %d"}`, tc.attempts-1)
			if se.Status != tc.status || string(se.Body) != want || se.Header.Get("Retry-After-Ms") != "1" {
				t.Errorf("got %d %q %v, want %d %q", se.Status, se.Body, se.Header, tc.status, want)
			}
			if got := n.Load(); got != tc.attempts {
				t.Errorf("%d attempts, want %d", got, tc.attempts)
			}
		})
	}
}

func TestPostReturnsTheFirstSuccess(t *testing.T) {
	srv, n := server(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n < 2 {
			w.Header().Set("Retry-After-Ms", "1")
			w.WriteHeader(500)
			return
		}
		fmt.Fprint(w, "ok")
	})
	res, err := post(context.Background(), srv.URL, 5)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if string(b) != "ok" || n.Load() != 3 {
		t.Errorf("body %q after %d attempts", b, n.Load())
	}
}

func TestPostRetriesDroppedConnections(t *testing.T) {
	srv, n := server(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 0 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		fmt.Fprint(w, "ok")
	})
	res, err := post(context.Background(), srv.URL, 1)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if n.Load() != 2 {
		t.Errorf("%d attempts", n.Load())
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	start := time.Now()
	if _, err := post(context.Background(), "http://"+addr, 1); err == nil {
		t.Error("a closed port answered")
	} else if d := time.Since(start); d < 375*time.Millisecond {
		t.Errorf("gave up after %v: the refused connection was not retried after a backoff", d)
	}
}

func TestPostStopsWaitingWhenTheContextEnds(t *testing.T) {
	srv, n := server(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(429)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := post(ctx, srv.URL, 3)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v", err)
	}
	if d := time.Since(start); d > 5*time.Second || n.Load() != 1 {
		t.Errorf("returned after %v and %d attempts", d, n.Load())
	}
}

func TestDelay(t *testing.T) {
	h := func(kv ...string) http.Header {
		out := http.Header{}
		for i := 0; i+1 < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out
	}
	for _, tc := range []struct {
		name     string
		h        http.Header
		attempt  int
		min, max time.Duration
	}{
		{"retry-after-ms first", h("Retry-After-Ms", "250", "Retry-After", "9"), 0, 250 * time.Millisecond, 250 * time.Millisecond},
		{"retry-after seconds", h("Retry-After", "1.5"), 3, 1500 * time.Millisecond, 1500 * time.Millisecond},
		{"retry-after zero", h("Retry-After", "0"), 2, 0, 0},
		{"retry-after date", h("Retry-After", time.Now().Add(20*time.Second).UTC().Format(http.TimeFormat)), 0, 18 * time.Second, 20 * time.Second},
		{"date in the past", h("Retry-After", "Mon, 02 Jan 2006 15:04:05 GMT"), 0, 0, 0},
		{"over a minute: backoff", h("Retry-After", "120"), 0, 375 * time.Millisecond, 500 * time.Millisecond},
		{"not a number: backoff", h("Retry-After", "soon"), 1, 750 * time.Millisecond, time.Second},
		{"NaN: backoff", h("Retry-After-Ms", "NaN"), 0, 375 * time.Millisecond, 500 * time.Millisecond},
		{"Inf: backoff", h("Retry-After", "+Inf"), 0, 375 * time.Millisecond, 500 * time.Millisecond},
		{"negative: backoff", h("Retry-After", "-5"), 0, 375 * time.Millisecond, 500 * time.Millisecond},
		{"none, attempt 0", nil, 0, 375 * time.Millisecond, 500 * time.Millisecond},
		{"none, attempt 3", nil, 3, 3 * time.Second, 4 * time.Second},
		{"none, capped at 8 s", nil, 10, 6 * time.Second, 8 * time.Second},
		{"none, huge attempt", nil, math.MaxInt, 6 * time.Second, 8 * time.Second},
	} {
		for range 20 {
			if d := Delay(tc.h, tc.attempt); d < tc.min || d > tc.max {
				t.Errorf("%s: %v, want %v to %v", tc.name, d, tc.min, tc.max)
				break
			}
		}
	}
}

func events(t *testing.T, r io.Reader) ([]Event, error) {
	t.Helper()
	e := NewEvents(r)
	var out []Event
	for {
		ev, err := e.Next()
		if err != nil {
			return out, err
		}
		out = append(out, ev)
	}
}

func TestEventsReadTheFormat(t *testing.T) {
	in := ": a comment\n" +
		"event: message_start\ndata: {\"a\":1}\n\n" +
		"data:no space\r\n\r\n" +
		"data: line one\rdata: line two\r\rid: 7\nretry: 10\ndata\n\n" +
		"event: lonely\n\n" + // no data: not an event
		"data:  two spaces\n\n" +
		"data: [DONE]\n\n" +
		"event: cut\ndata: never ended"
	want := []Event{
		{Name: "message_start", Data: []byte(`{"a":1}`)},
		{Data: []byte("no space")},
		{Data: []byte("line one\nline two")},
		{Data: []byte("")},
		{Data: []byte(" two spaces")},
		{Data: []byte("[DONE]")},
	}
	for name, r := range map[string]io.Reader{
		"whole":         strings.NewReader(in),
		"one byte each": iotest.OneByteReader(strings.NewReader(in)),
	} {
		got, err := events(t, r)
		if err != io.EOF {
			t.Errorf("%s: err = %v, want io.EOF", name, err)
		}
		if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
			t.Errorf("%s:\n got %q\nwant %q", name, got, want)
		}
	}
}

func TestEventsReportReadErrorsAndLongLines(t *testing.T) {
	boom := errors.New("connection reset")
	got, err := events(t, io.MultiReader(strings.NewReader("data: a\n\ndata: b"), iotest.ErrReader(boom)))
	if !errors.Is(err, boom) || len(got) != 1 {
		t.Errorf("got %q, err %v", got, err)
	}
	long := io.MultiReader(strings.NewReader("data: "), io.LimitReader(neverEnding('x'), MaxLine+1))
	if _, err := events(t, long); !errors.Is(err, ErrTooLong) {
		t.Errorf("err = %v, want ErrTooLong", err)
	}
}

type neverEnding byte

func (b neverEnding) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}
