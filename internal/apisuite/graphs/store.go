package graphs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
)

// Store is the long-term store as the suite's graphs use it
// (config.store.get / put). agentgate's graph runtime does not hand nodes
// a store, so the fixture server gives the graphs an HTTPStore talking to
// its own /store/items API; unit tests use a MemStore.
type Store interface {
	Get(ctx context.Context, ns []string, key string) (any, error)
	Put(ctx context.Context, ns []string, key string, value any) error
}

// StoreURLEnv names the environment variable with the base URL of the
// agentgate server whose store the graphs use.
const StoreURLEnv = "APISUITE_STORE_URL"

// DefaultStore is an HTTPStore on $APISUITE_STORE_URL, or nil (no store)
// when it is unset.
func DefaultStore() Store {
	if u := os.Getenv(StoreURLEnv); u != "" {
		return HTTPStore{URL: strings.TrimRight(u, "/")}
	}
	return nil
}

// HTTPStore uses a LangGraph API server's /store/items.
type HTTPStore struct{ URL string }

func (h HTTPStore) Get(ctx context.Context, ns []string, key string) (any, error) {
	q := url.Values{"namespace": {strings.Join(ns, ".")}, "key": {key}}
	req, err := http.NewRequestWithContext(ctx, "GET", h.URL+"/store/items?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil, nil
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("store get: %s", resp.Status)
	}
	var item *struct {
		Value any `json:"value"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&item); err != nil {
		return nil, err
	}
	if item == nil {
		return nil, nil
	}
	return item.Value, nil
}

func (h HTTPStore) Put(ctx context.Context, ns []string, key string, value any) error {
	body, _ := json.Marshal(map[string]any{"namespace": ns, "key": key, "value": value})
	req, err := http.NewRequestWithContext(ctx, "PUT", h.URL+"/store/items", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("store put: %s", resp.Status)
	}
	return nil
}

// MemStore is an in-process Store.
type MemStore struct {
	mu    sync.Mutex
	items map[string]any
}

func (m *MemStore) Get(ctx context.Context, ns []string, key string) (any, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.items[strings.Join(ns, ".")+"/"+key], nil
}

func (m *MemStore) Put(ctx context.Context, ns []string, key string, value any) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.items == nil {
		m.items = map[string]any{}
	}
	m.items[strings.Join(ns, ".")+"/"+key] = value
	return nil
}
