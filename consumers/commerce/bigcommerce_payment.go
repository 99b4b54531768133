package commerce

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hookbridge/hookbridge/internal/platformid"
)

// bigCommerceTransaction is the body of store/order/transaction/created and
// store/order/transaction/updated ("Webhook events", Orders): the
// transaction's id, its order's, its type and its state, and no amount,
// currency or payment method. BigCommerce first documented order_id as a
// number and now as a string (bigcommerce/docs #1146, from a real
// delivery); platformid reads both as the same id.
type bigCommerceTransaction struct {
	Data struct {
		ID      platformid.ID `json:"transaction_id"`
		OrderID platformid.ID `json:"order_id"`
		Type    string        `json:"transaction_type"`
		Status  string        `json:"transaction_status"`
		Result  *struct {
			Type string `json:"type"`
		} `json:"result"`
	} `json:"data"`
}

// bigCommerceTransactionEvent is the payment event a transaction means at
// this delivery, if any (see bigCommercePaymentAction). The payment's id is
// data.transaction_id, the provider's id of the transaction (in the
// published delivery it equals provider_transaction_id): it is in every
// body, the same in every delivery of the transaction, and names an
// authorization and its capture alike, so a failed and a later successful
// capture are one payment. Its time is the delivery's created_at, as the
// payment's created_at for a new transaction and its updated_at for a
// changed one.
func bigCommerceTransactionEvent(raw Raw, scope string) ([]Canonical, error) {
	var b bigCommerceTransaction
	if err := json.Unmarshal(raw.Data, &b); err != nil {
		return nil, fmt.Errorf("bigcommerce %s: %w: %v", scope, ErrUnusable, err)
	}
	tx := b.Data
	var result string
	if tx.Result != nil {
		result = tx.Result.Type
	}
	action, status := bigCommercePaymentAction(tx.Type, tx.Status, result)
	if action == "" {
		return nil, nil
	}
	if tx.ID == "" || tx.ID == "0" {
		return nil, fmt.Errorf("bigcommerce %s: %w: no data.transaction_id", scope, ErrUnusable)
	}
	if tx.OrderID == "" || tx.OrderID == "0" {
		return nil, fmt.Errorf("bigcommerce %s: %w: no data.order_id", scope, ErrUnusable)
	}
	p := &Payment{
		ID: string(tx.ID), OrderID: string(tx.OrderID),
		Platform: "bigcommerce", Source: raw.Source, Status: status,
	}
	if scope == "store.order.transaction.created" {
		p.CreatedAt = rfc3339(raw.Time)
	} else {
		p.UpdatedAt = rfc3339(raw.Time)
	}
	return []Canonical{{Entity: EntityPayment, Action: action, Subject: p.ID, Time: raw.Time.UTC(), Data: p}}, nil
}

// bigCommercePaymentAction is the action and status of a transaction of
// type typ in state status with result type result ("" when absent), or ""
// for one that means no payment event. Words are compared without case:
// the Transactions API writes them in capitals (COMPLETE, PAID), the
// webhook in lower case.
//
// Types are the Orders API's transaction events ("Get Transactions"):
// purchase and capture take the money, so they succeed or fail; an
// authorization only reserves it, so it means an event only when it fails,
// the payment having failed then; a refund is reported once, by
// store/order/refund/created (the transaction names no refund, so a second
// refund.created could not be told from another refund); a void releases an
// authorization and moves no money (a cancellation arrives as
// store/order/statusUpdated); pending is not over, and a later transaction
// says how it ended; settled is money a purchase or capture already
// reported. Any other type means nothing.
//
// A transaction succeeded when its state is complete (the only state
// BigCommerce publishes, and the only one its Transactions API accepts;
// ok, the Orders API's word, likewise) and its result, if any, is success.
// It failed when its state or its result is error (the Orders API's word
// for a failed transaction), declined, failed or failure. Any other state
// (pending, or one BigCommerce has not documented) means nothing yet.
func bigCommercePaymentAction(typ, status, result string) (action, paymentStatus string) {
	typ, status, result = strings.ToLower(typ), strings.ToLower(status), strings.ToLower(result)
	switch {
	case bigCommerceFailed(status) || bigCommerceFailed(result):
		if typ == "purchase" || typ == "capture" || typ == "authorization" {
			return ActionFailed, PaymentFailed
		}
	case (status == "complete" || status == "ok") && (result == "" || result == "success"):
		if typ == "purchase" || typ == "capture" {
			return ActionSucceeded, PaymentSucceeded
		}
	}
	return "", ""
}

// bigCommerceFailed reports whether a transaction's state or result word
// says it failed.
func bigCommerceFailed(word string) bool {
	switch word {
	case "error", "declined", "failed", "failure":
		return true
	}
	return false
}
