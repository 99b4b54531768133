package provider_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/bridge/provider"
)

// Adyen's public vector: Adyen/adyen-go-api-library
// src/hmacvalidator/hmacvalidator_test.go (PLATFORMS.md section 8, row 3):
// that NotificationRequestItem signs
// "pspReference:originalReference:merchantAccount:reference:1000:EUR:EVENT:true".
// The body around it is ours, shaped as Adyen's standard notifications.
const (
	adyenKey  = "DFB1EB5485895CFA84146406857104ABB4CBCABDC8AAF103A624C8F6A3EAAB00"
	adyenSig  = "ipnxGCaUZ4l8TUW75a71/ghd2Fe5ffvX0pV4TLTntIc="
	adyenItem = `{"NotificationRequestItem":{"additionalData":{"hmacSignature":"` + adyenSig + `"},"amount":{"currency":"EUR","value":1000},"eventCode":"EVENT","eventDate":"1970-01-01T00:00:00Z","merchantAccountCode":"merchantAccount","merchantReference":"reference","originalReference":"originalReference","paymentMethod":"VISA","pspReference":"pspReference","reason":"reason","success":"true"}}`
	adyenBody = `{"live":"false","notificationItems":[` + adyenItem + `]}`
)

// adyenEscaped is an item whose merchantReference holds ':' and '\'
// (TEST-1:2\3), signed over "8815::merchantAccount:TEST-1\:2\\3:1000:EUR:
// AUTHORISATION:true" with adyenKey: a vector computed from the published
// algorithm, not one Adyen publishes. It also has no originalReference.
const adyenEscaped = `{"NotificationRequestItem":{"additionalData":{"hmacSignature":"btPPIKYfUKvpJDaR1d0yMIlESG2fyLMyXZpkaVX0EEo="},"amount":{"currency":"EUR","value":1000},"eventCode":"AUTHORISATION","eventDate":"2026-11-27T12:00:00+01:00","merchantAccountCode":"merchantAccount","merchantReference":"TEST-1:2\\3","pspReference":"8815","success":"true"}}`

func adyenBatch(items ...string) []byte {
	return []byte(`{"live":"false","notificationItems":[` + strings.Join(items, ",") + `]}`)
}

