package console

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hookbridge/hookbridge/cmd/internal/console/jsview"
)

// FuzzDeliveryQuery: whatever a URL's query holds, parseQuery either refuses it or gives a
// query whose filter is a subject filter without input wildcards, and that survives a trip
// through its own URL.
func FuzzDeliveryQuery(f *testing.F) {
	for _, seed := range []string{
		"", "stream=WEBHOOKS", "stream=COMMERCE&type=order.paid", "source=shop&provider=shopify&type=orders/create",
		"before=12", "before=0", "before=-1", "source=a+b", "provider=*", "type=>", "type=orders.%3E", "stream=KV_x",
		"type=com.hookbridge.commerce.order&stream=COMMERCE", "source=%00", "before=18446744073709551616",
	} {
		f.Add(seed)
	}
	d := deliveries{streams: []jsview.Stream{jsview.Webhooks("", ""), jsview.Commerce("")}}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		dq, err := d.parseQuery(q)
		if err != nil {
			return
		}
		subject, err := dq.Stream.Subject(dq.Filter)
		if err != nil {
			t.Fatalf("%q: accepted, but its filter is refused: %v", raw, err)
		}
		for _, tok := range strings.Split(subject, ".") {
			if tok == "" || strings.ContainsAny(tok, " \t\r\n") {
				t.Fatalf("%q: subject %q has an empty or spaced token", raw, subject)
			}
		}
		again, err := d.parseQuery(dq.values())
		if err != nil || again.Filter != dq.Filter || again.Stream.Name != dq.Stream.Name {
			t.Fatalf("%q: its own URL reads back as %+v, %v", raw, again, err)
		}
	})
}

// FuzzShowBody: a body is shown as JSON only when it is JSON (and then as the same JSON),
// as text only when it is text, and never as anything when it is neither.
func FuzzShowBody(f *testing.F) {
	for _, seed := range []string{"", "{}", `{"a":[1,2,{"b":"<i>"}]}`, "id=2&x=y", "\xff\xfe", "  [1] ", `"str"`, "{", "null"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		kind, text := showBody(b)
		switch kind {
		case "empty":
			if len(b) != 0 || text != "" {
				t.Fatalf("%q shown as empty", b)
			}
		case "JSON":
			var want, got bytes.Buffer
			if json.Compact(&want, b) != nil || json.Compact(&got, []byte(text)) != nil || want.String() != got.String() {
				t.Fatalf("%q shown as different JSON %q", b, text)
			}
		case "text":
			if !utf8.Valid(b) || text != string(b) {
				t.Fatalf("%q shown as text %q", b, text)
			}
		case "binary":
			if utf8.Valid(b) || text != "" {
				t.Fatalf("%q shown as binary with %q", b, text)
			}
		default:
			t.Fatalf("kind %q", kind)
		}
	})
}
