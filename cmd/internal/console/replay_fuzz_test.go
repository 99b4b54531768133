package console

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/cmd/internal/console/jsview"
	"github.com/hookbridge/hookbridge/consumers"
)

// FuzzReplayForm: whatever a form holds, the replay it turns into has a valid name, a start
// not after now, a stream of the console's and a subject filter without whitespace, empty
// tokens or a wildcard other than a whole-token * or a final >; and what it refuses is
// always the form's fault (a 400, never a 500).
func FuzzReplayForm(f *testing.F) {
	now := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
	c := &Console{cfg: Config{Streams: []string{"WEBHOOKS", "COMMERCE"}, Now: func() time.Time { return now }}}
	f.Add("WEBHOOKS", "orders-replay", "shop", "shopify", "orders/create", "2026-01-02T09:00")
	f.Add("COMMERCE", "paid", "", "", "order.paid", "2026-01-01T00:00:00Z")
	f.Add("COMMERCE", "x", "", "", "com.hookbridge.commerce.order", "2026-01-02T10:00:00+01:00")
	f.Add("WEBHOOKS", "a.b", "sh op", "*", "orders.>", "2027-01-01T00:00")
	f.Add("OTHER", "", "", "", "", "")
	f.Add("WEBHOOKS", "n", "", "", "a..b", "2026-01-02T09:00:05")
	f.Fuzz(func(t *testing.T, stream, name, source, provider, typ, since string) {
		form := replayForm{Stream: stream, Name: name, Source: source, Provider: provider, Type: typ, Since: since}
		r, subject, err := c.replayOf(form)
		if err != nil {
			if !errors.As(err, new(formError)) && !errors.Is(err, jsview.ErrBadName) && !errors.Is(err, jsview.ErrBadFilter) {
				t.Fatalf("%+v: refused with an error that is not the form's: %v", form, err)
			}
			return
		}
		if !consumers.ValidName(r.Name) {
			t.Errorf("name %q accepted", r.Name)
		}
		if r.Since.After(now) || r.Since.IsZero() {
			t.Errorf("start %v accepted at %v", r.Since, now)
		}
		if r.Stream.Name != "WEBHOOKS" && r.Stream.Name != "COMMERCE" {
			t.Errorf("stream %q accepted", r.Stream.Name)
		}
		tokens := strings.Split(subject, ".")
		for i, tok := range tokens {
			if tok == "" || strings.ContainsAny(tok, " \t\r\n") ||
				(strings.ContainsAny(tok, "*>") && tok != "*" && !(tok == ">" && i == len(tokens)-1)) {
				t.Errorf("%+v: subject %q has a bad token %q", form, subject, tok)
			}
		}
	})
}
