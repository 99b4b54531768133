package integration

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/bridge/provider"
	"github.com/hookbridge/hookbridge/consumers/commerce"
	"github.com/hookbridge/hookbridge/consumers/inventory"
	"github.com/hookbridge/hookbridge/consumers/shipping"
	"github.com/hookbridge/hookbridge/integration/images"
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

	compose, ports := upCompose(ctx, t, file, nil, []string{"hookbridge", "inventory", "shipping"},
		"NATS_PORT", "HOOKBRIDGE_PORT", "HOOKBRIDGE_ADMIN_PORT", "INVENTORY_PORT", "SHIPPING_PORT")
	// What `down -v` must remove, found by the label the teardown checks.
	if up, err := compose.leftovers(ctx, false); err != nil || len(up) != 7 {
		t.Errorf("the project's label finds %q (%v); want its 5 containers, its network and its volume", up, err)
	}

	src := devSource(t, source)
	platform := NewSourcePlatform(t, "http://127.0.0.1:"+ports["HOOKBRIDGE_PORT"]+"/webhooks/", src)
	_, js := ConnectURLs(t, "nats://127.0.0.1:"+ports["NATS_PORT"])
	order, _ := composeOrder(ctx, t, compose, platform, src.Name, js, sku)
	checkOrderServed(ctx, t, order, sku,
		&Service{Name: "inventory", URL: "http://127.0.0.1:" + ports["INVENTORY_PORT"]},
		&Service{Name: "shipping", URL: "http://127.0.0.1:" + ports["SHIPPING_PORT"]})
}

