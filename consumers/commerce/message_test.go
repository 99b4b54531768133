package commerce_test

import (
	"encoding/json"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/consumers"
	"github.com/hookbridge/hookbridge/consumers/commerce"
)

// sdkMessage is what consumers.PublishEvent publishes for p: its message in
// CloudEvents binary mode through sdk-go, with the Nats-Msg-Id that
// jetstream.WithMsgID adds.
func sdkMessage(t testing.TB, p commerce.Published) *nats.Msg {
	t.Helper()
	if err := p.Event.Validate(); err != nil {
		t.Fatalf("PublishEvent would refuse %s: %v", p.Subject, err)
	}
	msg, err := consumers.EncodeEvent(t.Context(), p.Subject, p.Event)
	if err != nil {
		t.Fatal(err)
	}
	msg.Header.Set(jetstream.MsgIDHeader, p.Event.ID())
	return msg
}

// checkSameMessage fails unless got is want on the wire: the same subject,
// headers (names and values) and data, and the same CloudEvent once
// decoded.
func checkSameMessage(t testing.TB, got, want *nats.Msg) {
	t.Helper()
	if got.Subject != want.Subject {
		t.Errorf("subject %q, sdk-go's %q", got.Subject, want.Subject)
	}
	if !maps.EqualFunc(got.Header, want.Header, slices.Equal) {
		t.Errorf("headers differ from sdk-go's:\n got %q\nwant %q", got.Header, want.Header)
	}
	if string(got.Data) != string(want.Data) {
		t.Errorf("data differs from sdk-go's:\n got %s\nwant %s", got.Data, want.Data)
	}
	gotEv, err := consumers.DecodeEvent(t.Context(), got.Subject, got.Header, got.Data)
	if err != nil {
		t.Fatalf("decoding ours: %v", err)
	}
	wantEv, err := consumers.DecodeEvent(t.Context(), want.Subject, want.Header, want.Data)
	if err != nil {
		t.Fatalf("decoding sdk-go's: %v", err)
	}
	g, err1 := json.Marshal(gotEv)
	w, err2 := json.Marshal(wantEv)
	if err1 != nil || err2 != nil || string(g) != string(w) {
		t.Errorf("decoded events differ (%v, %v):\n got %s\nwant %s", err1, err2, g, w)
	}
}

// TestMessageMatchesSDK: for every fixture of every platform, in every
// personal data mode, the normaliser publishes exactly the messages
// PublishEvent would publish for the events Events gives.
func TestMessageMatchesSDK(t *testing.T) {
	modes := []string{commerce.PersonalKeep, commerce.PersonalDrop, commerce.PersonalHash}
	key := []byte("0123456789abcdef")
	var compared int
	for _, platform := range commerce.Providers() {
		for name, body := range fixtures(t, platform) {
			raw := rawOf(t, platform)(fixtureType(name), body)
			for _, mode := range modes {
				// One mode carries the tracing extension, as a traced bridge sends it.
				raw.TraceParent, raw.TraceState = "", ""
				if mode == commerce.PersonalHash {
					raw.TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
					raw.TraceState = "rojo=00f067aa0ba902b7"
				}
				got, err := commerce.Messages(raw, mode, key)
				want, wantErr := commerce.Normalise(raw, mode, key)
				if err != nil || wantErr != nil || len(got) != len(want) {
					t.Fatalf("%s/%s (%s): %d messages, %v; sdk-go %d events, %v", platform, name, mode, len(got), err, len(want), wantErr)
				}
				for i := range got {
					checkSameMessage(t, got[i], sdkMessage(t, want[i]))
					compared++
				}
			}
		}
	}
	if compared == 0 {
		t.Fatal("no fixture means a canonical event")
	}
}

// TestMessageMatchesSDKRandom: whatever the raw event and its payload
// carry (blank, padded, non-URI, non-UTF-8 or HTML-escaped values, any
// time), the normaliser publishes what PublishEvent would, and refuses
// exactly what sdk-go refuses.
func TestMessageMatchesSDKRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		raw, c := randomCanonical(rng)
		checkAgainstSDK(t, raw, c)
	}
}

