package bridge_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/bridge"
	"github.com/hookbridge/hookbridge/internal/natstest"
)

// BenchmarkDuplicateWindowMemory measures what the duplicate window costs:
// JetStream keeps every Nats-Msg-Id seen within the window in memory. It
// publishes b.N messages with ids like hookbridge's ("source:evt_...") and
// reports the heap growth per id, against the same messages without ids.
//
//	go test ./bridge -run '^$' -bench DuplicateWindowMemory -benchtime 200000x
func BenchmarkDuplicateWindowMemory(b *testing.B) {
	heapWith := publishAndMeasure(b, true)
	heapWithout := publishAndMeasure(b, false)
	b.ReportMetric(float64(heapWith-heapWithout)/float64(b.N), "bytes/msgid")
}

func publishAndMeasure(b *testing.B, withIDs bool) int64 {
	ns := natstest.Start(b)
	nc, js := ns.Connect(b)
	ctx := context.Background()
	if _, err := bridge.EnsureStream(ctx, js, bridge.StreamConfig{Name: "WEBHOOKS", SubjectPrefix: "webhooks", Replicas: 1, Duplicates: 24 * time.Hour}); err != nil {
		b.Fatal(err)
	}
	before := heap()
	b.ResetTimer()
	for i := range b.N {
		msg := &nats.Msg{Subject: "webhooks.stripe.billing.payment_intent.succeeded", Data: []byte(`{}`)}
		var opts []jetstream.PublishOpt
		if withIDs {
			opts = append(opts, jetstream.WithMsgID(fmt.Sprintf("billing:evt_%024d", i)))
		}
		if _, err := js.PublishMsgAsync(msg, opts...); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(time.Minute):
		b.Fatal("publishes not acknowledged")
	}
	b.StopTimer()
	after := heap()
	nc.Close()
	return after - before
}

func heap() int64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
