package commerce_test

import (
	"encoding/base64"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/consumers/commerce"
	"github.com/hookbridge/hookbridge/internal/sample"
)

// braintreeRaw is a Braintree notification of kind kind as the normaliser
// reads it: the data is the decoded notification XML; a notification
// names no merchant unless a partner's, so the bridge's CloudEvent source
// is its own /braintree/<source name>; its id is derived from the XML.
func braintreeRaw(kind string, body []byte) commerce.Raw {
	return commerce.Raw{
		Provider: "braintree", Source: "acme-bt", ID: "48a8804cdf55bf186232f7cbef9ba523",
		Type: "com.braintree." + kind, EvSource: "/braintree/acme-bt", Subject: "my_id",
		Time: time.Date(2024, 6, 3, 10, 15, 30, 0, time.UTC), Data: body,
	}
}

// btFixture is testdata/braintree/<name>.xml with each pair of edits
// (old, new) applied; old must occur in it exactly once.
func btFixture(t *testing.T, name string, edits ...string) []byte {
	t.Helper()
	s := string(fixtures(t, "braintree")[name])
	for i := 0; i+1 < len(edits); i += 2 {
		if n := strings.Count(s, edits[i]); n != 1 {
			t.Fatalf("%s: %q occurs %d times", name, edits[i], n)
		}
		s = strings.Replace(s, edits[i], edits[i+1], 1)
	}
	return []byte(s)
}

// btMap maps fixture name, edited (see btFixture), as a notification of
// kind kind.
func btMap(t *testing.T, kind, name string, edits ...string) ([]commerce.Canonical, error) {
	t.Helper()
	return commerce.Map(braintreeRaw(kind, btFixture(t, name, edits...)))
}

// TestBraintreeEvents: what each mapped kind means, by the transaction's
// type where a transaction kind carries a sale or a refund.
func TestBraintreeEvents(t *testing.T) {
	for _, c := range []struct {
		kind, fixture string
		edits         []string
		want          string // entity.action/status subject
	}{
		{"transaction_settled", "transaction_settled", nil, "payment.succeeded/succeeded my_id"},
		{"transaction_settlement_declined", "transaction_settlement_declined", nil, "payment.failed/failed my_id"},
		{"transaction_settled", "transaction_settled-credit", nil, "refund.created/succeeded my_refund_id"},
		{"transaction_settlement_declined", "transaction_settled-credit", nil, "refund.created/failed my_refund_id"},
		{"refund_failed", "refund_failed", nil, "refund.created/failed my_id"},
		{"subscription_charged_successfully", "subscription_charged_successfully", nil, "payment.succeeded/succeeded my_id"},
		{"subscription_charged_unsuccessfully", "subscription_charged_unsuccessfully", nil, "payment.failed/failed my_id"},
		{"local_payment_completed", "local_payment_completed", nil, "payment.succeeded/succeeded PAY-XYZ123"},
		{"local_payment_funded", "local_payment_funded", nil, "payment.succeeded/succeeded PAY-XYZ123"},
		{"local_payment_reversed", "local_payment_reversed", nil, "refund.created/succeeded PAY-XYZ123"},
		// An instant local payment's notification need not carry a
		// transaction (Braintree's docs: the shop makes one with the nonce).
		{"local_payment_completed", "local_payment_completed", []string{"<transaction>", "<!--", "</transaction>", "-->"}, "payment.succeeded/succeeded PAY-XYZ123"},
	} {
		t.Run(c.kind+"/"+c.fixture, func(t *testing.T) {
			evs, err := btMap(t, c.kind, c.fixture, c.edits...)
			if err != nil || len(evs) != 1 {
				t.Fatalf("Map = %v, %v; want one event", evs, err)
			}
			ev := evs[0]
			if got := ev.Entity + "." + ev.Action + "/" + dataStatus(ev.Data) + " " + ev.Subject; got != c.want {
				t.Errorf("got %s, want %s", got, c.want)
			}
			if want := time.Date(2024, 6, 3, 10, 15, 30, 0, time.UTC); !ev.Time.Equal(want) {
				t.Errorf("time %v, want the notification's %v", ev.Time, want)
			}
		})
	}
}

