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
// before the stream's last sequence; a reconnecting EventSource resumes exactly where it got to;
// a header that is not a sequence counts for nothing; without one, the page's after is kept.
func FuzzLiveStart(f *testing.F) {
	f.Add("", uint64(0), false, uint64(0))
	f.Add("12", uint64(3), true, uint64(10))
	f.Add("", uint64(30), true, uint64(10))
	f.Add("-1", uint64(3), true, uint64(10))
	f.Add(" 7", uint64(3), false, uint64(10))
	f.Add("+7", uint64(3), true, uint64(10))
	f.Add("0007", uint64(3), true, uint64(10))
	f.Add("18446744073709551616", uint64(3), true, uint64(10))
	f.Add("18446744073709551615", uint64(3), true, uint64(18446744073709551615))
	f.Fuzz(func(t *testing.T, lastEventID string, after uint64, hasAfter bool, last uint64) {
		dq := deliveryQuery{After: after, HasAfter: hasAfter}
		got := liveStart(dq, lastEventID, last)
		if got > last {
			t.Fatalf("start %d past the stream's last %d", got, last)
		}
		id, isSeq := sequenceHeader(lastEventID)
		switch {
		case isSeq && id <= last && got != id:
			t.Fatalf("Last-Event-ID %q, last %d: resumes at %d, not where the client got to", lastEventID, last, got)
		case isSeq && id > last && got != last:
			t.Fatalf("Last-Event-ID %q beyond last %d: starts at %d, not the end", lastEventID, last, got)
		case !isSeq && got != liveStart(dq, "", last):
			t.Fatalf("Last-Event-ID %q is no sequence but moved the start to %d", lastEventID, got)
		case lastEventID == "" && hasAfter && after <= last && got != after:
			t.Fatalf("after %d, last %d: starts at %d, not where the page read", after, last, got)
		case lastEventID == "" && !hasAfter && got != last:
			t.Fatalf("no after, last %d: starts at %d, not the stream's end", last, got)
		}
	})
}

// sequenceHeader reads s as the console's event ids are written: decimal digits only, at most
// 2^64 - 1 (leading zeros allowed, as a sequence's digits read back).
func sequenceHeader(s string) (uint64, bool) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	digits := strings.TrimLeft(s, "0")
	const maxSeq = "18446744073709551615"
	if len(digits) > len(maxSeq) || len(digits) == len(maxSeq) && digits > maxSeq {
		return 0, false
	}
	var n uint64
	for _, c := range digits {
		n = n*10 + uint64(c-'0')
	}
	return n, true
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
