// Package graph is agentgate's graph runtime: LangGraph's state graphs and
// Pregel execution model in Go.
//
// A graph has named state channels (LastValue, Reduce, Messages), nodes
// and edges. A run proceeds in supersteps: the nodes triggered by the last
// step run concurrently, and their writes are applied together at the
// step's end in a deterministic order. With a checkpoint.Saver every step
// is saved, so a run can be inspected (GetState, History), edited
// (UpdateState), resumed after an Interrupt or a failure, replayed or
// forked from any checkpoint. Stream emits LangGraph's stream modes.
//
// A chatbot:
//
//	g, err := graph.New().
//		AddChannel("messages", graph.Messages()).
//		AddNode("chat", func(ctx context.Context, s graph.State) (any, error) {
//			msgs := s["messages"].([]graph.Message)
//			return graph.State{"messages": graph.AI("You said: " + msgs[len(msgs)-1].Text())}, nil
//		}).
//		AddEdge(graph.START, "chat").
//		Compile()
//	out, err := g.Invoke(ctx, graph.State{"messages": "hi"}, graph.RunConfig{})
//
// Nodes read their run's configuration with Info(ctx), ask a human with
// Interrupt(ctx, value), stream tokens with StreamChunk and custom data
// with WriteCustom. The package knows nothing of HTTP or SQL.
package graph
