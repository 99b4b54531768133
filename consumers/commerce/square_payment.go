package commerce

import (
	"cmp"
	"strings"

	"github.com/hookbridge/hookbridge/internal/platformid"
)

// squarePayment is the part of a Square Payment the mapping reads.
type squarePayment struct {
	ID          platformid.ID `json:"id"`
	OrderID     platformid.ID `json:"order_id"`
	Status      string        `json:"status"`
	SourceType  string        `json:"source_type"`
	AmountMoney *squareMoney  `json:"amount_money"`
	TotalMoney  *squareMoney  `json:"total_money"`
	CreatedAt   string        `json:"created_at"`
	UpdatedAt   string        `json:"updated_at"`
}

// mapSquarePayment: the amount is total_money, what the buyer paid (or was
// asked to pay, for a failed payment): amount_money and the tip; a payment
// without total_money has amount_money. The method is source_type in lower
// case (card, cash, wallet, bank_account, ...), as the model writes
// methods.
func mapSquarePayment(d squareDelivery, obj *squareObject) ([]Canonical, error) {
	p := obj.Payment
	if p == nil {
		return nil, d.unusable("data.object.payment is not an object")
	}
	var status, action string
	switch p.Status {
	case "COMPLETED":
		status, action = PaymentSucceeded, ActionSucceeded
	case "FAILED":
		status, action = PaymentFailed, ActionFailed
	default:
		return nil, nil
	}
	out := &Payment{
		ID: cmp.Or(string(p.ID), d.id), OrderID: string(p.OrderID), Platform: "square", Source: d.source,
		Status: status, Method: strings.ToLower(p.SourceType),
	}
	if out.ID == "" {
		return nil, d.unusable("a payment without an id")
	}
	var err error
	if out.CreatedAt, out.UpdatedAt, err = squareTimes(p.CreatedAt, p.UpdatedAt); err != nil {
		return nil, d.unusable("%s: %v", out.ID, err)
	}
	money := p.TotalMoney
	if money == nil {
		money = p.AmountMoney
	}
	if out.Amount, out.Currency, err = money.read(); err != nil {
		return nil, d.unusable("%s: %v", out.ID, err)
	}
	return []Canonical{{Entity: EntityPayment, Action: action, Subject: out.ID, Time: d.at, Data: out}}, nil
}

// squareRefund is the part of a Square PaymentRefund the mapping reads.
type squareRefund struct {
	ID          platformid.ID `json:"id"`
	PaymentID   platformid.ID `json:"payment_id"`
	OrderID     platformid.ID `json:"order_id"`
	Status      string        `json:"status"`
	Reason      string        `json:"reason"`
	AmountMoney *squareMoney  `json:"amount_money"`
	CreatedAt   string        `json:"created_at"`
}

func mapSquareRefund(d squareDelivery, obj *squareObject) ([]Canonical, error) {
	r := obj.Refund
	if r == nil {
		return nil, d.unusable("data.object.refund is not an object")
	}
	out := &Refund{
		ID: cmp.Or(string(r.ID), d.id), OrderID: string(r.OrderID), PaymentID: string(r.PaymentID),
		Platform: "square", Source: d.source, Status: squareRefundStatus(r.Status), Reason: r.Reason,
	}
	if out.ID == "" {
		return nil, d.unusable("a refund without an id")
	}
	var err error
	if out.CreatedAt, _, err = squareTimes(r.CreatedAt, ""); err != nil {
		return nil, d.unusable("%s: %v", out.ID, err)
	}
	if out.Amount, out.Currency, err = r.AmountMoney.read(); err != nil {
		return nil, d.unusable("%s: %v", out.ID, err)
	}
	return []Canonical{{Entity: EntityRefund, Action: ActionCreated, Subject: out.ID, Time: d.at, Data: out}}, nil
}

// squareRefundStatus maps a PaymentRefund's status (PENDING, COMPLETED,
// REJECTED, FAILED) onto the model's; a status this mapping does not know
// is not known to have given anything back, so it is pending.
func squareRefundStatus(s string) string {
	switch s {
	case "COMPLETED":
		return RefundSucceeded
	case "REJECTED", "FAILED":
		return RefundFailed
	}
	return RefundPending
}
