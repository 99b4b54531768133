package commerce_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/consumers/commerce"
)

var updateWoo = flag.Bool("update", false, "rewrite the golden files of testdata/<platform>")

const wooDir = "testdata/woocommerce"

// wooRaw is a WooCommerce delivery of topic as the normaliser reads it.
func wooRaw(topic string, body []byte) commerce.Raw {
	return commerce.Raw{
		Provider: "woocommerce",
		Source:   "acme-woo",
		ID:       "1-4f6c0e3a9d2b7c815e0a4b6d3c2f1e0a",
		Type:     "com.woocommerce." + topic,
		EvSource: "https://example.com/",
		Time:     time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC),
		Data:     body,
	}
}

// wooFixtures are the bodies in testdata/woocommerce, by name
// (<topic>[-<case>]).
func wooFixtures(t testing.TB) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(wooDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	fx := map[string][]byte{}
	for _, p := range paths {
		if strings.HasSuffix(p, ".golden.json") {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		fx[strings.TrimSuffix(filepath.Base(p), ".json")] = b
	}
	if len(fx) == 0 {
		t.Fatal("no fixtures in " + wooDir)
	}
	return fx
}

// wooTopic is the topic a fixture was delivered under.
func wooTopic(name string) string {
	topic, _, _ := strings.Cut(name, "-")
	return topic
}

// goldenEvent is a canonical event as the golden files spell it.
type goldenEvent struct {
	Entity  string          `json:"entity"`
	Action  string          `json:"action"`
	Subject string          `json:"subject"`
	Time    string          `json:"time,omitempty"`
	Data    json.RawMessage `json:"data"`
}

// TestWooCommerceGolden maps every fixture and compares the canonical
// events with <name>.golden.json; each must also encode as the CloudEvent
// the normaliser publishes, carrying the same data.
func TestWooCommerceGolden(t *testing.T) {
	for name, body := range wooFixtures(t) {
		t.Run(name, func(t *testing.T) {
			raw := wooRaw(wooTopic(name), body)
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
				if !bytes.Equal(ev.Data(), data) || ev.Subject() != c.Subject || subject != commerce.Subject(c.Entity, c.Action, "woocommerce", "acme-woo") {
					t.Errorf("CloudEvent %s on %s does not carry %s.%s", ev, subject, c.Entity, c.Action)
				}
			}
			out, err := json.MarshalIndent(got, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, '\n')
			golden := filepath.Join(wooDir, name+".golden.json")
			if *updateWoo {
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
		})
	}
}

// Every fixture says where it comes from.
func TestWooCommerceFixturesHaveSources(t *testing.T) {
	sources, err := os.ReadFile(filepath.Join(wooDir, "SOURCES.md"))
	if err != nil {
		t.Fatal(err)
	}
	for name := range wooFixtures(t) {
		if !bytes.Contains(sources, []byte("`"+name+".json`")) {
			t.Errorf("%s.json is not in SOURCES.md", name)
		}
	}
}

// wooDelete in a wooOrder mutation removes the key.
type wooDeleteKey struct{}

var wooDelete = wooDeleteKey{}

// wooOrder is the published order 727 (processing, paid) with set applied
// to its top-level keys.
func wooOrder(t testing.TB, set map[string]any) []byte {
	t.Helper()
	body, err := os.ReadFile(filepath.Join(wooDir, "order.created.json"))
	if err != nil {
		t.Fatal(err)
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var o map[string]any
	if err := d.Decode(&o); err != nil {
		t.Fatal(err)
	}
	for k, v := range set {
		if v == wooDelete {
			delete(o, k)
			continue
		}
		o[k] = v
	}
	out, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// wooMapOrder maps body under topic and returns the actions in order and
// the order's data, which every event of one delivery shares.
func wooMapOrder(t *testing.T, topic string, body []byte) ([]string, *commerce.Order) {
	t.Helper()
	evs, err := commerce.Map(wooRaw(topic, body))
	if err != nil {
		t.Fatalf("Map: %v", err)
	}
	var actions []string
	var order *commerce.Order
	for _, c := range evs {
		o, ok := c.Data.(*commerce.Order)
		if !ok || c.Entity != commerce.EntityOrder || c.Subject != o.ID {
			t.Fatalf("%s.%s for %q: data %T", c.Entity, c.Action, c.Subject, c.Data)
		}
		if order != nil && !reflect.DeepEqual(o, order) {
			t.Errorf("%s carries other data than %s", c.Action, actions[0])
		}
		order = o
		actions = append(actions, c.Action)
	}
	return actions, order
}

// wooDecimal is what a canonical amount must look like.
var wooDecimal = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// FuzzWooCommerceMapping feeds the mapping any topic and body: it must
// never panic, and either refuse the body as unusable or give events a
// consumer can read.
func FuzzWooCommerceMapping(f *testing.F) {
	for name, body := range wooFixtures(f) {
		f.Add(wooTopic(name), body)
	}
	f.Fuzz(func(t *testing.T, topic string, body []byte) {
		raw := wooRaw(topic, body)
		evs, err := commerce.Map(raw)
		if err != nil {
			if !errors.Is(err, commerce.ErrUnusable) || evs != nil {
				t.Fatalf("Map = %d events, %v; want ErrUnusable alone", len(evs), err)
			}
			return
		}
		for _, c := range evs {
			if _, _, err := commerce.Event(raw, c); err != nil {
				t.Fatalf("Event(%s.%s): %v", c.Entity, c.Action, err)
			}
			o, ok := c.Data.(*commerce.Order)
			if !ok || c.Entity != commerce.EntityOrder || o.ID == "" || c.Subject != o.ID {
				t.Fatalf("%s.%s for %q: data %T", c.Entity, c.Action, c.Subject, c.Data)
			}
			if o.Platform != "woocommerce" || o.Source != raw.Source {
				t.Fatalf("platform %q, source %q", o.Platform, o.Source)
			}
			if !c.Time.IsZero() && c.Time.Location() != time.UTC {
				t.Fatalf("time %v is not UTC", c.Time)
			}
			amounts := []string{o.Total, o.Subtotal, o.Tax, o.Shipping, o.Discount}
			for _, li := range o.LineItems {
				amounts = append(amounts, li.UnitPrice)
			}
			for _, m := range amounts {
				if m != "" && !wooDecimal.MatchString(m) {
					t.Fatalf("amount %q is not a decimal", m)
				}
			}
			for _, ts := range []string{o.CreatedAt, o.UpdatedAt} {
				if _, err := time.Parse(time.RFC3339, ts); ts != "" && (err != nil || !strings.HasSuffix(ts, "Z")) {
					t.Fatalf("time %q is not RFC 3339 UTC", ts)
				}
			}
			if !slices.Contains([]string{"", commerce.OrderPending, commerce.OrderPaid, commerce.OrderPartiallyRefunded,
				commerce.OrderRefunded, commerce.OrderFulfilled, commerce.OrderCancelled, commerce.OrderFailed}, o.Status) {
				t.Fatalf("status %q", o.Status)
			}
		}
	})
}
