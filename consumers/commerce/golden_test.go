package commerce_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/consumers/commerce"
	"github.com/hookbridge/hookbridge/consumers/commerce/commercetest"
)

var update = flag.Bool("update", false, "rewrite the golden files of consumers/commerce/testdata")

// fixtures are the platform bodies in testdata/<platform>, by file name
// without .json (or .xml, for a platform whose bodies are XML: Braintree's
// notifications): <type>[-<case>], the type as the bridge names it after
// the platform's prefix (orders.create, order.updated,
// checkout.session.completed).
func fixtures(t testing.TB, platform string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for name, p := range fixtureFiles(t, platform) {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = b
	}
	return out
}

// fixtureFiles are the paths of the fixtures of testdata/<platform>, by
// name (see fixtures).
func fixtureFiles(t testing.TB, platform string) map[string]string {
	t.Helper()
	dir := filepath.Join("testdata", platform)
	var paths []string
	for _, ext := range []string{".json", ".xml"} {
		ps, err := filepath.Glob(filepath.Join(dir, "*"+ext))
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, ps...)
	}
	out := map[string]string{}
	for _, p := range paths {
		if strings.HasSuffix(p, ".golden.json") {
			continue
		}
		name := strings.TrimSuffix(filepath.Base(p), filepath.Ext(p))
		if _, dup := out[name]; dup {
			t.Fatalf("%s: two fixtures named %s", dir, name)
		}
		out[name] = p
	}
	if len(out) == 0 {
		t.Fatal("no fixtures in " + dir)
	}
	return out
}

// fixtureType is the raw event type a fixture was delivered under: the
// name up to the first "-" after its last ".", as a type may itself hold
// a "-" (Mollie's payment-link.paid).
func fixtureType(name string) string {
	dot := strings.LastIndex(name, ".") + 1
	typ, _, _ := strings.Cut(name[dot:], "-")
	return name[:dot] + typ
}

// goldenEvent is a canonical event as the golden files spell it.
type goldenEvent struct {
	Entity  string          `json:"entity"`
	Action  string          `json:"action"`
	Subject string          `json:"subject"`
	Time    string          `json:"time,omitempty"`
	Data    json.RawMessage `json:"data"`
}

// checkGolden maps raw, the fixture testdata/<platform>/<name>, and
// compares the canonical events with <name>.golden.json (-update rewrites
// it). Each event must also encode as the CloudEvent the normaliser
// publishes, on its subject, with data that validates against its schema.
func checkGolden(t *testing.T, platform, name string, raw commerce.Raw) {
	t.Helper()
	evs, err := commerce.Map(raw)
	if err != nil {
		t.Fatalf("Map: %v", err)
	}
	got := []goldenEvent{}
	for _, c := range evs {
		data, err := json.Marshal(c.Data)
		if err != nil {
			t.Fatal(err)
		}
		g := goldenEvent{Entity: c.Entity, Action: c.Action, Subject: c.Subject, Data: data}
		if !c.Time.IsZero() {
			g.Time = c.Time.Format(time.RFC3339Nano)
		}
		got = append(got, g)
		ev, subject, err := commerce.Event(raw, c)
		if err != nil {
			t.Fatalf("Event(%s.%s): %v", c.Entity, c.Action, err)
		}
		if !bytes.Equal(ev.Data(), data) || ev.Subject() != c.Subject || subject != commerce.Subject(c.Entity, c.Action, raw.Provider, raw.Source) {
			t.Errorf("CloudEvent %s on %s does not carry %s.%s", ev, subject, c.Entity, c.Action)
		}
		commercetest.CheckEvent(t, ev)
	}
	out, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, '\n')
	golden := filepath.Join("testdata", platform, name+".golden.json")
	if *update {
		if err := os.WriteFile(golden, out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./consumers/commerce -run Golden -update)", err)
	}
	if !bytes.Equal(out, want) {
		t.Errorf("canonical events differ from %s:\n--- got\n%s--- want\n%s", golden, out, want)
	}
}

// Every fixture of every platform says where it comes from.
func TestFixturesHaveSources(t *testing.T) {
	for _, platform := range commerce.Providers() {
		sources, err := os.ReadFile(filepath.Join("testdata", platform, "SOURCES.md"))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range fixtureFiles(t, platform) {
			if file := filepath.Base(p); !bytes.Contains(sources, []byte(file)) {
				t.Errorf("%s/%s is not in SOURCES.md", platform, file)
			}
		}
	}
}

// dataStatus is the status of a payment's or a refund's data, "" for
// other data.
func dataStatus(data any) string {
	switch d := data.(type) {
	case *commerce.Payment:
		return d.Status
	case *commerce.Refund:
		return d.Status
	}
	return ""
}

