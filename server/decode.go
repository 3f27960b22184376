package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// decodeBody decodes the JSON request body into v. An empty body leaves v
// unchanged. Unknown fields are ignored. Bodies nested deeper than
// MaxJSONDepth are refused before decoding.
func decodeBody(r *http.Request, v any) error {
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return bodyError(err)
	}
	if blankJSON(b) {
		return nil
	}
	if err := checkJSONContentType(r); err != nil {
		return err
	}
	if err := checkJSONDepth(b); err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return bodyError(err)
	}
	return nil
}

// checkJSONContentType refuses a body sent as another media type (text/plain,
// a form): LangGraph does not parse it as JSON but answers 422 (the JS
// server 400). A body without Content-Type is still read as JSON.
func checkJSONContentType(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && (mt == "application/json" || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")) {
		return nil
	}
	return invalid(fmt.Sprintf("Invalid Content-Type %q: the request body must be application/json", ct))
}

// blankJSON reports whether b is only JSON whitespace.
func blankJSON(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}

func bodyError(err error) error {
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		return httpErr(http.StatusRequestEntityTooLarge, "Request body too large")
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			return invalid(fmt.Sprintf("Invalid request body: expected %s", jsonKind(te.Type.Kind().String())))
		}
		return invalid(fmt.Sprintf("Invalid value for '%s': expected %s", field, jsonKind(te.Type.Kind().String())))
	}
	var fe fieldError
	if errors.As(err, &fe) {
		return invalid(fe.Error())
	}
	return invalid("Invalid JSON in request body")
}

func jsonKind(k string) string {
	switch k {
	case "map", "struct":
		return "an object"
	case "slice", "array":
		return "an array"
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "int", "int64", "int32":
		return "an integer"
	case "float64", "float32":
		return "a number"
	}
	return k
}

// fieldError is a validation error naming a field; UnmarshalJSON methods
// return it.
type fieldError struct{ field, msg string }

func (e fieldError) Error() string { return fmt.Sprintf("Invalid value for '%s': %s", e.field, e.msg) }

// page validates limit and offset (limit default def, 1..1000).
func page(limit, offset *int, def int) (int, int, error) {
	l, o := def, 0
	if limit != nil {
		l = *limit
		if l < 1 || l > 1000 {
			return 0, 0, invalid("Invalid value for 'limit': must be between 1 and 1000")
		}
	}
	if offset != nil {
		o = *offset
		if o < 0 {
			return 0, 0, invalid("Invalid value for 'offset': must be >= 0")
		}
	}
	return l, o, nil
}

func oneOf(field, v string, allowed ...string) error {
	if v == "" {
		return nil
	}
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return invalid(fmt.Sprintf("Invalid value for '%s': must be one of %s", field, strings.Join(allowed, ", ")))
}

// queryBool parses a boolean query parameter ("true|1|yes", "false|0|no").
func queryBool(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	switch strings.ToLower(v) {
	case "", "false", "0", "no":
		return false, nil
	case "true", "1", "yes":
		return true, nil
	}
	return false, invalid(fmt.Sprintf("Invalid value for '%s': must be a boolean", name))
}

func queryInt(r *http.Request, name string, def int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, invalid(fmt.Sprintf("Invalid value for '%s': must be an integer", name))
	}
	return n, nil
}

// writeJSON writes v as JSON with status 200.
func writeJSON(w http.ResponseWriter, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	// net/http sets Content-Length itself for a body written in one go.
	w.Header()["Content-Type"] = jsonContentType
	_, _ = w.Write(b)
	return nil
}

var jsonContentType = []string{"application/json"}

// writeRaw writes pre-encoded JSON.
func writeRaw(w http.ResponseWriter, b []byte) error {
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	_, _ = w.Write(b)
	return nil
}

func noContent(w http.ResponseWriter) error {
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// setPagination sets X-Pagination-Total and X-Pagination-Next from a page
// fetched with limit+1 rows; it returns the rows to send.
func setPagination[T any](w http.ResponseWriter, rows []T, limit, offset int) []T {
	h := w.Header()
	if len(rows) > limit {
		rows = rows[:limit]
		h.Set("X-Pagination-Next", strconv.Itoa(offset+limit))
		h.Set("X-Pagination-Total", strconv.Itoa(offset+limit+1))
	} else {
		h.Set("X-Pagination-Total", strconv.Itoa(offset+len(rows)))
	}
	return rows
}
