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
	"go.opentelemetry.io/otel/trace"

	"github.com/hookbridge/hookbridge/bridge"
	"github.com/hookbridge/hookbridge/bridge/provider"
	"github.com/hookbridge/hookbridge/internal/cputime"
	"github.com/hookbridge/hookbridge/internal/natsserver"
	"github.com/hookbridge/hookbridge/internal/otlptest"
	"github.com/hookbridge/hookbridge/internal/sample"
)

// BenchmarkDelivery is the whole delivery path in one process, per
// provider of hookload's default mix: handler, verification, extraction,
// encoding and a JetStream publish to an embedded server over an
// in-process connection, waiting for each PubAck. Every delivery is new
// (no duplicates). Besides wall time it reports cpu-ns/op, the process's
// CPU time (bridge and server) per delivery, which other load on a shared
// machine disturbs much less. Run it with -cpuprofile to see where a
// delivery's time goes.
//
//	go test ./bridge -run '^$' -bench Delivery -benchtime 20000x -cpuprofile cpu.out
func BenchmarkDelivery(b *testing.B) {
	benchDelivery(b, nil)
}

// BenchmarkDeliveryTraced is BenchmarkDelivery with every delivery traced
// and exported over OTLP/HTTP to a receiver in the process, which reads
// and drops each export: the bridge's cost of tracing, the spans, their
// batching, encoding and sending, shows against BenchmarkDelivery's in
// the same run.
//
//	go test ./bridge -run '^$' -bench 'Delivery(Traced)?$' -benchtime 20000x
func BenchmarkDeliveryTraced(b *testing.B) {
	benchTraced(b, "always_on", "")
}

// BenchmarkDeliverySampled is BenchmarkDeliveryTraced with one delivery
// in ten sampled (parentbased_traceidratio 0.1): the nine others still
// carry a trace context onto their messages and their log line, which is
// what sampling cannot take away.
func BenchmarkDeliverySampled(b *testing.B) {
	benchTraced(b, "parentbased_traceidratio", "0.1")
}

func benchTraced(b *testing.B, sampler, arg string) {
	benchDelivery(b, otlptest.Discarding(b, sampler, arg))
}

func benchDelivery(b *testing.B, tp trace.TracerProvider) {
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
	mix := []struct{ name, kind string }{{"acme-shop", "shopify"}, {"acme-woo", "woocommerce"}, {"billing", "stripe"}}
	var sources []bridge.Source
	for _, m := range mix {
		p, err := provider.New(provider.Config{Kind: m.kind, Secrets: []string{"bench-secret"}})
		if err != nil {
			b.Fatal(err)
		}
		sources = append(sources, bridge.Source{Name: m.name, Provider: p})
	}
	h, err := bridge.NewServer(bridge.Config{Failures: new(bridge.LastFailure), TracerProvider: tp}, sources, bridge.NewStreamPublisher(nc), nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	type req struct {
		body []byte
		hdr  http.Header
	}
	run := 0 // b.N runs repeat: ids must not
	for _, src := range sources {
		b.Run(src.Provider.Kind(), func(b *testing.B) {
			run++
			reqs := make([]req, b.N)
			now := time.Now()
			for i := range reqs {
				body, hdr, err := sample.Delivery(src.Provider.Kind(), sample.Locators{}, "", fmt.Sprintf("bench-%d-%d", run, i), now)
				if err != nil {
					b.Fatal(err)
				}
				body = sample.Pad(body, 1024)
				if err := src.Provider.Sign(body, hdr, now); err != nil {
					b.Fatal(err)
				}
				reqs[i] = req{body, hdr}
			}
			target := "/webhooks/" + src.Name
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cputime.Self()
			for i := range b.N {
				r := httptest.NewRequest(http.MethodPost, target, bytes.NewReader(reqs[i].body))
				r.Header = reqs[i].hdr
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != 200 || bytes.Contains(w.Body.Bytes(), []byte(`"duplicate"`)) {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
			b.ReportMetric(float64(cputime.Self()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}
