package provider_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/bridge/provider"
)

// The Stripe vector PLATFORMS.md section 6 computed (no fixed public one
// exists; stripe-go's tests sign at run time with whsec_test_secret).
const (
	stripeSecret = "whsec_test_secret"
	stripeT      = 1614265330
	stripeBody   = `{"id":"evt_test_webhook","object":"event"}`
	stripeV1     = "3c5817089d739023dd6190f70a3757e04f7a2fd8b5dab12c2e000f51970dccff"
)

// stripeSig is an independent HMAC-SHA256 hex of "<t>.<body>".
func stripeSig(secret string, t int64, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(t, 10) + "." + body))
	return hex.EncodeToString(m.Sum(nil))
}

func stripeDelivery() delivery {
	return delivery{body: []byte(stripeBody), h: header("Stripe-Signature", "t=1614265330,v1="+stripeV1)}
}

func TestStripeVerify(t *testing.T) {
	if got := stripeSig(stripeSecret, stripeT, stripeBody); got != stripeV1 {
		t.Fatalf("vector self-check: %s", got)
	}
	p := mustNew(t, provider.Config{Kind: "stripe", Secrets: []string{stripeSecret}, Now: at(stripeT)})
	other := stripeSig("whsec_other", stripeT, stripeBody)
	set := func(v string) func(d *delivery) { return func(d *delivery) { d.h.Set("Stripe-Signature", v) } }
	runMutations(t, p, stripeDelivery(), []string{stripeSecret, other}, []mutation{
		{name: "vector", want: nil},
		{name: "v0 and unknown keys ignored", edit: set("t=1614265330,v0=" + other + ",v1=" + stripeV1 + ",foo=bar"), want: nil},
		{name: "upper-case hex", edit: set("t=1614265330,v1=3C5817089D739023DD6190F70A3757E04F7A2FD8B5DAB12C2E000F51970DCCFF"), want: nil},
		{name: "spaces after commas", edit: set("t=1614265330, v1=" + stripeV1), want: nil},
		{name: "several v1, only the second matches", edit: set("t=1614265330,v1=" + other + ",v1=" + stripeV1), want: nil},
		{name: "several v1, only the first matches", edit: set("t=1614265330,v1=" + stripeV1 + ",v1=" + other), want: nil},
		{name: "an unparseable v1 beside a good one", edit: set("t=1614265330,v1=zz,v1=" + stripeV1), want: nil},
		{name: "t after v1", edit: set("v1=" + stripeV1 + ",t=1614265330"), want: nil},
		{name: "header missing", edit: func(d *delivery) { d.h.Del("Stripe-Signature") }, want: provider.ErrMissingSignature},
		{name: "header empty", edit: set(""), want: provider.ErrMissingSignature},
		{name: "no t", edit: set("v1=" + stripeV1), want: provider.ErrMalformedSignature},
		{name: "no v1", edit: set("t=1614265330"), want: provider.ErrMalformedSignature},
		{name: "only v0", edit: set("t=1614265330,v0=" + stripeV1), want: provider.ErrMalformedSignature},
		{name: "v1 not hex", edit: set("t=1614265330,v1=xyz"), want: provider.ErrMalformedSignature},
		{name: "v1 too short", edit: set("t=1614265330,v1=" + stripeV1[:62]), want: provider.ErrMalformedSignature},
		{name: "t not a number", edit: set("t=abc,v1=" + stripeV1), want: provider.ErrMalformedSignature},
		{name: "t negative", edit: set("t=-1614265330,v1=" + stripeV1), want: provider.ErrMalformedSignature},
		{name: "t with a plus", edit: set("t=+1614265330,v1=" + stripeV1), want: provider.ErrMalformedSignature},
		{name: "t fractional", edit: set("t=1614265330.0,v1=" + stripeV1), want: provider.ErrMalformedSignature},
		{name: "t empty", edit: set("t=,v1=" + stripeV1), want: provider.ErrMalformedSignature},
		{name: "two t", edit: set("t=1614265330,t=1614265330,v1=" + stripeV1), want: provider.ErrMalformedSignature},
		{name: "item without =", edit: set("t=1614265330,v1" + stripeV1), want: provider.ErrMalformedSignature},
		{name: "semicolons", edit: set("t=1614265330;v1=" + stripeV1), want: provider.ErrMalformedSignature},
		{name: "wrong secret", edit: set("t=1614265330,v1=" + other), want: provider.ErrBadSignature},
		{name: "body changed by one byte", edit: func(d *delivery) { d.body = flipByte(d.body, 10) }, want: provider.ErrBadSignature},
		{name: "t changed", edit: set("t=1614265331,v1=" + stripeV1), want: provider.ErrBadSignature},
		{name: "t with a leading zero", edit: set("t=01614265330,v1=" + stripeV1), want: provider.ErrBadSignature},
		{name: "secret without whsec_", edit: set("t=1614265330,v1=" + stripeSig("test_secret", stripeT, stripeBody)), want: provider.ErrBadSignature},
	})
}

