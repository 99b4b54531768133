package commerce

import (
	"encoding/json"
	"testing"
)

// unquote reads every JSON string as encoding/json does, the plain ones
// without it, and refuses what encoding/json refuses.
func TestUnquote(t *testing.T) {
	for _, lit := range []string{
		`"19.99"`, `""`, `"2021-12-31T19:00:00-05:00"`, `"1\u002e00"`, `"a\"b"`, `"\\"`, `"é"`, "\"\xff\"",
		`"tab\there"`, "\"\x7f\"", `"/"`, `null`, `19.99`, `"unterminated`, `"`, ``, `"a"b"`, `{}`,
	} {
		got, err := unquote([]byte(lit))
		var want string
		wantErr := json.Unmarshal([]byte(lit), &want)
		if (err != nil) != (wantErr != nil) || string(got) != want {
			t.Errorf("unquote(%s) = %q, %v; encoding/json: %q, %v", lit, got, err, want, wantErr)
		}
	}
}

// An amount or a time read the fast way is the one read through
// encoding/json.
func TestDecimalAndTimesUnescaped(t *testing.T) {
	var plain, escaped struct {
		D decimal     `json:"d"`
		S shopifyTime `json:"s"`
		W wooTime     `json:"w"`
	}
	if err := json.Unmarshal([]byte(`{"d":"1.50","s":"2021-12-31T19:00:00-05:00","w":"2021-12-31T19:00:00"}`), &plain); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(`{"d":"1\u002e50","s":"2021-12-31T19:00:00\u002d05:00","w":"2021-12-31\u005419:00:00"}`), &escaped); err != nil {
		t.Fatal(err)
	}
	if plain.D != "1.50" || plain != escaped {
		t.Errorf("plain %+v, escaped %+v", plain, escaped)
	}
}
