package provider_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/bridge/provider"
)

// The Standard Webhooks vector every official library tests
// (libraries/go/webhook_test.go TestWebhookSign; PLATFORMS.md section 6,
// vector 1), with the known-bad signatures from the same tests.
const (
	swSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	swMsgID  = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	swTS     = 1614265330
	swBody   = `{"test": 2432232314}`
	swSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	swBad1   = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="
	swBad2   = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA=" // Python's: last character changed
)

func swDelivery() delivery {
	return delivery{
		body: []byte(swBody),
		h:    header("webhook-id", swMsgID, "webhook-timestamp", "1614265330", "webhook-signature", swSig),
	}
}

func TestStandardWebhooksVerify(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "standardwebhooks", Secrets: []string{swSecret}, Now: at(swTS)})
	set := func(name, v string) func(d *delivery) { return func(d *delivery) { d.h.Set(name, v) } }
	runMutations(t, p, swDelivery(), []string{swSecret, swSig[3:]}, []mutation{
		{name: "vector", want: nil},
		{name: "known bad signature", edit: set("webhook-signature", swBad1), want: provider.ErrBadSignature},
		{name: "known bad signature (python)", edit: set("webhook-signature", swBad2), want: provider.ErrBadSignature},
		{name: "several, only the last matches", edit: set("webhook-signature", swBad1+" "+swBad2+" "+swSig), want: nil},
		{name: "several, only the first matches", edit: set("webhook-signature", swSig+" "+swBad1), want: nil},
		{name: "v1a entry ignored", edit: set("webhook-signature", "v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg== "+swSig), want: nil},
		{name: "unknown version with the right digest", edit: set("webhook-signature", "v2,"+swSig[3:]), want: provider.ErrMalformedSignature},
		{name: "only v1a", edit: set("webhook-signature", "v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg=="), want: provider.ErrMalformedSignature},
		{name: "no version", edit: set("webhook-signature", swSig[3:]), want: provider.ErrMalformedSignature},
		{name: "not base64", edit: set("webhook-signature", "v1,!!!"), want: provider.ErrMalformedSignature},
		{name: "unpadded base64", edit: set("webhook-signature", strings.TrimSuffix(swSig, "=")), want: provider.ErrMalformedSignature},
		{name: "comma-separated list", edit: set("webhook-signature", swBad1+","+swSig), want: provider.ErrMalformedSignature},
		{name: "signature missing", edit: func(d *delivery) { d.h.Del("webhook-signature") }, want: provider.ErrMissingSignature},
		{name: "id missing", edit: func(d *delivery) { d.h.Del("webhook-id") }, want: provider.ErrMissingSignature},
		{name: "timestamp missing", edit: func(d *delivery) { d.h.Del("webhook-timestamp") }, want: provider.ErrMissingSignature},
		{name: "timestamp not a number", edit: set("webhook-timestamp", "2021-02-25T15:02:10Z"), want: provider.ErrMalformedSignature},
		{name: "timestamp negative", edit: set("webhook-timestamp", "-1"), want: provider.ErrMalformedSignature},
		{name: "timestamp in milliseconds", edit: set("webhook-timestamp", "1614265330000"), want: provider.ErrBadSignature},
		{name: "id changed", edit: set("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJel"), want: provider.ErrBadSignature},
		{name: "timestamp changed", edit: set("webhook-timestamp", "1614265331"), want: provider.ErrBadSignature},
		{name: "body changed by one byte", edit: func(d *delivery) { d.body = flipByte(d.body, 3) }, want: provider.ErrBadSignature},
		{name: "body re-serialised", edit: func(d *delivery) { d.body = []byte(`{"test":2432232314}`) }, want: provider.ErrBadSignature},
	})
}

