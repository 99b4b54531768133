package provider

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// FuzzJSONFields holds the body reading to encoding/json (CI runs it for a
// while on every run, past its seeds). readObject must
// see the same documents as objects, with the same last value per key;
// and a field read at a path must be exactly what encoding/json reads
// there both into a map (exact keys, the last one kept: also JavaScript's
// and Python's reading) and into a struct (keys matched ignoring case, as
// stripe-go reads an event), decoded without U+FFFD standing in for bytes
// that were not valid text; else it must be refused, naming the path.
func FuzzJSONFields(f *testing.F) {
	for _, s := range []struct{ body, path string }{
		{`{"id":"evt_1","type":"charge.succeeded","data":{"object":{"id":"ch_1"}}}`, "data.object.id"},
		{`{"id":820982911946154508,"line_items":[{"sku":"A","quantity":2}],"note":null}`, "id"},
		{`{"a":1,"a":2}`, "a"},
		{`{"k\u00e9y":"v\"x","e":-1.5e+10,"t":true,"f":false}`, "kéy"},
		{`{}`, "id"}, {` { "x" : [ 1 , {"y":[]} ] } `, "x"}, {`null`, "id"}, {`[1]`, "id"},
		{`{"a":}`, "a"}, {`{"a":1}x`, "a"}, {`{"a":01}`, "a"}, {`{"a":1.}`, "a"}, {`{"a":-}`, "a"},
		{`{"\ud800":"\udc00"}`, "id"}, {"{\"a\xff\":\"b\xfe\"}", "a"}, {`{"a":"\x01"}`, "a"},
		// The cases readers disagree on (invalid UTF-8, lone surrogates,
		// keys repeated or differing in case) are in testdata/fuzz.
		{`{"id":"evt_1","type":"t","data":{"object":{"id":"x"}}}`, "type"},
		// Strings longer than the scan's eight-byte steps, a stopping byte
		// inside a step and at its edge.
		{`{"note":"0123456789abcdef\"0123456789","id":"a-long-identifier-value"}`, "id"},
		{"{\"pad\":\"0123456\x1f89abcdef\",\"id\":\"x\"}", "id"},
		{`{"k0123456789abcdef\u00e9xyz":"v0123456789abcdef\\"}`, "k0123456789abcdeféxyz"},
	} {
		f.Add([]byte(s.body), s.path)
	}
	f.Fuzz(func(t *testing.T, body []byte, dotted string) {
		checkReadObject(t, body)

		path := strings.Split(dotted, ".")
		if len(path) > 4 {
			return
		}
		for _, key := range path {
			if !validTagKey(key) {
				return // a struct tag cannot name it, so the struct oracle cannot read it
			}
		}
		got := parseJSONObject(body)
		v := got.scalar(path...)
		want, disagree := fieldOracle(t, body, path)
		switch {
		case disagree != "" && got.err == nil:
			t.Fatalf("%q at %q: read %q, but %s", body, dotted, v, disagree)
		case disagree == "" && got.err != nil:
			t.Fatalf("%q at %q: refused (%v), but every reader reads %q", body, dotted, got.err, want)
		case got.err != nil:
			if prefix := `unusable payload: field "` + dotted + `": `; !errors.Is(got.err, ErrUnusable) || !strings.HasPrefix(got.err.Error(), prefix) {
				t.Fatalf("%q at %q: error %q, want ErrUnusable starting %q", body, dotted, got.err, prefix)
			}
			if v != "" {
				t.Fatalf("%q at %q: refused, yet read %q", body, dotted, v)
			}
		case v != want:
			t.Fatalf("%q at %q: read %q, encoding/json reads %q", body, dotted, v, want)
		}
	})
}

// checkReadObject: readObject sees an object exactly where encoding/json
// decodes one, with the same last value for each key.
func checkReadObject(t *testing.T, b []byte) {
	t.Helper()
	got, ok := readObject(b)
	var ref map[string]json.RawMessage
	err := json.Unmarshal(b, &ref)
	if err != nil || ref == nil {
		if ok || got != nil {
			t.Fatalf("%q: read as an object, encoding/json does not (%v)", b, err)
		}
		return
	}
	if !ok {
		t.Fatalf("%q: not read as an object, encoding/json reads one", b)
	}
	last := map[string][]byte{}
	for _, m := range got {
		last[string(m.key)] = m.val
	}
	if len(last) != len(ref) {
		t.Fatalf("%q: %d distinct keys, encoding/json has %d", b, len(last), len(ref))
	}
	for k, want := range ref {
		if v, ok := last[k]; !ok || !bytes.Equal(v, want) {
			t.Fatalf("%q: member %q = %q, %v; encoding/json has %q", b, k, v, ok, want)
		}
	}
}

