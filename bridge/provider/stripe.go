package provider

import (
	"net/http"
)

// Stripe signs "<t>.<body>": Stripe-Signature is
// "t=<unix>,v1=<hex>[,v1=<hex>...]" with HMAC-SHA256 under the endpoint
// secret's bytes, "whsec_" included (it is not decoded). While a secret is
// being rolled Stripe sends one v1 per active secret. v0 (test-mode legacy)
// and unknown keys are ignored.
const stripeSignature = "Stripe-Signature"

type stripe struct{ stampedMAC }

var _ scheme = stripe{}

func newStripe(secrets []string, w window) stripe {
	return stripe{keyedStamp{itemSep: ",", tKey: "t", sigKey: "v1"}.scheme(secrets, w, stripeSignature, ".")}
}

// extract maps a delivery (a Stripe Event object) to:
//
//	ID      body "id" ("evt_..."), the same on every retry
//	Type    body "type" ("payment_intent.succeeded")
//	Source  body "account" (Connect deliveries), else ""
//	Subject body data.object.id
//	Time    body "created" (Unix seconds)
func (s stripe) extract(body []byte, _ http.Header) (Event, error) {
	obj := parseJSONObject(body)
	e := Event{ID: obj.str("id"), Type: obj.str("type"), Source: obj.str("account"), Subject: obj.id("data", "object", "id")}
	if t, ok := parseUnix(obj.scalar("created")); ok {
		e.Time = t
	}
	return e.complete(obj, `"id"`, `"type"`)
}