func TestStandardWebhooksSecretForms(t *testing.T) {
	d := swDelivery()
	for _, secrets := range [][]string{
		{swSecret},
		{strings.TrimPrefix(swSecret, "whsec_")}, // bare base64, as the Go library accepts
		{swNew, swSecret},
		{swSecret, swNew},
	} {
		p := mustNew(t, provider.Config{Kind: "standardwebhooks", Secrets: secrets, Now: at(swTS)})
		checkSentinel(t, p.Verify(d.body, d.h), nil)
	}
	// A whsec_ string used as raw bytes (the Stripe way) is not the key.
	p := mustNew(t, provider.Config{Kind: "standardwebhooks", Secrets: []string{swNew}, Now: at(swTS)})
	checkSentinel(t, p.Verify(d.body, d.h), provider.ErrBadSignature)
}

// BigCommerce signs Standard Webhooks with its app's client secret as the
// raw key (PLATFORMS.md section 6, self-computed BigCommerce row: the id,
// timestamp and body of the Standard Webhooks vector).
const (
	bcClientSecret = "test_client_secret"
	bcSig          = "v1,ZQVE1jGQJSL3xtocZwjjfpk9quZSxtZmJ7Dwncercfs="
)

func bcDelivery() delivery {
	d := swDelivery()
	d.h.Set("webhook-signature", bcSig)
	return d
}

// TestBigCommerceVector: configured as whsec_ + base64(client secret), the
// client secret is plain Standard Webhooks.
func TestBigCommerceVector(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "standardwebhooks", Secrets: []string{"whsec_dGVzdF9jbGllbnRfc2VjcmV0"}, Now: at(swTS)})
	d := bcDelivery()
	checkSentinel(t, p.Verify(d.body, d.h), nil)
}

// TestBigCommerceRawSecret: with secret_encoding raw the client secret is
// configured as BigCommerce shows it, and its bytes are the key.
func TestBigCommerceRawSecret(t *testing.T) {
	raw := func(secrets ...string) *provider.Provider {
		return mustNew(t, provider.Config{Kind: "standardwebhooks", Secrets: secrets, SecretEncoding: provider.SecretRaw, Now: at(swTS)})
	}
	p := raw(bcClientSecret)
	runMutations(t, p, bcDelivery(), []string{bcClientSecret, bcSig[3:]}, []mutation{
		{name: "vector", want: nil},
		{name: "whsec-keyed signature", edit: func(d *delivery) { d.h.Set("webhook-signature", swSig) }, want: provider.ErrBadSignature},
		{name: "body changed by one byte", edit: func(d *delivery) { d.body = flipByte(d.body, 3) }, want: provider.ErrBadSignature},
		{name: "under the svix-* names", edit: toSvix, want: nil},
	})

	d := bcDelivery()
	checkSentinel(t, raw("old-client-secret", bcClientSecret).Verify(d.body, d.h), nil) // rotation
	// The whsec_ string of the same key, taken raw, is a different key.
	checkSentinel(t, raw("whsec_dGVzdF9jbGllbnRfc2VjcmV0").Verify(d.body, d.h), provider.ErrBadSignature)
	// The Standard Webhooks secret, taken raw, no longer verifies the spec's vector.
	d = swDelivery()
	checkSentinel(t, raw(swSecret).Verify(d.body, d.h), provider.ErrBadSignature)

	// What Sign writes under a raw key is the vector.
	h := header("webhook-id", swMsgID)
	if err := p.Sign([]byte(swBody), h, time.Unix(swTS, 0)); err != nil {
		t.Fatal(err)
	}
	if got := h.Get("webhook-signature"); got != bcSig {
		t.Fatalf("Sign = %q, want %q", got, bcSig)
	}
}

