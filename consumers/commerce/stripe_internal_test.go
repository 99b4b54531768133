package commerce

import "testing"

// TestStripeOrderStatus is where an order stands after each session event.
func TestStripeOrderStatus(t *testing.T) {
	const (
		completed = "checkout.session.completed"
		succeeded = "checkout.session.async_payment_succeeded"
		failed    = "checkout.session.async_payment_failed"
	)
	for _, c := range []struct{ typ, paymentStatus, want string }{
		{completed, "paid", OrderPaid},
		{completed, "no_payment_required", OrderPaid},
		{completed, "unpaid", OrderPending},
		{completed, "", OrderPending},
		{completed, "a_status_stripe_adds_later", OrderPending},
		{succeeded, "paid", OrderPaid},
		{failed, "unpaid", OrderFailed},
	} {
		if got := stripeOrderStatus(c.typ, c.paymentStatus); got != c.want {
			t.Errorf("stripeOrderStatus(%s, %q) = %q, want %q", c.typ, c.paymentStatus, got, c.want)
		}
	}
}

func TestStripeRefundStatus(t *testing.T) {
	for in, want := range map[string]string{
		"succeeded": RefundSucceeded, "pending": RefundPending, "requires_action": RefundPending,
		"failed": RefundFailed, "canceled": RefundFailed, "": RefundPending, "new_status": RefundPending,
	} {
		if got := stripeRefundStatus(in); got != want {
			t.Errorf("stripeRefundStatus(%q) = %q, want %q", in, got, want)
		}
	}
}
