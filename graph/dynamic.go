package graph

import (
	"context"
	"errors"
)

// Factory builds the graph of one run from its config (usually from
// cfg.Configurable or cfg.Context): a graph whose nodes or edges depend on
// who runs it.
type Factory func(ctx context.Context, cfg RunConfig) (*Graph, error)

// Dynamic returns the graph f builds from an empty config, which stands
// for it where there is no run (its schemas, its drawing), with f kept for
// For to build the graph of each run.
func Dynamic(ctx context.Context, f Factory) (*Graph, error) {
	if f == nil {
		return nil, errors.New("graph: nil factory")
	}
	g, err := f(ctx, RunConfig{})
	if err != nil {
		return nil, err
	}
	if g == nil {
		return nil, errors.New("graph: the factory built a nil graph")
	}
	// A copy: the factory may return the same graph each time.
	d := *g
	d.factory = f
	return &d, nil
}

// For returns the graph to run or read with cfg: g itself, or for a
// Dynamic graph the one its factory builds from cfg.
func (g *Graph) For(ctx context.Context, cfg RunConfig) (*Graph, error) {
	if g.factory == nil {
		return g, nil
	}
	b, err := g.factory(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, errors.New("graph: the factory built a nil graph")
	}
	return b, nil
}