// FuzzMessageMatchesSDK is TestMessageMatchesSDKRandom with the fuzzer's
// values.
func FuzzMessageMatchesSDK(f *testing.F) {
	f.Add("shopify", "acme-shop", "b1e5c6a0-raw", "acme.myshopify.com", "450789469", int64(1795780800123456789), "Bob <b&o>", uint8(0))
	f.Add("stripe", "billing", " ", "%zz", " ", int64(0), "\xff", uint8(1))
	f.Add("woocommerce", "w", "", "https://[::1]:80/a b?q#f", "\t1\n", int64(-1), "é", uint8(2))
	f.Fuzz(func(t *testing.T, provider, source, rawID, evSource, subject string, nanos int64, name string, kind uint8) {
		raw := commerce.Raw{Provider: provider, Source: source, ID: rawID, EvSource: evSource, Time: time.Unix(0, nanos)}
		c := commerce.Canonical{Subject: subject, Time: time.Unix(0, nanos/3)}
		switch kind % 3 {
		case 0:
			c.Entity, c.Action, c.Data = commerce.EntityOrder, commerce.ActionPaid, &commerce.Order{ID: subject, Customer: &commerce.Customer{Email: name}, Metadata: map[string]string{name: name}}
		case 1:
			c.Entity, c.Action, c.Data = commerce.EntityPayment, commerce.ActionSucceeded, &commerce.Payment{ID: subject, Method: name}
		default:
			c.Entity, c.Action, c.Data = commerce.EntityRefund, commerce.ActionCreated, &commerce.Refund{ID: subject, Reason: name}
		}
		checkAgainstSDK(t, raw, c)
	})
}

// checkAgainstSDK compares the normaliser's message for c with sdk-go's:
// both refused, or the same message.
func checkAgainstSDK(t testing.TB, raw commerce.Raw, c commerce.Canonical) {
	t.Helper()
	got, err := commerce.Message(raw, c)
	ev, subject, wantErr := commerce.Event(raw, c)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("%+v %+v: ours refused: %v; sdk-go refused: %v", raw, c, err, wantErr)
	}
	if err != nil {
		return
	}
	checkSameMessage(t, got, sdkMessage(t, commerce.Published{Subject: subject, Event: ev}))
}

// randomCanonical is a canonical event of a random kind whose every value
// that comes from outside (the raw event's attributes, the payload's
// strings, the times) is random.
func randomCanonical(rng *rand.Rand) (commerce.Raw, commerce.Canonical) {
	s := func() string { return randomString(rng) }
	raw := commerce.Raw{Provider: s(), Source: s(), ID: s(), EvSource: randomSource(rng), Time: randomTime(rng)}
	c := commerce.Canonical{Subject: s(), Time: randomTime(rng)}
	if rng.IntN(2) == 0 {
		raw.TraceParent, raw.TraceState = s(), s()
	}
	switch rng.IntN(3) {
	case 0:
		c.Entity, c.Action = commerce.EntityOrder, []string{commerce.ActionCreated, commerce.ActionPaid, commerce.ActionFulfilled}[rng.IntN(3)]
		c.Data = &commerce.Order{ID: s(), Number: s(), Platform: s(), Source: s(), Total: s(),
			LineItems: []commerce.LineItem{{ID: s(), Name: s(), Quantity: rng.Int64()}},
			Customer:  &commerce.Customer{Email: s(), Phone: s()}, ShippingAddr: &commerce.Address{Name: s(), City: s()},
			Metadata: map[string]string{s(): s()}, CreatedAt: s()}
	case 1:
		c.Entity, c.Action = commerce.EntityPayment, commerce.ActionFailed
		c.Data = &commerce.Payment{ID: s(), OrderID: s(), Amount: s(), Method: s()}
	default:
		c.Entity, c.Action = commerce.EntityRefund, commerce.ActionCreated
		c.Data = &commerce.Refund{ID: s(), Reason: s()}
	}
	return raw, c
}

// randomString draws from the characters that tell encoders apart:
// whitespace, controls, URI and HTML delimiters, percent escapes, non-ASCII
// and bytes that are not UTF-8.
func randomString(rng *rand.Rand) string {
	pieces := []string{"a", "Z", "0", "-", ".", " ", "\t", "\n", "\r", "\x00", "\x7f", "%", "%zz", "%41", ":", "/", "?", "#",
		"[", "]", "@", "<", ">", "&", "\"", "\\", "é", "\u2028", "\xff", "\xe2\x82", "https://", "shop.example.test"}
	var b strings.Builder
	for range rng.IntN(8) {
		b.WriteString(pieces[rng.IntN(len(pieces))])
	}
	return b.String()
}

// randomSource is a raw event's source: mostly one a platform sends, else
// random.
func randomSource(rng *rand.Rand) string {
	switch rng.IntN(4) {
	case 0:
		return []string{"acme.myshopify.com", "https://example.com/", "https://stripe.com", "/shopify/acme-shop",
			"https://[::1]:8080/a b", "urn:x:y", "HTTP://Example.COM/%7e"}[rng.IntN(7)]
	default:
		return randomString(rng)
	}
}

// randomTime is the zero time (none), or any time of RFC 3339's years in a
// random zone.
func randomTime(rng *rand.Rand) time.Time {
	if rng.IntN(5) == 0 {
		return time.Time{}
	}
	t := time.Date(1+rng.IntN(9998), time.January, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.Int64N(int64(365 * 24 * time.Hour))))
	if rng.IntN(2) == 0 {
		t = t.Add(time.Duration(rng.IntN(1e9)))
	}
	return t.In(time.FixedZone("z", (rng.IntN(48)-24)*1800))
}
