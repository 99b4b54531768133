package gather

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/internal/natsserver"
)

// The embedded server's in-process connection, its writes gathered:
// publishes made together from many goroutines are each stored once and
// acknowledged, as over a plain in-process connection.
func TestInProcessConnection(t *testing.T) {
	ns, err := natsserver.Start(natsserver.Config{Listen: "127.0.0.1:0", StoreDir: t.TempDir()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { ns.Shutdown(); ns.WaitForShutdown() }()
	nc, err := nats.Connect(ns.ClientURL(), nats.InProcessServer(InProcess{Server: ns}))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "T", Subjects: []string{"t.>"}})
	if err != nil {
		t.Fatal(err)
	}
	const publishers, each = 16, 50
	var wg sync.WaitGroup
	for p := range publishers {
		wg.Go(func() {
			for i := range each {
				id := fmt.Sprintf("%d-%d", p, i)
				if _, err := js.Publish(ctx, "t."+id, []byte(id), jetstream.WithMsgID(id)); err != nil {
					t.Errorf("publish %s: %v", id, err)
					return
				}
			}
		})
	}
	wg.Wait()
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != publishers*each {
		t.Errorf("the stream holds %d messages, want %d", info.State.Msgs, publishers*each)
	}
	for p := range publishers {
		id := fmt.Sprintf("%d-%d", p, each-1)
		m, err := s.GetLastMsgForSubject(ctx, "t."+id)
		if err != nil {
			t.Errorf("message on t.%s: %v", id, err)
		} else if string(m.Data) != id {
			t.Errorf("message on t.%s holds %q", id, m.Data)
		}
	}
}
