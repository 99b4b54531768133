package commerce_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/consumers/commerce"
)

var update = flag.Bool("update", false, "rewrite the golden files of consumers/commerce/testdata")

// stripeFixtures are the Stripe events in testdata/stripe, by file name
// without .json: each is an Event object as Stripe posts it, and its name
// is its type.
func stripeFixtures(t testing.TB) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "stripe", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	fixtures := make(map[string][]byte)
	for _, p := range paths {
		if strings.HasSuffix(p, ".golden.json") {
			continue
		}
		body, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		fixtures[strings.TrimSuffix(filepath.Base(p), ".json")] = body
	}
	if len(fixtures) == 0 {
		t.Fatal("no fixtures in testdata/stripe")
	}
	return fixtures
}

// stripeRaw is body as the normaliser reads it from WEBHOOKS: the bridge
// names the CloudEvent type after the body's type.
func stripeRaw(typ string, body []byte) commerce.Raw {
	return commerce.Raw{
		Provider: "stripe", Source: "acme-pay", ID: "evt-golden",
		Type: "com.stripe." + typ, EvSource: "https://stripe.com",
		Time: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC), Data: body,
	}
}

// goldenEvent is how a golden file writes one canonical event.
type goldenEvent struct {
	Entity  string `json:"entity"`
	Action  string `json:"action"`
	Subject string `json:"subject"`
	Time    string `json:"time,omitempty"`
	Data    any    `json:"data"`
}

// TestStripeGolden maps each fixture in testdata/stripe and compares the
// canonical events with <name>.golden.json (-update rewrites them). Every
// event must also encode as the CloudEvent the normaliser publishes.
func TestStripeGolden(t *testing.T) {
	for name, body := range stripeFixtures(t) {
		t.Run(name, func(t *testing.T) {
			raw := stripeRaw(name, body)
			evs, err := commerce.Map(raw)
			if err != nil {
				t.Fatalf("Map: %v", err)
			}
			out := make([]goldenEvent, 0, len(evs))
			for _, c := range evs {
				if _, _, err := commerce.Event(raw, c); err != nil {
					t.Errorf("%s.%s does not encode: %v", c.Entity, c.Action, err)
				}
				g := goldenEvent{Entity: c.Entity, Action: c.Action, Subject: c.Subject, Data: c.Data}
				if !c.Time.IsZero() {
					g.Time = c.Time.Format(time.RFC3339)
				}
				out = append(out, g)
			}
			got, err := json.MarshalIndent(out, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := filepath.Join("testdata", "stripe", name+".golden.json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./consumers/commerce -run TestStripeGolden -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("canonical events differ from %s:\n--- got\n%s--- want\n%s", golden, got, want)
			}
		})
	}
}
