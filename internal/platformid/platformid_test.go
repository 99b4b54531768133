package platformid_test

import (
	"encoding/json"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/hookbridge/hookbridge/internal/platformid"
)

// TestRule is the rule, case by case, read both ways a caller reads it:
// Parse on the raw value, and encoding/json decoding a field of type ID.
func TestRule(t *testing.T) {
	for _, c := range []struct {
		name, raw string // raw "" is an absent field
		want      platformid.ID
		err       bool
	}{
		{"absent", "", "", false},
		{"null", `null`, "", false},
		{"string", `"pi_3MtwBwLkdIwHu7ix28a3tqPa"`, "pi_3MtwBwLkdIwHu7ix28a3tqPa", false},
		{"string trimmed", "\" 450789469\\t\u00a0\"", "450789469", false},
		{"blank string", `"  "`, "", false},
		{"empty string", `""`, "", false},
		{"escaped string", `"\u0034\u0035 0"`, "45 0", false},
		{"string kept as written", `"gid://shopify/Order/1"`, "gid://shopify/Order/1", false},
		{"non-ASCII string", `"commande-é"`, "commande-é", false},
		{"integer", `450789469`, "450789469", false},
		{"integer beyond float64 and uint64", `820982911946154508123456789`, "820982911946154508123456789", false},
		{"zero", `0`, "0", false},
		{"negative", `-1`, "", true},
		{"negative zero", `-0`, "", true},
		{"fraction", `1.5`, "", true},
		{"integral fraction", `1.0`, "", true},
		{"exponent", `1e3`, "", true},
		{"true", `true`, "", true},
		{"object", `{"n":1}`, "", true},
		{"array", `[1]`, "", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := platformid.Parse([]byte(c.raw))
			if got != c.want || (err != nil) != c.err || err != nil && !errors.Is(err, platformid.ErrNotID) {
				t.Errorf("Parse(%s) = %q, %v; want %q, error %v (ErrNotID)", c.raw, got, err, c.want, c.err)
			}
			body := `{}`
			if c.raw != "" {
				body = `{"id":` + c.raw + `}`
			}
			var v struct{ ID platformid.ID }
			err = json.Unmarshal([]byte(body), &v)
			if v.ID != c.want || (err != nil) != c.err || err != nil && !errors.Is(err, platformid.ErrNotID) {
				t.Errorf("decoding %s: %q, %v; want %q, error %v (ErrNotID)", body, v.ID, err, c.want, c.err)
			}
		})
	}
}

// TestParseRefusesWhatIsNotJSON: Parse is also handed raw values nobody
// checked; what is not one JSON value is not an id.
func TestParseRefusesWhatIsNotJSON(t *testing.T) {
	for _, raw := range []string{`"abc`, `"`, `"a"b"`, "\"tab\there\"", `"\x"`, `01`, `1-`, `--1`, `-`, `nul`, ` 1`, `1 `, `"a" `} {
		if got, err := platformid.Parse([]byte(raw)); !errors.Is(err, platformid.ErrNotID) {
			t.Errorf("Parse(%q) = %q, %v; want ErrNotID", raw, got, err)
		}
	}
}

// natural is the rule's number, spelled independently of the code.
var natural = regexp.MustCompile(`^(0|[1-9][0-9]*)$`)

// FuzzID holds Parse to encoding/json and to the rule on any bytes:
// it never panics; it accepts exactly null, strings and non-negative
// integers of valid JSON; a string reads as encoding/json decodes it,
// trimmed; a number as written; and an id given as a number or as a
// string of the same digits is the same id.
func FuzzID(f *testing.F) {
	for _, s := range []string{``, `null`, `"x"`, `" 42 "`, `"\u00e9\ud83d\ude00"`, `"\ud800"`, "\"\xff\"", `42`,
		`820982911946154508`, `0`, `-1`, `1.5`, `1e3`, `01`, `true`, `{}`, `[]`, `"`, `"a"b"`, "\"\x01\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, err := platformid.Parse(raw)
		if err != nil {
			if !errors.Is(err, platformid.ErrNotID) || got != "" {
				t.Fatalf("Parse(%q) = %q, %v: an error must be ErrNotID with no id", raw, got, err)
			}
		}
		var want string
		var wantOK bool
		var v any
		d := json.NewDecoder(strings.NewReader(string(raw)))
		d.UseNumber()
		switch {
		case len(raw) == 0:
			wantOK = true
		case !json.Valid(raw) || strings.TrimSpace(string(raw)) != string(raw) || d.Decode(&v) != nil:
			// not one JSON value as UnmarshalJSON is handed one
		default:
			switch x := v.(type) {
			case nil:
				wantOK = true
			case string:
				want, wantOK = strings.TrimSpace(x), true
			case json.Number:
				want, wantOK = string(x), natural.MatchString(string(x))
				if !wantOK {
					want = ""
				}
			}
		}
		if string(got) != want || (err == nil) != wantOK {
			t.Fatalf("Parse(%q) = %q, %v; want %q, accepted %v", raw, got, err, want, wantOK)
		}
		if err == nil && natural.MatchString(string(got)) {
			asNumber, nerr := platformid.Parse([]byte(got))
			asString, serr := platformid.Parse([]byte(strconv.Quote(" " + string(got) + " ")))
			if asNumber != got || asString != got || nerr != nil || serr != nil {
				t.Fatalf("id %q: as a number %q, %v; as a string %q, %v", got, asNumber, nerr, asString, serr)
			}
		}
	})
}

// BenchmarkParse: an id costs one allocation, its text; a value that is
// not an id costs none.
func BenchmarkParse(b *testing.B) {
	for _, c := range []struct{ name, raw string }{
		{"number", `820982911946154508`}, {"string", `"pi_3MtwBwLkdIwHu7ix28a3tqPa"`}, {"object", `{"n":1}`},
	} {
		raw := []byte(c.raw)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = platformid.Parse(raw)
			}
		})
	}
}
