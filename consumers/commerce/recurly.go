package commerce

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/hookbridge/hookbridge/internal/platformid"
)

// mapRecurly maps Recurly's JSON notifications. A notification carries
// only ids: {id, object_type, site_id, event_type, event_time, uuid}; the
// bridge's type is "<object_type>.<event_type>". Recurly's docs say the
// JSON payloads carry no transaction, account or invoice: whoever needs
// them fetches them from Recurly's API by the id.
//
// payment.succeeded is one payment.succeeded and payment.failed one
// payment.failed; payment.refunded (a successful refund) is one
// refund.created that succeeded. Each has the id the notification names,
// its state and the time of the event, and nothing else: no amount,
// currency, method, order or payer, for the notification has none.
// payment.scheduled and payment.processing (an asynchronous payment not
// yet collected), payment.voided and every other type are skipped.
func mapRecurly(raw Raw) ([]Canonical, error) {
	typ, ok := strings.CutPrefix(raw.Type, "com.recurly.")
	if !ok {
		return nil, nil
	}
	switch typ {
	case "payment.succeeded", "payment.failed", "payment.refunded":
	default:
		return nil, nil
	}
	id, at, err := readRecurlyNotification(raw.Data)
	if err != nil {
		return nil, fmt.Errorf("recurly %s: %s: %w", typ, err, ErrUnusable)
	}
	ev := Canonical{Entity: EntityPayment, Action: ActionSucceeded, Subject: id, Time: at}
	switch typ {
	case "payment.succeeded":
		ev.Data = recurlyPayment(id, raw.Source, PaymentSucceeded, at)
	case "payment.failed":
		ev.Action, ev.Data = ActionFailed, recurlyPayment(id, raw.Source, PaymentFailed, at)
	default:
		ev.Entity, ev.Action = EntityRefund, ActionCreated
		ev.Data = &Refund{ID: id, Platform: "recurly", Source: raw.Source, Status: RefundSucceeded, CreatedAt: rfc3339(at)}
	}
	return []Canonical{ev}, nil
}

func recurlyPayment(id, source, status string, at time.Time) *Payment {
	return &Payment{ID: id, Platform: "recurly", Source: source, Status: status, UpdatedAt: rfc3339(at)}
}

// readRecurlyNotification reads the id a notification names and its
// event_time (RFC 3339), or says why they cannot be read.
func readRecurlyNotification(body []byte) (string, time.Time, error) {
	var n struct {
		ID        platformid.ID `json:"id"`
		EventTime string        `json:"event_time"`
	}
	if err := json.Unmarshal(body, &n); err != nil {
		return "", time.Time{}, fmt.Errorf("not a Recurly notification: %s", jsonError(err))
	}
	if n.ID == "" {
		return "", time.Time{}, fmt.Errorf("no id")
	}
	var at time.Time
	if n.EventTime != "" {
		t, err := time.Parse(time.RFC3339, n.EventTime)
		if err != nil {
			return "", time.Time{}, fmt.Errorf("event_time %.40q is not RFC 3339", n.EventTime)
		}
		at = t.UTC()
	}
	return string(n.ID), at, nil
}
