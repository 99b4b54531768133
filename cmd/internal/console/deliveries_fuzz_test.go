package console

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strconv"
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
		"after=0", "after=12&before=3", "after=-1", "after=18446744073709551616",
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

// FuzzLiveStart: whatever a client sends as Last-Event-ID or after, a live view starts at or
// before the stream's last sequence, at the client's sequence when that is below it.
func FuzzLiveStart(f *testing.F) {
	f.Add("", uint64(0), false, uint64(0))
	f.Add("12", uint64(3), true, uint64(10))
	f.Add("", uint64(30), true, uint64(10))
	f.Add("-1", uint64(3), true, uint64(10))
	f.Add(" 7", uint64(3), false, uint64(10))
	f.Add("18446744073709551616", uint64(3), true, uint64(10))
	f.Fuzz(func(t *testing.T, lastEventID string, after uint64, hasAfter bool, last uint64) {
		got := liveStart(deliveryQuery{After: after, HasAfter: hasAfter}, lastEventID, last)
		if got > last {
			t.Fatalf("start %d past the stream's last %d", got, last)
		}
		want := last
		if id, err := strconv.ParseUint(lastEventID, 10, 64); err == nil {
			want = min(id, last)
		} else if hasAfter {
			want = min(after, last)
		}
		if got != want {
			t.Fatalf("Last-Event-ID %q, after %d (%v), last %d: start %d, want %d", lastEventID, after, hasAfter, last, got, want)
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
