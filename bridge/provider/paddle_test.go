package provider_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/bridge/provider"
)

// Paddle's public vector: PaddleHQ/paddle-go-sdk webhook_verifier_test.go
// (testSecretKey, testSignature, testPayload; PLATFORMS.md section 6,
// vector 5), checked there against the SDK and here against crypto/hmac.
const (
	paddleSecret = "pdl_ntfset_01hsdn8d43dt7mezr1ef2jtbaw_hKkRiCGyyRhbFwIUuqiTBgI7gnWoV0Gr"
	paddleTS     = 1710929255
	paddleH1     = "6c05ef8fa83c44d751be6d259ec955ce5638e2c54095bf128e408e2fce1589c8"
	paddleBody   = `{"data":{"id":"pri_01hsdn96k2hxjzsq5yerecdj9j","name":null,"status":"active","quantity":{"maximum":999999,"minimum":1},"tax_mode":"account_setting","product_id":"pro_01hsdn8qp7yydry3x1yeg6a9rv","unit_price":{"amount":"1000","currency_code":"USD"},"custom_data":null,"description":"testing","import_meta":null,"trial_period":null,"billing_cycle":{"interval":"month","frequency":1},"unit_price_overrides":[]},"event_id":"evt_01hsdn97563968dy0szkmgjwh3","event_type":"price.created","occurred_at":"2024-03-20T10:07:35.590857Z","notification_id":"ntf_01hsdn977e920kbgzt6r6c9rqc"}`
)

// hmacHex is an independent hex HMAC-SHA256 of the concatenated parts.
func hmacHex(key string, parts ...string) string {
	m := hmac.New(sha256.New, []byte(key))
	for _, p := range parts {
		m.Write([]byte(p))
	}
	return hex.EncodeToString(m.Sum(nil))
}

func paddleSig(secret string, ts int64, body string) string {
	return hmacHex(secret, fmt.Sprint(ts), ":", body)
}

func paddleDelivery() delivery {
	return delivery{body: []byte(paddleBody), h: header("Paddle-Signature", "ts=1710929255;h1="+paddleH1)}
}

