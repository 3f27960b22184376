package server

import (
	"encoding/json"
	"net/http"
	"strings"
)

// searchPage is the paging, sorting and projection part of a search body,
// as assistants, threads and crons share it.
type searchPage struct {
	Limit     *int     `json:"limit"`
	Offset    *int     `json:"offset"`
	SortBy    string   `json:"sort_by"`
	SortOrder string   `json:"sort_order"`
	Select    []string `json:"select"`
}

// check validates the page against the sortable and selectable fields and
// returns limit and offset (limit 10 by default). sort_order is taken in
// any case ("DESC" as LangGraph takes it) and left lower-cased.
func (p *searchPage) check(sortable, selectable []string) (limit, offset int, err error) {
	if limit, offset, err = page(p.Limit, p.Offset, 10); err != nil {
		return 0, 0, err
	}
	if err := oneOf("sort_by", p.SortBy, sortable...); err != nil {
		return 0, 0, err
	}
	p.SortOrder = strings.ToLower(p.SortOrder)
	if err := oneOf("sort_order", p.SortOrder, "asc", "desc"); err != nil {
		return 0, 0, err
	}
	for _, f := range p.Select {
		if err := oneOf("select", f, selectable...); err != nil {
			return 0, 0, err
		}
	}
	return limit, offset, nil
}

// writePage writes one page of rows (fetched with limit+1 to know whether
// more follow) with the pagination headers, projected on the selected
// fields; extra adds computed fields to every projected row.
func writePage[T any](w http.ResponseWriter, rows []T, limit, offset int, sel []string, extra map[string]json.RawMessage) error {
	rows = setPagination(w, rows, limit, offset)
	if len(sel) > 0 {
		out, err := selectFields(rows, sel)
		if err != nil {
			return err
		}
		for _, m := range out {
			for k, v := range extra {
				m[k] = v
			}
		}
		return writeJSON(w, out)
	}
	if rows == nil {
		rows = []T{}
	}
	return writeJSON(w, rows)
}