// TestStripeTolerance moves the clock around a genuine delivery signed at
// stripeT: exactly at the tolerance either way passes, one second more
// is ErrStale. A forged signature is ErrBadSignature at any time.
func TestStripeTolerance(t *testing.T) {
	tol := provider.DefaultTolerance
	runToleranceCases(t, "stripe", stripeSecret, stripeBody, func(sig string) http.Header { return header("Stripe-Signature", "t=1614265330,v1="+sig) }, []toleranceCase{
		{"now", 0, time.Unix(stripeT, 0), stripeV1, nil},
		{"old, at the tolerance", 0, time.Unix(stripeT, 0).Add(tol), stripeV1, nil},
		{"old, a second past it", 0, time.Unix(stripeT, 0).Add(tol + time.Second), stripeV1, provider.ErrStale},
		{"old, a nanosecond past it", 0, time.Unix(stripeT, 0).Add(tol + 1), stripeV1, provider.ErrStale},
		{"future, at the tolerance", 0, time.Unix(stripeT, 0).Add(-tol), stripeV1, nil},
		{"future, a second past it", 0, time.Unix(stripeT, 0).Add(-tol - time.Second), stripeV1, provider.ErrStale},
		{"custom tolerance, at it", 10 * time.Second, time.Unix(stripeT+10, 0), stripeV1, nil},
		{"custom tolerance, past it", 10 * time.Second, time.Unix(stripeT+11, 0), stripeV1, provider.ErrStale},
		{"custom tolerance, future past it", 10 * time.Second, time.Unix(stripeT-11, 0), stripeV1, provider.ErrStale},
		{"years old", 0, time.Unix(stripeT, 0).AddDate(30, 0, 0), stripeV1, provider.ErrStale},
		{"stale and forged", 0, time.Unix(stripeT, 0).Add(time.Hour), stripeSig("whsec_other", stripeT, stripeBody), provider.ErrBadSignature},
	})
}

func TestStripeRotation(t *testing.T) {
	old, next := "whsec_old_secret", "whsec_new_secret"
	for _, secrets := range [][]string{{old, next}, {next, old}} {
		p := mustNew(t, provider.Config{Kind: "stripe", Secrets: secrets, Now: at(stripeT)})
		for _, signer := range []string{old, next} {
			h := header("Stripe-Signature", "t=1614265330,v1="+stripeSig(signer, stripeT, stripeBody))
			checkSentinel(t, p.Verify([]byte(stripeBody), h), nil)
		}
		// Stripe rolling its own secret: one v1 per secret, either known.
		h := header("Stripe-Signature", "t=1614265330,v1="+stripeSig("whsec_unknown", stripeT, stripeBody)+",v1="+stripeSig(old, stripeT, stripeBody))
		checkSentinel(t, p.Verify([]byte(stripeBody), h), nil)
	}
}

func TestStripeSign(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "stripe", Secrets: []string{stripeSecret}})
	h := http.Header{}
	if err := p.Sign([]byte(stripeBody), h, time.Unix(stripeT, 0)); err != nil {
		t.Fatal(err)
	}
	if got, want := h.Get("Stripe-Signature"), "t=1614265330,v1="+stripeV1; got != want {
		t.Fatalf("Sign = %q, want %q", got, want)
	}
}

func TestStripeExtract(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "stripe", Secrets: []string{stripeSecret}})
	runExtractCases(t, p, []extractCase{
		{
			name: "connect event",
			body: `{"id":"evt_1NG8Du2eZvKYlo2CUI79vXWy","object":"event","account":"acct_1032D82eZvKYlo2C","api_version":"2019-02-19","created":1686089970,"data":{"object":{"id":"pi_3MtwBwLkdIwHu7ix28a3tqPa","object":"payment_intent"}},"livemode":false,"type":"payment_intent.succeeded"}`,
			want: provider.Event{
				ID: "evt_1NG8Du2eZvKYlo2CUI79vXWy", Type: "payment_intent.succeeded", Source: "acct_1032D82eZvKYlo2C",
				Subject: "pi_3MtwBwLkdIwHu7ix28a3tqPa", Time: time.Unix(1686089970, 0),
			},
		},
		{
			name: "platform event, no object id",
			body: `{"id":"evt_2","type":"balance.available","created":"soon","data":{"object":{"object":"balance"}}}`,
			want: provider.Event{ID: "evt_2", Type: "balance.available"},
		},
		{name: "vector body has no type", body: stripeBody, err: provider.ErrUnusable},
		{name: "no id", body: `{"type":"charge.succeeded"}`, err: provider.ErrUnusable},
		{name: "numeric id", body: `{"id":5,"type":"charge.succeeded"}`, err: provider.ErrUnusable},
		{name: "not JSON", body: `id=evt_1&type=x`, err: provider.ErrUnusable},
		{name: "JSON array", body: `[{"id":"evt_1","type":"x"}]`, err: provider.ErrUnusable},
	})
}