func TestAdyenVerify(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "adyen", Secrets: []string{adyenKey}})
	field := func(from, to string) func(d *delivery) {
		return func(d *delivery) { d.body = []byte(strings.Replace(string(d.body), from, to, 1)) }
	}
	// The same fields joined without escaping: what the escaping refuses.
	unescaped := strings.Replace(adyenEscaped, "btPPIKYfUKvpJDaR1d0yMIlESG2fyLMyXZpkaVX0EEo=", "IrOPhPBTleX6+NJjtzQg4m1WpSpyhzd3lgk6pCJQcdA=", 1)
	runMutations(t, p, delivery{body: []byte(adyenBody), h: http.Header{}}, []string{adyenKey}, []mutation{
		{name: "public vector", want: nil},
		{name: "escaped fields", edit: func(d *delivery) { d.body = adyenBatch(adyenEscaped) }},
		{name: "two items", edit: func(d *delivery) { d.body = adyenBatch(adyenItem, adyenEscaped) }},
		{name: "unsigned fields changed", edit: field(`"reason":"reason"`, `"reason":"other"`)},
		{name: "lower-case key", edit: func(d *delivery) {}},
		{name: "pspReference", edit: field(`"pspReference":"pspReference"`, `"pspReference":"pspReferencf"`), want: provider.ErrBadSignature},
		{name: "originalReference", edit: field(`"originalReference":"originalReference"`, `"originalReference":""`), want: provider.ErrBadSignature},
		{name: "merchantAccountCode", edit: field(`"merchantAccount"`, `"merchantAccounu"`), want: provider.ErrBadSignature},
		{name: "merchantReference", edit: field(`"reference"`, `"reference:"`), want: provider.ErrBadSignature},
		{name: "value", edit: field(`"value":1000`, `"value":1001`), want: provider.ErrBadSignature},
		{name: "value written otherwise", edit: field(`"value":1000`, `"value":1e3`), want: provider.ErrBadSignature},
		{name: "currency", edit: field(`"EUR"`, `"EUS"`), want: provider.ErrBadSignature},
		{name: "eventCode", edit: field(`"EVENT"`, `"EVENU"`), want: provider.ErrBadSignature},
		{name: "success", edit: field(`"success":"true"`, `"success":"false"`), want: provider.ErrBadSignature},
		{name: "amount missing", edit: field(`"amount":{"currency":"EUR","value":1000},`, ``), want: provider.ErrBadSignature},
		{name: "fields joined unescaped", edit: func(d *delivery) { d.body = adyenBatch(unescaped) }, want: provider.ErrBadSignature},
		{name: "second item forged", edit: func(d *delivery) {
			d.body = adyenBatch(adyenItem, strings.Replace(adyenItem, `"value":1000`, `"value":9000`, 1))
		}, want: provider.ErrBadSignature},
		{name: "second item unsigned", edit: func(d *delivery) {
			d.body = adyenBatch(adyenItem, strings.Replace(adyenItem, `"hmacSignature":"`+adyenSig+`"`, `"x":""`, 1))
		}, want: provider.ErrMissingSignature},
		{name: "signature missing", edit: field(`"hmacSignature":"`+adyenSig+`"`, `"x":""`), want: provider.ErrMissingSignature},
		{name: "signature empty", edit: field(adyenSig, ``), want: provider.ErrMissingSignature},
		{name: "no additionalData", edit: field(`"additionalData":{"hmacSignature":"`+adyenSig+`"},`, ``), want: provider.ErrMissingSignature},
		{name: "signature not base64", edit: field(adyenSig, adyenSig[:43]+"!"), want: provider.ErrMalformedSignature},
		{name: "signature hex", edit: field(adyenSig, "8a99f118269467897c4d45bbe5aef5fe085dd857b97dfbd7d295784cb4e7b487"), want: provider.ErrMalformedSignature},
		{name: "pspReference repeated", edit: field(`"pspReference":"pspReference"`, `"pspReference":"pspReference","pspReference":"x"`), want: provider.ErrMalformedSignature},
		{name: "eventCode in another case too", edit: field(`"eventCode":"EVENT"`, `"eventCode":"EVENT","EventCode":"X"`), want: provider.ErrMalformedSignature},
		{name: "no items", edit: func(d *delivery) { d.body = adyenBatch() }, want: provider.ErrMissingSignature},
		{name: "item not wrapped", edit: func(d *delivery) { d.body = adyenBatch(`{"pspReference":"x"}`) }, want: provider.ErrMissingSignature},
		{name: "notificationItems repeated", edit: func(d *delivery) {
			d.body = []byte(`{"notificationItems":[],"notificationItems":[` + adyenItem + `]}`)
		}, want: provider.ErrMissingSignature},
		{name: "not JSON", edit: func(d *delivery) { d.body = []byte("[accepted]") }, want: provider.ErrMissingSignature},
	})
}

func TestAdyenKeys(t *testing.T) {
	body := []byte(adyenBody)
	for _, c := range []struct {
		name    string
		secrets []string
		want    error
	}{
		{"lower-case hex", []string{strings.ToLower(adyenKey)}, nil},
		{"rotation, new first", []string{"00112233", adyenKey}, nil},
		{"another key", []string{"00112233"}, provider.ErrBadSignature},
	} {
		t.Run(c.name, func(t *testing.T) {
			checkSentinel(t, mustNew(t, provider.Config{Kind: "adyen", Secrets: c.secrets}).Verify(body, http.Header{}), c.want)
		})
	}
	// The key is the hex string's bytes decoded, not the string itself.
	if _, err := provider.New(provider.Config{Kind: "adyen", Secrets: []string{"whsec_not-hex"}}); err == nil ||
		!strings.HasPrefix(err.Error(), "secrets[0]: not an Adyen HMAC key") || strings.Contains(err.Error(), "not-hex") {
		t.Fatalf("New with a key that is not hex = %v", err)
	}
}