// upCompose brings up, as a developer would, the services of the compose
// file that profiles enable, after checking that each runs an image the
// project builds (compose never builds nor pulls here); the published ports
// named by portVars are moved to free ones and hookbridge.yaml's
// development secrets apply. It returns once each of healthy reports
// healthy, with the project (torn down when the test ends) and the ports.
func upCompose(ctx context.Context, t testing.TB, file string, profiles, healthy []string, portVars ...string) (*Compose, map[string]string) {
	t.Helper()
	services, err := composeServices(file)
	if err != nil {
		t.Fatal(err)
	}
	for name, svc := range services {
		if len(svc.Profiles) > 0 && !slices.ContainsFunc(svc.Profiles, func(p string) bool { return slices.Contains(profiles, p) }) {
			continue
		}
		image, _, _ := strings.Cut(svc.Image, ":")
		if !slices.Contains(images.Names(), image) {
			t.Fatalf("%s runs service %s from image %q, which the project does not build", file, name, svc.Image)
		}
		if ref := Image(t, image); svc.Image != ref {
			t.Fatalf("%s runs service %s from image %q, but the project builds %q", file, name, svc.Image, ref)
		}
	}

	ports := map[string]string{}
	for i, port := range freePorts(t, len(portVars)) {
		ports[portVars[i]] = port
	}
	env := map[string]string{
		// hookbridge.yaml's development secrets apply when these are empty.
		"ACME_SHOPIFY_SECRET": "", "ACME_WOO_SECRET": "", "STRIPE_WEBHOOK_SECRET": "",
	}
	for k, v := range ports {
		env[k] = v
	}
	compose := NewCompose(t, file, env)
	compose.Profiles = profiles
	start := time.Now()
	if out, err := compose.Run(ctx, "up", "-d", "--no-build"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, service := range healthy {
		poll(t, 2*time.Minute, service+" healthy", func() (bool, string) {
			status, err := compose.Health(ctx, service)
			if err != nil {
				return false, err.Error()
			}
			return status == "healthy", status
		})
	}
	t.Logf("project %s up and healthy in %s", compose.Project, time.Since(start).Round(100*time.Millisecond))
	return compose, ports
}

// devSource returns the source name of hookbridge.yaml with its development
// secret, read as hookbridge reads it with none of the variables set: a
// source is a name and a provider's config, and the rest of the file is
// hookbridge's to check.
func devSource(t testing.TB, name string) Source {
	t.Helper()
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
	i := slices.IndexFunc(cfg.Sources, func(s configured) bool { return s.Name == name })
	if i < 0 || len(cfg.Sources[i].Secrets) == 0 || cfg.Sources[i].Secrets[0] == "" {
		t.Fatalf("hookbridge.yaml has no source %s with a secret", name)
	}
	return Source{Name: name, Kind: cfg.Sources[i].Kind, Secret: cfg.Sources[i].Secrets[0]}
}

// composeOrder creates and pays a Shopify order of 2 sku through platform,
// which sends to the Shopify source, each delivery answered 200
// "published", and waits for the normaliser's two canonical events of it in
// COMMERCE. It returns the order and its two deliveries.
func composeOrder(ctx context.Context, t testing.TB, compose *Compose, platform *Platform, source string, js jetstream.JetStream, sku string) (Order, []Result) {
	t.Helper()
	order := Order{ID: "1001", Lines: []Line{{sku, 2}}}
	suffix := compose.Project[len(compose.Project)-8:]
	var results []Result
	for i, event := range []string{"orders/create", "orders/paid"} {
		d, err := platform.OrderDelivery(fmt.Sprintf("smoke-%s-%d", suffix, i), event, order, "")
		if err != nil {
			t.Fatal(err)
		}
		r := platform.Deliver(ctx, d)
		if !r.OK() || r.Final().Answer.Status != "published" {
			t.Fatalf("%s: %v; want 200 published", event, r.Final())
		}
		results = append(results, r)
	}

	// The normaliser, a service of its own, publishes the order's canonical events.
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
	return order, results
}

// checkOrderServed waits until inv reserves order's stock of sku (seeded
// with 100) and ship has created its one shipment.
func checkOrderServed(ctx context.Context, t testing.TB, order Order, sku string, inv, ship *Service) {
	t.Helper()
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

// TestComposeCluster: docker-compose.yml's profile "cluster" starts, beside
// the default services, three NATS nodes in one cluster, two bridges, Caddy
// in front of them, and its own normaliser, inventory and shipping; the
// bridges and the samples become healthy; a Shopify order sent through
// Caddy's published port is stored in WEBHOOKS, at replicas 3 with both
// followers current, reserves its stock and becomes a shipment; and
// `docker-compose --profile cluster down -v` leaves nothing behind.
func TestComposeCluster(t *testing.T) {
	RequireDocker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	const (
		file   = "../docker-compose.yml"
		source = "acme-shop"
		sku    = "HB-MUG-01" // seeded with 100 by the compose file
	)
	compose, ports := upCompose(ctx, t, file, []string{"cluster"},
		[]string{"bridge-1", "bridge-2", "cluster-inventory", "cluster-shipping"},
		// The default services start too: their ports move out of the way.
		"NATS_PORT", "HOOKBRIDGE_PORT", "HOOKBRIDGE_ADMIN_PORT", "INVENTORY_PORT", "SHIPPING_PORT",
		"CLUSTER_PORT", "CLUSTER_NATS_PORT", "CLUSTER_INVENTORY_PORT", "CLUSTER_SHIPPING_PORT")
	// 5 default and 9 cluster containers, the network, the default volume;
	// the nodes' anonymous volumes carry no label (the teardown finds them).
	if up, err := compose.leftovers(ctx, false); err != nil || len(up) != 16 {
		t.Errorf("the project's label finds %q (%v); want its 14 containers, its network and its volume", up, err)
	}

	src := devSource(t, source)
	platform := NewSourcePlatform(t, "http://127.0.0.1:"+ports["CLUSTER_PORT"]+"/webhooks/", src)
	_, js := ConnectURLs(t, "nats://127.0.0.1:"+ports["CLUSTER_NATS_PORT"])
	order, results := composeOrder(ctx, t, compose, platform, src.Name, js, sku)

	var info *jetstream.StreamInfo
	poll(t, time.Minute, "WEBHOOKS with both followers current", func() (bool, string) {
		s, err := js.Stream(ctx, Stream)
		if err != nil {
			return false, err.Error()
		}
		if info, err = s.Info(ctx); err != nil {
			return false, err.Error()
		}
		c := info.Cluster
		if c == nil || c.Leader == "" || len(c.Replicas) != 2 {
			return false, fmt.Sprintf("cluster %+v", c)
		}
		for _, p := range c.Replicas {
			if !p.Current {
				return false, fmt.Sprintf("follower %s is not current", p.Name)
			}
		}
		return true, ""
	})
	if info.Config.Replicas != 3 {
		t.Errorf("WEBHOOKS has replicas %d, want 3", info.Config.Replicas)
	}
	t.Logf("WEBHOOKS: leader %s, followers %s and %s; %d messages",
		info.Cluster.Leader, info.Cluster.Replicas[0].Name, info.Cluster.Replicas[1].Name, info.State.Msgs)
	stored := ReadStream(ctx, t, js, Stream)
	for _, r := range results {
		n := 0
		for _, m := range stored {
			if m.CEID == r.ID && m.MsgID == source+":"+r.ID {
				n++
			}
		}
		if n != 1 {
			t.Errorf("delivery %s is stored %d times in WEBHOOKS, want once", r.ID, n)
		}
	}
	if canon, err := js.Stream(ctx, commerce.Stream); err != nil {
		t.Error(err)
	} else if r := canon.CachedInfo().Config.Replicas; r != 3 {
		t.Errorf("COMMERCE has replicas %d, want 3 (the normaliser's nats.replicas)", r)
	}

	checkOrderServed(ctx, t, order, sku,
		&Service{Name: "inventory", URL: "http://127.0.0.1:" + ports["CLUSTER_INVENTORY_PORT"]},
		&Service{Name: "shipping", URL: "http://127.0.0.1:" + ports["CLUSTER_SHIPPING_PORT"]})
}
