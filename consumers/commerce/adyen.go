package commerce

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/hookbridge/hookbridge/internal/platformid"
)

// mapAdyen maps Adyen's standard notifications. Each raw event is one
// notification item: its data is the NotificationRequestItem object, its
// type com.adyen.<eventCode>.
//
// Payments: AUTHORISATION is the payment. success "true" is
// payment.succeeded: the shopper's funds are authorised, which is
// Adyen's "the payment was successful"; the capture that moves the money
// follows, at once with automatic capture (Adyen's default) or when the
// merchant captures. success "false" (refused) is payment.failed. CAPTURE
// is therefore skipped: it would be a second payment.succeeded for the
// same payment, and whether an automatic capture sends one at all depends
// on the merchant account's webhook settings, so it cannot stand for
// every payment as AUTHORISATION does. CAPTURE_FAILED and CANCELLATION
// (an authorisation given back before capture) are skipped too: the model
// has no capture failure or cancelled payment, and neither is a payment
// failing to be made; a consumer that needs them reads the raw stream.
//
// Refunds: REFUND is a refund.created, succeeded for success "true" and
// failed for "false"; REFUND_FAILED (a refund the card scheme or bank
// returned after Adyen had accepted it) is a refund.created, failed, of
// the same refund; CANCEL_OR_REFUND is a refund.created when Adyen made it
// a refund (additionalData "modification.action" "refund"), and skipped
// when it cancelled the authorisation. A consumer keeps the newest per
// subject (the refund's pspReference).
//
// Ids: a payment is its AUTHORISATION's pspReference; a refund is its own
// pspReference, and the payment it refunds is its originalReference. The
// order is the shop's merchantReference on the authorisation (order_id).
// A modification's merchantReference is the reference the shop gave the
// modification request (Adyen's own sample refund has
// "payment-2017-1-17-11-refund"), not necessarily its order's, so a
// refund's order_id is absent: its payment_id names the payment whose
// order_id it is.
func mapAdyen(raw Raw) ([]Canonical, error) {
	code, ok := strings.CutPrefix(raw.Type, "com.adyen.")
	if !ok {
		return nil, nil
	}
	switch code {
	case "AUTHORISATION", "REFUND", "REFUND_FAILED", "CANCEL_OR_REFUND":
	default:
		return nil, nil
	}
	var it adyenItem
	if err := json.Unmarshal(raw.Data, &it); err != nil {
		return nil, adyenUnusable(code, "not a NotificationRequestItem: %s", jsonError(err))
	}
	if it.PSPReference == "" {
		return nil, adyenUnusable(code, "no pspReference")
	}
	if it.Success != "true" && it.Success != "false" {
		return nil, adyenUnusable(code, "%s: success is neither \"true\" nor \"false\"", it.PSPReference)
	}
	if code == "AUTHORISATION" {
		return it.payment(code, raw.Source)
	}
	return it.refund(code, raw.Source)
}

func adyenUnusable(code, format string, args ...any) error {
	return fmt.Errorf("adyen %s: %s: %w", code, fmt.Sprintf(format, args...), ErrUnusable)
}

// adyenItem is the part of a NotificationRequestItem the mapping reads.
type adyenItem struct {
	PSPReference      platformid.ID `json:"pspReference"`
	OriginalReference platformid.ID `json:"originalReference"`
	MerchantReference string        `json:"merchantReference"`
	Success           string        `json:"success"`
	EventDate         string        `json:"eventDate"`
	PaymentMethod     string        `json:"paymentMethod"`
	Amount            *struct {
		Value    jsonNumber `json:"value"`
		Currency string     `json:"currency"`
	} `json:"amount"`
	AdditionalData *struct {
		ModificationAction string `json:"modification.action"`
	} `json:"additionalData"`
}

// common reads what every mapped item has: its time (eventDate, when
// Adyen recorded the event), and its amount and currency.
func (it *adyenItem) common(code string) (at time.Time, amount, currency string, err error) {
	if at, err = squareTime(it.EventDate); err != nil { // RFC 3339, as Square's
		return at, "", "", adyenUnusable(code, "%s: eventDate: %v", it.PSPReference, err)
	}
	if a := it.Amount; a != nil {
		if currency, err = currencyCode(a.Currency); err == nil {
			amount, err = minorUnits(string(a.Value), currency, adyenDecimals(currency))
		}
		if err != nil {
			return at, "", "", adyenUnusable(code, "%s: %v", it.PSPReference, err)
		}
	}
	return at, amount, currency, nil
}

func (it *adyenItem) payment(code, source string) ([]Canonical, error) {
	at, amount, currency, err := it.common(code)
	if err != nil {
		return nil, err
	}
	status, action := PaymentSucceeded, ActionSucceeded
	if it.Success == "false" {
		status, action = PaymentFailed, ActionFailed
	}
	p := &Payment{
		ID: string(it.PSPReference), OrderID: strings.TrimSpace(it.MerchantReference), Platform: "adyen", Source: source,
		Amount: amount, Currency: currency, Status: status, Method: it.PaymentMethod, CreatedAt: rfc3339(at), UpdatedAt: rfc3339(at),
	}
	return []Canonical{{Entity: EntityPayment, Action: action, Subject: p.ID, Time: at, Data: p}}, nil
}

func (it *adyenItem) refund(code, source string) ([]Canonical, error) {
	if code == "CANCEL_OR_REFUND" && (it.AdditionalData == nil || it.AdditionalData.ModificationAction != "refund") {
		return nil, nil
	}
	at, amount, currency, err := it.common(code)
	if err != nil {
		return nil, err
	}
	status := RefundSucceeded
	if it.Success == "false" || code == "REFUND_FAILED" {
		status = RefundFailed
	}
	r := &Refund{
		ID: string(it.PSPReference), PaymentID: string(it.OriginalReference), Platform: "adyen", Source: source,
		Amount: amount, Currency: currency, Status: status, CreatedAt: rfc3339(at),
	}
	return []Canonical{{Entity: EntityRefund, Action: ActionCreated, Subject: r.ID, Time: at, Data: r}}, nil
}

// adyenDecimals is how many decimals an amount in currency (upper case)
// has in Adyen's minor units (https://docs.adyen.com/development-resources/currency-codes):
// Adyen's own list, which differs from ISO 4217 for a few (CLP has two,
// CVE and IDR none), two for every currency not listed otherwise.
func adyenDecimals(currency string) int {
	switch currency {
	case "CVE", "DJF", "GNF", "IDR", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX",
		"VND", "VUV", "XAF", "XOF", "XPF":
		return 0
	case "BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND":
		return 3
	}
	return 2
}
