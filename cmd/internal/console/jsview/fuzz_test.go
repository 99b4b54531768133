package jsview_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/hookbridge/hookbridge/cmd/internal/console/jsview"
)

var tokenRE = regexp.MustCompile(`^[a-z0-9_-]+$`)

// FuzzSubject: whatever a form sends as a filter, it is refused with
// ErrBadFilter or becomes a filter of the stream's layout whose every token
// is published-token text, "*" in a field left open, or the final ">" of
// an open event type on WEBHOOKS; a field given is never widened.
func FuzzSubject(f *testing.F) {
	f.Add(false, "acme-shop", "shopify", "orders/create")
	f.Add(false, "", "", "")
	f.Add(false, "*", ">", "orders.>")
	f.Add(false, "a b", "Shopify", "/.")
	f.Add(true, "acme-shop", "shopify", "order.paid")
	f.Add(true, "", "", "com.hookbridge.commerce.refund")
	f.Add(true, "", "", "order.*")
	f.Fuzz(func(t *testing.T, commerce bool, source, provider, typ string) {
		s, fields := jsview.Webhooks("", ""), 4
		if commerce {
			s, fields = jsview.Commerce(""), 5
		}
		subject, err := s.Subject(jsview.Filter{Source: source, Provider: provider, Type: typ})
		if err != nil {
			if !errors.Is(err, jsview.ErrBadFilter) {
				t.Fatalf("error %v is not ErrBadFilter", err)
			}
			return
		}
		tokens := strings.Split(subject, ".")
		if len(tokens) < fields || (commerce && len(tokens) != fields) {
			t.Fatalf("%q has %d tokens", subject, len(tokens))
		}
		for i, tok := range tokens[1:] {
			last := i+1 == len(tokens)-1
			if !tokenRE.MatchString(tok) && tok != "*" && !(tok == ">" && last && !commerce && typ == "") {
				t.Fatalf("%q: token %q", subject, tok)
			}
		}
		src, prov := tokens[2], tokens[1]
		if commerce {
			src, prov = tokens[4], tokens[3]
		}
		if want := or(source, "*"); src != want {
			t.Fatalf("%q: source token %q, want %q", subject, src, want)
		}
		if want := or(provider, "*"); prov != want {
			t.Fatalf("%q: provider token %q, want %q", subject, prov, want)
		}
		if typ != "" && (strings.HasSuffix(subject, ".>") || !commerce && strings.Contains(strings.Join(tokens[3:], "."), "*")) {
			t.Fatalf("%q: a given type widened to a wildcard", subject)
		}
	})
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// FuzzMatches: Matches decides as the server does for every subject a
// message can be stored under and every filter of the kind Subject builds.
func FuzzMatches(f *testing.F) {
	for _, c := range [][2]string{
		{"webhooks.*.shop.>", "webhooks.shopify.shop.orders.create"},
		{"webhooks.*.shop.>", "webhooks.shopify.shop"},
		{"webhooks.*.*.orders.create", "webhooks.shopify.shop.orders.create.x"},
		{"commerce.order.*.*.shop", "commerce.order.paid.shopify.shop"},
		{"commerce.*.*.*.*", "commerce.order.paid.shopify"},
		{"webhooks.a.b.c", "webhooks.a.b.c"},
		{"webhooks.a.b.c", "webhooks.a..c"},
		{"a.>", "a."},
	} {
		f.Add(c[0], c[1])
	}
	f.Fuzz(func(t *testing.T, filter, subject string) {
		if !server.IsValidSubject(filter) || !server.IsValidPublishSubject(subject) {
			return
		}
		// Subject builds no token that holds a wildcard among other text (FuzzSubject); the
		// server reads such a token ("*0") by its first byte.
		for _, tok := range strings.Split(filter, ".") {
			if tok != "*" && tok != ">" && strings.ContainsAny(tok, "*>") {
				return
			}
		}
		if got, want := jsview.Matches(filter, subject), server.SubjectMatchesFilter(subject, filter); got != want {
			t.Fatalf("Matches(%q, %q) = %v, the server says %v", filter, subject, got, want)
		}
	})
}
