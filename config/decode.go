package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
)

// decoder walks a JSON document as raw values and reports errors with the
// file name and the dotted path of the offending key.
type decoder struct {
	file string
}

// Error is a configuration error: the file, the key path (empty for the
// whole document) and what is wrong.
type Error struct {
	File string
	Path string
	Msg  string
}

func (e *Error) Error() string {
	if e.Path == "" {
		return e.File + ": " + e.Msg
	}
	return e.File + ": " + e.Path + ": " + e.Msg
}

func (d *decoder) errf(path, format string, args ...any) error {
	return &Error{File: d.file, Path: path, Msg: fmt.Sprintf(format, args...)}
}

// join appends key to a dotted path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// kind names the JSON type of raw for error messages.
func kind(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return fmt.Sprintf("the string %q", s)
		}
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// object decodes raw as a JSON object, keeping each member raw. Duplicate
// keys are an error (encoding/json would silently keep the last).
func (d *decoder) object(path string, raw json.RawMessage) (map[string]json.RawMessage, error) {
	if !isKind(raw, '{') {
		return nil, d.errf(path, "expected an object, got %s", kind(raw))
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil { // '{'
		return nil, d.errf(path, "%v", err)
	}
	out := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, d.errf(path, "%v", err)
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, d.errf(join(path, key), "%v", err)
		}
		if _, dup := out[key]; dup {
			return nil, d.errf(path, "duplicate key %q", key)
		}
		out[key] = v
	}
	return out, nil
}

// checkKeys rejects any key of obj that is not in known.
func (d *decoder) checkKeys(path string, obj map[string]json.RawMessage, known ...string) error {
	var unknown []string
	for k := range obj {
		if !contains(known, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	return d.errf(path, "unknown key %q (known keys: %s)", unknown[0], strings.Join(known, ", "))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func isKind(raw json.RawMessage, first byte) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && raw[0] == first
}

func (d *decoder) str(path string, raw json.RawMessage) (string, error) {
	var s string
	if !isKind(raw, '"') || json.Unmarshal(raw, &s) != nil {
		return "", d.errf(path, "expected a string, got %s", kind(raw))
	}
	return s, nil
}

func (d *decoder) boolean(path string, raw json.RawMessage) (bool, error) {
	var b bool
	if err := json.Unmarshal(raw, &b); err != nil || !(isKind(raw, 't') || isKind(raw, 'f')) {
		if isKind(raw, '"') {
			return false, d.errf(path, "expected a JSON boolean (true or false without quotes), got %s", kind(raw))
		}
		return false, d.errf(path, "expected a boolean, got %s", kind(raw))
	}
	return b, nil
}

// integer decodes a JSON integer in [lo, hi].
func (d *decoder) integer(path string, raw json.RawMessage, lo, hi int64) (int64, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var n json.Number
	if err := dec.Decode(&n); err != nil || isKind(raw, '"') {
		return 0, d.errf(path, "expected an integer, got %s", kind(raw))
	}
	v, err := n.Int64()
	if err != nil {
		return 0, d.errf(path, "expected an integer, got %s", n)
	}
	if v < lo || v > hi {
		if hi == math.MaxInt64 {
			return 0, d.errf(path, "must be at least %d, got %d", lo, v)
		}
		return 0, d.errf(path, "must be between %d and %d, got %d", lo, hi, v)
	}
	return v, nil
}

// number decodes any JSON number that is at least lo.
func (d *decoder) number(path string, raw json.RawMessage, lo float64) (float64, error) {
	var f float64
	if isKind(raw, '"') || json.Unmarshal(raw, &f) != nil {
		return 0, d.errf(path, "expected a number, got %s", kind(raw))
	}
	if f < lo {
		return 0, d.errf(path, "must be at least %g, got %g", lo, f)
	}
	return f, nil
}

func (d *decoder) strings(path string, raw json.RawMessage) ([]string, error) {
	if !isKind(raw, '[') {
		return nil, d.errf(path, "expected an array of strings, got %s", kind(raw))
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, d.errf(path, "%v", err)
	}
	out := make([]string, 0, len(items))
	for i, it := range items {
		s, err := d.str(fmt.Sprintf("%s[%d]", path, i), it)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// anyObject decodes an arbitrary JSON object.
func (d *decoder) anyObject(path string, raw json.RawMessage) (map[string]any, error) {
	if !isKind(raw, '{') {
		return nil, d.errf(path, "expected an object, got %s", kind(raw))
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, d.errf(path, "%v", err)
	}
	return m, nil
}

// syntaxError turns a JSON syntax error into one that names line and column.
func syntaxError(file string, data []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) && !strings.Contains(se.Error(), "unexpected end") {
		line, col := position(data, se.Offset-1)
		return &Error{File: file, Msg: fmt.Sprintf("invalid JSON at line %d, column %d: %v", line, col, se)}
	}
	if se != nil || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return &Error{File: file, Msg: "invalid JSON: unexpected end of file"}
	}
	return &Error{File: file, Msg: "invalid JSON: " + err.Error()}
}

// position gives the 1-based line and column of byte offset off.
func position(data []byte, off int64) (line, col int) {
	off = max(0, min(off, int64(len(data))))
	line = 1 + bytes.Count(data[:off], []byte("\n"))
	col = int(off) - bytes.LastIndexByte(data[:off], '\n')
	return line, col
}