// TestSecretEncodingConfig: the key form is standardwebhooks' alone, and
// only its two values exist; the default needs whsec_/base64 secrets.
func TestSecretEncodingConfig(t *testing.T) {
	for _, c := range []struct {
		cfg  provider.Config
		want string // error text; "" accepted
	}{
		{provider.Config{Kind: "standardwebhooks", Secrets: []string{swSecret}, SecretEncoding: provider.SecretWhsec}, ""},
		{provider.Config{Kind: "standardwebhooks", Secrets: []string{bcClientSecret}, SecretEncoding: provider.SecretRaw}, ""},
		{provider.Config{Kind: "standardwebhooks", Secrets: []string{bcClientSecret}}, "secrets[0]: not a Standard Webhooks secret (want whsec_ followed by base64)"},
		{provider.Config{Kind: "standardwebhooks", Secrets: []string{swSecret}, SecretEncoding: "base64"}, `secret_encoding: "base64" is unknown (want whsec or raw)`},
		{provider.Config{Kind: "github", Secrets: []string{"s"}, SecretEncoding: provider.SecretRaw}, "secret_encoding: only for standardwebhooks"},
		{provider.Config{Kind: "stripe", Secrets: []string{"whsec_s"}, SecretEncoding: provider.SecretWhsec}, "secret_encoding: only for standardwebhooks"},
	} {
		_, err := provider.New(c.cfg)
		if got := fmt.Sprint(err); (c.want == "" && err != nil) || (c.want != "" && got != c.want) {
			t.Errorf("New(%s, secret_encoding %q) = %v, want %q", c.cfg.Kind, c.cfg.SecretEncoding, err, c.want)
		}
		checkNoLeak(t, err, bcClientSecret, swSecret)
	}
}

// toSvix renames a delivery's webhook-* headers to the svix-* ones, as a
// sender on Svix sends them.
func toSvix(d *delivery) {
	for _, n := range []string{"id", "timestamp", "signature"} {
		d.h.Set("svix-"+n, d.h.Get("webhook-"+n))
		d.h.Del("webhook-" + n)
	}
}

func svixDelivery() delivery {
	d := swDelivery()
	toSvix(&d)
	return d
}

// TestStandardWebhooksSvixHeaders: svix-id, svix-timestamp and
// svix-signature are the same scheme under Svix's names. The rules for
// which set is read are those of Svix's own library: the svix-* set when
// all three are present, else the webhook-* set, never a mix.
func TestStandardWebhooksSvixHeaders(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "standardwebhooks", Secrets: []string{swSecret}, Now: at(swTS)})
	set := func(name, v string) func(d *delivery) { return func(d *delivery) { d.h.Set(name, v) } }
	del := func(names ...string) func(d *delivery) {
		return func(d *delivery) {
			for _, n := range names {
				d.h.Del(n)
			}
		}
	}
	std := swDelivery().h
	runMutations(t, p, svixDelivery(), []string{swSecret, swSig[3:]}, []mutation{
		{name: "vector", want: nil},
		{name: "several signatures, one matches", edit: set("svix-signature", swBad1+" "+swSig), want: nil},
		{name: "known bad signature", edit: set("svix-signature", swBad1), want: provider.ErrBadSignature},
		{name: "id changed", edit: set("svix-id", "msg_other"), want: provider.ErrBadSignature},
		{name: "timestamp not a number", edit: set("svix-timestamp", "x"), want: provider.ErrMalformedSignature},
		{name: "no v1 entry", edit: set("svix-signature", "v1a,AAAA"), want: provider.ErrMalformedSignature},
		{name: "svix-id missing", edit: del("svix-id"), want: provider.ErrMissingSignature},
		{name: "svix-timestamp missing", edit: del("svix-timestamp"), want: provider.ErrMissingSignature},
		{name: "svix-signature missing", edit: del("svix-signature"), want: provider.ErrMissingSignature},
		// Both sets complete: svix-* is the one verified, whatever the other holds.
		{name: "both sets, svix-* right, webhook-* forged", edit: func(d *delivery) {
			d.h.Set("webhook-id", "msg_forged")
			d.h.Set("webhook-timestamp", "1614265330")
			d.h.Set("webhook-signature", swBad1)
		}, want: nil},
		{name: "both sets, svix-* forged, webhook-* right", edit: func(d *delivery) {
			for k, v := range std {
				d.h[k] = v
			}
			d.h.Set("svix-signature", swBad1)
		}, want: provider.ErrBadSignature},
		// An incomplete svix-* set falls back to webhook-*; the sets never mix.
		{name: "svix-* incomplete, webhook-* complete", edit: func(d *delivery) {
			for k, v := range std {
				d.h[k] = v
			}
			d.h.Del("svix-signature")
		}, want: nil},
		{name: "mixed: svix-id with webhook-timestamp and webhook-signature", edit: func(d *delivery) {
			d.h.Del("svix-timestamp")
			d.h.Del("svix-signature")
			d.h.Set("webhook-timestamp", "1614265330")
			d.h.Set("webhook-signature", swSig)
		}, want: provider.ErrMissingSignature},
	})

	// Errors name the set the delivery was read under.
	for _, c := range []struct {
		name string
		edit func(d *delivery)
		want string
	}{
		{"svix-* only, one missing", del("svix-timestamp"), "svix-timestamp: missing signature"},
		{"mixed", func(d *delivery) {
			d.h.Del("svix-signature")
			d.h.Set("webhook-signature", swSig)
		}, "webhook-id: missing signature"},
		{"svix-* forged", set("svix-signature", swBad1), "svix-signature: signature mismatch"},
		{"nothing at all", del("svix-id", "svix-timestamp", "svix-signature"), "webhook-id: missing signature"},
	} {
		d := svixDelivery()
		c.edit(&d)
		if err := p.Verify(d.body, d.h); fmt.Sprint(err) != c.want {
			t.Errorf("%s: Verify = %v, want %q", c.name, err, c.want)
		}
	}
}

