package provider

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzJSONObject holds the scanner to encoding/json: the same documents are
// objects, with the same members and the same raw values.
func FuzzJSONObject(f *testing.F) {
	for _, s := range []string{
		`{"id":820982911946154508,"line_items":[{"sku":"A","quantity":2}],"note":null}`,
		`{"a":1,"a":2}`, `{"k\u00e9y":"v\"x","e":-1.5e+10,"t":true,"f":false}`,
		`{}`, ` { "x" : [ 1 , {"y":[]} ] } `, `null`, `[1]`, `{"a":}`, `{"a":1}x`, `{"a":01}`,
		`{"\ud800":"\udc00"}`, "{\"a\xff\":\"b\xfe\"}", `{"a":"\x01"}`, `{"a":1.}`, `{"a":-}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got := parseJSONObject(b)
		var ref map[string]json.RawMessage
		err := json.Unmarshal(b, &ref)
		if err != nil || ref == nil {
			if got != nil {
				t.Fatalf("%q: scanner accepted what encoding/json does not read as an object (%v)", b, err)
			}
			return
		}
		if got == nil {
			t.Fatalf("%q: scanner rejected an object encoding/json reads", b)
		}
		for k, want := range ref {
			v, ok := got.get(k)
			if !ok || !bytes.Equal(v, want) {
				t.Fatalf("%q: member %q = %q, %v; encoding/json has %q", b, k, v, ok, want)
			}
		}
		keys := map[string]bool{}
		for _, m := range got {
			keys[string(m.key)] = true
		}
		if len(keys) != len(ref) {
			t.Fatalf("%q: %d distinct keys, encoding/json has %d", b, len(keys), len(ref))
		}
	})
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

// FuzzFindMember holds the nested lookup to the full parse.
func FuzzFindMember(f *testing.F) {
	f.Add([]byte(`{"data":{"object":{"id":"pi_1"}},"id":"evt"}`), "id")
	f.Add([]byte(`{"a":1,"a":{"b":2}}`), "a")
	f.Add([]byte(`{"a\u0062":1}`), "ab")
	f.Fuzz(func(t *testing.T, b []byte, key string) {
		v, ok := findMember(b, key)
		want, wantOK := parseJSONObject(b).get(key)
		if ok != wantOK || !bytes.Equal(v, want) {
			t.Fatalf("%q[%q]: findMember %q %v, full parse %q %v", b, key, v, ok, want, wantOK)
		}
	})
}