// TestBraintreeTransaction: a transaction's values as the model writes
// them; the latest transaction of a subscription, listed first, is the
// charge.
func TestBraintreeTransaction(t *testing.T) {
	full := "<id>my_id</id>\n              <type>sale</type>\n              <currency-iso-code>eur</currency-iso-code>\n" +
		"              <order-id> order-1 </order-id>\n              <payment-instrument-type>credit_card</payment-instrument-type>\n" +
		"              <created-at type=\"datetime\">2024-06-01T08:00:00Z</created-at>\n" +
		"              <updated-at type=\"datetime\">2024-06-03T10:15:29+02:00</updated-at>"
	evs, err := btMap(t, "subscription_charged_successfully", "subscription_charged_successfully",
		"<transactions type=\"array\">", "<transactions type=\"array\"><transaction><id>newest</id><amount>9.99</amount></transaction>")
	if err != nil || len(evs) != 1 || evs[0].Subject != "newest" {
		t.Fatalf("Map = %v, %v; want the first listed transaction's payment", evs, err)
	}
	if p := evs[0].Data.(*commerce.Payment); p.Amount != "9.99" || p.Currency != "" {
		t.Errorf("payment %+v: want 9.99 and no currency, as the transaction names none", p)
	}
	evs, err = btMap(t, "subscription_charged_successfully", "subscription_charged_successfully", "<id>my_id</id>\n              <status>", full+"\n              <status>")
	if err != nil || len(evs) != 1 {
		t.Fatalf("Map = %v, %v", evs, err)
	}
	want := commerce.Payment{
		ID: "my_id", OrderID: "order-1", Platform: "braintree", Source: "acme-bt", Amount: "49.99", Currency: "EUR",
		Status: commerce.PaymentSucceeded, Method: "credit_card", CreatedAt: "2024-06-01T08:00:00Z", UpdatedAt: "2024-06-03T08:15:29Z",
	}
	if p := evs[0].Data.(*commerce.Payment); *p != want {
		t.Errorf("payment\n %+v, want\n %+v", *p, want)
	}
}

// TestBraintreeUnusable: a notification of a mapped kind that cannot be
// read, or that sends an element the mapping reads twice, is unusable.
func TestBraintreeUnusable(t *testing.T) {
	for _, c := range []struct {
		name, kind, fixture string
		edits               []string
	}{
		{"not XML", "transaction_settled", "transaction_settled", []string{"<notification>", "{"}},
		{"another root", "transaction_settled", "transaction_settled", []string{"notification>\n          <timestamp", "note>\n          <timestamp", "</notification>", "</note>"}},
		{"a second notification", "transaction_settled", "transaction_settled", []string{"</notification>", "</notification><notification/>"}},
		{"text after the notification", "transaction_settled", "transaction_settled", []string{"</notification>", "</notification>x"}},
		{"two timestamps", "transaction_settled", "transaction_settled", []string{"<kind>", "<timestamp>2024-06-03T10:15:31Z</timestamp><kind>"}},
		{"two subjects", "transaction_settled", "transaction_settled", []string{"</notification>", "<subject/></notification>"}},
		{"two transactions", "transaction_settled", "transaction_settled", []string{"</subject>", "<transaction><id>x</id><type>sale</type></transaction></subject>"}},
		{"two ids", "transaction_settled", "transaction_settled", []string{"<id>my_id</id>", "<id>my_id</id><id>other</id>"}},
		{"two amounts", "transaction_settled", "transaction_settled", []string{"<amount>100.00</amount>", "<amount>100.00</amount><amount>1.00</amount>"}},
		{"two types", "transaction_settled", "transaction_settled", []string{"<type>sale</type>", "<type>sale</type><type>credit</type>"}},
		{"two currencies", "transaction_settled", "transaction_settled", []string{"<currency-iso-code>USD</currency-iso-code>", "<currency-iso-code>USD</currency-iso-code><currency-iso-code>EUR</currency-iso-code>"}},
		{"bad timestamp", "transaction_settled", "transaction_settled", []string{"2024-06-03T10:15:30Z", "today"}},
		{"timestamp past 9999", "transaction_settled", "transaction_settled", []string{"2024-06-03T10:15:30Z", "9999-12-31T23:00:00-05:00"}},
		{"no subject", "transaction_settled", "transaction_settled", []string{"<subject>", "<x>", "</subject>", "</x>"}},
		{"no transaction id", "transaction_settled", "transaction_settled", []string{"<id>my_id</id>", ""}},
		{"no type", "transaction_settled", "transaction_settled", []string{"<type>sale</type>", ""}},
		{"another type", "transaction_settlement_declined", "transaction_settlement_declined", []string{"<type>sale</type>", "<type>authorization</type>"}},
		{"amount with a comma", "transaction_settled", "transaction_settled", []string{"100.00", "100,00"}},
		{"amount with an exponent", "transaction_settled", "transaction_settled", []string{"100.00", "1e2"}},
		{"bad currency", "transaction_settled", "transaction_settled", []string{">USD<", ">US$<"}},
		{"bad created-at", "refund_failed", "refund_failed", []string{"<amount>", "<created-at>yesterday</created-at><amount>"}},
		{"refund without id", "refund_failed", "refund_failed", []string{"<id>my_id</id>", "<id/>"}},
		{"subscription without transactions", "subscription_charged_successfully", "subscription_charged_successfully", []string{"<transaction>", "<!--", "</transaction>", "-->"}},
		{"two transaction lists", "subscription_charged_unsuccessfully", "subscription_charged_unsuccessfully", []string{"<add_ons", "<transactions/><add_ons"}},
		{"two subscriptions", "subscription_charged_successfully", "subscription_charged_successfully", []string{"</subject>", "<subscription/></subject>"}},
		{"subscription transaction without id", "subscription_charged_successfully", "subscription_charged_successfully", []string{"<id>my_id</id>\n              <status>", "<status>"}},
		{"no payment-id", "local_payment_reversed", "local_payment_reversed", []string{"<payment-id>PAY-XYZ123</payment-id>", ""}},
		{"two payment-ids", "local_payment_completed", "local_payment_completed", []string{"<payment-id>PAY-XYZ123</payment-id>", "<payment-id>PAY-XYZ123</payment-id><payment-id>PAY-2</payment-id>"}},
		{"two local payment transactions", "local_payment_funded", "local_payment_funded", []string{"</local-payment-funded>", "<transaction/></local-payment-funded>"}},
		{"bad local payment amount", "local_payment_completed", "local_payment_completed", []string{"<amount>49.99</amount>", "<amount>49.99 EUR</amount>"}},
		{"funded kind, completed object", "local_payment_funded", "local_payment_completed", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			evs, err := btMap(t, c.kind, c.fixture, c.edits...)
			if !errors.Is(err, commerce.ErrUnusable) || evs != nil {
				t.Fatalf("Map = %v, %v; want an error wrapping ErrUnusable", evs, err)
			}
		})
	}
}

