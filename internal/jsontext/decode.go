// Package jsontext decodes JSON text on hot paths (SQLite JSON columns, JWT
// headers and claims) faster than encoding/json, with the same result:
// Decode gives what json.Unmarshal into an any gives (map[string]any, []any,
// float64, string, bool, nil), errors included. Anything the small decoder
// does not handle plainly (escapes in strings, invalid UTF-8, numbers
// ParseFloat refuses, malformed text) makes it give up, and the text is
// decoded by encoding/json instead.
package jsontext

import (
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf8"
)

// errFallback means "decode this text with encoding/json".
var errFallback = errors.New("jsontext: JSON text needs encoding/json")

// maxFastDepth bounds the fast decoder's recursion; deeper text falls back
// (encoding/json has its own limit).
const maxFastDepth = 200

// Decode decodes the JSON text s into an any, as json.Unmarshal does.
func Decode(s string) (any, error) {
	d := fastDecoder{s: s}
	d.space()
	v, err := d.value(0)
	if err == nil {
		d.space()
		if d.i == len(s) {
			return v, nil
		}
	}
	var out any
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, err
	}
	return out, nil
}

type fastDecoder struct {
	s string
	i int
}

func (d *fastDecoder) space() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *fastDecoder) value(depth int) (any, error) {
	if d.i >= len(d.s) || depth > maxFastDepth {
		return nil, errFallback
	}
	switch c := d.s[d.i]; {
	case c == '{':
		return d.object(depth)
	case c == '[':
		return d.array(depth)
	case c == '"':
		return d.str()
	case c == 't':
		return true, d.lit("true")
	case c == 'f':
		return false, d.lit("false")
	case c == 'n':
		return nil, d.lit("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number()
	}
	return nil, errFallback
}

func (d *fastDecoder) lit(w string) error {
	if len(d.s)-d.i < len(w) || d.s[d.i:d.i+len(w)] != w {
		return errFallback
	}
	d.i += len(w)
	return nil
}

func (d *fastDecoder) object(depth int) (any, error) {
	d.i++ // '{'
	m := map[string]any{}
	d.space()
	if d.i < len(d.s) && d.s[d.i] == '}' {
		d.i++
		return m, nil
	}
	for {
		d.space()
		if d.i >= len(d.s) || d.s[d.i] != '"' {
			return nil, errFallback
		}
		k, err := d.str()
		if err != nil {
			return nil, err
		}
		d.space()
		if d.i >= len(d.s) || d.s[d.i] != ':' {
			return nil, errFallback
		}
		d.i++
		d.space()
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		m[k] = v
		d.space()
		if d.i >= len(d.s) {
			return nil, errFallback
		}
		switch d.s[d.i] {
		case ',':
			d.i++
		case '}':
			d.i++
			return m, nil
		default:
			return nil, errFallback
		}
	}
}

func (d *fastDecoder) array(depth int) (any, error) {
	d.i++ // '['
	a := []any{}
	d.space()
	if d.i < len(d.s) && d.s[d.i] == ']' {
		d.i++
		return a, nil
	}
	for {
		d.space()
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		a = append(a, v)
		d.space()
		if d.i >= len(d.s) {
			return nil, errFallback
		}
		switch d.s[d.i] {
		case ',':
			d.i++
		case ']':
			d.i++
			return a, nil
		default:
			return nil, errFallback
		}
	}
}

// str reads a string without escapes or control characters.
func (d *fastDecoder) str() (string, error) {
	start := d.i + 1
	ascii := true
	for j := start; j < len(d.s); j++ {
		c := d.s[j]
		switch {
		case c == '"':
			out := d.s[start:j]
			if !ascii && !utf8.ValidString(out) {
				return "", errFallback
			}
			d.i = j + 1
			return out, nil
		case c == '\\' || c < 0x20:
			return "", errFallback
		case c >= 0x80:
			ascii = false
		}
	}
	return "", errFallback
}

// number reads a JSON number (the grammar checked, as encoding/json does)
// and converts it as encoding/json does, with strconv.ParseFloat.
func (d *fastDecoder) number() (any, error) {
	start := d.i
	j := d.i
	if j < len(d.s) && d.s[j] == '-' {
		j++
	}
	switch {
	case j < len(d.s) && d.s[j] == '0':
		j++
	case j < len(d.s) && d.s[j] >= '1' && d.s[j] <= '9':
		for j < len(d.s) && d.s[j] >= '0' && d.s[j] <= '9' {
			j++
		}
	default:
		return nil, errFallback
	}
	if j < len(d.s) && d.s[j] == '.' {
		j++
		k := j
		for j < len(d.s) && d.s[j] >= '0' && d.s[j] <= '9' {
			j++
		}
		if j == k {
			return nil, errFallback
		}
	}
	if j < len(d.s) && (d.s[j] == 'e' || d.s[j] == 'E') {
		j++
		if j < len(d.s) && (d.s[j] == '+' || d.s[j] == '-') {
			j++
		}
		k := j
		for j < len(d.s) && d.s[j] >= '0' && d.s[j] <= '9' {
			j++
		}
		if j == k {
			return nil, errFallback
		}
	}
	f, err := strconv.ParseFloat(d.s[start:j], 64)
	if err != nil {
		return nil, errFallback
	}
	d.i = j
	return f, nil
}
