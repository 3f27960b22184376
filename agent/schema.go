package agent

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// A small JSON Schema reflector for tool arguments. It follows
// encoding/json: json tags name fields ("-" skips one), embedded structs
// are flattened, and a field is required unless it is a pointer or tagged
// omitempty/omitzero. The jsonschema tag adds keywords:
//
//	`jsonschema:"description=Where to look\, roughly,required,enum=a,enum=b,minimum=1,maximum=9,default=3,format=email"`
//
// ("\," is a comma inside a value; "required" and "optional" override the
// default.) A jsonschema_description tag holds a description with commas.
// A recursive type is described as an unconstrained object where it recurs.

// argsSchema returns the object schema of a tool's argument type: a struct
// or a map with string keys (or pointers to them).
func argsSchema(t reflect.Type) (map[string]any, error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct && !(t.Kind() == reflect.Map && t.Key().Kind() == reflect.String) {
		return nil, fmt.Errorf("tool arguments must be a struct, got %s", t)
	}
	r := reflector{stack: map[reflect.Type]bool{}}
	return r.schema(t)
}

type reflector struct {
	stack map[reflect.Type]bool // structs being described (recursion guard)
}

func (r reflector) schema(t reflect.Type) (map[string]any, error) {
	jsonMarshalerType := reflect.TypeFor[json.Marshaler]()
	textMarshalerType := reflect.TypeFor[encoding.TextMarshaler]()
	switch {
	case t == reflect.TypeFor[time.Time]():
		return map[string]any{"type": "string", "format": "date-time"}, nil
	case t == reflect.TypeFor[json.RawMessage]():
		return map[string]any{}, nil
	case t.Kind() != reflect.Pointer && (t.Implements(jsonMarshalerType) || reflect.PointerTo(t).Implements(jsonMarshalerType)):
		return map[string]any{}, nil // its own JSON form: unknown
	case t.Kind() != reflect.Pointer && (t.Implements(textMarshalerType) || reflect.PointerTo(t).Implements(textMarshalerType)):
		return map[string]any{"type": "string"}, nil
	}
	switch t.Kind() {
	case reflect.Bool:
		return map[string]any{"type": "boolean"}, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return map[string]any{"type": "integer"}, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return map[string]any{"type": "integer", "minimum": 0}, nil
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}, nil
	case reflect.String:
		return map[string]any{"type": "string"}, nil
	case reflect.Interface:
		return map[string]any{}, nil
	case reflect.Pointer:
		return r.schema(t.Elem())
	case reflect.Slice, reflect.Array:
		if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
			return map[string]any{"type": "string", "contentEncoding": "base64"}, nil
		}
		items, err := r.schema(t.Elem())
		if err != nil {
			return nil, err
		}
		s := map[string]any{"type": "array", "items": items}
		if t.Kind() == reflect.Array {
			s["minItems"], s["maxItems"] = t.Len(), t.Len()
		}
		return s, nil
	case reflect.Map:
		switch k := t.Key(); {
		case k.Kind() == reflect.String, k.Implements(reflect.TypeFor[encoding.TextMarshaler]()),
			k.Kind() >= reflect.Int && k.Kind() <= reflect.Uintptr:
		default:
			return nil, fmt.Errorf("map key type %s cannot be JSON", k)
		}
		vals, err := r.schema(t.Elem())
		if err != nil {
			return nil, err
		}
		return map[string]any{"type": "object", "additionalProperties": vals}, nil
	case reflect.Struct:
		return r.object(t)
	}
	return nil, fmt.Errorf("type %s cannot be JSON", t)
}

// object describes a struct.
func (r reflector) object(t reflect.Type) (map[string]any, error) {
	if r.stack[t] {
		return map[string]any{"type": "object"}, nil
	}
	r.stack[t] = true
	defer delete(r.stack, t)
	o := &objectSchema{props: map[string]any{}, depth: map[string]int{}, required: map[string]bool{}}
	if err := r.fields(t, 0, o); err != nil {
		return nil, err
	}
	req := []string{}
	for _, n := range o.order {
		if o.required[n] {
			req = append(req, n)
		}
	}
	return map[string]any{"type": "object", "properties": o.props, "required": req, "additionalProperties": false}, nil
}

type objectSchema struct {
	props    map[string]any
	order    []string
	depth    map[string]int
	required map[string]bool
}

