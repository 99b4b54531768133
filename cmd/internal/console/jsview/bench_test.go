package jsview_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/hookbridge/hookbridge/cmd/internal/console/jsview"
	"github.com/hookbridge/hookbridge/internal/natstest"
)

// BenchmarkMessages reads the newest 50 messages of a 20,000-message
// stream for a filter that every message, one in 10 and one in 1,000
// matches: the Deliveries page's first request.
func BenchmarkMessages(b *testing.B) {
	ns := natstest.Start(b)
	_, js := ns.Connect(b)
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstreamConfig()); err != nil {
		b.Fatal(err)
	}
	for i := range 20_000 {
		source := "busy"
		switch {
		case i%1000 == 0:
			source = "rare"
		case i%10 == 0:
			source = "some"
		}
		m := nats.NewMsg("webhooks.shopify." + source + ".orders.create")
		m.Header.Set("ce-id", fmt.Sprint(i))
		m.Data = []byte(`{"id":1}`)
		if _, err := js.PublishMsgAsync(m); err != nil {
			b.Fatal(err)
		}
	}
	<-js.PublishAsyncComplete()
	v := jsview.New(js, jsview.Options{})
	for _, c := range []struct{ name, source string }{{"all", ""}, {"1in10", "some"}, {"1in1000", "rare"}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				page, err := v.Messages(ctx, jsview.Webhooks("", ""), jsview.Filter{Source: c.source}, 50, 0)
				if err != nil || len(page.Messages) == 0 {
					b.Fatal(len(page.Messages), err)
				}
			}
		})
	}
}
