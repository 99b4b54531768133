package commerce

import (
	"strings"
	"testing"
)

// TestMinorUnits: digits are moved by the currency's decimals, never
// computed; what is not an integer, or has no currency, is an error.
func TestMinorUnits(t *testing.T) {
	for _, c := range []struct {
		amount, currency string
		decimals         int
		want             Money
		wantErr          string
	}{
		{"2400", "USD", 2, "24.00", ""},
		{"5", "USD", 2, "0.05", ""},
		{"0", "USD", 2, "0.00", ""},
		{"-0", "USD", 2, "0.00", ""},
		{"-150", "EUR", 2, "-1.50", ""},
		{"500", "JPY", 0, "500", ""},
		{"1250", "KWD", 3, "1.250", ""},
		{"7", "CLF", 4, "0.0007", ""},
		{"99999999999999999999999", "INR", 2, "999999999999999999999.99", ""},
		{"", "USD", 2, "", ""},
		{"", "", 2, "", ""},
		{"12.5", "USD", 2, "", "not an integer"},
		{"1e3", "USD", 2, "", "not an integer"},
		{"-", "USD", 2, "", "not an integer"},
		{" 1", "USD", 2, "", "not an integer"},
		{"100", "", 2, "", "no currency"},
	} {
		got, err := minorUnits(c.amount, c.currency, c.decimals)
		if got != c.want || (err == nil) != (c.wantErr == "") || err != nil && !strings.Contains(err.Error(), c.wantErr) {
			t.Errorf("minorUnits(%q, %q, %d) = %q, %v; want %q, %q", c.amount, c.currency, c.decimals, got, err, c.want, c.wantErr)
		}
	}
}

func TestISO4217Decimals(t *testing.T) {
	for cur, want := range map[string]int{
		"USD": 2, "INR": 2, "EUR": 2, "JPY": 0, "KRW": 0, "VND": 0, "KWD": 3, "BHD": 3, "OMR": 3, "CLF": 4, "XYZ": 2,
	} {
		if got := iso4217Decimals(cur); got != want {
			t.Errorf("iso4217Decimals(%s) = %d, want %d", cur, got, want)
		}
	}
}

func TestPaddleStatuses(t *testing.T) {
	for in, want := range map[string]string{
		"paid": OrderPaid, "completed": OrderPaid, "canceled": OrderCancelled,
		"billed": OrderPending, "ready": OrderPending, "past_due": OrderPending, "": OrderPending,
	} {
		if got := paddleOrderStatus(in); got != want {
			t.Errorf("paddleOrderStatus(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"captured": PaymentSucceeded, "error": PaymentFailed, "canceled": PaymentFailed, "dropped": PaymentFailed,
		"authorized": PaymentPending, "action_required": PaymentPending, "": PaymentPending,
	} {
		if got := paddlePaymentStatus(in); got != want {
			t.Errorf("paddlePaymentStatus(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"approved": RefundSucceeded, "pending_approval": RefundPending, "rejected": RefundFailed,
		"reversed": RefundFailed, "": RefundPending, "new_status": RefundPending,
	} {
		if got := paddleRefundStatus(in); got != want {
			t.Errorf("paddleRefundStatus(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRazorpayStatuses(t *testing.T) {
	for in, want := range map[string]string{"paid": OrderPaid, "attempted": OrderPending, "created": OrderPending, "": OrderPending} {
		if got := razorpayOrderStatus(in); got != want {
			t.Errorf("razorpayOrderStatus(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"processed": RefundSucceeded, "failed": RefundFailed, "pending": RefundPending, "": RefundPending} {
		if got := razorpayRefundStatus(in); got != want {
			t.Errorf("razorpayRefundStatus(%q) = %q, want %q", in, got, want)
		}
	}
}
