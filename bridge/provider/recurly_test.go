package provider_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/bridge/provider"
)

// Recurly publishes no fixed vector: recurly-client-go webhook_test.go
// signs its body at run time. This one is computed from the published
// algorithm (PLATFORMS.md section 8, row 12) with that test's secret and
// body, copied byte for byte, at a fixed timestamp.
const (
	recurlySecret = "354fab5bd35f5a0d50845ee7e30165244468b13c2c343f104e4e730a59326d9d"
	recurlyTS     = "1663103920000" // milliseconds
	recurlySig    = "c847d37e18f2c23fcc97cb0b6704455169b732f7d81d145574d92786730f019b"
	recurlyBody   = `{"id":"rjxwmwedwqug","object_type":"account","site_id":"qc326l1hl8k9","event_type":"created","event_time":"2022-09-13T21:18:40Z","account_code":"adfas23zzz14123"}`
	// recurlyOther is the second secret of that file's rotation test.
	recurlyOther = "ade46dda4474b0ae57dec22d35b9cd526b260d235f7e200c1d93f156000fe396"
)

// recurlyAt is the clock at recurlyTS.
var recurlyAt = at(1663103920)

func recurlyDelivery() delivery {
	return delivery{body: []byte(recurlyBody), h: header("recurly-signature", recurlyTS+","+recurlySig)}
}

func TestRecurlyVerify(t *testing.T) {
	if got := hmacHex(recurlySecret, recurlyTS, ".", recurlyBody); got != recurlySig {
		t.Fatalf("vector self-check: %s", got)
	}
	p := mustNew(t, provider.Config{Kind: "recurly", Secrets: []string{recurlySecret}, Now: recurlyAt})
	other := hmacHex(recurlyOther, recurlyTS, ".", recurlyBody)
	set := func(v string) func(d *delivery) { return func(d *delivery) { d.h.Set("recurly-signature", v) } }
	decodedKey := string(mustHex(t, recurlySecret))
	runMutations(t, p, recurlyDelivery(), []string{recurlySecret, recurlyOther, other}, []mutation{
		{name: "vector", want: nil},
		{name: "rotation: the second signature matches", edit: set(recurlyTS + "," + other + "," + recurlySig)},
		{name: "rotation: the first signature matches", edit: set(recurlyTS + "," + recurlySig + "," + other)},
		{name: "upper-case hex", edit: set(recurlyTS + "," + strings.ToUpper(recurlySig))},
		{name: "an unparseable signature beside a good one", edit: set(recurlyTS + ",zz," + recurlySig)},
		{name: "header missing", edit: func(d *delivery) { d.h.Del("recurly-signature") }, want: provider.ErrMissingSignature},
		{name: "header empty", edit: set(""), want: provider.ErrMissingSignature},
		{name: "timestamp alone", edit: set(recurlyTS), want: provider.ErrMalformedSignature},
		{name: "no comma", edit: set(recurlyTS + recurlySig), want: provider.ErrMalformedSignature},
		{name: "no signature after the comma", edit: set(recurlyTS + ","), want: provider.ErrMalformedSignature},
		{name: "signature too short", edit: set(recurlyTS + "," + recurlySig[:62]), want: provider.ErrMalformedSignature},
		{name: "timestamp not a number", edit: set(recurlyTS + "a," + recurlySig), want: provider.ErrMalformedSignature},
		{name: "timestamp empty", edit: set("," + recurlySig), want: provider.ErrMalformedSignature},
		{name: "timestamp negative", edit: set("-" + recurlyTS + "," + recurlySig), want: provider.ErrMalformedSignature},
		{name: "space after the comma", edit: set(recurlyTS + ", " + recurlySig), want: provider.ErrMalformedSignature},
		{name: "Stripe's form", edit: set("t=" + recurlyTS + ",v1=" + recurlySig), want: provider.ErrMalformedSignature},
		{name: "wrong secret", edit: set(recurlyTS + "," + other), want: provider.ErrBadSignature},
		{name: "timestamp changed by a millisecond", edit: set("1663103920001," + recurlySig), want: provider.ErrBadSignature},
		{name: "timestamp in seconds, same MAC", edit: set("1663103920," + recurlySig), want: provider.ErrBadSignature},
		{name: "key hex-decoded", edit: set(recurlyTS + "," + hmacHex(decodedKey, recurlyTS, ".", recurlyBody)), want: provider.ErrBadSignature},
		{name: "key in upper case", edit: set(recurlyTS + "," + hmacHex(strings.ToUpper(recurlySecret), recurlyTS, ".", recurlyBody)), want: provider.ErrBadSignature},
		{name: "signed with ':' as Paddle does", edit: set(recurlyTS + "," + hmacHex(recurlySecret, recurlyTS, ":", recurlyBody)), want: provider.ErrBadSignature},
		{name: "body with a trailing newline", edit: func(d *delivery) { d.body = append(d.body, '\n') }, want: provider.ErrBadSignature},
	})
	checkEverySignedByte(t, p, recurlyDelivery(), "recurly-signature", 0, len(recurlyTS))
}

