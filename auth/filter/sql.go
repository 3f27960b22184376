package filter

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Dialect selects the SQL that SQL and ContainsSQL produce.
type Dialect int

const (
	// SQLite: the document is JSON text as written by encoding/json
	// (see docs/filters.md for that contract).
	SQLite Dialect = iota + 1
	// Postgres: the document is a jsonb value.
	Postgres
)

// Args collects bind arguments while SQL is generated.
//
// SQLite placeholders are "?", bound by position, so the generated fragment
// must sit in the query in the order its arguments were added. Postgres
// placeholders are numbered from start ($start, $start+1, ...).
type Args struct {
	d    Dialect
	next int
	vals []any
}

// NewArgs returns an empty Args. start is the number of the first Postgres
// placeholder (1 when the fragment's arguments come first); SQLite ignores it.
func NewArgs(d Dialect, start int) *Args {
	if start < 1 {
		start = 1
	}
	return &Args{d: d, next: start}
}

// Dialect is the dialect a was made for.
func (a *Args) Dialect() Dialect { return a.d }

// Add appends v and returns its placeholder.
func (a *Args) Add(v any) string {
	a.vals = append(a.vals, v)
	if a.d == Postgres {
		p := "$" + strconv.Itoa(a.next)
		a.next++
		return p
	}
	return "?"
}

// Values are the arguments in placeholder order.
func (a *Args) Values() []any { return a.vals }

// SQL compiles f into a boolean SQL expression over docExpr, a JSON-valued
// SQL expression (a column such as "t.metadata"). docExpr is repeated in
// the output, so it must be free of side effects and placeholders; qualify
// it with its table to avoid clashing with json_each's column names. The
// expression never evaluates to true for a non-matching document; it may be
// NULL instead of false (e.g. when docExpr is NULL), so do not negate it.
// The zero Filter compiles to TRUE.
func (f Filter) SQL(a *Args, docExpr string) string {
	c := &compiler{a: a, doc: docExpr}
	if f.g == nil {
		return "TRUE"
	}
	c.group(f.g)
	return c.b.String()
}

// ContainsSQL compiles the search containment docExpr @> sub into a boolean
// SQL expression. For Postgres it is docExpr @> $n::jsonb. For SQLite it is
// an exact recursive translation over json_each/json_type (documents must
// follow the JSON-text contract of SQL), equivalent to Contains. An empty
// sub compiles to a check that the document is an object.
func ContainsSQL(a *Args, docExpr string, sub map[string]any) (string, error) {
	n, err := normalize(sub)
	if err != nil {
		return "", invalid("containment: %v", err)
	}
	if n == nil {
		n = map[string]any{}
	}
	c := &compiler{a: a, doc: docExpr}
	if a.d == Postgres {
		c.w("(", docExpr, " @> ", a.Add(canonicalJSON(n)), "::jsonb)")
		return c.b.String(), nil
	}
	c.contains(loc{base: docExpr, path: "$"}, n)
	return c.b.String(), nil
}

type compiler struct {
	a     *Args
	doc   string
	b     strings.Builder
	alias int
}

// w writes s in order; placeholders must be created while writing so that
// SQLite's positional "?" stay aligned with Args.Values.
func (c *compiler) w(s ...string) {
	for _, x := range s {
		c.b.WriteString(x)
	}
}

func (c *compiler) group(g *group) {
	if len(g.conds) == 0 && len(g.logic) == 0 {
		c.w("TRUE")
		return
	}
	c.w("(")
	first := true
	sep := func() {
		if !first {
			c.w(" AND ")
		}
		first = false
	}
	for _, cd := range g.conds {
		sep()
		if c.a.d == Postgres {
			c.pgCond(cd)
		} else {
			c.liteCond(cd)
		}
	}
	for _, l := range g.logic {
		sep()
		op := " OR "
		if l.and {
			op = " AND "
		}
		c.w("(")
		for i, b := range l.branches {
			if i > 0 {
				c.w(op)
			}
			c.group(b)
		}
		c.w(")")
	}
	c.w(")")
}

// pgCond uses whole-document containment so that a GIN index on docExpr
// (jsonb_path_ops) serves every condition. Below the top level jsonb
// containment never lets an array contain a bare scalar, so
// {"k": v} is exact for scalar equality and {"k": [..]} for $contains.
func (c *compiler) pgCond(cd cond) {
	key := map[string]any{}
	if cd.op == opContains {
		key[cd.key] = cd.all
		c.w("(", c.doc, " @> ", c.a.Add(canonicalJSON(key)), "::jsonb)")
		return
	}
	key[cd.key] = cd.val
	if isScalar(cd.val) {
		c.w("(", c.doc, " @> ", c.a.Add(canonicalJSON(key)), "::jsonb)")
		return
	}
	// Containment accepts supersets of objects and arrays: it only narrows
	// the index scan, equality decides.
	c.w("(", c.doc, " @> ", c.a.Add(canonicalJSON(key)), "::jsonb AND (",
		c.doc, " -> ", c.a.Add(cd.key), "::text) = ", c.a.Add(canonicalJSON(cd.val)), "::jsonb)")
}