// TestStandardWebhooksSvixExtract: the CloudEvent id (the dedup key) is
// the id of the set that was verified.
func TestStandardWebhooksSvixExtract(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "standardwebhooks", Secrets: []string{swSecret}, Now: at(swTS)})
	body := []byte(`{"type":"user.created"}`)
	svix := svixDelivery().h
	both := svixDelivery().h
	both.Set("webhook-id", "msg_webhook")
	both.Set("webhook-timestamp", "1614265000")
	both.Set("webhook-signature", swSig)
	partial := swDelivery().h
	partial.Set("svix-id", "msg_svix_only_id")
	for _, c := range []struct {
		name string
		h    http.Header
		want provider.Event
	}{
		{"svix-* only", svix, provider.Event{ID: swMsgID, Type: "user.created", Time: time.Unix(swTS, 0)}},
		{"both sets: svix-*", both, provider.Event{ID: swMsgID, Type: "user.created", Time: time.Unix(swTS, 0)}},
		{"incomplete svix-*: webhook-*", partial, provider.Event{ID: swMsgID, Type: "user.created", Time: time.Unix(swTS, 0)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := p.Extract(body, c.h)
			checkSentinel(t, err, nil)
			if !eventEqual(got, c.want) {
				t.Fatalf("Extract = %+v, want %+v", got, c.want)
			}
		})
	}
	// An incomplete svix-* set is not read, even for its id.
	_, err := p.Extract(body, header("svix-id", swMsgID, "svix-timestamp", "1614265330"))
	checkSentinel(t, err, provider.ErrUnusable)

	// Signing a delivery that already carries svix-* headers signs under
	// them, so that what Sign writes is what Verify reads.
	h := header("svix-id", "msg_chosen")
	if err := p.Sign(body, h, time.Unix(swTS, 0)); err != nil {
		t.Fatal(err)
	}
	if h.Get("svix-id") != "msg_chosen" || h.Get("svix-signature") == "" || h.Get("webhook-signature") != "" {
		t.Fatalf("Sign wrote %v, want the svix-* set around the given id", h)
	}
	checkSentinel(t, p.Verify(body, h), nil)
	// With both sets complete it re-signs svix-*, the set Verify reads.
	both = svixDelivery().h
	for k, v := range swDelivery().h {
		both[k] = v
	}
	if err := p.Sign(body, both, time.Unix(swTS, 0)); err != nil {
		t.Fatal(err)
	}
	checkSentinel(t, p.Verify(body, both), nil)
}