// fields adds t's fields to o; embedded structs' fields at depth+1 (a
// shallower field of the same name wins, as in encoding/json).
func (r reflector) fields(t reflect.Type, depth int, o *objectSchema) error {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				if err := r.fields(ft, depth+1, o); err != nil {
					return err
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if d, ok := o.depth[name]; ok && d <= depth {
			continue
		}
		s, err := r.schema(f.Type)
		if err != nil {
			return fmt.Errorf("field %s: %w", f.Name, err)
		}
		if hasOpt(opts, "string") {
			switch s["type"] {
			case "integer", "number", "boolean":
				s = map[string]any{"type": "string"}
			}
		}
		required := f.Type.Kind() != reflect.Pointer && !hasOpt(opts, "omitempty") && !hasOpt(opts, "omitzero")
		if required, err = applyTag(s, f, required); err != nil {
			return fmt.Errorf("field %s: %w", f.Name, err)
		}
		if _, ok := o.depth[name]; !ok {
			o.order = append(o.order, name)
		}
		o.props[name], o.depth[name], o.required[name] = s, depth, required
	}
	return nil
}

func hasOpt(opts, want string) bool {
	for o := range strings.SplitSeq(opts, ",") {
		if o == want {
			return true
		}
	}
	return false
}

// applyTag adds the keywords of f's jsonschema tags to s and returns
// whether the field is required.
func applyTag(s map[string]any, f reflect.StructField, required bool) (bool, error) {
	if d := f.Tag.Get("jsonschema_description"); d != "" {
		s["description"] = d
	}
	var enum []any
	for _, kv := range splitTag(f.Tag.Get("jsonschema")) {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "":
		case "required":
			required = true
		case "optional":
			required = false
		case "description", "title", "format", "pattern":
			s[k] = v
		case "enum", "default", "minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems":
			val, err := tagValue(s, k, v)
			if err != nil {
				return false, err
			}
			if k == "enum" {
				enum = append(enum, val)
			} else {
				s[k] = val
			}
		default:
			return false, fmt.Errorf("unknown jsonschema tag %q", k)
		}
	}
	if enum != nil {
		s["enum"] = enum
	}
	return required, nil
}

// tagValue reads a tag value: a string for string schemas' enum and
// default, a JSON number or literal otherwise.
func tagValue(s map[string]any, k, v string) (any, error) {
	if (k == "enum" || k == "default") && (s["type"] == "string" || s["type"] == nil) {
		return v, nil
	}
	if k == "enum" || k == "default" {
		var x any
		if err := json.Unmarshal([]byte(v), &x); err != nil {
			return nil, fmt.Errorf("jsonschema %s=%q: %w", k, v, err)
		}
		if n, ok := x.(float64); ok && n == float64(int64(n)) {
			return int64(n), nil
		}
		return x, nil
	}
	n, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return nil, fmt.Errorf("jsonschema %s=%q is not a number", k, v)
	}
	if n == float64(int64(n)) {
		return int64(n), nil
	}
	return n, nil
}

// splitTag splits a jsonschema tag at commas not escaped as "\,".
func splitTag(tag string) []string {
	if tag == "" {
		return nil
	}
	var out []string
	var b strings.Builder
	for i := 0; i < len(tag); i++ {
		switch {
		case tag[i] == '\\' && i+1 < len(tag) && tag[i+1] == ',':
			b.WriteByte(',')
			i++
		case tag[i] == ',':
			out = append(out, b.String())
			b.Reset()
		default:
			b.WriteByte(tag[i])
		}
	}
	return append(out, b.String())
}

// checkRequired reports the first required property missing from v (the
// JSON form of a tool's arguments), at any depth of the schema.
func checkRequired(s map[string]any, v any, path string) error {
	switch x := v.(type) {
	case map[string]any:
		req, _ := s["required"].([]string)
		for _, n := range req {
			if _, ok := x[n]; !ok {
				return fmt.Errorf("missing required argument %q", path+n)
			}
		}
		props, _ := s["properties"].(map[string]any)
		extra, _ := s["additionalProperties"].(map[string]any)
		for k, val := range x {
			ps, _ := props[k].(map[string]any)
			if ps == nil {
				ps = extra
			}
			if ps != nil {
				if err := checkRequired(ps, val, path+k+"."); err != nil {
					return err
				}
			}
		}
	case []any:
		items, _ := s["items"].(map[string]any)
		for i, val := range x {
			if items != nil {
				if err := checkRequired(items, val, fmt.Sprintf("%s%d.", path, i)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
