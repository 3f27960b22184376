package cli

import (
	"strings"
	"testing"
)

func TestEventFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		vars map[string]string
		want string
	}{
		{[]string{"dev", "--events-max-mib", "0"}, nil, "--events-max-mib 0: want at least 1"},
		{[]string{"dev", "--events-max-mib", "4", "--events-stream-max-mib", "8"}, nil, "--events-stream-max-mib 8: want 1 to --events-max-mib (4)"},
		{[]string{"dev", "--events-retention", "10ms"}, nil, "--events-retention 10ms: want at least 1s"},
		{[]string{"dev"}, map[string]string{"AGENTGATE_EVENTS_MAX_MIB": "lots"}, `AGENTGATE_EVENTS_MAX_MIB="lots": want a whole number`},
		{[]string{"serve"}, map[string]string{"AGENTGATE_EVENTS_RETENTION": "soon"}, `AGENTGATE_EVENTS_RETENTION="soon"`},
	} {
		code, _, stderr := runSync(t, c.vars, c.args...)
		if code != exitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("%q %v: exit %d, stderr %q; want %q", c.args, c.vars, code, stderr, c.want)
		}
	}
	f, code, done := parseServerFlags("serve", []string{"--events-stream-max-mib", "2"}, env{getenv: getenvFrom(map[string]string{
		"AGENTGATE_EVENTS_MAX_MIB": "16", "AGENTGATE_EVENTS_RETENTION": "2m"}), stderr: &syncBuffer{}})
	if done {
		t.Fatalf("parse: exit %d", code)
	}
	o := f.events.memory()
	if o.MaxTotalBytes != 16<<20 || o.MaxStreamBytes != 2<<20 || o.FinishedRetention.Minutes() != 2 {
		t.Errorf("memory options %+v", o)
	}
	// A stream cap not given follows a total below its default.
	for _, c := range []struct {
		args []string
		vars map[string]string
	}{
		{[]string{"--events-max-mib", "2"}, nil},
		{nil, map[string]string{"AGENTGATE_EVENTS_MAX_MIB": "2"}},
	} {
		f, code, done := parseServerFlags("serve", c.args, env{getenv: getenvFrom(c.vars), stderr: &syncBuffer{}})
		if done {
			t.Fatalf("%v %v: exit %d", c.args, c.vars, code)
		}
		if o := f.events.memory(); o.MaxTotalBytes != 2<<20 || o.MaxStreamBytes != 2<<20 {
			t.Errorf("%v %v: memory options %+v", c.args, c.vars, o)
		}
	}
}

// TestEventsMaxReachesTheBroker: the started server's broker keeps at most
// --events-max-mib (seen in /metrics).
func TestEventsMaxReachesTheBroker(t *testing.T) {
	dir := writeConfig(t, `{"graphs": {"chat": "builtin:chatbot"}}`)
	r := start(t, nil, "dev", "--memory", "--no-reload", "--port", "0", "--config", dir, "--events-max-mib", "1", "--events-stream-max-mib", "1")
	big := strings.Repeat("x", 600<<10)
	for i := range 3 {
		code, _, _ := call(t, "POST", r.url+"/runs/wait", `{"assistant_id": "chat", "input": {"messages": [{"type": "human", "content": "`+big+`"}]}}`)
		if code != 200 {
			t.Fatalf("run %d: %d", i, code)
		}
	}
	_, _, m := call(t, "GET", r.url+"/metrics?format=json", "")
	ev, _ := m["events"].(map[string]any)
	if b, _ := ev["bytes"].(float64); b <= 0 || b > 1<<20 {
		t.Errorf("events.bytes = %v, want above 0 and at most 1 MiB", ev["bytes"])
	}
}