// TestBraintreeUnusableQuotesNoPayload: the reason an XML document is
// refused names no element or text from it (encoding/xml's errors do).
func TestBraintreeUnusableQuotesNoPayload(t *testing.T) {
	_, err := commerce.Map(braintreeRaw("transaction_settled", []byte("<secret-name>x</secret-name>")))
	if !errors.Is(err, commerce.ErrUnusable) || strings.Contains(err.Error(), "secret") {
		t.Errorf("Map error %v: want ErrUnusable without the payload", err)
	}
}

// TestBraintreeSkipped: a kind that means no canonical event is skipped
// even when its payload cannot be read.
func TestBraintreeSkipped(t *testing.T) {
	for _, kind := range []string{
		"dispute_opened", "dispute_lost", "dispute_won", "transaction_disbursed", "transaction_retried",
		"transaction_reviewed", "local_payment_expired", "subscription_went_active", "subscription_canceled",
		"subscription_billing_skipped", "payment_method_revoked_by_customer", "disbursement", "check",
	} {
		if evs, err := commerce.Map(braintreeRaw(kind, []byte("not xml"))); err != nil || evs != nil {
			t.Errorf("%s: Map = %v, %v; want nothing", kind, evs, err)
		}
	}
}

// The bridge's Braintree samples (what `hookbridge send` posts) map as
// real notifications of their kinds do.
func TestBraintreeSample(t *testing.T) {
	for _, c := range []struct{ kind, want string }{
		{"subscription_charged_successfully", "payment.succeeded 49.99 "},
		{"transaction_settled", "payment.succeeded 100 USD"},
	} {
		at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
		form, _, err := sample.Delivery("braintree", sample.Locators{}, c.kind, "bt-1", at)
		if err != nil {
			t.Fatal(err)
		}
		body := btSampleXML(t, form)
		evs, err := commerce.Map(braintreeRaw(c.kind, body))
		if err != nil || len(evs) != 1 {
			t.Fatalf("%s: Map = %v, %v; want one event", c.kind, evs, err)
		}
		p := evs[0].Data.(*commerce.Payment)
		if got := evs[0].Entity + "." + evs[0].Action + " " + p.Amount + " " + p.Currency; got != c.want || p.ID != "bt-1" || !evs[0].Time.Equal(at) {
			t.Errorf("%s: %s of %s at %v, want %s of bt-1 at %v", c.kind, got, p.ID, evs[0].Time, c.want, at)
		}
	}
}

// btSampleXML is the notification XML of a sample form, as the bridge
// decodes it from bt_payload.
func btSampleXML(t *testing.T, form []byte) []byte {
	t.Helper()
	v, err := url.ParseQuery(string(form))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := base64.StdEncoding.DecodeString(v.Get("bt_payload"))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// FuzzBraintreeMapping holds the Braintree mapping to its contract on any
// XML body under any mapped kind (see checkFuzzedEvents).
func FuzzBraintreeMapping(f *testing.F) {
	kinds := []string{
		"transaction_settled", "transaction_settlement_declined", "refund_failed",
		"subscription_charged_successfully", "subscription_charged_unsuccessfully",
		"local_payment_completed", "local_payment_funded", "local_payment_reversed", "dispute_lost",
	}
	for name, body := range fixtures(f, "braintree") {
		f.Add(uint8(slices.Index(kinds, fixtureType(name))), body)
	}
	f.Add(uint8(0), []byte(`<notification><subject><transaction><id>a</id><type>sale</type><amount>1</amount><amount>2</amount></transaction></subject></notification>`))
	f.Add(uint8(3), []byte(`<notification><subject><subscription><transactions><transaction><id>a</id></transaction><transaction><id>b</id></transaction></transactions></subscription></subject></notification><notification/>`))
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		raw := braintreeRaw(kinds[int(which)%len(kinds)], body)
		evs, err := commerce.Map(raw)
		checkFuzzedEvents(t, raw, evs, err)
	})
}
