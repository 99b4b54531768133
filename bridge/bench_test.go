package bridge_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/bridge"
	"github.com/hookbridge/hookbridge/bridge/provider"
	"github.com/hookbridge/hookbridge/internal/natsserver"
	"github.com/hookbridge/hookbridge/internal/sample"
)

// BenchmarkDelivery is the whole delivery path in one process: handler,
// verification, encoding and a JetStream publish to an embedded server over
// an in-process connection, waiting for each PubAck. Run it with
// -cpuprofile to see where a delivery's time goes.
//
//	go test ./bridge -run '^$' -bench Delivery -benchtime 20000x -cpuprofile cpu.out
func BenchmarkDelivery(b *testing.B) {
	ns, err := natsserver.Start(natsserver.Config{Listen: "127.0.0.1:0", StoreDir: b.TempDir()}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { ns.Shutdown(); ns.WaitForShutdown() }()
	nc, err := nats.Connect(ns.ClientURL(), nats.InProcessServer(ns))
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	if _, err := bridge.EnsureStream(b.Context(), js, bridge.StreamConfig{Name: "WEBHOOKS", SubjectPrefix: "webhooks", Replicas: 1, Duplicates: time.Hour}); err != nil {
		b.Fatal(err)
	}
	p, err := provider.New(provider.Config{Kind: "shopify", Secrets: []string{"bench-secret"}})
	if err != nil {
		b.Fatal(err)
	}
	h, err := bridge.NewServer(bridge.Config{Failures: new(bridge.LastFailure)}, []bridge.Source{{Name: "acme-shop", Provider: p}}, js, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	type req struct {
		body []byte
		hdr  http.Header
	}
	reqs := make([]req, b.N)
	now := time.Now()
	for i := range reqs {
		body, hdr, err := sample.Delivery("shopify", sample.Locators{}, "", fmt.Sprintf("bench-%d", i), now)
		if err != nil {
			b.Fatal(err)
		}
		body = sample.Pad(body, 1024)
		if err := p.Sign(body, hdr, now); err != nil {
			b.Fatal(err)
		}
		reqs[i] = req{body, hdr}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		r := httptest.NewRequest(http.MethodPost, "/webhooks/acme-shop", bytes.NewReader(reqs[i].body))
		r.Header = reqs[i].hdr
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}