// fieldOracle walks path with encoding/json's two readings. It returns
// the value both read (a string decoded, a number as written, else ""),
// or why they could differ.
func fieldOracle(t *testing.T, body []byte, path []string) (value, disagree string) {
	t.Helper()
	cur := json.RawMessage(body)
	for _, key := range path {
		var asMap map[string]json.RawMessage
		if json.Unmarshal(cur, &asMap) != nil || asMap == nil {
			return "", "" // not an object: nothing there for anyone
		}
		// encoding/json hands the field every member whose key matches
		// its name ignoring case, in order; the struct keeps the last.
		st := reflect.New(reflect.StructOf([]reflect.StructField{{
			Name: "F", Type: reflect.TypeFor[foldCount](), Tag: reflect.StructTag(`json:` + strconv.Quote(key)),
		}}))
		if err := json.Unmarshal(cur, st.Interface()); err != nil {
			t.Fatalf("struct decoding of %q failed where map decoding did not: %v", cur, err)
		}
		fc := st.Elem().Field(0).Interface().(foldCount)
		mapVal, inMap := asMap[key]
		switch {
		case fc.n == 0:
			return "", ""
		case fc.n > 1:
			return "", "more than one key matches " + strconv.Quote(key) + " ignoring case"
		case !inMap:
			return "", "a struct reads " + strconv.Quote(key) + " from a key a map does not"
		case !bytes.Equal(mapVal, fc.last):
			t.Fatalf("one matching key, yet map %q and struct %q", mapVal, fc.last)
		}
		cur = mapVal
	}
	switch {
	case len(cur) > 0 && cur[0] == '"':
		var s string
		if err := json.Unmarshal(cur, &s); err != nil {
			t.Fatalf("%q: %v", cur, err)
		}
		if strings.Count(s, "\ufffd") != spelledReplacements(cur) {
			return "", "encoding/json decodes " + strconv.Quote(string(cur)) + " with U+FFFD for what was not text"
		}
		return s, ""
	case len(cur) > 0 && (cur[0] == '-' || '0' <= cur[0] && cur[0] <= '9'):
		return string(cur), ""
	}
	return "", ""
}

// foldCount is a struct field that counts the members encoding/json
// decodes into it and keeps the last.
type foldCount struct {
	n    int
	last json.RawMessage
}

func (c *foldCount) UnmarshalJSON(b []byte) error {
	c.n++
	c.last = bytes.Clone(b)
	return nil
}

// spelledReplacements counts the U+FFFD a JSON string spells out, as the
// character or as a \ufffd escape.
func spelledReplacements(raw []byte) int {
	n := 0
	s := raw[1 : len(raw)-1]
	for i := 0; i < len(s); {
		switch {
		case s[i] == '\\' && s[i+1] == 'u' && strings.EqualFold(string(s[i+2:i+6]), "fffd"):
			n++
			i += 6
		case s[i] == '\\':
			i += 2
		case bytes.HasPrefix(s[i:], []byte("\ufffd")):
			n++
			i += 3
		default:
			i++
		}
	}
	return n
}

// validTagKey is encoding/json's rule for a name in a struct tag.
func validTagKey(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			return false
		}
	}
	return checkPathKey(s) == nil
}

func TestJSONStringMatchesEncodingJSON(t *testing.T) {
	for _, raw := range []string{`"plain"`, `"esc\"aped"`, `"\u00e9"`, "\"bad\xffutf8\"", `"\ud800"`, `12`, `null`, `""`} {
		var want string
		if raw[0] == '"' {
			_ = json.Unmarshal([]byte(raw), &want)
		}
		if got := jsonString([]byte(raw)); got != want {
			t.Errorf("jsonString(%q) = %q, want %q", raw, got, want)
		}
	}
}

