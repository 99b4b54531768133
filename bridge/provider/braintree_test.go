package provider_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/bridge/provider"
)

// Braintree's public vector: braintree/braintree_node
// test/unit/braintree/webhook_notification_gateway_spec.js (PLATFORMS.md
// section 8, row 8): with the key pair below, the challenge
// 20f9f8ed05f77439fe955c977e4c8a53 is answered
// "integration_public_key|d9b899556c966b3f06945ec21311865d35df3ce4".
const (
	btSecret    = "integration_public_key:integration_private_key"
	btChallenge = "20f9f8ed05f77439fe955c977e4c8a53"
	btAnswer    = "integration_public_key|d9b899556c966b3f06945ec21311865d35df3ce4"
)

// btXML is the notification WebhookTesting.sampleNotification of
// braintree_node (lib/braintree/webhook_testing_gateway.js) builds for
// subscription_charged_successfully and id sub_123, with a fixed
// timestamp. btPayload is its bt_payload (base64 and a "\n", as the SDK
// writes it) and btSig its bt_signature, computed with Node's crypto the
// way the SDK's Digest.hmacSha1 does (HMAC-SHA1 keyed by SHA-1 of the
// private key): a vector computed from the published algorithm. The same
// code reproduces the published challenge answer above.
const (
	btXML = `<notification>
    <timestamp type="datetime">2026-12-01T12:00:00Z</timestamp>
    <kind>subscription_charged_successfully</kind>
    
    <subject><subscription>
    <id>sub_123</id>
    <transactions type="array">
      <transaction>
        <id>sub_123</id>
        <status>submitted_for_settlement</status>
        <amount>49.99</amount>
      </transaction>
    </transactions>
    <add_ons type="array"></add_ons>
    <discounts type="array"></discounts>
</subscription></subject>
</notification>`
	btSig = "integration_public_key|65e80eab4ef7d56b1091f2c179997d6ea105e392"
	// btSigNoNewline is the HMAC of the payload without its "\n".
	btSigNoNewline = "integration_public_key|4a6e946d11faf5170c1c3ec8972581a0b3b80be3"
)

var btPayload = base64.StdEncoding.EncodeToString([]byte(btXML)) + "\n"

// btBody is the form Braintree posts.
func btBody(sig, payload string) []byte {
	return []byte(url.Values{"bt_signature": {sig}, "bt_payload": {payload}}.Encode())
}

func TestBraintreeChallenge(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "braintree", Secrets: []string{btSecret}})
	got, ok := p.Challenge(url.Values{"bt_challenge": {btChallenge}})
	if !ok || string(got) != btAnswer {
		t.Fatalf("Challenge = %q, %v; want the published answer", got, ok)
	}
	for name, q := range map[string]url.Values{
		"no challenge":   {},
		"empty":          {"bt_challenge": {""}},
		"not hex":        {"bt_challenge": {"20f9f8ed05f77439fe955c977e4c8a5z"}},
		"upper case":     {"bt_challenge": {strings.ToUpper(btChallenge)}},
		"too short":      {"bt_challenge": {btChallenge[:19]}},
		"too long":       {"bt_challenge": {btChallenge + "0"}},
		"sent twice":     {"bt_challenge": {btChallenge, btChallenge}},
		"other argument": {"challenge": {btChallenge}},
	} {
		if got, ok := p.Challenge(q); ok {
			t.Errorf("%s: Challenge = %q, want no answer", name, got)
		}
	}
	// Rotation: the first key pair answers.
	p = mustNew(t, provider.Config{Kind: "braintree", Secrets: []string{btSecret, "old_public:old_private"}})
	if got, _ := p.Challenge(url.Values{"bt_challenge": {btChallenge}}); string(got) != btAnswer {
		t.Errorf("with rotation Challenge = %q", got)
	}
	// Other kinds have no handshake.
	if got, ok := mustNew(t, provider.Config{Kind: "shopify", Secrets: []string{"x"}}).Challenge(url.Values{"bt_challenge": {btChallenge}}); ok {
		t.Errorf("shopify answered a challenge: %q", got)
	}
}

