package integration

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/bridge/provider"
	"github.com/hookbridge/hookbridge/consumers/commerce"
	"github.com/hookbridge/hookbridge/consumers/inventory"
	"github.com/hookbridge/hookbridge/consumers/shipping"
	"github.com/hookbridge/hookbridge/internal/config"
)

// TestComposeSmoke: the repository's docker-compose.yml, as a developer runs
// it (published ports moved to free ones through its variables), starts
// NATS, hookbridge, inventory and shipping from the locally built images; the
// three services become healthy; a Shopify order signed with the development
// secret of hookbridge.yaml, created and paid through the published
// hookbridge port, reserves its stock (GET /stock/HB-MUG-01) and becomes a
// shipment (GET /shipments); and `docker-compose down -v` leaves no
// container, network or volume of the project behind.
func TestComposeSmoke(t *testing.T) {
	RequireDocker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	const (
		file   = "../docker-compose.yml"
		source = "acme-shop"
		sku    = "HB-MUG-01" // seeded with 100 by the compose file
	)

	// compose never builds nor pulls here: the images must be the ones the
	// project builds, under the names the compose file uses.
	images, err := composeImages(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"nats", "hookbridge", "inventory", "shipping"} {
		if ref := Image(t, name); images[name] != ref {
			t.Fatalf("%s runs service %s from image %q, but the project builds %q", file, name, images[name], ref)
		}
	}

	ports := map[string]string{}
	for _, v := range []string{"NATS_PORT", "HOOKBRIDGE_PORT", "HOOKBRIDGE_ADMIN_PORT", "INVENTORY_PORT", "SHIPPING_PORT"} {
		ports[v] = freePort(t)
	}
	env := map[string]string{
		// hookbridge.yaml's development secrets apply when these are empty.
		"ACME_SHOPIFY_SECRET": "", "ACME_WOO_SECRET": "", "STRIPE_WEBHOOK_SECRET": "",
	}
	for k, v := range ports {
		env[k] = v
	}
	compose := NewCompose(t, file, env)
	start := time.Now()
	if out, err := compose.Run(ctx, "up", "-d", "--no-build"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, service := range []string{"hookbridge", "inventory", "shipping"} {
		poll(t, 2*time.Minute, service+" healthy", func() (bool, string) {
			status, err := compose.Health(ctx, service)
			if err != nil {
				return false, err.Error()
			}
			return status == "healthy", status
		})
	}
	t.Logf("project %s up and healthy in %s", compose.Project, time.Since(start).Round(100*time.Millisecond))
	// What `down -v` must remove, found by the label the teardown checks.
	if up, err := compose.leftovers(ctx, false); err != nil || len(up) != 7 {
		t.Errorf("the project's label finds %q (%v); want its 5 containers, its network and its volume", up, err)
	}

	// The development secret, read as hookbridge reads it with none of the
	// variables set: a source is a name and a provider's config, and the
	// rest of the file is hookbridge's to check.
	type configured struct {
		Name            string `yaml:"name"`
		provider.Config `yaml:",inline"`
	}
	var cfg struct {
		Sources []configured `yaml:"sources"`
	}
	if _, err := config.Load(filepath.Join("..", "hookbridge.yaml"), func(string) string { return "" }, &cfg, config.IgnoreUnknownKeys()); err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(cfg.Sources, func(s configured) bool { return s.Name == source })
	if i < 0 || len(cfg.Sources[i].Secrets) == 0 || cfg.Sources[i].Secrets[0] == "" {
		t.Fatalf("hookbridge.yaml has no source %s with a secret", source)
	}
	src := Source{Name: source, Kind: cfg.Sources[i].Kind, Secret: cfg.Sources[i].Secrets[0]}
	platform := NewSourcePlatform(t, "http://127.0.0.1:"+ports["HOOKBRIDGE_PORT"]+"/webhooks/", src)

	order := Order{ID: "1001", Lines: []Line{{sku, 2}}}
	suffix := compose.Project[len(compose.Project)-8:]
	for i, event := range []string{"orders/create", "orders/paid"} {
		d, err := platform.OrderDelivery(fmt.Sprintf("smoke-%s-%d", suffix, i), event, order, "")
		if err != nil {
			t.Fatal(err)
		}
		if r := platform.Deliver(ctx, d); !r.OK() || r.Final().Answer.Status != "published" {
			t.Fatalf("%s: %v; want 200 published", event, r.Final())
		}
	}

	// The normaliser, a service of its own, publishes the order's canonical events.
	nc, err := nats.Connect("nats://127.0.0.1:" + ports["NATS_PORT"])
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	poll(t, time.Minute, "the order's canonical events", func() (bool, string) {
		s, err := js.Stream(ctx, commerce.Stream)
		if err != nil {
			return false, err.Error()
		}
		info, err := s.Info(ctx)
		if err != nil {
			return false, err.Error()
		}
		return info.State.Msgs == 2, fmt.Sprintf("%d messages, subjects %v", info.State.Msgs, info.State.Subjects)
	})
	canon, err := js.Stream(ctx, commerce.Stream)
	if err != nil {
		t.Fatal(err)
	}
	for _, subject := range []string{"commerce.order.created.shopify." + source, "commerce.order.paid.shopify." + source} {
		if _, err := canon.GetLastMsgForSubject(ctx, subject); err != nil {
			t.Errorf("no canonical event on %s: %v", subject, err)
		}
	}

	inv := &Service{Name: "inventory", URL: "http://127.0.0.1:" + ports["INVENTORY_PORT"]}
	var stock inventory.Stock
	poll(t, time.Minute, "the order's reservation", func() (bool, string) {
		var err error
		if stock, err = inv.Stock(ctx, sku); err != nil {
			return false, err.Error()
		}
		return stock.Orders > 0, fmt.Sprintf("%+v", stock)
	})
	if want := (inventory.Stock{SKU: sku, OnHand: 100, Reserved: 2, Available: 98, Orders: 1}); stock != want {
		t.Errorf("stock %+v, want %+v", stock, want)
	}

	ship := &Service{Name: "shipping", URL: "http://127.0.0.1:" + ports["SHIPPING_PORT"]}
	var shipments []shipping.Shipment
	poll(t, time.Minute, "a shipment", func() (bool, string) {
		var err error
		if shipments, err = ship.Shipments(ctx); err != nil {
			return false, err.Error()
		}
		return len(shipments) > 0, fmt.Sprintf("%+v", shipments)
	})
	if len(shipments) != 1 || shipments[0].Platform != "shopify" || shipments[0].OrderID != order.ID ||
		shipments[0].Status != shipping.StatusCreated || !sameItems(shipments[0].Items, order.Lines) {
		t.Errorf("shipments %+v, want one created for Shopify order %s with %+v", shipments, order.ID, order.Lines)
	}
}
