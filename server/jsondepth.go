package server

import (
	"bytes"
	"fmt"
)

// MaxJSONDepth is the deepest nesting of objects and arrays a request body
// may have, the body's outer object or array counting as 1. It stays well
// under the JSON limits of SQLite (1000), Postgres jsonb and encoding/json
// (10000), so anything accepted can be stored, searched and read back on
// every backend. No route takes JSON in its query string; one that does
// must check it the same way.
const MaxJSONDepth = 100

// checkJSONDepth answers 422 when b nests deeper than MaxJSONDepth.
func checkJSONDepth(b []byte) error {
	if jsonDepth(b, MaxJSONDepth) > MaxJSONDepth {
		return invalid(fmt.Sprintf("JSON in request body is nested deeper than %d levels", MaxJSONDepth))
	}
	return nil
}

// jsonDepth returns how deep b nests objects and arrays (0 for a scalar),
// stopping at limit+1. It counts [ and { outside strings and does not
// validate b: for valid JSON it is the depth of the decoded value.
func jsonDepth(b []byte, limit int) int {
	depth, deepest := 0, 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '{', '[':
			depth++
			if depth > deepest {
				if deepest = depth; deepest > limit {
					return deepest
				}
			}
		case '}', ']':
			depth--
		case '"':
			i = stringEnd(b, i)
		}
	}
	return deepest
}

// stringEnd returns the index of the quote closing the string opened at
// b[open], or len(b) when it is unterminated. A quote after an odd number
// of backslashes is escaped.
func stringEnd(b []byte, open int) int {
	i := open
	for {
		j := bytes.IndexByte(b[i+1:], '"')
		if j < 0 {
			return len(b)
		}
		i += 1 + j
		k := i - 1
		for b[k] == '\\' {
			k--
		}
		if (i-1-k)%2 == 0 {
			return i
		}
	}
}