func TestBraintreeVerify(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "braintree", Secrets: []string{btSecret}})
	set := func(body []byte) func(d *delivery) { return func(d *delivery) { d.body = body } }
	bad := strings.Replace(btSig, "65e8", "65e9", 1)
	flipped := []byte(btPayload)
	flipped[10] ^= 1 // 'd' to 'e': still base64
	runMutations(t, p, delivery{body: btBody(btSig, btPayload), h: http.Header{}}, []string{"integration_private_key"}, []mutation{
		{name: "computed vector"},
		{name: "fields in the other order", edit: set([]byte("bt_payload=" + url.QueryEscape(btPayload) + "&bt_signature=" + url.QueryEscape(btSig)))},
		{name: "signed without the newline", edit: set(btBody(btSigNoNewline, strings.TrimSuffix(btPayload, "\n")))},
		{name: "signed with the newline, sent without", edit: set(btBody(btSig, strings.TrimSuffix(btPayload, "\n")))},
		{name: "other fields", edit: set(append(btBody(btSig, btPayload), "&x=1"...))},
		{name: "pair for another key first", edit: set(btBody("other_key|"+strings.Repeat("0", 40)+"&"+btSig, btPayload))},
		{name: "items without |", edit: set(btBody("junk&"+btSig, btPayload))},
		{name: "upper-case hex", edit: set(btBody("integration_public_key|"+strings.ToUpper(btSig[23:]), btPayload))},
		{name: "payload byte", edit: set(btBody(btSig, string(flipped))), want: provider.ErrBadSignature},
		{name: "payload newline twice", edit: set(btBody(btSig, btPayload+"\n")), want: provider.ErrBadSignature},
		{name: "digest", edit: set(btBody(bad, btPayload)), want: provider.ErrBadSignature},
		{name: "public key unknown", edit: set(btBody("other_key|"+btSig[23:], btPayload)), want: provider.ErrBadSignature},
		{name: "public key case", edit: set(btBody("Integration_public_key|"+btSig[23:], btPayload)), want: provider.ErrBadSignature},
		{name: "no signature", edit: set([]byte("bt_payload=" + url.QueryEscape(btPayload))), want: provider.ErrMissingSignature},
		{name: "empty signature", edit: set(btBody("", btPayload)), want: provider.ErrMissingSignature},
		{name: "no payload", edit: set([]byte("bt_signature=" + url.QueryEscape(btSig))), want: provider.ErrMissingSignature},
		{name: "empty body", edit: set(nil), want: provider.ErrMissingSignature},
		{name: "signature twice", edit: set(append(btBody(btSig, btPayload), "&bt_signature=x"...)), want: provider.ErrMalformedSignature},
		{name: "payload twice", edit: set(append(btBody(btSig, btPayload), "&bt_payload=x"...)), want: provider.ErrMalformedSignature},
		{name: "payload not base64", edit: set(btBody(btSig, "<notification/>")), want: provider.ErrMalformedSignature},
		{name: "payload with a space", edit: set(btBody(btSig, " "+btPayload)), want: provider.ErrMalformedSignature},
		{name: "no pair", edit: set(btBody("integration_public_key", btPayload)), want: provider.ErrMalformedSignature},
		{name: "digest short", edit: set(btBody(btSig[:len(btSig)-2], btPayload)), want: provider.ErrMalformedSignature},
		{name: "digest not hex", edit: set(btBody(btSig[:len(btSig)-1]+"g", btPayload)), want: provider.ErrMalformedSignature},
		{name: "not a form", edit: set([]byte("bt_signature=%zz")), want: provider.ErrMalformedSignature},
		{name: "JSON body", edit: set([]byte(`{"bt_signature":"` + btSig + `"}`)), want: provider.ErrMissingSignature},
	})
}

func TestBraintreeKeys(t *testing.T) {
	body := btBody(btSig, btPayload)
	for _, c := range []struct {
		name    string
		secrets []string
		want    error
	}{
		{"rotation, new first", []string{"integration_public_key:new_private", btSecret}, nil},
		{"rotation, other public key first", []string{"new_public:new_private", btSecret}, nil},
		{"another private key", []string{"integration_public_key:other"}, provider.ErrBadSignature},
		{"private key as the HMAC key", []string{"integration_public_key:" + strings.Repeat("x", 3)}, provider.ErrBadSignature},
		{"another public key", []string{"other_public:integration_private_key"}, provider.ErrBadSignature},
	} {
		t.Run(c.name, func(t *testing.T) {
			checkSentinel(t, mustNew(t, provider.Config{Kind: "braintree", Secrets: c.secrets}).Verify(body, http.Header{}), c.want)
		})
	}
	for _, s := range []string{"onlyoneprivatepart", ":priv8", "pub8:", "pub|x:priv8"} {
		_, err := provider.New(provider.Config{Kind: "braintree", Secrets: []string{s}})
		if err == nil || !strings.HasPrefix(err.Error(), "secrets[0]: not public_key:private_key") || strings.Contains(err.Error(), s) {
			t.Errorf("New with secret %q = %v", s, err)
		}
	}
}

