package policy_test

import (
	"context"
	"fmt"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/policy"
)

// The tutorial's part 2 in one line of configuration, plus a rule that
// keeps assistant creation to admins.
func ExampleParseConfig() {
	cfg, err := policy.ParseConfig([]byte(`{
		"policy": "owner",
		"rules": {"assistants:create": "\"admin\" in permissions"}
	}`))
	if err != nil {
		panic(err)
	}
	a := auth.New()
	if err := cfg.Install(a); err != nil {
		panic(err)
	}

	alice := &auth.Context{User: &auth.User{Identity: "alice"}}
	run := func(v auth.Value) auth.Result {
		h, _ := a.Handler(v.Event())
		res, err := h(context.Background(), alice, v)
		if err != nil {
			panic(err)
		}
		return res
	}

	thread := &auth.ThreadsCreate{ThreadID: "t1", Metadata: map[string]any{"owner": "mallory"}}
	fmt.Println(run(thread).FilterMap(), thread.Metadata)
	fmt.Println(run(&auth.AssistantsSearch{}).FilterMap())
	fmt.Println(run(&auth.AssistantsCreate{}).Denied())
	item := &auth.StorePut{Namespace: []string{"notes"}, Key: "k"}
	run(item)
	fmt.Println(item.Namespace)
	// Output:
	// map[owner:alice] map[owner:alice]
	// map[$or:[map[owner:alice] map[created_by:system]]]
	// true
	// [alice notes]
}

// A compile error names the rule and points at the mistake.
func ExampleCompileRules() {
	_, err := policy.CompileRules(map[string]string{
		"threads:read": `value.metadata.owner == user.identity`,
	})
	fmt.Println(err)
	// Output:
	// policy: rule "threads:read":
	// ERROR: <input>:1:6: value has no field "metadata" in threads:read (its fields: run_id, thread_id)
	//  | value.metadata.owner == user.identity
	//  | .....^
}
