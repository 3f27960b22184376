package react

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Limits of Calc: input is the model's, so it is bounded.
const (
	maxExprLen   = 256
	maxExprDepth = 32
)

// calcFunc returns the function an expression may call by name.
func calcFunc(name string) (func(float64) float64, bool) {
	switch name {
	case "sqrt":
		return math.Sqrt, true
	case "abs":
		return math.Abs, true
	case "round":
		return math.Round, true
	case "floor":
		return math.Floor, true
	case "ceil":
		return math.Ceil, true
	case "ln":
		return math.Log, true
	case "log10":
		return math.Log10, true
	}
	return nil, false
}

// Calc evaluates an arithmetic expression: numbers, + - * / % ^ (or **),
// parentheses, unary minus, the constants pi and e and the functions of
// calcFunc. It parses the text itself; nothing is executed.
func Calc(expr string) (float64, error) {
	if len(expr) > maxExprLen {
		return 0, fmt.Errorf("expression longer than %d characters", maxExprLen)
	}
	p := &parser{s: expr}
	v, err := p.expr(0)
	if err != nil {
		return 0, err
	}
	p.space()
	if p.i < len(p.s) {
		return 0, fmt.Errorf("unexpected %q at position %d", p.s[p.i:], p.i+1)
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, errors.New("the result is not a finite number")
	}
	return v, nil
}

// parser is a recursive-descent parser that evaluates as it goes.
type parser struct {
	s string
	i int
}

func (p *parser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

// eat consumes tok when it comes next.
func (p *parser) eat(tok string) bool {
	p.space()
	if strings.HasPrefix(p.s[p.i:], tok) {
		p.i += len(tok)
		return true
	}
	return false
}

// expr := term (("+" | "-") term)*
func (p *parser) expr(depth int) (float64, error) {
	if depth > maxExprDepth {
		return 0, fmt.Errorf("expression nested deeper than %d", maxExprDepth)
	}
	v, err := p.term(depth)
	for err == nil {
		switch {
		case p.eat("+"):
			var r float64
			r, err = p.term(depth)
			v += r
		case p.eat("-"):
			var r float64
			r, err = p.term(depth)
			v -= r
		default:
			return v, nil
		}
	}
	return 0, err
}

// term := unary (("*" | "/" | "%") unary)*
func (p *parser) term(depth int) (float64, error) {
	v, err := p.unary(depth)
	for err == nil {
		var op byte
		switch {
		case p.eat("*"):
			op = '*'
		case p.eat("/"):
			op = '/'
		case p.eat("%"):
			op = '%'
		default:
			return v, nil
		}
		var r float64
		if r, err = p.unary(depth); err != nil {
			break
		}
		switch {
		case op == '*':
			v *= r
		case r == 0:
			return 0, errors.New("division by zero")
		case op == '/':
			v /= r
		default:
			v = math.Mod(v, r)
		}
	}
	return 0, err
}

// unary := ("-" | "+") unary | power
func (p *parser) unary(depth int) (float64, error) {
	if depth > maxExprDepth {
		return 0, fmt.Errorf("expression nested deeper than %d", maxExprDepth)
	}
	switch {
	case p.eat("-"):
		v, err := p.unary(depth + 1)
		return -v, err
	case p.eat("+"):
		return p.unary(depth + 1)
	}
	return p.power(depth)
}

// power := primary (("^" | "**") unary)?, right-associative.
func (p *parser) power(depth int) (float64, error) {
	v, err := p.primary(depth)
	if err != nil {
		return 0, err
	}
	if p.eat("^") || p.eat("**") {
		e, err := p.unary(depth + 1)
		if err != nil {
			return 0, err
		}
		return math.Pow(v, e), nil
	}
	return v, nil
}

// primary := number | "(" expr ")" | name | name "(" expr ")"
func (p *parser) primary(depth int) (float64, error) {
	p.space()
	if p.eat("(") {
		v, err := p.expr(depth + 1)
		if err != nil {
			return 0, err
		}
		if !p.eat(")") {
			return 0, fmt.Errorf("missing ) at position %d", p.i+1)
		}
		return v, nil
	}
	start := p.i
	for p.i < len(p.s) && (isDigit(p.s[p.i]) || p.s[p.i] == '.') {
		p.i++
	}
	if p.i > start {
		if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') { // exponent
			j := p.i + 1
			if j < len(p.s) && (p.s[j] == '+' || p.s[j] == '-') {
				j++
			}
			if j < len(p.s) && isDigit(p.s[j]) {
				for p.i = j; p.i < len(p.s) && isDigit(p.s[p.i]); p.i++ {
				}
			}
		}
		v, err := strconv.ParseFloat(p.s[start:p.i], 64)
		if err != nil {
			return 0, fmt.Errorf("bad number %q", p.s[start:p.i])
		}
		return v, nil
	}
	for p.i < len(p.s) && (p.s[p.i] >= 'a' && p.s[p.i] <= 'z' || isDigit(p.s[p.i])) {
		p.i++
	}
	name := p.s[start:p.i]
	switch name {
	case "":
		if p.i >= len(p.s) {
			return 0, errors.New("unexpected end of expression")
		}
		return 0, fmt.Errorf("unexpected %q at position %d", p.s[p.i:p.i+1], p.i+1)
	case "pi":
		return math.Pi, nil
	case "e":
		return math.E, nil
	}
	fn, ok := calcFunc(name)
	if !ok {
		return 0, fmt.Errorf("unknown name %q (functions: abs, ceil, floor, ln, log10, round, sqrt; constants: pi, e)", name)
	}
	if !p.eat("(") {
		return 0, fmt.Errorf("%s needs parentheses: %s(x)", name, name)
	}
	v, err := p.expr(depth + 1)
	if err != nil {
		return 0, err
	}
	if !p.eat(")") {
		return 0, fmt.Errorf("missing ) at position %d", p.i+1)
	}
	return fn(v), nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
