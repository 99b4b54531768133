package commerce

import (
	"cmp"
	"errors"

	"github.com/hookbridge/hookbridge/internal/platformid"
)

// shopifyTransaction is Shopify's order transaction: the payload of
// order_transactions/create and each of a refund's transactions. Its amount
// is in the currency the customer paid in, which it names.
type shopifyTransaction struct {
	ID          platformid.ID `json:"id"`
	OrderID     platformid.ID `json:"order_id"`
	ParentID    platformid.ID `json:"parent_id"`
	Kind        string        `json:"kind"`
	Status      string        `json:"status"`
	Gateway     string        `json:"gateway"`
	Amount      decimal       `json:"amount"`
	Currency    string        `json:"currency"`
	CreatedAt   shopifyTime   `json:"created_at"`
	ProcessedAt shopifyTime   `json:"processed_at"`
}

// shopifyPaymentEvent is the payment event a new transaction means, if
// any: a sale or capture that succeeded or failed, or an authorization that
// failed. The payment's id is the transaction's, which a refund's
// transaction names as its parent; its method is the gateway's name
// (shopify_payments, paypal, manual), which every transaction names.
func shopifyPaymentEvent(raw Raw) ([]Canonical, error) {
	var tx shopifyTransaction
	if err := shopifyDecode(raw.Data, &tx, &tx.ID); err != nil {
		return nil, err
	}
	currency, err := currencyCode(tx.Currency)
	if err != nil {
		return nil, err
	}
	action, status := shopifyPaymentAction(tx.Kind, tx.Status)
	if action == "" {
		return nil, nil
	}
	p := &Payment{
		ID:        string(tx.ID),
		OrderID:   string(tx.OrderID),
		Platform:  "shopify",
		Source:    raw.Source,
		Amount:    Money(tx.Amount),
		Currency:  currency,
		Status:    status,
		Method:    tx.Gateway,
		CreatedAt: tx.CreatedAt.String(),
	}
	t := tx.ProcessedAt.t
	if t.IsZero() {
		t = tx.CreatedAt.t
	}
	return []Canonical{{Entity: EntityPayment, Action: action, Subject: p.ID, Time: t, Data: p}}, nil
}

// shopifyPaymentAction is the action and status of a transaction of kind
// and status, or "" for one that means no payment event.
func shopifyPaymentAction(kind, status string) (action, paymentStatus string) {
	failed := status == "failure" || status == "error"
	switch {
	case (kind == "sale" || kind == "capture") && status == "success":
		return ActionSucceeded, PaymentSucceeded
	case (kind == "sale" || kind == "capture" || kind == "authorization") && failed:
		return ActionFailed, PaymentFailed
	}
	return "", ""
}

// shopifyRefund is the payload of refunds/create.
type shopifyRefund struct {
	ID           platformid.ID        `json:"id"`
	OrderID      platformid.ID        `json:"order_id"`
	Note         string               `json:"note"`
	CreatedAt    shopifyTime          `json:"created_at"`
	ProcessedAt  shopifyTime          `json:"processed_at"`
	Transactions []shopifyTransaction `json:"transactions"`
}

// shopifyRefundEvent is the refund.created event of a new refund.
func shopifyRefundEvent(raw Raw) ([]Canonical, error) {
	var r shopifyRefund
	if err := shopifyDecode(raw.Data, &r, &r.ID); err != nil {
		return nil, err
	}
	refund := &Refund{
		ID:        string(r.ID),
		OrderID:   string(r.OrderID),
		Platform:  "shopify",
		Source:    raw.Source,
		Reason:    r.Note,
		CreatedAt: r.CreatedAt.String(),
	}
	if err := shopifyRefundMoney(refund, r.Transactions); err != nil {
		return nil, err
	}
	t := r.CreatedAt.t
	if t.IsZero() {
		t = r.ProcessedAt.t
	}
	return []Canonical{{Entity: EntityRefund, Action: ActionCreated, Subject: refund.ID, Time: t, Data: refund}}, nil
}

// shopifyRefundMoney fills the status, amount, currency and payment of a
// refund from its refund transactions, the money actually sent back: Shopify
// writes no total on a refund. The status is pending while any of them is,
// else succeeded if any succeeded, else failed; a refund that moved no
// money (a restock, say) has none and succeeded. The amount is the sum of
// the transactions that succeeded or are pending (of all of them when all
// failed), exact, and is absent when one of them has none; the payment is
// the one transaction they all refund, if there is one.
func shopifyRefundMoney(refund *Refund, txs []shopifyTransaction) error {
	var pending, succeeded, all, counted []shopifyTransaction
	for _, tx := range txs {
		if tx.Kind != "refund" {
			continue
		}
		all = append(all, tx)
		switch tx.Status {
		case "pending":
			pending = append(pending, tx)
		case "success":
			succeeded = append(succeeded, tx)
		}
	}
	switch {
	case len(all) == 0:
		refund.Status = RefundSucceeded
		return nil
	case len(pending) > 0:
		refund.Status, counted = RefundPending, append(pending, succeeded...)
	case len(succeeded) > 0:
		refund.Status, counted = RefundSucceeded, succeeded
	default:
		refund.Status, counted = RefundFailed, all
	}
	amounts := make([]decimal, 0, len(counted))
	refund.PaymentID = string(counted[0].ParentID)
	for _, tx := range counted {
		currency, err := currencyCode(tx.Currency)
		if err != nil {
			return err
		}
		if currency != "" && refund.Currency != "" && currency != refund.Currency {
			return errors.New("refund transactions are in several currencies")
		}
		refund.Currency = cmp.Or(refund.Currency, currency)
		if string(tx.ParentID) != refund.PaymentID {
			refund.PaymentID = "" // several payments: none of them is the refund's
		}
		amounts = append(amounts, tx.Amount)
	}
	refund.Amount = sumDecimals(amounts)
	return nil
}