func TestBraintreeExtract(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "braintree", Secrets: []string{btSecret}})
	notification := func(inner string) string {
		return string(btBody(btSig, base64.StdEncoding.EncodeToString([]byte("<notification>"+inner+"</notification>"))))
	}
	disputeXML := `<timestamp type="datetime">2026-12-01T13:00:00+01:00</timestamp><kind>dispute_opened</kind>` +
		`<source-merchant-id>merchant_7</source-merchant-id><subject><dispute><amount>1</amount><id>dp_9</id></dispute></subject>`
	runExtractCases(t, p, []extractCase{
		{name: "sample notification", body: string(btBody(btSig, btPayload)), want: provider.Event{
			ID: btID(btXML), Type: "subscription_charged_successfully", Subject: "sub_123",
			Time: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC), Data: []byte(btXML), DataContentType: "application/xml",
		}},
		{name: "merchant, offset time, id not first", body: notification(disputeXML), want: provider.Event{
			ID: btID("<notification>" + disputeXML + "</notification>"), Type: "dispute_opened", Source: "merchant_7", Subject: "dp_9",
			Time: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC), Data: []byte("<notification>" + disputeXML + "</notification>"), DataContentType: "application/xml",
		}},
		{name: "subject without id", body: notification(`<kind>check</kind><subject><check>true</check></subject>`), want: provider.Event{
			ID: btID(`<notification><kind>check</kind><subject><check>true</check></subject></notification>`), Type: "check", Data: []byte(`<notification><kind>check</kind><subject><check>true</check></subject></notification>`), DataContentType: "application/xml",
		}},
		{name: "no kind", body: notification(`<subject/>`), err: provider.ErrUnusable},
		{name: "kind twice", body: notification(`<kind>a</kind><kind>b</kind>`), err: provider.ErrUnusable},
		{name: "timestamp twice", body: notification(`<kind>a</kind><timestamp>x</timestamp><timestamp>y</timestamp>`), err: provider.ErrUnusable},
		{name: "subject twice", body: notification(`<kind>a</kind><subject/><subject/>`), err: provider.ErrUnusable},
		{name: "subject id twice", body: notification(`<kind>a</kind><subject><s><id>1</id><id>2</id></s></subject>`), err: provider.ErrUnusable},
		{name: "not notification", body: string(btBody(btSig, base64.StdEncoding.EncodeToString([]byte("<other><kind>a</kind></other>")))), err: provider.ErrUnusable},
		{name: "XML unclosed", body: string(btBody(btSig, base64.StdEncoding.EncodeToString([]byte("<notification><kind>a</kind>")))), err: provider.ErrUnusable},
		{name: "not base64", body: string(btBody(btSig, "!!")), err: provider.ErrUnusable},
		{name: "no payload", body: "bt_signature=x", err: provider.ErrUnusable},
		{name: "payload twice", body: string(btBody(btSig, btPayload)) + "&bt_payload=x", err: provider.ErrUnusable},
	})
}

// btID is the id a notification's event has: the first 32 hex digits of
// the SHA-256 of its XML.
func btID(xml string) string {
	sum := sha256.Sum256([]byte(xml))
	return hex.EncodeToString(sum[:])[:32]
}

// TestBraintreeID: the id is the same for the same notification however
// its base64 is written, and differs for another notification.
func TestBraintreeID(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "braintree", Secrets: []string{btSecret}})
	id := func(payload string) string {
		e, err := p.Extract(btBody(btSig, payload), http.Header{})
		if err != nil {
			t.Fatal(err)
		}
		return e.ID
	}
	a := id(btPayload)
	if len(a) != 32 || a != id(strings.TrimSuffix(btPayload, "\n")) {
		t.Errorf("ids %q and %q, want one 32-digit id", a, id(strings.TrimSuffix(btPayload, "\n")))
	}
	if b := id(base64.StdEncoding.EncodeToString([]byte(strings.Replace(btXML, "sub_123", "sub_124", 2)))); b == a {
		t.Errorf("two notifications share id %q", a)
	}
}

// TestBraintreeSignBody: SignBody writes the form Braintree sends, signed
// as the SDK's sampleNotification signs it.
func TestBraintreeSignBody(t *testing.T) {
	p := mustNew(t, provider.Config{Kind: "braintree", Secrets: []string{btSecret}})
	body, err := p.SignBody([]byte("bt_payload=" + url.QueryEscape(btPayload)))
	if err != nil {
		t.Fatal(err)
	}
	if string(body) != string(btBody(btSig, btPayload)) {
		t.Errorf("SignBody = %s, want %s", body, btBody(btSig, btPayload))
	}
	checkSentinel(t, p.Verify(body, http.Header{}), nil)
	for _, bad := range []string{"", "x=1", "bt_payload=%zz", "bt_payload=%20", "bt_payload=a&bt_payload=b"} {
		if _, err := p.SignBody([]byte(bad)); err == nil {
			t.Errorf("SignBody(%q) succeeded", bad)
		}
	}
}