// TestFieldRefusals: each way readers can disagree, on one valid body,
// refused with the reason and the path; and the same oddities off the
// path are not refused.
func TestFieldRefusals(t *testing.T) {
	const valid = `{"id":"evt_1","status":"paid","data":{"object":{"id":"pi_1"}},"note":"x"}`
	for _, c := range []struct {
		name, old, new, path string
		want                 error // nil: read without error
	}{
		{"invalid UTF-8", `"evt_1"`, "\"evt_\xff\"", "id", errInvalidUTF8},
		{"truncated UTF-8", `"evt_1"`, "\"evt_\xe2\x82\"", "id", errInvalidUTF8},
		{"UTF-8 of a surrogate", `"evt_1"`, "\"evt_\xed\xa0\x80\"", "id", errInvalidUTF8},
		{"lone high surrogate", `"evt_1"`, `"evt_\ud800"`, "id", errLoneSurrogate},
		{"lone low surrogate", `"evt_1"`, `"evt_\udc00"`, "id", errLoneSurrogate},
		{"surrogates reversed", `"evt_1"`, `"evt_\udc00\ud800"`, "id", errLoneSurrogate},
		{"high surrogate then U+FFFD", `"evt_1"`, `"evt_\ud800\ufffd"`, "id", errLoneSurrogate},
		{"surrogate pair", `"evt_1"`, `"evt_\ud83d\ude00"`, "id", nil},
		{"U+FFFD spelled out", `"evt_1"`, `"evt_\ufffd` + "\ufffd" + `"`, "id", nil},
		{"repeated", `"id":"evt_1"`, `"id":"evt_1","id":"evt_1"`, "id", errRepeatedKey},
		{"another case before", `"id":"evt_1"`, `"ID":"evt_0","id":"evt_1"`, "id", errKeyCase},
		{"another case after", `"id":"evt_1"`, `"id":"evt_1","Id":"evt_0"`, "id", errKeyCase},
		{"only another case", `"id":"evt_1"`, `"ID":"evt_1"`, "id", errKeyOtherCase},
		{"escaped to the same key", `"id":"evt_1"`, `"id":"evt_1","\u0069d":"evt_0"`, "id", errRepeatedKey},
		{"Unicode simple folding", `"status":"paid"`, `"status":"paid","\u017ftatus":"void"`, "status", errKeyCase},
		{"not folded by encoding/json", `"id":"evt_1"`, `"id":"evt_1","\u0130d":"x","\u0131d":"y"`, "id", nil},
		{"on the way down", `"data":`, `"Data":{},"data":`, "data.object.id", errKeyCase},
		{"at the end of the way", `"id":"pi_1"`, `"id":"pi_1","iD":"pi_2"`, "data.object.id", errKeyCase},
		{"invalid at the end of the way", `"pi_1"`, `"pi_\udfff"`, "data.object.id", errLoneSurrogate},
	} {
		t.Run(c.name, func(t *testing.T) {
			body := strings.Replace(valid, c.old, c.new, 1)
			b := parseJSONObject([]byte(body))
			v := b.str(strings.Split(c.path, ".")...)
			if c.want == nil {
				if b.err != nil || v == "" {
					t.Fatalf("%q: read %q, %v; want a value", body, v, b.err)
				}
				return
			}
			if !errors.Is(b.err, ErrUnusable) || !errors.Is(b.err, c.want) {
				t.Fatalf("%q: %v, want ErrUnusable and %v", body, b.err, c.want)
			}
			if prefix := `unusable payload: field "` + c.path + `": `; !strings.HasPrefix(b.err.Error(), prefix) {
				t.Fatalf("%q: %q does not start %q", body, b.err, prefix)
			}
			if v != "" {
				t.Fatalf("%q: refused, yet read %q", body, v)
			}
		})
	}
	t.Run("off the path", func(t *testing.T) {
		body := strings.Replace(valid, `"note":"x"`, "\"note\":\"\xff\\ud800\",\"NOTE\":1,\"note\":2,\"Data2\":{\"ID\":3}", 1)
		b := parseJSONObject([]byte(body))
		if id, sub := b.str("id"), b.str("data", "object", "id"); id != "evt_1" || sub != "pi_1" || b.err != nil {
			t.Fatalf("%q: id %q, subject %q, %v", body, id, sub, b.err)
		}
	})
	t.Run("the first problem is kept", func(t *testing.T) {
		b := parseJSONObject([]byte(`{"Id":1,"type":"\ud800"}`))
		b.str("id")
		b.str("type")
		if !errors.Is(b.err, errKeyOtherCase) || !strings.Contains(b.err.Error(), `field "id"`) {
			t.Fatalf("%v, want the id's problem", b.err)
		}
	})
}
