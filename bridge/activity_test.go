package bridge_test

import (
	"net/http"
	"testing"

	"github.com/hookbridge/hookbridge/bridge"
)

// TestActivity: each source remembers its last success and its last
// failure with the outcome and reason, apart from the other sources; a
// source that had neither reports none, and so does a nil Activity.
func TestActivity(t *testing.T) {
	var none *bridge.Activity
	if at, f := none.Source("shop"); !at.IsZero() || f != nil {
		t.Fatalf("a nil Activity remembers %v, %+v", at, f)
	}
	activity := new(bridge.Activity)
	h := newHarness(t, func(cfg *bridge.Config) { cfg.Activity = activity })
	if at, f := activity.Source("shop"); !at.IsZero() || f != nil {
		t.Fatalf("before any delivery: %v, %+v", at, f)
	}

	body, hdr := h.delivery("shop", "", "activity-1")
	if a := h.post(http.MethodPost, "shop", body, hdr); a.code != http.StatusOK {
		t.Fatalf("good delivery: %d %s", a.code, a.raw)
	}
	at, f := activity.Source("shop")
	if !at.Equal(testNow) || f != nil {
		t.Fatalf("after a success: %v, %+v; want %v and no failure", at, f, testNow)
	}

	forged := hdr.Clone()
	forged.Set("X-Shopify-Hmac-Sha256", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
	if a := h.post(http.MethodPost, "shop", body, forged); a.code != http.StatusUnauthorized {
		t.Fatalf("forged delivery: %d %s", a.code, a.raw)
	}
	at, f = activity.Source("shop")
	if !at.Equal(testNow) {
		t.Errorf("a failure moved the last success to %v", at)
	}
	want := bridge.SourceFailure{At: testNow, Status: http.StatusUnauthorized, Outcome: "unauthorized", Reason: "mismatch"}
	if f == nil || *f != want {
		t.Errorf("last failure %+v, want %+v", f, want)
	}
	for _, other := range []string{"woo", "nosuch"} {
		if at, f := activity.Source(other); !at.IsZero() || f != nil {
			t.Errorf("%s remembers %v, %+v from another source's deliveries", other, at, f)
		}
	}
}