func TestAdyenExtractAll(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "adyen", Secrets: []string{adyenKey}})
	es, err := p.ExtractAll(adyenBatch(adyenItem, adyenEscaped), http.Header{})
	if err != nil {
		t.Fatal(err)
	}
	inner := func(item string) []byte {
		return []byte(strings.TrimSuffix(strings.TrimPrefix(item, `{"NotificationRequestItem":`), `}`))
	}
	want := []provider.Event{
		{ID: "pspReference:EVENT", Type: "EVENT", Source: "merchantAccount", Subject: "pspReference", Time: time.Unix(0, 0),
			Data: inner(adyenItem), DataContentType: "application/json"},
		{ID: "8815:AUTHORISATION", Type: "AUTHORISATION", Source: "merchantAccount", Subject: "8815", Time: time.Date(2026, 11, 27, 11, 0, 0, 0, time.UTC),
			Data: inner(adyenEscaped), DataContentType: "application/json"},
	}
	if len(es) != len(want) {
		t.Fatalf("ExtractAll = %d events, want %d", len(es), len(want))
	}
	for i := range want {
		if !eventEqual(es[i], want[i]) {
			t.Errorf("event %d = %+v, want %+v", i, es[i], want[i])
		}
	}
	first, err := p.Extract(adyenBatch(adyenItem, adyenEscaped), http.Header{})
	if err != nil || !eventEqual(first, want[0]) {
		t.Errorf("Extract = %+v, %v; want the first item's event", first, err)
	}
	if p.Accepted() != "[accepted]" {
		t.Errorf("Accepted = %q", p.Accepted())
	}
	for name, body := range map[string][]byte{
		"no pspReference":         adyenBatch(strings.Replace(adyenItem, `"pspReference":"pspReference",`, ``, 1)),
		"second has no eventCode": adyenBatch(adyenItem, strings.Replace(adyenEscaped, `"eventCode":"AUTHORISATION",`, ``, 1)),
		"eventDate repeated":      adyenBatch(strings.Replace(adyenItem, `"eventDate":`, `"eventDate":"x","eventDate":`, 1)),
		"no items":                adyenBatch(),
		"not JSON":                []byte("x"),
	} {
		_, err := p.ExtractAll(body, http.Header{})
		if countSentinels(err) != 1 {
			t.Errorf("%s: ExtractAll error %v, want ErrUnusable only", name, err)
		}
		checkSentinel(t, err, provider.ErrUnusable)
	}
}

// TestAdyenSignBody: SignBody writes each item's signature, as Adyen's
// vector has it, and keeps every other field.
func TestAdyenSignBody(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "adyen", Secrets: []string{adyenKey}})
	unsigned := strings.Replace(adyenItem, `"hmacSignature":"`+adyenSig+`"`, `"hmacSignature":"stale"`, 1)
	body, err := p.SignBody(adyenBatch(unsigned, strings.Replace(adyenEscaped, `"additionalData":{"hmacSignature":"btPPIKYfUKvpJDaR1d0yMIlESG2fyLMyXZpkaVX0EEo="},`, ``, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), adyenSig) || !strings.Contains(string(body), "btPPIKYfUKvpJDaR1d0yMIlESG2fyLMyXZpkaVX0EEo=") {
		t.Fatalf("SignBody = %s, want the vectors' signatures", body)
	}
	checkSentinel(t, p.Verify(body, http.Header{}), nil)
	for _, bad := range []string{`[]`, `{"notificationItems":[{"x":1}]}`, `not json`} {
		if _, err := p.SignBody([]byte(bad)); err == nil {
			t.Errorf("SignBody(%s) = nil error", bad)
		}
	}
}

