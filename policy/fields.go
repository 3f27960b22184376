package policy

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"cel.dev/cel-go/cel"
	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/operators"
	"cel.dev/cel-go/common/types"

	"github.com/agentgate/agentgate/auth"
)

// eventValues is one value of each event type, to learn their fields.
func eventValues() []auth.Value {
	return []auth.Value{
		&auth.ThreadsCreate{}, &auth.ThreadsRead{}, &auth.ThreadsUpdate{}, &auth.ThreadsDelete{},
		&auth.ThreadsSearch{}, &auth.RunsCreate{},
		&auth.AssistantsCreate{}, &auth.AssistantsRead{}, &auth.AssistantsUpdate{},
		&auth.AssistantsDelete{}, &auth.AssistantsSearch{},
		&auth.CronsCreate{}, &auth.CronsRead{}, &auth.CronsUpdate{}, &auth.CronsDelete{}, &auth.CronsSearch{},
		&auth.StorePut{}, &auth.StoreGet{}, &auth.StoreDelete{}, &auth.StoreSearch{}, &auth.StoreListNamespaces{},
	}
}

// jsonFields lists the JSON names of a value's fields.
func jsonFields(v auth.Value) []string {
	t := reflect.TypeOf(v).Elem()
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.IsExported() && name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
}

// valueFields is the set of fields `value` may have under pattern p: the
// union over the events p decides.
func valueFields(p pattern) map[string]bool {
	set := map[string]bool{}
	for _, v := range eventValues() {
		if r, a := v.Event(); p.matches(r, a) {
			for _, f := range jsonFields(v) {
				set[f] = true
			}
		}
	}
	return set
}

// checkValueFields reports `value.x`, `has(value.x)` and `value.?x` where
// no event of the pattern has a field x: a typo that the map-typed `value`
// would otherwise only reveal at run time, as a "no such key" 500.
func checkValueFields(name, key string, p pattern, a *cel.Ast, src string) error {
	fields := valueFields(p)
	native := a.NativeRep()
	var bad []string
	celast.PreOrderVisit(native.Expr(), celast.NewExprVisitor(func(e celast.Expr) {
		var field string
		var at int64
		switch e.Kind() {
		case celast.SelectKind:
			s := e.AsSelect()
			if !isValueIdent(s.Operand()) {
				return
			}
			field, at = s.FieldName(), e.ID()
		case celast.CallKind:
			c := e.AsCall()
			if c.FunctionName() != operators.OptSelect || len(c.Args()) != 2 || !isValueIdent(c.Args()[0]) {
				return
			}
			lit := c.Args()[1]
			if lit.Kind() != celast.LiteralKind {
				return
			}
			s, ok := lit.AsLiteral().(types.String)
			if !ok {
				return
			}
			field, at = string(s), e.ID()
		default:
			return
		}
		if fields[field] {
			return
		}
		loc := native.SourceInfo().GetStartLocation(at)
		bad = append(bad, fmt.Sprintf("ERROR: <input>:%d:%d: value has no field %q in %s (its fields: %s)\n%s",
			loc.Line(), loc.Column()+1, field, key, strings.Join(sorted(fields), ", "), caret(src, loc.Line(), loc.Column())))
	}))
	if len(bad) > 0 {
		return fmt.Errorf("policy: %s:\n%s", name, strings.Join(bad, "\n"))
	}
	return nil
}

func isValueIdent(e celast.Expr) bool {
	return e.Kind() == celast.IdentKind && e.AsIdent() == "value"
}

func sorted(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// caret shows line `line` (1-based) of src with a caret under column col.
func caret(src string, line, col int) string {
	lines := strings.Split(src, "\n")
	if line < 1 || line > len(lines) || col < 0 {
		return ""
	}
	return " | " + lines[line-1] + "\n | " + strings.Repeat(".", col) + "^"
}
