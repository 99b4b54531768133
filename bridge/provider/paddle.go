package provider

import (
	"net/http"
)

// Paddle Billing signs "<ts>:<body>": Paddle-Signature is
// "ts=<unix>;h1=<hex>" with HMAC-SHA256 under the notification
// destination's secret key ("pdl_ntfset_..."), its bytes as they are.
// paddle-go-sdk accepts exactly one h1; secondary sources say Paddle sends
// one h1 per secret while a secret is being rotated, so every h1 is tried
// and unknown keys are ignored, as for Stripe. Paddle's SDKs allow 5
// seconds of skew by default; the tolerance here is the configured one
// (DefaultTolerance unless set), which survives a delayed retry.
const paddleSignature = "Paddle-Signature"

type paddle struct{ stampedMAC }

var _ scheme = paddle{}

func newPaddle(secrets []string, w window) paddle {
	return paddle{keyedStamp{itemSep: ";", tKey: "ts", sigKey: "h1"}.scheme(secrets, w, paddleSignature, ":")}
}

// extract maps a delivery (a Paddle Billing notification) to:
//
//	ID      body "event_id" ("evt_..."): one per event, the same on every
//	        retry (notification_id names one destination's copy of it)
//	Type    body "event_type" ("transaction.completed")
//	Source  "" (the body names no account: the bridge's default applies)
//	Subject body data.id (the entity's "txn_...", "sub_...")
//	Time    body "occurred_at" (RFC 3339)
func (p paddle) extract(body []byte, _ http.Header) (Event, error) {
	obj := parseJSONObject(body)
	e := Event{
		ID: obj.str("event_id"), Type: obj.str("event_type"), Subject: obj.id("data", "id"),
		Time: parseTime(obj.str("occurred_at")),
	}
	return e.complete(obj, `"event_id"`, `"event_type"`)
}
