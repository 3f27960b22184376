package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/agentgate/agentgate/auth"
	"github.com/agentgate/agentgate/storage"
)

// validNamespace checks store namespace labels: non-empty, no periods.
func validNamespace(ns []string) error {
	for _, l := range ns {
		if l == "" || strings.Contains(l, ".") {
			return invalid(fmt.Sprintf("Namespace labels cannot be empty or contain periods. Received: (%s)", quoteLabels(ns)))
		}
	}
	return nil
}

func quoteLabels(ns []string) string {
	q := make([]string, len(ns))
	for i, l := range ns {
		q[i] = "'" + l + "'"
	}
	if len(q) == 1 {
		return q[0] + ","
	}
	return strings.Join(q, ", ")
}

type putItemBody struct {
	Namespace []string       `json:"namespace"`
	Key       string         `json:"key"`
	Value     map[string]any `json:"value"`
	Index     any            `json:"index"` // accepted; no semantic index yet
	// TTL in minutes: absent means the configured default, null none.
	TTL json.RawMessage `json:"ttl"`
}

func (s *Server) putItem(w http.ResponseWriter, r *http.Request) error {
	var b putItemBody
	if err := decodeBody(r, &b); err != nil {
		return err
	}
	if err := validNamespace(b.Namespace); err != nil {
		return err
	}
	if b.Key == "" {
		return invalid("Invalid value for 'key': field required")
	}
	if b.Value == nil {
		return invalid("Invalid value for 'value': must be an object")
	}
	ttl, err := s.itemTTL(b.TTL)
	if err != nil {
		return err
	}
	v := &auth.StorePut{Namespace: b.Namespace, Key: b.Key, Value: b.Value}
	scope, err := s.authorize(r, v)
	if err != nil {
		return err
	}
	if err := validNamespace(v.Namespace); err != nil {
		return err
	}
	if v.Key == "" || v.Value == nil {
		return invalid("Authorization left the item without a key or value")
	}
	put := storage.ItemPut{Namespace: orNoLabels(v.Namespace), Key: v.Key, Value: v.Value, TTL: ttl}
	if err := s.store.Items().Put(r.Context(), scope, put); err != nil {
		if errors.Is(err, storage.ErrForbidden) {
			return httpErr(http.StatusForbidden, "Not authorized")
		}
		return err
	}
	return noContent(w)
}

func (s *Server) getItem(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var ns []string
	if v := q.Get("namespace"); v != "" {
		ns = strings.Split(v, ".")
	}
	if err := validNamespace(ns); err != nil {
		return err
	}
	key := q.Get("key")
	if key == "" {
		return invalid("Invalid value for 'key': field required")
	}
	refresh := !s.opts.Items.NoRefreshOnRead
	if q.Has("refresh_ttl") {
		var err error
		if refresh, err = queryBool(r, "refresh_ttl"); err != nil {
			return err
		}
	}
	v := &auth.StoreGet{Namespace: orNoLabels(ns), Key: key}
	scope, err := s.authorize(r, v)
	if err != nil {
		return err
	}
	if err := validNamespace(v.Namespace); err != nil {
		return err
	}
	it, err := s.store.Items().Get(r.Context(), scope, orNoLabels(v.Namespace), v.Key, refresh)
	if errors.Is(err, storage.ErrNotFound) {
		return writeJSON(w, nil)
	}
	if err != nil {
		return err
	}
	return writeJSON(w, it)
}

func orNoLabels(ns []string) []string {
	if ns == nil {
		return []string{}
	}
	return ns
}

type deleteItemBody struct {
	Namespace []string `json:"namespace"`
	Key       string   `json:"key"`
}

