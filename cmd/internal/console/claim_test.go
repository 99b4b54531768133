package console

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/internal/claimcheck"
	"github.com/hookbridge/hookbridge/internal/wire"
)

// publishClaim stores body as the bridge stores one too large for a message: as object
// src:<id> of WEBHOOKS_BODIES, with a claim check on WEBHOOKS. It returns the sequence.
func (f *deliveriesFixture) publishClaim(id string, body []byte) uint64 {
	f.t.Helper()
	ctx := context.Background()
	obs, err := claimcheck.EnsureBucket(ctx, f.js, "WEBHOOKS", 1, time.Hour, "bodies")
	if err != nil {
		f.t.Fatal(err)
	}
	m := f.msg("webhooks.shopify.shop.orders.create", id, "com.shopify.orders.create", body)
	info, err := claimcheck.Store(ctx, obs, "src:"+id, body, time.Time{})
	if err != nil {
		f.t.Fatal(err)
	}
	claimcheck.Refer(m, "WEBHOOKS_BODIES", info)
	return f.store(m)
}

// bigOrder is a JSON body of about size bytes whose first and last line items say so.
func bigOrder(size int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"line_items":[{"name":"first item"}`)
	for b.Len() < size-100 {
		b.WriteString(`,{"name":"a part of the order, padded to be long enough"}`)
	}
	b.WriteString(`,{"name":"last item"}]}`)
	return b.Bytes()
}

// claimChecked stores each body as a claim check (publishClaim) and has consumer "orders"
// dead-letter it; it returns, by id, the two pages that show its body: the delivery's, and the
// dead letter's, which carries the message's headers and, as it, no data.
func (f *deliveriesFixture) claimChecked(bodies map[string][]byte) map[string][]string {
	f.t.Helper()
	refuseOrders(f.t, f.js)
	pages := map[string][]string{}
	for id, body := range bodies {
		pages[id] = []string{fmt.Sprintf("/deliveries/WEBHOOKS/%d", f.publishClaim(id, body))}
	}
	for id, seq := range deadLettersOf(f.t, f.js, len(bodies)) {
		pages[id] = append(pages[id], fmt.Sprintf("/deadletters/%d", seq))
	}
	for id, p := range pages {
		if len(p) != 2 {
			f.t.Fatalf("claim check %s: pages %v, want its delivery and its dead letter", id, p)
		}
	}
	return pages
}

// TestClaimCheckShown: the delivery and the dead letter of a claim check show its body, read
// from the object it names, with a note giving the object, its size and digest and the
// command that fetches it; a body larger than any message is cut at max_payload, and the page
// says where; an object stored again with other bytes is said not to be this body.
func TestClaimCheckShown(t *testing.T) {
	f := newDeliveriesFixture(t, false)
	small := []byte(`{"id":1,"note":"stored as an object"}`)
	max := int(f.js.Conn().MaxPayload())
	big := bigOrder(max + 200<<10)
	pages := f.claimChecked(map[string][]byte{"o-small": small, "o-big": big})
	for _, path := range pages["o-small"] {
		code, body := f.get(path)
		if code != 200 {
			t.Fatalf("%s: %d\n%s", path, code, body)
		}
		for _, want := range []string{
			`id="body-size">37 B</small>`,
			"object <code>src:o-small</code> of bucket <code>WEBHOOKS_BODIES</code>",
			"<code>" + wire.ObjectDigest(small) + "</code>",
			`<code id="claim-command">nats object get WEBHOOKS_BODIES src:o-small -O body --no-progress</code>`,
			"data-kind=\"JSON\">{\n  &#34;id&#34;: 1,\n  &#34;note&#34;: &#34;stored as an object&#34;\n}</pre>",
		} {
			if !strings.Contains(body, want) {
				t.Errorf("%s lacks %s", path, want)
			}
		}
		if strings.Contains(body, `id="body-cut"`) || strings.Contains(body, `id="claim-replaced"`) {
			t.Errorf("%s: a whole body, as the message describes it, is said to be cut or replaced", path)
		}
	}
	for _, path := range pages["o-big"] {
		_, body := f.get(path)
		for _, want := range []string{
			`id="body-cut">The page shows the first ` + bytesText(uint64(max)) + " of " + bytesText(uint64(len(big))),
			`id="body-size">` + bytesText(uint64(len(big))) + "</small>",
			`data-kind="text">{&#34;line_items&#34;:[{&#34;name&#34;:&#34;first item&#34;}`,
			`<code id="claim-command">nats object get WEBHOOKS_BODIES src:o-big -O body --no-progress</code>`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("%s, a body larger than max_payload, lacks %s", path, want)
			}
		}
		if strings.Contains(body, "last item") {
			t.Errorf("%s shows more of a body than max_payload", path)
		}
	}

	// The object stored again under its name with other bytes: the pages say it is not this
	// message's body.
	obs, err := f.js.ObjectStore(t.Context(), "WEBHOOKS_BODIES")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := obs.PutBytes(t.Context(), "src:o-small", []byte(`{"id":2}`)); err != nil {
		t.Fatal(err)
	}
	for _, path := range pages["o-small"] {
		if _, body := f.get(path); !strings.Contains(body, `id="claim-replaced"`) {
			t.Errorf("%s shows an object holding other bytes than the message describes as its body", path)
		}
	}
}