// editedFixture is testdata/<platform>/<name>.json with edit applied to
// its decoded object when edit is not nil; numbers stay as written, so
// ids keep every digit.
func editedFixture(tb testing.TB, platform, name string, edit func(map[string]any)) []byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", platform, name+".json"))
	if err != nil {
		tb.Fatal(err)
	}
	if edit == nil {
		return data
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		tb.Fatal(err)
	}
	edit(m)
	if data, err = json.Marshal(m); err != nil {
		tb.Fatal(err)
	}
	return data
}

// checkFuzzedEvents fails t unless a mapping's result keeps the contract:
// an error wraps ErrUnusable and comes with no events; every event has a
// subject, data that marshals with its platform, source and id set, money
// as plain decimals, currencies as ISO 4217 codes and times in RFC 3339,
// and encodes as a CloudEvent.
func checkFuzzedEvents(t *testing.T, raw commerce.Raw, evs []commerce.Canonical, err error) {
	t.Helper()
	if err != nil {
		if !errors.Is(err, commerce.ErrUnusable) || evs != nil {
			t.Fatalf("Map = %v, %v: an error must wrap ErrUnusable, with no events", evs, err)
		}
		return
	}
	for _, c := range evs {
		b, err := json.Marshal(c.Data)
		if err != nil {
			t.Fatalf("%s.%s data does not marshal: %v", c.Entity, c.Action, err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		if c.Subject == "" || m["platform"] != raw.Provider || m["source"] != raw.Source || m["id"] != c.Subject {
			t.Fatalf("%s.%s: platform %v, source %v, id %v (subject %q)", c.Entity, c.Action, m["platform"], m["source"], m["id"], c.Subject)
		}
		shopifyCheckValues(t, m)
		if _, _, err := commerce.Event(raw, c); err != nil {
			t.Fatalf("%s.%s does not encode: %v", c.Entity, c.Action, err)
		}
	}
}

// idOnlyOrderActions fails t unless every event of evs is the order id,
// with status and platformStatus, and none of the details a platform that
// sends ids only (BigCommerce, Ecwid) cannot give; it returns the events'
// actions in order.
func idOnlyOrderActions(t *testing.T, evs []commerce.Canonical, id, status, platformStatus string) []string {
	t.Helper()
	var actions []string
	for _, e := range evs {
		o, ok := e.Data.(*commerce.Order)
		if !ok {
			t.Fatalf("%s.%s: data %T, want an order", e.Entity, e.Action, e.Data)
		}
		if o.ID != id || e.Subject != id || o.Status != status || o.PlatformStatus != platformStatus {
			t.Errorf("%s: order %q status %q (%q), want %s %q (%q)", e.Action, o.ID, o.Status, o.PlatformStatus, id, status, platformStatus)
		}
		if o.Total != "" || o.Currency != "" || o.LineItems != nil || o.Customer != nil {
			t.Errorf("%s: details the platform does not send: %+v", e.Action, o)
		}
		actions = append(actions, e.Action)
	}
	return actions
}

// rawOf is how platform's fixtures are read as raw events from WEBHOOKS
// (each platform's <platform>Raw). A mapped platform missing here fails
// the test, rather than going untested.
func rawOf(t testing.TB, platform string) func(string, []byte) commerce.Raw {
	t.Helper()
	raw, ok := map[string]func(string, []byte) commerce.Raw{
		"shopify": shopifyRaw, "woocommerce": wooRaw, "stripe": stripeRaw,
		"paddle": paddleRaw, "razorpay": razorpayRaw, "square": squareRaw, "adyen": adyenRaw,
		"bigcommerce": bigCommerceRaw, "shopware": shopwareRaw, "chargebee": chargebeeRaw, "recurly": recurlyRaw,
		"lemonsqueezy": lemonSqueezyRaw, "mollie": mollieRaw, "braintree": braintreeRaw, "ecwid": ecwidRaw,
		"paypal": paypalRaw, "saleor": saleorRaw, "adobe": adobeRaw,
	}[platform]
	if !ok {
		t.Fatalf("no raw reader for platform %q: add its <platform>Raw to rawOf", platform)
	}
	return raw
}

// TestGoldenEveryPlatform maps each fixture in testdata/<platform>, for
// every platform the normaliser maps, and compares the canonical events
// with its golden file (see checkGolden).
func TestGoldenEveryPlatform(t *testing.T) {
	for _, platform := range commerce.Providers() {
		raw := rawOf(t, platform)
		for name, body := range fixtures(t, platform) {
			t.Run(platform+"/"+name, func(t *testing.T) { checkGolden(t, platform, name, raw(fixtureType(name), body)) })
		}
	}
}
