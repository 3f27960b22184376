package react

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestCurrentTime(t *testing.T) {
	tool, err := CurrentTime()
	if err != nil {
		t.Fatal(err)
	}
	out, err := tool.Call(context.Background(), map[string]any{"timezone": "Asia/Tokyo"})
	if err != nil {
		t.Fatal(err)
	}
	r := out.(TimeResult)
	at, err := time.Parse(time.RFC3339, r.Time)
	if err != nil || r.Timezone != "Asia/Tokyo" || !strings.HasSuffix(r.Time, "+09:00") || time.Since(at).Abs() > time.Minute {
		t.Errorf("Asia/Tokyo: %+v, %v", r, err)
	}
	if out, err := tool.Call(context.Background(), nil); err != nil || out.(TimeResult).Timezone != "UTC" {
		t.Errorf("no timezone: %+v, %v", out, err)
	}
	for _, tz := range []string{"Mars/Olympus", "../../etc/passwd", "/etc/localtime", "Local"} {
		if _, err := tool.Call(context.Background(), map[string]any{"timezone": tz}); err == nil || !strings.Contains(err.Error(), "unknown time zone") {
			t.Errorf("%q: %v", tz, err)
		}
	}
}

func TestWhoAmIWithoutCaller(t *testing.T) {
	tool, err := WhoAmI()
	if err != nil {
		t.Fatal(err)
	}
	out, err := tool.Call(context.Background(), map[string]any{})
	if err != nil || out.(WhoAmIResult).Authenticated {
		t.Errorf("outside a run: %+v, %v", out, err)
	}
	if _, err := tool.Call(context.Background(), map[string]any{"x": 1}); err == nil {
		t.Error("unknown argument accepted")
	}
}

func TestToolsNames(t *testing.T) {
	tools, err := Tools()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tl := range tools {
		names = append(names, tl.Spec().Name)
	}
	if got := strings.Join(names, " "); got != "current_time calculator whoami" {
		t.Errorf("tools: %s", got)
	}
}
