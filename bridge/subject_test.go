package bridge

import (
	"net/textproto"
	"regexp"
	"strings"
	"testing"
)

func TestTypeTokens(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"orders/create", ".orders.create"},
		{"payment_intent.succeeded", ".payment_intent.succeeded"},
		{"pull_request.opened", ".pull_request.opened"},
		{"Order.Created", ".order.created"},
		{"a//b..c/", ".a.b.c"},
		{"orders.*", ".orders._"},
		{"orders.>", ".orders._"},
		{"with space", ".with_space"},
		{"Commande/Créée", ".commande.cr__e"},
		{"tab\there", ".tab_here"},
		{"$JS.API", "._js.api"},
		{"/.", ""},
		{"", ""},
	} {
		got, n := appendTypeTokens(nil, c.in)
		if string(got) != c.want {
			t.Errorf("appendTypeTokens(%q) = %q, want %q", c.in, got, c.want)
		}
		if wantN := strings.Count(c.want, "."); n != wantN {
			t.Errorf("appendTypeTokens(%q) counted %d tokens, want %d", c.in, n, wantN)
		}
	}
}

var tokenRE = regexp.MustCompile(`^[a-z0-9_-]+$`)

// FuzzTypeTokens: whatever the platform sends as an event type, every token
// that reaches a subject matches [a-z0-9_-]+.
func FuzzTypeTokens(f *testing.F) {
	for _, s := range []string{"orders/create", "a.*.>", "É/ü", " ", "x\x00y", "\xff\xfe", "a..b", "..."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, typ string) {
		got, n := appendTypeTokens([]byte("webhooks.shopify.shop"), typ)
		s := string(got)
		if !strings.HasPrefix(s, "webhooks.shopify.shop") {
			t.Fatalf("prefix changed: %q", s)
		}
		rest := strings.TrimPrefix(s, "webhooks.shopify.shop")
		if n == 0 {
			if rest != "" {
				t.Fatalf("no tokens counted but %q appended", rest)
			}
			return
		}
		toks := strings.Split(rest[1:], ".")
		if len(toks) != n {
			t.Fatalf("%d tokens counted, %d appended: %q", n, len(toks), rest)
		}
		for _, tok := range toks {
			if !tokenRE.MatchString(tok) {
				t.Fatalf("type %q gave token %q", typ, tok)
			}
		}
	})
}

// FuzzCheckAttr: an attribute that passes can travel as a NATS header value
// unchanged (nats.go trims and rewrites CR/LF, so those must be refused).
func FuzzCheckAttr(f *testing.F) {
	for _, s := range []string{"evt_123", " x", "a\r\nb", "\xff", "ok value", strings.Repeat("a", 1100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if checkAttr("id", v) != nil {
			return
		}
		// nats.go writes header values through textproto.TrimString and
		// turns CR/LF into spaces; what passes must survive both unchanged.
		if textproto.TrimString(v) != v || strings.ContainsAny(v, "\r\n\x00") || len(v) > maxAttrLen {
			t.Fatalf("checkAttr accepted %q", v)
		}
	})
}

func TestValidToken(t *testing.T) {
	for s, want := range map[string]bool{"acme-shop": true, "a_1": true, "": false, "Acme": false, "a.b": false, "a*": false, "a b": false} {
		if validToken(s) != want {
			t.Errorf("validToken(%q) = %v", s, !want)
		}
	}
}

func TestTypeSubject(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"orders/create", "orders.create"},
		{"Order.Created", "order.created"},
		{"orders.>", "orders._"},
		{"/.", ""},
		{"", ""},
	} {
		if got := TypeSubject(c.in); got != c.want {
			t.Errorf("TypeSubject(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