func (s *Server) deleteItem(w http.ResponseWriter, r *http.Request) error {
	var b deleteItemBody
	if err := decodeBody(r, &b); err != nil {
		return err
	}
	if err := validNamespace(b.Namespace); err != nil {
		return err
	}
	if b.Key == "" {
		return invalid("Invalid value for 'key': field required")
	}
	v := &auth.StoreDelete{Namespace: orNoLabels(b.Namespace), Key: b.Key}
	scope, err := s.authorize(r, v)
	if err != nil {
		return err
	}
	if err := validNamespace(v.Namespace); err != nil {
		return err
	}
	if err := s.store.Items().Delete(r.Context(), scope, orNoLabels(v.Namespace), v.Key); err != nil {
		if errors.Is(err, storage.ErrForbidden) {
			return httpErr(http.StatusForbidden, "Not authorized")
		}
		if errors.Is(err, storage.ErrNotFound) {
			return notFoundBy(err, "Item not found")
		}
		return err
	}
	return noContent(w)
}

type searchItemsBody struct {
	NamespacePrefix []string       `json:"namespace_prefix"`
	Filter          map[string]any `json:"filter"`
	Limit           *int           `json:"limit"`
	Offset          *int           `json:"offset"`
	Query           *string        `json:"query"`
	RefreshTTL      *bool          `json:"refresh_ttl"`
}

func (s *Server) searchItems(w http.ResponseWriter, r *http.Request) error {
	var b searchItemsBody
	if err := decodeBody(r, &b); err != nil {
		return err
	}
	if err := validNamespace(b.NamespacePrefix); err != nil {
		return err
	}
	limit, offset, err := page(b.Limit, b.Offset, 10)
	if err != nil {
		return err
	}
	v := &auth.StoreSearch{Namespace: orNoLabels(b.NamespacePrefix), Filter: b.Filter,
		Limit: limit, Offset: offset, Query: deref(b.Query)}
	scope, err := s.authorize(r, v)
	if err != nil {
		return err
	}
	if err := validNamespace(v.Namespace); err != nil {
		return err
	}
	items, err := s.store.Items().Search(r.Context(), scope, storage.ItemSearch{
		Prefix: orNoLabels(v.Namespace), Filter: v.Filter, Query: v.Query, Limit: limit, Offset: offset,
		RefreshTTL: b.RefreshTTL == nil && !s.opts.Items.NoRefreshOnRead || b.RefreshTTL != nil && *b.RefreshTTL,
	})
	if err != nil {
		return err
	}
	if items == nil {
		items = []storage.Item{}
	}
	return writeJSON(w, map[string]any{"items": items})
}

type namespacesBody struct {
	Prefix   []string `json:"prefix"`
	Suffix   []string `json:"suffix"`
	MaxDepth *int     `json:"max_depth"`
	Limit    *int     `json:"limit"`
	Offset   *int     `json:"offset"`
}

func (s *Server) listNamespaces(w http.ResponseWriter, r *http.Request) error {
	var b namespacesBody
	if err := decodeBody(r, &b); err != nil {
		return err
	}
	if err := validNamespace(b.Prefix); err != nil {
		return err
	}
	if err := validNamespace(b.Suffix); err != nil {
		return err
	}
	limit, offset, err := page(b.Limit, b.Offset, 100)
	if err != nil {
		return err
	}
	depth := 0
	if b.MaxDepth != nil {
		if *b.MaxDepth < 1 {
			return invalid("Invalid value for 'max_depth': must be >= 1")
		}
		depth = *b.MaxDepth
	}
	v := &auth.StoreListNamespaces{Namespace: b.Prefix, Suffix: b.Suffix, MaxDepth: depth, Limit: limit, Offset: offset}
	scope, err := s.authorize(r, v)
	if err != nil {
		return err
	}
	if err := validNamespace(v.Namespace); err != nil {
		return err
	}
	if err := validNamespace(v.Suffix); err != nil {
		return err
	}
	nss, err := s.store.Items().ListNamespaces(r.Context(), scope, storage.NamespaceList{
		Prefix: v.Namespace, Suffix: v.Suffix, MaxDepth: depth, Limit: limit, Offset: offset,
	})
	if err != nil {
		return err
	}
	if nss == nil {
		nss = [][]string{}
	}
	return writeJSON(w, map[string]any{"namespaces": nss})
}
