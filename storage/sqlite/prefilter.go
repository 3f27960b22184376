package sqlite

import (
	"encoding/json"
	"github.com/agentgate/agentgate/storage/internal/sqlcore"
	"sort"
	"unicode/utf8"

	"github.com/agentgate/agentgate/storage"
)

// Filters on metadata keys other than owner have no index: a search reads
// threads in order until its page is full, and the compiled filter parses
// each row's JSON (about 1 µs a row). A top-level string equality k = v
// (from the scope's filters or the search's metadata) implies that the
// stored text contains `"k":"v"` as encoding/json writes it (keys sorted,
// no spaces, the same escaping for keys and values): every writer stores
// json.Marshal output of a normalized map, whose strings are valid UTF-8.
// So the query also tests instr(metadata, '"k":"v"') > 0, which is several
// times cheaper and rejects most rows before any JSON is parsed. It only
// narrows: the compiled filter still decides.

// Numbers likewise: stored numbers are float64 written by encoding/json,
// one text per value. Containment of the search's metadata or values
// implies the same for every key-scalar pair inside it (containedStrings).

// maxTextHints bounds the instr terms added to one query.
const maxTextHints = 4

// textHint is the JSON text `"k":v` for a string or number v; false when
// the stored text of a matching document may differ: k or v not valid
// UTF-8 (encoding/json would rewrite it), v a zero (0 and -0 are equal but
// written differently), v not a float64 (not normalized) or not finite.
func textHint(k string, v any) (string, bool) {
	if !utf8.ValidString(k) {
		return "", false
	}
	switch x := v.(type) {
	case string:
		if !utf8.ValidString(x) {
			return "", false
		}
	case float64:
		if x == 0 {
			return "", false
		}
	default:
		return "", false
	}
	kb, err := json.Marshal(k)
	if err != nil {
		return "", false
	}
	vb, err := json.Marshal(v)
	if err != nil {
		return "", false
	}
	return string(kb) + ":" + string(vb), true
}

// containedStrings adds to hints the key-string and key-number pairs of
// every object in
// sub, a containment document: jsonb @> below the top level compares
// scalars by equality and objects key by key, so a document that contains
// sub has each such pair in one of its objects, hence in its text.
// skipOwner leaves out a top-level owner (it has an indexed column).
func containedStrings(hints map[string]bool, sub any, skipOwner bool) {
	switch x := sub.(type) {
	case map[string]any:
		for k, v := range x {
			switch v.(type) {
			case map[string]any, []any:
				containedStrings(hints, v, false)
				continue
			}
			if skipOwner && k == "owner" {
				continue
			}
			if h, ok := textHint(k, v); ok {
				hints[h] = true
			}
		}
	case []any:
		for _, e := range x {
			containedStrings(hints, e, false)
		}
	}
}

// addHints ANDs instr(docExpr, h) > 0 for up to maxTextHints hints.
func addHints(w *sqlcore.Where, hints map[string]bool, docExpr string) {
	list := make([]string, 0, len(hints))
	for h := range hints {
		list = append(list, h)
	}
	// Sorted, so that the query text (the statement cache's key) is stable.
	sort.Strings(list)
	if len(list) > maxTextHints {
		list = list[:maxTextHints]
	}
	for _, h := range list {
		w.Add("instr("+docExpr+", ?) > 0", h)
	}
}

// metadataHints ANDs instr terms on docExpr for the top-level string
// equalities that the scope and the search metadata require. owner is left
// out: it has its own indexed column (scopeThreads).
func metadataHints(w *sqlcore.Where, sc storage.Scope, md map[string]any, docExpr string) {
	hints := map[string]bool{}
	for _, f := range sc.Filters() {
		f.Equalities(func(k string, v any) {
			if h, ok := textHint(k, v); ok && k != "owner" {
				hints[h] = true
			}
		})
	}
	containedStrings(hints, md, true)
	addHints(w, hints, docExpr)
}

// valuesHints ANDs instr terms on docExpr for the key-string pairs that
// containment of sub requires.
func valuesHints(w *sqlcore.Where, sub map[string]any, docExpr string) {
	hints := map[string]bool{}
	containedStrings(hints, sub, false)
	addHints(w, hints, docExpr)
}
