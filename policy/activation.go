package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"
	"cel.dev/cel-go/interpreter"

	"github.com/agentgate/agentgate/auth"
)

// activation gives a rule its variables, building user and value only
// when the expression reads them.
type activation struct {
	c *auth.Context
	v auth.Value
	// probe answers no variable and records whether one was asked for:
	// fold uses it to find rules that read nothing.
	probe    bool
	resolved bool

	user  map[string]any
	value map[string]any
	err   error // a conversion failure, reported instead of CEL's error
}

func (a *activation) Parent() interpreter.Activation { return nil }

func (a *activation) ResolveName(name string) (any, bool) {
	switch name {
	case "user", "permissions", "resource", "action", "value":
	default:
		return nil, false
	}
	a.resolved = true
	if a.probe {
		return nil, false
	}
	switch name {
	case "user":
		if a.user == nil {
			u := a.c.User
			perms := u.Permissions
			if perms == nil {
				perms = []string{}
			}
			m := make(map[string]any, len(u.Extra)+4)
			for k, x := range u.Extra {
				if isStandardKey(k) {
					continue
				}
				x, err := jsonish(x)
				if err != nil {
					a.err = fmt.Errorf("user field %q: %w", k, err)
					return nil, false
				}
				m[k] = x
			}
			m["identity"] = u.Identity
			m["display_name"] = u.DisplayName
			m["is_authenticated"] = u.IsAuthenticated()
			m["permissions"] = perms
			a.user = m
		}
		return a.user, true
	case "permissions":
		p := a.c.Permissions
		if p == nil {
			p = a.c.User.Permissions
		}
		if p == nil {
			p = []string{}
		}
		return p, true
	case "resource":
		r, _ := a.v.Event()
		return r, true
	case "action":
		_, act := a.v.Event()
		return act, true
	}
	if a.value == nil {
		m, err := valueMap(a.v)
		if err != nil {
			a.err = fmt.Errorf("value: %w", err)
			return nil, false
		}
		a.value = m
	}
	return a.value, true
}

func isStandardKey(k string) bool {
	switch k {
	case "identity", "display_name", "is_authenticated", "permissions":
		return true
	}
	return false
}

// valueMap is an event value as a map, through its JSON form.
func valueMap(v auth.Value) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	x, err := decodeJSON(b)
	if err != nil {
		return nil, err
	}
	m, ok := x.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%T is not a JSON object", v)
	}
	fillFields(m, v)
	return m, nil
}

// fillFields makes every field of the value struct present in m: a list
// or map that encoding/json wrote as null or left out becomes empty, and
// an omitted scalar gets its zero value (null for pointers). Rules can then
// write value.namespace.size() or value.run_id == "" for any event whose
// value has the field.
func fillFields(m map[string]any, v auth.Value) {
	rt := reflect.TypeOf(v)
	if rt.Kind() == reflect.Pointer {
		rt = rt.Elem()
	}
	if rt.Kind() != reflect.Struct {
		return
	}
	for i := range rt.NumField() {
		f := rt.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		cur, present := m[name]
		if present && cur != nil {
			continue
		}
		switch f.Type.Kind() {
		case reflect.Slice:
			m[name] = []any{}
		case reflect.Map:
			m[name] = map[string]any{}
		case reflect.String:
			if !present {
				m[name] = ""
			}
		case reflect.Bool:
			if !present {
				m[name] = false
			}
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			if !present {
				m[name] = int64(0)
			}
		case reflect.Float32, reflect.Float64:
			if !present {
				m[name] = 0.0
			}
		default:
			if !present {
				m[name] = nil
			}
		}
	}
}

// jsonish passes JSON-shaped Go values through and converts any other value
// through its JSON form, so that CEL can read it.
func jsonish(x any) (any, error) {
	switch x.(type) {
	case nil, bool, string, float64, float32, int, int64, int32, uint, uint64, uint32,
		[]any, []string, map[string]any:
		return x, nil
	case json.Number:
		return number(x.(json.Number)), nil
	}
	b, err := json.Marshal(x)
	if err != nil {
		return nil, err
	}
	return decodeJSON(b)
}

// decodeJSON decodes with integers as int64 (CEL's int) and other numbers as
// float64.
func decodeJSON(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var x any
	if err := d.Decode(&x); err != nil {
		return nil, err
	}
	return numbers(x), nil
}

func numbers(x any) any {
	switch v := x.(type) {
	case json.Number:
		return number(v)
	case []any:
		for i := range v {
			v[i] = numbers(v[i])
		}
	case map[string]any:
		for k := range v {
			v[k] = numbers(v[k])
		}
	}
	return x
}

func number(n json.Number) any {
	if !strings.ContainsAny(string(n), ".eE") {
		if i, err := n.Int64(); err == nil {
			return i
		}
	}
	f, _ := n.Float64()
	return f
}

// native turns a CEL result into JSON-shaped Go values.
func native(v ref.Val) (any, error) {
	switch x := v.(type) {
	case types.Null:
		return nil, nil
	case types.Bool:
		return bool(x), nil
	case types.Int:
		return int64(x), nil
	case types.Uint:
		return uint64(x), nil
	case types.Double:
		return float64(x), nil
	case types.String:
		return string(x), nil
	case traits.Mapper:
		out := map[string]any{}
		for it := x.Iterator(); it.HasNext() == types.True; {
			k := it.Next()
			ks, ok := k.(types.String)
			if !ok {
				return nil, fmt.Errorf("map keys must be strings, got %s", describe(k))
			}
			e, err := native(x.Get(k))
			if err != nil {
				return nil, fmt.Errorf("%q: %w", string(ks), err)
			}
			out[string(ks)] = e
		}
		return out, nil
	case traits.Lister:
		n, _ := x.Size().(types.Int)
		out := make([]any, 0, int(n))
		for i := types.Int(0); i < n; i++ {
			e, err := native(x.Get(i))
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			out = append(out, e)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s has no JSON form", describe(v))
}

// describe names a CEL value's type for error messages.
func describe(v ref.Val) string {
	if v == nil {
		return "nothing"
	}
	return fmt.Sprintf("a value of type %s", v.Type().TypeName())
}