func TestPaddleVerify(t *testing.T) {
	if got := paddleSig(paddleSecret, paddleTS, paddleBody); got != paddleH1 {
		t.Fatalf("vector self-check: %s", got)
	}
	p := mustNew(t, provider.Config{Kind: "paddle", Secrets: []string{paddleSecret}, Now: at(paddleTS)})
	other := paddleSig("pdl_ntfset_other", paddleTS, paddleBody)
	set := func(v string) func(d *delivery) { return func(d *delivery) { d.h.Set("Paddle-Signature", v) } }
	_, key, _ := strings.Cut(paddleSecret[len("pdl_ntfset_"):], "_")
	runMutations(t, p, paddleDelivery(), []string{paddleSecret, other}, []mutation{
		{name: "public vector", want: nil},
		{name: "several h1 during rotation, the second matches", edit: set("ts=1710929255;h1=" + other + ";h1=" + paddleH1)},
		{name: "several h1, the first matches", edit: set("ts=1710929255;h1=" + paddleH1 + ";h1=" + other)},
		{name: "unknown keys ignored", edit: set("ts=1710929255;h2=abc;h1=" + paddleH1 + ";x=y")},
		{name: "h1 before ts", edit: set("h1=" + paddleH1 + ";ts=1710929255")},
		{name: "upper-case hex", edit: set("ts=1710929255;h1=" + strings.ToUpper(paddleH1))},
		{name: "an unparseable h1 beside a good one", edit: set("ts=1710929255;h1=zz;h1=" + paddleH1)},
		{name: "header missing", edit: func(d *delivery) { d.h.Del("Paddle-Signature") }, want: provider.ErrMissingSignature},
		{name: "header empty", edit: set(""), want: provider.ErrMissingSignature},
		{name: "Stripe's header name", edit: func(d *delivery) {
			d.h.Del("Paddle-Signature")
			d.h.Set("Stripe-Signature", "ts=1710929255;h1="+paddleH1)
		}, want: provider.ErrMissingSignature},
		{name: "the SDK's own malformed case", edit: set("ts=x;h1=y"), want: provider.ErrMalformedSignature},
		{name: "no ts", edit: set("h1=" + paddleH1), want: provider.ErrMalformedSignature},
		{name: "no h1", edit: set("ts=1710929255"), want: provider.ErrMalformedSignature},
		{name: "two ts", edit: set("ts=1710929255;ts=1710929255;h1=" + paddleH1), want: provider.ErrMalformedSignature},
		{name: "ts in milliseconds", edit: set("ts=1710929255000000000;h1=" + paddleH1), want: provider.ErrMalformedSignature},
		{name: "ts negative", edit: set("ts=-1710929255;h1=" + paddleH1), want: provider.ErrMalformedSignature},
		{name: "h1 too short", edit: set("ts=1710929255;h1=" + paddleH1[:62]), want: provider.ErrMalformedSignature},
		{name: "h1 base64", edit: set("ts=1710929255;h1=bAXvj6g8RNdRvm0lnslVzlY44sVAlb8SjkCOL87hWcg="), want: provider.ErrMalformedSignature},
		{name: "Stripe's commas", edit: set("ts=1710929255,h1=" + paddleH1), want: provider.ErrMalformedSignature},
		{name: "Stripe's keys", edit: set("t=1710929255;v1=" + paddleH1), want: provider.ErrMalformedSignature},
		{name: "item without =", edit: set("ts=1710929255;h1" + paddleH1), want: provider.ErrMalformedSignature},
		{name: "wrong secret", edit: set("ts=1710929255;h1=" + other), want: provider.ErrBadSignature},
		{name: "ts changed", edit: set("ts=1710929256;h1=" + paddleH1), want: provider.ErrBadSignature},
		{name: "ts with a leading zero", edit: set("ts=01710929255;h1=" + paddleH1), want: provider.ErrBadSignature},
		{name: "signed with '.' as Stripe does", edit: set("ts=1710929255;h1=" + hmacHex(paddleSecret, "1710929255.", paddleBody)), want: provider.ErrBadSignature},
		{name: "body alone signed", edit: set("ts=1710929255;h1=" + hmacHex(paddleSecret, paddleBody)), want: provider.ErrBadSignature},
		{name: "key without pdl_ntfset_", edit: set("ts=1710929255;h1=" + paddleSig(paddleSecret[len("pdl_ntfset_"):], paddleTS, paddleBody)), want: provider.ErrBadSignature},
		{name: "key: only the part after the id", edit: set("ts=1710929255;h1=" + paddleSig(key, paddleTS, paddleBody)), want: provider.ErrBadSignature},
		{name: "body with a trailing newline", edit: func(d *delivery) { d.body = append(d.body, '\n') }, want: provider.ErrBadSignature},
	})
	checkEverySignedByte(t, p, paddleDelivery(), "Paddle-Signature", len("ts="), len("1710929255"))
}

// checkEverySignedByte changes each byte of the body, and each digit of
// the timestamp written at ts[from:from+n] of the signature header, one
// at a time: every change is ErrBadSignature (the MAC is checked before
// the time, so a changed timestamp is never ErrStale).
func checkEverySignedByte(t *testing.T, p *provider.Provider, valid delivery, name string, from, n int) {
	t.Helper()
	for i := range valid.body {
		d := valid.clone()
		d.body = flipByte(d.body, i)
		if err := p.Verify(d.body, d.h); !isOnly(err, provider.ErrBadSignature) {
			t.Fatalf("body byte %d changed: err = %v, want ErrBadSignature", i, err)
		}
	}
	v := valid.h.Get(name)
	for i := from; i < from+n; i++ {
		d := valid.clone()
		digit := byte('0' + (v[i]-'0'+1)%10)
		d.h.Set(name, v[:i]+string(digit)+v[i+1:])
		if err := p.Verify(d.body, d.h); !isOnly(err, provider.ErrBadSignature) {
			t.Fatalf("timestamp digit %d changed: err = %v, want ErrBadSignature", i-from, err)
		}
	}
}