// loc addresses a JSON value in SQLite: either a path into the JSON text
// base, or (row != "") the current row of a json_each aliased row.
type loc struct {
	base, path string
	row        string
}

func quoteLabel(k string) string {
	b, _ := json.Marshal(k) // JSON string escapes are what SQLite's path parser decodes
	return string(b)
}

func (l loc) child(key string) loc {
	if l.row != "" {
		return loc{base: l.row + ".value", path: "$." + quoteLabel(key)}
	}
	return loc{base: l.base, path: l.path + "." + quoteLabel(key)}
}

func (c *compiler) typ(l loc) {
	if l.row != "" {
		c.w(l.row, ".type")
		return
	}
	c.w("json_type(", l.base, ", ", c.a.Add(l.path), ")")
}

func (c *compiler) scalar(l loc) {
	if l.row != "" {
		c.w(l.row, ".atom")
		return
	}
	c.w("json_extract(", l.base, ", ", c.a.Add(l.path), ")")
}

// text is the JSON text of a container at l.
func (c *compiler) text(l loc) {
	if l.row != "" {
		c.w(l.row, ".value")
		return
	}
	c.w("json_extract(", l.base, ", ", c.a.Add(l.path), ")")
}

// each opens "EXISTS (SELECT 1 FROM json_each(l) AS alias WHERE " and
// returns the element location; the caller closes it with "))".
func (c *compiler) each(l loc) loc {
	c.alias++
	alias := "fj" + strconv.Itoa(c.alias)
	c.w("EXISTS (SELECT 1 FROM json_each(")
	if l.row != "" {
		c.w(l.row, ".value")
	} else {
		c.w(l.base, ", ", c.a.Add(l.path))
	}
	c.w(") AS ", alias, " WHERE ")
	return loc{row: alias}
}

// scalarEq writes "value at l equals the scalar w". SQLite's json_extract
// turns true/false into 1/0, so the JSON type is checked first.
func (c *compiler) scalarEq(l loc, w any) {
	switch v := w.(type) {
	case nil:
		c.typ(l)
		c.w(" = 'null'")
	case bool:
		c.typ(l)
		if v {
			c.w(" = 'true'")
		} else {
			c.w(" = 'false'")
		}
	case string:
		c.w("(")
		c.typ(l)
		c.w(" = 'text' AND ")
		c.scalar(l)
		c.w(" = ", c.a.Add(v), ")")
	case float64:
		c.w("(")
		c.typ(l)
		c.w(" IN ('integer', 'real') AND ")
		c.scalar(l)
		c.w(" = ", c.a.Add(v), ")")
	default:
		panic(fmt.Sprintf("filter: scalarEq on %T", w))
	}
}

func (c *compiler) liteCond(cd cond) {
	l := loc{base: c.doc, path: "$"}.child(cd.key)
	if cd.op == opEq {
		if isScalar(cd.val) {
			c.scalarEq(l, cd.val)
			return
		}
		// Object/list equality compares JSON texts: both sides come from
		// encoding/json, so keys are sorted and spacing is identical.
		t := "object"
		if _, ok := cd.val.([]any); ok {
			t = "array"
		}
		c.w("(")
		c.typ(l)
		c.w(" = '", t, "' AND ")
		c.text(l)
		c.w(" = ", c.a.Add(canonicalJSON(cd.val)), ")")
		return
	}
	c.w("(")
	c.typ(l)
	c.w(" = 'array'")
	for _, e := range cd.all {
		c.w(" AND ")
		el := c.each(l)
		c.scalarEq(el, e)
		c.w(")")
	}
	c.w(")")
}

// contains writes "value at l @> s" (below the top level for arrays; the
// top-level sub of ContainsSQL is always an object). Inside a json_each row
// a container's JSON text is only read under a CASE on its type, because
// SQLite does not promise to short-circuit AND and json functions fail on
// the text of a string element.
func (c *compiler) contains(l loc, s any) {
	switch sv := s.(type) {
	case map[string]any:
		c.container(l, "object", func() {
			for _, k := range sortedKeys(sv) {
				c.w(" AND ")
				c.contains(l.child(k), sv[k])
			}
		})
	case []any:
		c.container(l, "array", func() {
			for _, e := range sv {
				c.w(" AND ")
				el := c.each(l)
				c.contains(el, e)
				c.w(")")
			}
		})
	default:
		c.scalarEq(l, s)
	}
}

func (c *compiler) container(l loc, t string, body func()) {
	if l.row != "" {
		c.w("(CASE WHEN ", l.row, ".type = '", t, "' THEN (TRUE")
		body()
		c.w(") ELSE FALSE END)")
		return
	}
	c.w("(")
	c.typ(l)
	c.w(" = '", t, "'")
	body()
	c.w(")")
}