// TestRecurlyTolerance: the timestamp is in milliseconds; the tolerance
// (recurly-client-go's 5 minutes by default) bounds it either way.
func TestRecurlyTolerance(t *testing.T) {
	tol := provider.DefaultTolerance
	signed := time.UnixMilli(1663103920000)
	runToleranceCases(t, "recurly", recurlySecret, recurlyBody, func(sig string) http.Header { return header("recurly-signature", recurlyTS+","+sig) }, []toleranceCase{
		{"now", 0, signed, recurlySig, nil},
		{"old, at the tolerance", 0, signed.Add(tol), recurlySig, nil},
		{"old, a millisecond past it", 0, signed.Add(tol + time.Millisecond), recurlySig, provider.ErrStale},
		{"future, at the tolerance", 0, signed.Add(-tol), recurlySig, nil},
		{"future, a millisecond past it", 0, signed.Add(-tol - time.Millisecond), recurlySig, provider.ErrStale},
		{"ten minutes old, as in recurly-client-go's test", 0, signed.Add(10 * time.Minute), recurlySig, provider.ErrStale},
		{"stale and forged", 0, signed.Add(time.Hour), hmacHex(recurlyOther, recurlyTS, ".", recurlyBody), provider.ErrBadSignature},
	})
}

func TestRecurlySign(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "recurly", Secrets: []string{recurlySecret}})
	h := http.Header{}
	if err := p.Sign([]byte(recurlyBody), h, time.UnixMilli(1663103920000)); err != nil {
		t.Fatal(err)
	}
	if got, want := h.Get("recurly-signature"), recurlyTS+","+recurlySig; got != want {
		t.Fatalf("Sign = %q, want %q", got, want)
	}
}

func TestRecurlyExtract(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "recurly", Secrets: []string{recurlySecret}})
	// The docs' "new" and "renewed" notifications of one external
	// subscription carry the same id: two events, two ids.
	externalSubscription := func(event string) extractCase {
		body := `{"id":"s0lo0hdfmauc","object_type":"external_subscription","site_id":"qpem7fkwr763","event_type":"` + event + `","event_time":"2022-12-06T22:19:15Z"}`
		return extractCase{name: "external subscription " + event, body: body, want: provider.Event{
			ID: "s0lo0hdfmauc-" + digest32(body), Type: "external_subscription." + event, Source: "qpem7fkwr763",
			Subject: "s0lo0hdfmauc", Time: time.Date(2022, 12, 6, 22, 19, 15, 0, time.UTC),
		}}
	}
	created, renewed := externalSubscription("created"), externalSubscription("renewed")
	if created.want.ID == renewed.want.ID {
		t.Fatal("created and renewed have one id")
	}
	runExtractCases(t, p, []extractCase{
		{
			name: "vector",
			body: recurlyBody,
			want: provider.Event{
				ID: "rjxwmwedwqug-" + digest32(recurlyBody), Type: "account.created", Source: "qc326l1hl8k9",
				Subject: "rjxwmwedwqug", Time: time.Date(2022, 9, 13, 21, 18, 40, 0, time.UTC),
			},
		},
		created,
		renewed,
		{
			name: "no site, no time",
			body: `{"id":"a1","object_type":"charge_invoice","event_type":"paid"}`,
			want: provider.Event{ID: "a1-" + digest32(`{"id":"a1","object_type":"charge_invoice","event_type":"paid"}`), Type: "charge_invoice.paid", Subject: "a1"},
		},
		{name: "no id", body: `{"object_type":"account","event_type":"created"}`, err: provider.ErrUnusable},
		{name: "no object_type", body: `{"id":"a1","event_type":"created"}`, err: provider.ErrUnusable},
		{name: "no event_type", body: `{"id":"a1","object_type":"account"}`, err: provider.ErrUnusable},
		{name: "id repeated", body: `{"id":"a1","id":"a2","object_type":"account","event_type":"created"}`, err: provider.ErrUnusable},
		{name: "ID in another case too", body: `{"id":"a1","ID":"a2","object_type":"account","event_type":"created"}`, err: provider.ErrUnusable},
		{name: "XML notification", body: `<?xml version="1.0"?><new_account_notification/>`, err: provider.ErrUnusable},
	})
}

// digest32 is the first 32 hex digits of sha256(s), computed here
// independently of the provider.
func digest32(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:32]
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