// TestClaimCheckGone: a claim check whose object expired (a dead letter can outlive its
// bucket's TTL) says so on both pages, and they are served.
func TestClaimCheckGone(t *testing.T) {
	f := newDeliveriesFixture(t, false)
	pages := f.claimChecked(map[string][]byte{"o-gone": []byte(`{"id":"gone"}`)})
	obs, err := f.js.ObjectStore(t.Context(), "WEBHOOKS_BODIES")
	if err != nil {
		t.Fatal(err)
	}
	if err := obs.Delete(t.Context(), "src:o-gone"); err != nil {
		t.Fatal(err)
	}
	for _, path := range pages["o-gone"] {
		code, body := f.get(path)
		if code != 200 {
			t.Fatalf("%s: %d\n%s", path, code, body)
		}
		if !strings.Contains(body, `id="claim-gone"`) || !strings.Contains(body, "<code>src:o-gone</code>") {
			t.Errorf("%s does not say the object src:o-gone is no longer stored", path)
		}
		if strings.Contains(body, `id="body"`) {
			t.Errorf("%s shows a body for an object that is gone", path)
		}
	}
}

// TestClaimCheckHidden: with hide_bodies a claim check's body is not shown on either page;
// the note on where it is stored is.
func TestClaimCheckHidden(t *testing.T) {
	f := newDeliveriesFixture(t, true)
	pages := f.claimChecked(map[string][]byte{"o-1": []byte(`{"email":"someone@example.com"}`)})
	for _, path := range pages["o-1"] {
		_, body := f.get(path)
		if strings.Contains(body, "someone@example.com") || strings.Contains(body, `id="body"`) {
			t.Errorf("%s shows a hidden body", path)
		}
		for _, want := range []string{`id="body-hidden"`, `id="body-size">31 B<`, "<code>src:o-1</code>", `id="claim-command"`} {
			if !strings.Contains(body, want) {
				t.Errorf("%s lacks %s", path, want)
			}
		}
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"shop:big-1": "shop:big-1", "a b": "'a b'", "it's": `'it'\''s'`, "": "''", "$(x)": "'$(x)'",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

// FuzzShellQuote: an object's name comes from a delivery's id, which a platform chose; the
// command the page gives must hand the shell that name as one word and nothing else.
func FuzzShellQuote(f *testing.F) {
	for _, s := range []string{"shop:big-1", "a b", "it's", "", "$(rm -rf ~)", "x'; echo y; '", "\n", "'''"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := shellQuote(s)
		if q == s {
			if s == "" || strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.:/@") != "" {
				t.Fatalf("%q left unquoted", s)
			}
			return
		}
		// Single-quoted words, joined by \' : what POSIX sh reads as one word.
		var word strings.Builder
		rest := q
		for rest != "" {
			switch {
			case strings.HasPrefix(rest, `\'`):
				word.WriteByte('\'')
				rest = rest[2:]
			case rest[0] == '\'':
				end := strings.IndexByte(rest[1:], '\'')
				if end < 0 {
					t.Fatalf("%q: unterminated quote in %s", s, q)
				}
				word.WriteString(rest[1 : 1+end])
				rest = rest[end+2:]
			default:
				t.Fatalf("%q: %s has an unquoted %q", s, q, rest[0])
			}
		}
		if word.String() != s {
			t.Fatalf("%s reads as %q, want %q", q, word.String(), s)
		}
	})
}
