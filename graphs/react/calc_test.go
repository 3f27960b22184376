package react

import (
	"math"
	"strings"
	"testing"
)

func TestCalc(t *testing.T) {
	ok := []struct {
		expr string
		want float64
	}{
		{"1 + 2", 3},
		{"(2 + 3) * 7", 35},
		{"2 + 3 * 7", 23},
		{"10 / 4", 2.5},
		{"10 % 4", 2},
		{"-2 ^ 2", -4},
		{"2 ^ 3 ^ 2", 512},
		{"2 ** 10", 1024},
		{"2 ^ -1", 0.5},
		{"--3", 3},
		{"1.5e3 + .5", 1500.5},
		{"sqrt(16) + abs(-2)", 6},
		{"round(2.5) + floor(1.9) + ceil(1.1)", 6},
		{"2 * pi", 2 * math.Pi},
		{"ln(e)", 1},
		{"log10(1000)", 3},
		{"  7\t", 7},
	}
	for _, c := range ok {
		got, err := Calc(c.expr)
		if err != nil || math.Abs(got-c.want) > 1e-12 {
			t.Errorf("Calc(%q) = %v, %v; want %v", c.expr, got, err, c.want)
		}
	}
	bad := []struct{ expr, want string }{
		{"", "unexpected end"},
		{"1 +", "unexpected end"},
		{"1 / 0", "division by zero"},
		{"5 % 0", "division by zero"},
		{"(1 + 2", "missing )"},
		{"1 + 2)", `unexpected ")"`},
		{"os.exit(1)", `unknown name "os"`},
		{"import", `unknown name "import"`},
		{"sqrt 4", "needs parentheses"},
		{"1.2.3", "bad number"},
		{"10 ^ 400", "not a finite number"},
		{"sqrt(-1)", "not a finite number"},
		{strings.Repeat("(", 40) + "1" + strings.Repeat(")", 40), "nested deeper"},
		{strings.Repeat("-", 40) + "1", "nested deeper"},
		{strings.Repeat("1+", 200) + "1", "longer than"},
		{"2 $ 3", `unexpected "$ 3"`},
	}
	for _, c := range bad {
		if _, err := Calc(c.expr); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Calc(%q) error = %v, want one containing %q", c.expr, err, c.want)
		}
	}
}