// TestAdyenID: the default id is pspReference:eventCode as it always was;
// adyen_id names other fields, and escaping keeps different items apart.
func TestAdyenID(t *testing.T) {
	ids := func(cfg provider.Config, items ...string) []string {
		t.Helper()
		cfg.Kind, cfg.Secrets = "adyen", []string{adyenKey}
		es, err := mustNew(t, cfg).ExtractAll(adyenBatch(items...), http.Header{})
		if err != nil {
			t.Fatal(err)
		}
		out := make([]string, len(es))
		for i, e := range es {
			out[i] = e.ID
		}
		return out
	}
	failed := strings.Replace(adyenItem, `"success":"true"`, `"success":"false"`, 1)
	colon := func(psp, code string) string {
		return strings.Replace(strings.Replace(adyenItem, `"pspReference":"pspReference"`, `"pspReference":"`+psp+`"`, 1),
			`"eventCode":"EVENT"`, `"eventCode":"`+code+`"`, 1)
	}
	withSuccess := provider.Config{AdyenID: []string{"pspReference", "eventCode", "success"}}
	for _, c := range []struct {
		name string
		got  []string
		want []string
	}{
		{"default", ids(provider.Config{}, adyenItem, failed), []string{"pspReference:EVENT", "pspReference:EVENT"}},
		{"default written out", ids(provider.Config{AdyenID: []string{"pspReference", "eventCode"}}, adyenItem), []string{"pspReference:EVENT"}},
		{"with success", ids(withSuccess, adyenItem, failed), []string{"pspReference:EVENT:true", "pspReference:EVENT:false"}},
		{"other order", ids(provider.Config{AdyenID: []string{"eventCode", "pspReference"}}, adyenItem), []string{"EVENT:pspReference"}},
		{"escaped", ids(provider.Config{AdyenID: []string{"pspReference", "merchantReference"}}, adyenEscaped), []string{`8815:TEST-1\:2\\3`}},
		{"colon kept apart", ids(provider.Config{}, colon("a:b", "c"), colon("a", "b:c")), []string{`a\:b:c`, `a:b\:c`}},
		{"empty field kept", ids(provider.Config{AdyenID: []string{"pspReference", "originalReference"}}, adyenEscaped), []string{"8815:"}},
	} {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("%s: ids %q, want %q", c.name, c.got, c.want)
		}
	}

	// The id's fields change nothing in verification.
	p := mustNew(t, provider.Config{Kind: "adyen", Secrets: []string{adyenKey}, AdyenID: withSuccess.AdyenID})
	runMutations(t, p, delivery{body: []byte(adyenBody), h: http.Header{}}, []string{adyenKey}, []mutation{
		{name: "public vector", want: nil},
		{name: "success", edit: func(d *delivery) { d.body = adyenBatch(failed) }, want: provider.ErrBadSignature},
	})
}

func TestAdyenIDConfig(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  provider.Config
		want string
	}{
		{"empty", provider.Config{Kind: "adyen", AdyenID: []string{}}, "adyen_id: empty"},
		{"unknown", provider.Config{Kind: "adyen", AdyenID: []string{"pspReference", "eventDate"}}, `adyen_id[1]: "eventDate" is unknown (want one of pspReference, `},
		{"wrong case", provider.Config{Kind: "adyen", AdyenID: []string{"pspreference"}}, `adyen_id[0]: "pspreference" is unknown`},
		{"twice", provider.Config{Kind: "adyen", AdyenID: []string{"pspReference", "eventCode", "eventCode"}}, "adyen_id[2]: eventCode is listed twice"},
		{"no pspReference", provider.Config{Kind: "adyen", AdyenID: []string{"eventCode"}}, "adyen_id: must include pspReference"},
		{"other kind", provider.Config{Kind: "stripe", AdyenID: []string{"pspReference"}}, "adyen_id: only for adyen"},
		{"other kind, empty list", provider.Config{Kind: "mollie", AdyenID: []string{}}, "adyen_id: only for adyen"},
	} {
		c.cfg.Secrets = []string{adyenKey}
		if _, err := provider.New(c.cfg); err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: New = %v, want an error starting %q", c.name, err, c.want)
		}
	}
}
