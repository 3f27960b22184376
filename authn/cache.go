package authn

import (
	"container/list"
	"context"
	"crypto/sha256"
	"maps"
	"slices"
	"sync"
	"time"
	"unsafe"

	"github.com/agentgate/agentgate/auth"
)

// resultCache remembers successful authentications: the key is a SHA-256 of the
// credential (and of which authenticator checked it), the value the user.
// An entry lives until the credential expires or MaxTTL passes, whichever
// comes first; past MaxSize entries the least recently used goes. Failures
// are never cached. It is safe for concurrent use.
type resultCache struct {
	maxTTL  time.Duration
	maxSize int
	now     func() time.Time

	mu    sync.Mutex
	items map[cacheKey]*list.Element
	lru   list.List // front = most recently used; values are *cacheEntry
}

type cacheKey struct {
	link int // which authenticator of the chain
	sum  [sha256.Size]byte
}

type cacheEntry struct {
	key     cacheKey
	user    *auth.User
	expires time.Time
}

// newCache returns a cache of at most maxSize users, each kept at most
// maxTTL. now defaults to time.Now.
func newCache(maxSize int, maxTTL time.Duration, now func() time.Time) *resultCache {
	if now == nil {
		now = time.Now
	}
	return &resultCache{maxTTL: maxTTL, maxSize: maxSize, now: now, items: map[cacheKey]*list.Element{}}
}

// Len is the number of entries, expired ones included until they are
// touched or pushed out.
func (c *resultCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.items)
}

func keyOf(link int, credential string) cacheKey {
	return cacheKey{link: link, sum: sha256.Sum256(stringBytes(credential))}
}

// stringBytes views s as bytes without copying, for hashing only: the
// bytes must not be changed or kept.
func stringBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// get returns a copy of the cached user, if any and not expired.
func (c *resultCache) get(k cacheKey) (*auth.User, bool) {
	now := c.now()
	c.mu.Lock()
	el, ok := c.items[k]
	if !ok {
		c.mu.Unlock()
		return nil, false
	}
	e := el.Value.(*cacheEntry)
	if !now.Before(e.expires) {
		c.lru.Remove(el)
		delete(c.items, k)
		c.mu.Unlock()
		return nil, false
	}
	c.lru.MoveToFront(el)
	u := e.user
	c.mu.Unlock()
	return cloneUser(u), true
}

// put stores u until min(expires, now+MaxTTL); a zero expires means the
// credential does not say. Users already expired are not stored.
func (c *resultCache) put(k cacheKey, u *auth.User, expires time.Time) {
	if c.maxSize <= 0 || c.maxTTL <= 0 {
		return
	}
	now := c.now()
	limit := now.Add(c.maxTTL)
	if expires.IsZero() || expires.After(limit) {
		expires = limit
	}
	if !now.Before(expires) {
		return
	}
	e := &cacheEntry{key: k, user: cloneUser(u), expires: expires}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[k]; ok {
		el.Value = e
		c.lru.MoveToFront(el)
		return
	}
	c.items[k] = c.lru.PushFront(e)
	for len(c.items) > c.maxSize {
		last := c.lru.Back()
		c.lru.Remove(last)
		delete(c.items, last.Value.(*cacheEntry).key)
	}
}

// cloneUser copies u so that callers cannot change a cached user.
func cloneUser(u *auth.User) *auth.User {
	c := *u
	c.Permissions = slices.Clone(u.Permissions)
	if u.Extra != nil {
		c.Extra = maps.Clone(u.Extra)
	}
	return &c
}

// cachedFunc caches a Go authenticate function by the values of the given
// request headers (langgraph.json auth.cache.cache_keys). A request that
// has none of them is not cached.
type cachedFunc struct {
	fn    Authenticator
	keys  []string
	cache *resultCache
	link  int
}

func (f *cachedFunc) Authenticate(ctx context.Context, r *auth.Request) (*auth.User, error) {
	h := sha256.New()
	found := false
	for _, name := range f.keys {
		v := r.Headers.Values(name)
		if len(v) > 0 {
			found = true
		}
		h.Write([]byte(name))
		for _, s := range v {
			h.Write([]byte{0})
			h.Write([]byte(s))
		}
		h.Write([]byte{1})
	}
	if !found {
		return f.fn.Authenticate(ctx, r)
	}
	k := cacheKey{link: f.link}
	h.Sum(k.sum[:0])
	if u, ok := f.cache.get(k); ok {
		return u, nil
	}
	u, err := f.fn.Authenticate(ctx, r)
	if err == nil && u != nil {
		f.cache.put(k, u, time.Time{})
	}
	return u, err
}