func TestStandardWebhooksTolerance(t *testing.T) {
	tol := provider.DefaultTolerance
	ts := time.Unix(swTS, 0)
	cases := []struct {
		name string
		now  time.Time
		sig  string
		want error
	}{
		{"old, at the tolerance", ts.Add(tol), swSig, nil},
		{"old, a second past it", ts.Add(tol + time.Second), swSig, provider.ErrStale},
		{"future, at the tolerance", ts.Add(-tol), swSig, nil},
		{"future, a second past it", ts.Add(-tol - time.Second), swSig, provider.ErrStale},
		{"stale and forged", ts.Add(time.Hour), swBad1, provider.ErrBadSignature},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			now := c.now
			p := mustNew(t, provider.Config{Kind: "standardwebhooks", Secrets: []string{swSecret}, Now: func() time.Time { return now }})
			d := swDelivery()
			d.h.Set("webhook-signature", c.sig)
			checkSentinel(t, p.Verify(d.body, d.h), c.want)
		})
	}
}

func TestStandardWebhooksSign(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "standardwebhooks", Secrets: []string{swSecret}, Now: at(swTS)})

	// With the vector's id already set, Sign reproduces the vector.
	h := header("webhook-id", swMsgID)
	if err := p.Sign([]byte(swBody), h, time.Unix(swTS, 0)); err != nil {
		t.Fatal(err)
	}
	if h.Get("webhook-id") != swMsgID || h.Get("webhook-timestamp") != "1614265330" || h.Get("webhook-signature") != swSig {
		t.Fatalf("Sign = %v, want the public vector", h)
	}

	// Without one it makes a fresh msg_ id for each delivery.
	a, b := http.Header{}, http.Header{}
	for _, h := range []http.Header{a, b} {
		if err := p.Sign([]byte(swBody), h, time.Unix(swTS, 0)); err != nil {
			t.Fatal(err)
		}
		checkSentinel(t, p.Verify([]byte(swBody), h), nil)
	}
	if !strings.HasPrefix(a.Get("webhook-id"), "msg_") || len(a.Get("webhook-id")) < 20 || a.Get("webhook-id") == b.Get("webhook-id") {
		t.Fatalf("generated ids %q and %q, want two distinct msg_ ids", a.Get("webhook-id"), b.Get("webhook-id"))
	}
}

func TestStandardWebhooksExtract(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "standardwebhooks", Secrets: []string{swSecret}, TypePrefix: "com.example."})
	cases := []struct {
		name string
		body string
		want provider.Event
		err  error
	}{
		{
			name: "spec payload",
			body: `{"type":"user.created","timestamp":"2022-11-03T20:26:10.344522Z","data":{"id":"1f81eb52-5198-4599-803e-771906343485"}}`,
			want: provider.Event{ID: swMsgID, Type: "user.created", Time: time.Date(2022, 11, 3, 20, 26, 10, 344522000, time.UTC)},
		},
		{
			name: "no body timestamp: the signed one",
			body: `{"type":"user.created"}`,
			want: provider.Event{ID: swMsgID, Type: "user.created", Time: time.Unix(swTS, 0)},
		},
		{
			name: "BigCommerce scope",
			body: `{"created_at":1561479335,"store_id":"1025646","producer":"stores/{store_hash}","scope":"store/order/created","hash":"dd70c0976e06b67aaf671e73f49dcb79230ebf9d","data":{"type":"order","id":250}}`,
			want: provider.Event{ID: swMsgID, Type: "store/order/created", Time: time.Unix(swTS, 0)},
		},
		{name: "vector body has no type", body: swBody, err: provider.ErrUnusable},
		{name: "type not a string", body: `{"type":7}`, err: provider.ErrUnusable},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := p.Extract([]byte(c.body), swDelivery().h)
			checkSentinel(t, err, c.err)
			if !eventEqual(got, c.want) {
				t.Fatalf("Extract = %+v, want %+v", got, c.want)
			}
		})
	}
	h := swDelivery().h
	h.Del("webhook-id")
	_, err := p.Extract([]byte(`{"type":"user.created"}`), h)
	checkSentinel(t, err, provider.ErrUnusable)
}
