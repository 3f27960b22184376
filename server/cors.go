package server

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// cors implements langgraph.json http.cors with Starlette's semantics.
type cors struct {
	anyOrigin   bool
	origins     map[string]bool
	originRe    *regexp.Regexp
	credentials bool
	methods     string // "" with anyMethod
	anyMethod   bool
	headers     string
	anyHeader   bool
	expose      string
	maxAge      string
}

var defaultExpose = []string{"content-location", "x-pagination-total", "x-pagination-next"}

func newCORS(o CORSOptions) (*cors, error) {
	c := &cors{origins: map[string]bool{}, credentials: o.AllowCredentials}
	origins := o.AllowOrigins
	if len(origins) == 0 && o.AllowOriginRegex == "" {
		origins = []string{"*"}
	}
	for _, og := range origins {
		if og == "*" {
			c.anyOrigin = true
		} else {
			c.origins[strings.TrimRight(og, "/")] = true
		}
	}
	if o.AllowOriginRegex != "" {
		re, err := regexp.Compile("^(?:" + o.AllowOriginRegex + ")$")
		if err != nil {
			return nil, fmt.Errorf("server: cors allow_origin_regex: %w", err)
		}
		c.originRe = re
	}
	if len(o.AllowMethods) == 0 || slices.Contains(o.AllowMethods, "*") {
		c.anyMethod = true
		c.methods = "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"
	} else {
		c.methods = strings.ToUpper(strings.Join(o.AllowMethods, ", "))
	}
	if len(o.AllowHeaders) == 0 || slices.Contains(o.AllowHeaders, "*") {
		c.anyHeader = true
	} else {
		c.headers = strings.Join(o.AllowHeaders, ", ")
	}
	expose := o.ExposeHeaders
	if len(expose) == 0 {
		expose = defaultExpose
	}
	c.expose = strings.Join(expose, ", ")
	age := o.MaxAge
	if age <= 0 {
		age = 600
	}
	c.maxAge = strconv.Itoa(age)
	return c, nil
}

func (c *cors) allowed(origin string) bool {
	return c.anyOrigin || c.origins[origin] || (c.originRe != nil && c.originRe.MatchString(origin))
}

// handle sets CORS headers for a request with an Origin. It answers
// preflight requests itself and reports whether it did.
func (c *cors) handle(w http.ResponseWriter, r *http.Request, origin string) bool {
	h := w.Header()
	preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
	ok := c.allowed(origin)
	if ok {
		if c.anyOrigin && !c.credentials {
			h.Set("Access-Control-Allow-Origin", "*")
		} else {
			h.Set("Access-Control-Allow-Origin", origin)
			h.Add("Vary", "Origin")
		}
		if c.credentials {
			h.Set("Access-Control-Allow-Credentials", "true")
		}
	}
	if !preflight {
		if ok {
			h.Set("Access-Control-Expose-Headers", c.expose)
		}
		return false
	}
	if !ok {
		writeDetail(w, http.StatusBadRequest, "Disallowed CORS origin")
		return true
	}
	method := r.Header.Get("Access-Control-Request-Method")
	if !c.anyMethod && !slices.Contains(strings.Split(c.methods, ", "), strings.ToUpper(method)) {
		writeDetail(w, http.StatusBadRequest, "Disallowed CORS method")
		return true
	}
	h.Set("Access-Control-Allow-Methods", c.methods)
	if c.anyHeader {
		if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
			h.Set("Access-Control-Allow-Headers", req)
		}
	} else {
		h.Set("Access-Control-Allow-Headers", c.headers)
	}
	h.Set("Access-Control-Max-Age", c.maxAge)
	h.Set("Access-Control-Allow-Private-Network", "true")
	h.Set("Content-Length", "2")
	h.Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte("OK"))
	return true
}
