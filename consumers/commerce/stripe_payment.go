package commerce

import "github.com/hookbridge/hookbridge/internal/platformid"

// stripePaymentIntent is the part of a PaymentIntent the mapping reads.
type stripePaymentIntent struct {
	stripeObject
	Amount             jsonNumber `json:"amount"`
	AmountReceived     jsonNumber `json:"amount_received"`
	Currency           string     `json:"currency"`
	PaymentMethodTypes []string   `json:"payment_method_types"`
	LastPaymentError   *struct {
		PaymentMethod *struct {
			Type string `json:"type"`
		} `json:"payment_method"`
	} `json:"last_payment_error"`
}

// mapStripePaymentIntent: a succeeded payment's amount is what it
// collected (amount_received, less than amount when partly captured); a
// failed one's is what it tried to collect (amount).
func mapStripePaymentIntent(d stripeDelivery) ([]Canonical, error) {
	var pi stripePaymentIntent
	if err := d.decode(&pi, &pi.stripeObject, "payment_intent"); err != nil {
		return nil, err
	}
	status, amount, method := PaymentSucceeded, pi.AmountReceived, stripeOnlyMethod(pi.PaymentMethodTypes)
	if d.typ == "payment_intent.payment_failed" {
		status, amount = PaymentFailed, pi.Amount
		if e := pi.LastPaymentError; e != nil && e.PaymentMethod != nil && e.PaymentMethod.Type != "" {
			method = e.PaymentMethod.Type
		}
	}
	return d.payment(pi.stripeObject, amount, pi.Currency, status, method)
}

// stripeOnlyMethod is the payment method of a PaymentIntent that allows
// only one. payment_method_types lists what the customer may choose from,
// not what they chose (payment_method is an id in the event), so with more
// than one the method is not known.
func stripeOnlyMethod(types []string) string {
	if len(types) == 1 {
		return types[0]
	}
	return ""
}

// stripeCharge is the part of a Charge the mapping reads.
type stripeCharge struct {
	stripeObject
	Amount               jsonNumber    `json:"amount"`
	Currency             string        `json:"currency"`
	PaymentIntent        platformid.ID `json:"payment_intent"`
	PaymentMethodDetails *struct {
		Type string `json:"type"`
	} `json:"payment_method_details"`
	Refunds *struct {
		Data []stripeRefund `json:"data"`
	} `json:"refunds"`
}

// mapStripeCharge maps the charges of the legacy Charges API, the only
// payments Stripe makes without a PaymentIntent.
func mapStripeCharge(d stripeDelivery) ([]Canonical, error) {
	var ch stripeCharge
	if err := d.decode(&ch, &ch.stripeObject, "charge"); err != nil {
		return nil, err
	}
	if ch.PaymentIntent != "" {
		return nil, nil
	}
	status, method := PaymentSucceeded, ""
	if d.typ == "charge.failed" {
		status = PaymentFailed
	}
	if ch.PaymentMethodDetails != nil {
		method = ch.PaymentMethodDetails.Type
	}
	return d.payment(ch.stripeObject, ch.Amount, ch.Currency, status, method)
}

func (d stripeDelivery) payment(o stripeObject, amount jsonNumber, currency, status, method string) ([]Canonical, error) {
	cur, created, err := o.currencyAndCreated(currency)
	if err != nil {
		return nil, d.unusable("%v", err)
	}
	p := &Payment{
		ID: string(o.ID), Platform: "stripe", Source: d.source, Currency: cur,
		Status: status, Method: method, CreatedAt: created, UpdatedAt: rfc3339(d.at),
	}
	if p.Amount, err = stripeMoney(amount, cur); err != nil {
		return nil, d.unusable("%s: %v", o.ID, err)
	}
	action := ActionSucceeded
	if status == PaymentFailed {
		action = ActionFailed
	}
	return []Canonical{d.canonical(EntityPayment, action, p.ID, p)}, nil
}

// stripeRefund is the part of a Refund the mapping reads.
type stripeRefund struct {
	stripeObject
	Amount        jsonNumber    `json:"amount"`
	Currency      string        `json:"currency"`
	Status        string        `json:"status"`
	Reason        string        `json:"reason"`
	Charge        platformid.ID `json:"charge"`
	PaymentIntent platformid.ID `json:"payment_intent"`
}

func mapStripeRefund(d stripeDelivery) ([]Canonical, error) {
	var r stripeRefund
	if err := d.decode(&r, &r.stripeObject, "refund"); err != nil {
		return nil, err
	}
	c, err := d.refund(r)
	if err != nil {
		return nil, err
	}
	return []Canonical{c}, nil
}

// mapStripeChargeRefunds maps every refund a charge.refunded lists, the
// earlier ones again too: the list does not say which refund is new.
// Refunds written before they had their own currency or payment_intent
// take the charge's.
func mapStripeChargeRefunds(d stripeDelivery) ([]Canonical, error) {
	var ch stripeCharge
	if err := d.decode(&ch, &ch.stripeObject, "charge"); err != nil {
		return nil, err
	}
	if ch.Refunds == nil {
		return nil, nil
	}
	evs := make([]Canonical, 0, len(ch.Refunds.Data))
	for _, r := range ch.Refunds.Data {
		if r.Currency == "" {
			r.Currency = ch.Currency
		}
		if r.PaymentIntent == "" {
			r.PaymentIntent = ch.PaymentIntent
		}
		if r.Charge == "" {
			r.Charge = ch.ID
		}
		if r.Status == "" {
			// Written before refunds had a status, when a refund was done
			// as it was made: the charge says it was refunded.
			r.Status = "succeeded"
		}
		c, err := d.refund(r)
		if err != nil {
			return nil, err
		}
		evs = append(evs, c)
	}
	return evs, nil
}

// refund is r as a refund.created. The payment it refunds is its
// PaymentIntent, or its charge where there is none (a legacy charge, which
// is then the payment's id too).
func (d stripeDelivery) refund(r stripeRefund) (Canonical, error) {
	if err := d.check(r.stripeObject, "refund"); err != nil {
		return Canonical{}, err
	}
	cur, created, err := r.currencyAndCreated(r.Currency)
	if err != nil {
		return Canonical{}, d.unusable("%v", err)
	}
	payment := r.PaymentIntent
	if payment == "" {
		payment = r.Charge
	}
	ref := &Refund{
		ID: string(r.ID), PaymentID: string(payment), Platform: "stripe", Source: d.source,
		Currency: cur, Status: stripeRefundStatus(r.Status), Reason: r.Reason, CreatedAt: created,
	}
	if ref.Amount, err = stripeMoney(r.Amount, cur); err != nil {
		return Canonical{}, d.unusable("%s: %v", r.ID, err)
	}
	return d.canonical(EntityRefund, ActionCreated, ref.ID, ref), nil
}

// stripeRefundStatus maps Stripe's refund statuses onto the model's.
// requires_action waits on the customer, so it is pending; a canceled
// refund gave nothing back, as a failed one. Stripe documents the status
// as nullable, and refunds written before it existed have none: a refund
// whose status is not stated, or is one this mapping does not know, is not
// known to have given anything back, so it is pending.
func stripeRefundStatus(s string) string {
	switch s {
	case "succeeded":
		return RefundSucceeded
	case "failed", "canceled":
		return RefundFailed
	}
	return RefundPending
}