// isOnly reports whether err wraps want and no other sentinel.
func isOnly(err, want error) bool {
	return err != nil && countSentinels(err) == 1 && errors.Is(err, want)
}

// TestPaddleTolerance: the configured tolerance (DefaultTolerance when
// zero, not the SDKs' 5 seconds) bounds the signed ts either way; a
// forged signature is ErrBadSignature at any time.
func TestPaddleTolerance(t *testing.T) {
	tol := provider.DefaultTolerance
	signed := time.Unix(paddleTS, 0)
	runToleranceCases(t, "paddle", paddleSecret, paddleBody, func(sig string) http.Header { return header("Paddle-Signature", "ts=1710929255;h1="+sig) }, []toleranceCase{
		{"now", 0, signed, paddleH1, nil},
		{"more than the SDKs' 5 s", 0, signed.Add(6 * time.Second), paddleH1, nil},
		{"old, at the tolerance", 0, signed.Add(tol), paddleH1, nil},
		{"old, a second past it", 0, signed.Add(tol + time.Second), paddleH1, provider.ErrStale},
		{"future, a second past it", 0, signed.Add(-tol - time.Second), paddleH1, provider.ErrStale},
		{"the SDKs' 5 s configured, at it", 5 * time.Second, signed.Add(5 * time.Second), paddleH1, nil},
		{"the SDKs' 5 s configured, past it", 5 * time.Second, signed.Add(6 * time.Second), paddleH1, provider.ErrStale},
		{"stale and forged", 0, signed.Add(time.Hour), paddleSig("pdl_ntfset_other", paddleTS, paddleBody), provider.ErrBadSignature},
	})
}

func TestPaddleSign(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "paddle", Secrets: []string{paddleSecret}})
	h := http.Header{}
	if err := p.Sign([]byte(paddleBody), h, time.Unix(paddleTS, 0)); err != nil {
		t.Fatal(err)
	}
	if got, want := h.Get("Paddle-Signature"), "ts=1710929255;h1="+paddleH1; got != want {
		t.Fatalf("Sign = %q, want %q", got, want)
	}
}

func TestPaddleExtract(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "paddle", Secrets: []string{paddleSecret}})
	runExtractCases(t, p, []extractCase{
		{
			name: "public vector",
			body: paddleBody,
			want: provider.Event{
				ID: "evt_01hsdn97563968dy0szkmgjwh3", Type: "price.created", Subject: "pri_01hsdn96k2hxjzsq5yerecdj9j",
				Time: time.Date(2024, 3, 20, 10, 7, 35, 590857000, time.UTC),
			},
		},
		{
			name: "no data id, time unparseable",
			body: `{"event_id":"evt_1","event_type":"report.created","occurred_at":"yesterday","data":{}}`,
			want: provider.Event{ID: "evt_1", Type: "report.created"},
		},
		{name: "no event_id", body: `{"event_type":"price.created","notification_id":"ntf_1"}`, err: provider.ErrUnusable},
		{name: "no event_type", body: `{"event_id":"evt_1"}`, err: provider.ErrUnusable},
		{name: "numeric event_id", body: `{"event_id":1,"event_type":"price.created"}`, err: provider.ErrUnusable},
		{name: "event_id repeated", body: `{"event_id":"evt_1","event_id":"evt_2","event_type":"price.created"}`, err: provider.ErrUnusable},
		{name: "Event_Type in another case too", body: `{"event_id":"evt_1","event_type":"a","Event_Type":"b"}`, err: provider.ErrUnusable},
		{name: "not JSON", body: `event_id=evt_1`, err: provider.ErrUnusable},
	})
}
