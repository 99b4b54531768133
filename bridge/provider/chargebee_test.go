package provider_test

import (
	"encoding/base64"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/bridge/provider"
)

// Chargebee signs nothing; a delivery carries the endpoint's Basic auth.
// No vector exists to copy: cbAuth is RFC 7617's encoding of cbCreds,
// computed here.
const (
	cbCreds = "cb_user:cb_pass"
	cbAuth  = "Basic Y2JfdXNlcjpjYl9wYXNz" // base64("cb_user:cb_pass")
	// A subscription_created event as Chargebee documents its Event object
	// (id, occurred_at, source, object, api_version, event_type, content).
	cbBody = `{"id":"ev_16BHbhF4s42tO2lK","occurred_at":1704067200,"source":"admin_console","object":"event","api_version":"v2","event_type":"subscription_created","content":{"subscription":{"id":"16BHbhF4s42tO2lJ","customer_id":"16BHbhF4s42tO2lI","status":"active"},"customer":{"id":"16BHbhF4s42tO2lI"}}}`
)

func basic(creds string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(creds)) }

func TestChargebeeVerify(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "chargebee", Secrets: []string{cbCreds}})
	set := func(v string) func(d *delivery) { return func(d *delivery) { d.h.Set("Authorization", v) } }
	valid := delivery{body: []byte(cbBody), h: header("Authorization", cbAuth)}
	runMutations(t, p, valid, []string{cbCreds, "cb_pass", cbAuth[6:]}, []mutation{
		{name: "credentials", want: nil},
		{name: "scheme in lower case", edit: set("basic " + cbAuth[6:]), want: nil},
		{name: "body changed: not signed", edit: func(d *delivery) { d.body = flipByte(d.body, 3) }, want: nil},
		{name: "wrong password", edit: set(basic("cb_user:cb_pasS")), want: provider.ErrBadSignature},
		{name: "wrong username", edit: set(basic("cb_usex:cb_pass")), want: provider.ErrBadSignature},
		{name: "both wrong", edit: set(basic("x:y")), want: provider.ErrBadSignature},
		{name: "password with a suffix", edit: set(basic(cbCreds + "x")), want: provider.ErrBadSignature},
		{name: "password only a prefix", edit: set(basic("cb_user:cb_pas")), want: provider.ErrBadSignature},
		{name: "empty password", edit: set(basic("cb_user:")), want: provider.ErrBadSignature},
		{name: "colon moved", edit: set(basic("cb_user:cb:pass")), want: provider.ErrBadSignature},
		{name: "no colon", edit: set(basic("cb_usercb_pass")), want: provider.ErrMalformedSignature},
		{name: "not base64", edit: set("Basic !!!"), want: provider.ErrMalformedSignature},
		{name: "unpadded base64", edit: set(basic("cb_user:cb_pass1")[:len(basic("cb_user:cb_pass1"))-1]), want: provider.ErrMalformedSignature},
		{name: "two spaces", edit: set("Basic  " + cbAuth[6:]), want: provider.ErrMalformedSignature},
		{name: "Bearer scheme", edit: set("Bearer " + cbAuth[6:]), want: provider.ErrMalformedSignature},
		{name: "credentials not encoded", edit: set("Basic " + cbCreds), want: provider.ErrMalformedSignature},
		{name: "scheme only", edit: set("Basic"), want: provider.ErrMalformedSignature},
		{name: "header missing", edit: func(d *delivery) { d.h.Del("Authorization") }, want: provider.ErrMissingSignature},
		{name: "header empty", edit: set(""), want: provider.ErrMissingSignature},
	})
}

func TestChargebeeRotationAndSign(t *testing.T) {
	for _, secrets := range [][]string{{"old_user:old_pass", cbCreds}, {cbCreds, "old_user:old_pass"}} {
		p := mustNew(t, provider.Config{Kind: "chargebee", Secrets: secrets})
		for _, creds := range []string{cbCreds, "old_user:old_pass"} {
			checkSentinel(t, p.Verify(nil, header("Authorization", basic(creds))), nil)
		}
		checkSentinel(t, p.Verify(nil, header("Authorization", basic("old_user:cb_pass"))), provider.ErrBadSignature)
	}
	h := header()
	if err := mustNew(t, provider.Config{Kind: "chargebee", Secrets: []string{cbCreds, "old_user:old_pass"}}).Sign(nil, h, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if h.Get("Authorization") != cbAuth {
		t.Fatalf("Sign set Authorization %q, want %q", h.Get("Authorization"), cbAuth)
	}
}

func TestChargebeeSecretForm(t *testing.T) {
	for _, s := range []string{"no-colon-secret", ":password-only", "username-only:"} {
		_, err := provider.New(provider.Config{Kind: "chargebee", Secrets: []string{cbCreds, s}})
		if want := "secrets[1]: want username:password (Chargebee's Basic auth), both non-empty"; err == nil || err.Error() != want {
			t.Errorf("New(%q) = %v, want %q", s, err, want)
		}
		checkNoLeak(t, err, s)
	}
}

func TestChargebeeExtract(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "chargebee", Secrets: []string{cbCreds}})
	for _, c := range []struct {
		name string
		body string
		want provider.Event
		err  error
	}{
		{"subscription created", cbBody, provider.Event{ID: "ev_16BHbhF4s42tO2lK", Type: "subscription_created", Subject: "16BHbhF4s42tO2lJ", Time: time.Unix(1704067200, 0)}, nil},
		{"credit note: two-word entity", `{"id":"ev_2","event_type":"credit_note_created","occurred_at":1704067200,"content":{"credit_note":{"id":"CN-1"},"customer":{"id":"c1"}}}`,
			provider.Event{ID: "ev_2", Type: "credit_note_created", Subject: "CN-1", Time: time.Unix(1704067200, 0)}, nil},
		{"payment: the transaction", `{"id":"ev_3","event_type":"payment_succeeded","content":{"transaction":{"id":"txn_1"},"invoice":{"id":"inv_1"}}}`,
			provider.Event{ID: "ev_3", Type: "payment_succeeded", Subject: "txn_1"}, nil},
		{"payment source: the longest prefix", `{"id":"ev_4","event_type":"payment_source_added","content":{"payment_source":{"id":"pm_1"},"transaction":{"id":"txn_2"}}}`,
			provider.Event{ID: "ev_4", Type: "payment_source_added", Subject: "pm_1"}, nil},
		{"no entity named by the type", `{"id":"ev_5","event_type":"plan_created","content":{"item":{"id":"i"}}}`, provider.Event{ID: "ev_5", Type: "plan_created"}, nil},
		{"no id", `{"event_type":"subscription_created"}`, provider.Event{}, provider.ErrUnusable},
		{"no event_type", `{"id":"ev_6"}`, provider.Event{}, provider.ErrUnusable},
		{"id twice", `{"id":"ev_7","id":"ev_8","event_type":"x_y"}`, provider.Event{}, provider.ErrUnusable},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := p.Extract([]byte(c.body), header())
			checkSentinel(t, err, c.err)
			if !eventEqual(got, c.want) {
				t.Fatalf("Extract = %+v, want %+v", got, c.want)
			}
		})
	}
}
