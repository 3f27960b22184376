package agent_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/agentgate/agentgate/agent"
	"github.com/agentgate/agentgate/graph"
	"github.com/agentgate/agentgate/llm"
)

type WeatherArgs struct {
	City string `json:"city" jsonschema:"description=City name"`
	Unit string `json:"unit,omitempty" jsonschema:"enum=c,enum=f"`
}

func ExampleNewTool() {
	weather, err := agent.NewTool("get_weather", "Current weather in a city.",
		func(ctx context.Context, in WeatherArgs) (map[string]any, error) {
			return map[string]any{"city": in.City, "temp_c": 21}, nil
		})
	if err != nil {
		panic(err)
	}
	schema, _ := json.Marshal(weather.Spec().Parameters)
	fmt.Println(string(schema))
	out, err := weather.Call(context.Background(), map[string]any{"city": "Oslo"})
	fmt.Println(out, err)
	_, err = weather.Call(context.Background(), map[string]any{"town": "Oslo"})
	fmt.Println(err)
	// Output:
	// {"additionalProperties":false,"properties":{"city":{"description":"City name","type":"string"},"unit":{"enum":["c","f"],"type":"string"}},"required":["city"],"type":"object"}
	// map[city:Oslo temp_c:21] <nil>
	// invalid arguments for tool "get_weather": missing required argument "city"
}

func ExampleNewReact() {
	// llm.Echo cannot call tools; without tools any chat model will do.
	g, err := agent.NewReact(llm.Echo{}, nil, agent.ReactOptions{SystemPrompt: "Be brief."})
	if err != nil {
		panic(err)
	}
	out, err := g.Invoke(context.Background(), graph.State{"messages": "hi"}, graph.RunConfig{})
	if err != nil {
		panic(err)
	}
	msgs := out["messages"].([]graph.Message)
	fmt.Println(msgs[len(msgs)-1].Text())
	// Output: You said: hi
}
