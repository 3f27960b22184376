package mcptools

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/agentgate/agentgate/agent"
)

// ConfigKey is the configurable key with which a run (or its assistant)
// names the MCP servers whose tools its agent uses: a list of names.
const ConfigKey = "mcp_servers"

// Pool holds sessions to the servers of a ServersConfig, connected on
// first use and shared by all runs. A session that ended (a stdio server
// exited) is replaced on next use; a failed connect is retried on next
// use. Only configured servers can be used.
type Pool struct {
	servers ServersConfig

	mu     sync.Mutex
	conns  map[string]*conn
	closed bool
}

// conn is one server's session, or its connect in progress.
type conn struct {
	ready chan struct{} // closed when c or err is set
	c     *Client
	err   error
}

// NewPool validates servers; it connects to none yet.
func NewPool(servers ServersConfig) (*Pool, error) {
	if err := servers.Validate(); err != nil {
		return nil, err
	}
	cp := make(ServersConfig, len(servers))
	for name, s := range servers {
		s.Name = name
		cp[name] = s
	}
	return &Pool{servers: cp, conns: map[string]*conn{}}, nil
}

// Servers returns the configured server names, sorted.
func (p *Pool) Servers() []string { return p.servers.Names() }

// Has reports whether name is a configured server.
func (p *Pool) Has(name string) bool {
	_, ok := p.servers[name]
	return ok
}

// Client returns the session to the named server, connecting if needed.
// An unknown name is an error: runs cannot add servers.
func (p *Pool) Client(ctx context.Context, name string) (*Client, error) {
	cfg, ok := p.servers[name]
	if !ok {
		return nil, fmt.Errorf("mcp server %q is not configured (configured: %s)", name, p.list())
	}
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil, errors.New("mcptools: the pool is closed")
		}
		cn := p.conns[name]
		if cn == nil {
			cn = &conn{ready: make(chan struct{})}
			p.conns[name] = cn
			// The connect is not bound to this caller's ctx: another run
			// may be waiting for it too. The connect timeout bounds it.
			go p.connect(context.WithoutCancel(ctx), cfg, cn)
		}
		p.mu.Unlock()
		select {
		case <-cn.ready:
		case <-ctx.Done():
			return nil, fmt.Errorf("mcp server %q: connect: %w", name, ctx.Err())
		}
		if cn.err != nil {
			return nil, cn.err
		}
		if cn.c.Alive() {
			return cn.c, nil
		}
		p.mu.Lock()
		if p.conns[name] == cn {
			delete(p.conns, name) // reconnect on the next turn of the loop
		}
		p.mu.Unlock()
		cn.c.Close()
	}
}

func (p *Pool) connect(ctx context.Context, cfg ServerConfig, cn *conn) {
	c, err := Connect(ctx, cfg)
	p.mu.Lock()
	switch {
	case err != nil:
		delete(p.conns, cfg.Name) // a later use tries again
	case p.closed:
		c.Close()
		c, err = nil, errors.New("mcptools: the pool is closed")
	}
	cn.c, cn.err = c, err
	close(cn.ready)
	p.mu.Unlock()
}

// Tools returns the tools of the named servers, in the order given.
func (p *Pool) Tools(ctx context.Context, names ...string) ([]agent.Tool, error) {
	var out []agent.Tool
	for _, n := range names {
		c, err := p.Client(ctx, n)
		if err != nil {
			return nil, err
		}
		tools, err := c.Tools(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, tools...)
	}
	return out, nil
}

// Close ends every session; the pool cannot be used afterwards.
func (p *Pool) Close() error {
	p.mu.Lock()
	p.closed = true
	conns := p.conns
	p.conns = map[string]*conn{}
	p.mu.Unlock()
	var errs []error
	for _, cn := range conns {
		<-cn.ready
		if cn.c != nil {
			errs = append(errs, cn.c.Close())
		}
	}
	return errors.Join(errs...)
}

func (p *Pool) list() string {
	if len(p.servers) == 0 {
		return "none"
	}
	return strings.Join(p.servers.Names(), ", ")
}

// Selected reads the server names of configurable[ConfigKey] (a list of
// strings, duplicates dropped); def when the key is absent or null. It
// does not check that the names are configured: Pool.Client does.
func Selected(configurable map[string]any, def []string) ([]string, error) {
	v, ok := configurable[ConfigKey]
	if !ok || v == nil {
		return def, nil
	}
	var raw []any
	switch x := v.(type) {
	case []any:
		raw = x
	case []string:
		for _, s := range x {
			raw = append(raw, s)
		}
	default:
		return nil, fmt.Errorf("configurable %s must be a list of MCP server names, got %T", ConfigKey, v)
	}
	out := []string{}
	seen := map[string]bool{}
	for _, e := range raw {
		s, ok := e.(string)
		if !ok {
			return nil, fmt.Errorf("configurable %s must be a list of MCP server names, got an element of type %T", ConfigKey, e)
		}
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out, nil
}
