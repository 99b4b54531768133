package consumers_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/consumers"
	"github.com/hookbridge/hookbridge/internal/logtest"
	"github.com/hookbridge/hookbridge/internal/natstest"
)

// env is a real JetStream server with a WEBHOOKS stream like hookbridge's.
type env struct {
	ns *natstest.Server
	js jetstream.JetStream
	t  *testing.T
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ns := natstest.Start(t)
	_, js := ns.Connect(t)
	if _, err := js.CreateStream(context.Background(), jetstream.StreamConfig{
		Name: "WEBHOOKS", Subjects: []string{"webhooks.>"}, Storage: jetstream.FileStorage, Duplicates: time.Hour,
	}); err != nil {
		t.Fatal(err)
	}
	return &env{ns: ns, js: js, t: t}
}

// publish stores a CloudEvent as hookbridge would.
func (e *env) publish(subject, id string) {
	e.t.Helper()
	ev := event.New()
	ev.SetID(id)
	ev.SetType("com.shopify.orders.create")
	ev.SetSource("acme.myshopify.com")
	ev.SetTime(time.Now())
	_ = ev.SetData(event.ApplicationJSON, map[string]any{"id": id})
	if _, err := consumers.PublishEvent(context.Background(), e.js, subject, ev); err != nil {
		e.t.Fatal(err)
	}
}

// run starts consumers.Run in the background; stop cancels it and waits.
func (e *env) run(cfg consumers.Config, h consumers.Handler) (stop func() error) {
	e.t.Helper()
	return e.runWith(e.js, cfg, h)
}

func (e *env) runWith(js jetstream.JetStream, cfg consumers.Config, h consumers.Handler) (stop func() error) {
	e.t.Helper()
	if cfg.Logger == nil {
		// The library's log is shown when the test fails: a timeout alone
		// does not say whether a publish, an ack or the setup went wrong.
		var logs logtest.Buffer
		cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		e.t.Cleanup(func() {
			if e.t.Failed() {
				e.t.Logf("consumer %s log:\n%s", cfg.Name, logs.String())
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		err := consumers.Run(ctx, js, cfg, h)
		if ctx.Err() == nil {
			e.t.Logf("consumers.Run(%s) returned before it was stopped: %v", cfg.Name, err)
		}
		done <- err
	}()
	grace := cfg.ShutdownGrace
	if grace == 0 {
		grace = consumers.DefaultShutdownGrace
	}
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(natstest.Within(grace)):
				e.t.Fatal("Run did not return after cancel")
			}
		})
		return err
	}
	e.t.Cleanup(func() { _ = stop() })
	return stop
}

// settled reports whether the consumer has nothing pending or unacked.
func (e *env) settled(name string) bool {
	c, err := e.js.Consumer(context.Background(), "WEBHOOKS", name)
	if err != nil {
		return false
	}
	info, err := c.Info(context.Background())
	return err == nil && info.NumPending == 0 && info.NumAckPending == 0 && info.Delivered.Stream > 0
}

// baseConfig retries quickly, but leaves the ack wait and the shutdown grace
// at their defaults: a machine that stalls the test for longer than a short
// ack wait gets a redelivery it did not ask for, and the tests count
// deliveries. Tests of the ack wait or the grace set their own.
func baseConfig(name string) consumers.Config {
	return consumers.Config{
		Name:           name,
		FilterSubjects: []string{"webhooks.shopify.*.orders.>"},
		MaxDeliver:     3,
		Backoff:        []time.Duration{100 * time.Millisecond, 200 * time.Millisecond},
	}
}

func TestAckOnSuccess(t *testing.T) {
	e := newEnv(t)
	var got sync.Map
	var calls atomic.Int32
	e.run(baseConfig("ok"), func(_ context.Context, ev event.Event) error {
		calls.Add(1)
		got.Store(ev.ID(), ev.Type())
		return nil
	})
	for i := range 5 {
		e.publish("webhooks.shopify.acme.orders.create", fmt.Sprintf("ev-%d", i))
	}
	e.publish("webhooks.stripe.billing.charge.succeeded", "not-for-us")
	// At least once: an ack the server did not get (a stalled machine)
	// means a redelivery after the ack wait, so the wait is bounded by it
	// and is for every event handled and nothing pending, not for exactly
	// five calls.
	handled := func() int {
		n := 0
		for i := range 5 {
			if _, ok := got.Load(fmt.Sprintf("ev-%d", i)); ok {
				n++
			}
		}
		return n
	}
	natstest.Eventually(t, natstest.Within(consumers.DefaultAckWait), "all acked", func() bool { return handled() == 5 && e.settled("ok") })
	if n := calls.Load(); n < 5 {
		t.Errorf("%d handler calls for 5 events", n)
	}
	for i := range 5 {
		if typ, ok := got.Load(fmt.Sprintf("ev-%d", i)); !ok || typ != "com.shopify.orders.create" {
			t.Errorf("ev-%d: %v %v", i, typ, ok)
		}
	}
	if _, ok := got.Load("not-for-us"); ok {
		t.Error("an event outside the filter subjects was handled")
	}
}

func TestRetryWithBackoffThenAck(t *testing.T) {
	e := newEnv(t)
	var mu sync.Mutex
	var at []time.Time
	e.run(baseConfig("retry"), func(_ context.Context, ev event.Event) error {
		mu.Lock()
		defer mu.Unlock()
		at = append(at, time.Now())
		if len(at) < 3 {
			return errors.New("downstream not ready")
		}
		return nil
	})
	e.publish("webhooks.shopify.acme.orders.create", "r1")
	natstest.Eventually(t, natstest.Patience, "acked after retries", func() bool { return e.settled("retry") })
	mu.Lock()
	defer mu.Unlock()
	if len(at) != 3 {
		t.Fatalf("handler called %d times, want 3", len(at))
	}
	// Redeliveries follow the back-off schedule (never earlier).
	if d := at[1].Sub(at[0]); d < 100*time.Millisecond {
		t.Errorf("first retry after %s, want >= 100ms", d)
	}
	if d := at[2].Sub(at[1]); d < 200*time.Millisecond {
		t.Errorf("second retry after %s, want >= 200ms", d)
	}
	if dl := e.deadLetters("deadletter.retry"); len(dl) != 0 {
		t.Errorf("%d dead letters for a message that succeeded", len(dl))
	}
}

// TestRedeliveryAfterCrash: the process dies after the handler ran but
// before the ack (its connection goes away); a restarted consumer gets the
// same event again and acks it.
func TestRedeliveryAfterCrash(t *testing.T) {
	e := newEnv(t)
	cfg := baseConfig("crash")
	// The restart gets the message once this has passed; shorter, and a
	// stall between its delivery and its ack redelivers it a second time.
	cfg.AckWait = 2 * time.Second

	nc1, err := nats.Connect("nats://" + e.ns.Listen)
	if err != nil {
		t.Fatal(err)
	}
	js1, _ := jetstream.New(nc1)
	first := make(chan string, 1)
	stop1 := e.runWith(js1, cfg, func(_ context.Context, ev event.Event) error {
		nc1.Close() // the crash: nothing after this reaches the server
		first <- ev.ID()
		return nil
	})
	e.publish("webhooks.shopify.acme.orders.create", "c1")
	var id string
	select {
	case id = <-first:
	case <-time.After(natstest.Patience):
		t.Fatal("first run never got the message")
	}
	_ = stop1()

	var deliveries atomic.Int32
	var again atomic.Value
	e.run(cfg, func(_ context.Context, ev event.Event) error {
		deliveries.Add(1)
		again.Store(ev.ID())
		return nil
	})
	natstest.Eventually(t, natstest.Within(cfg.AckWait), "redelivered and acked", func() bool { return e.settled("crash") })
	if again.Load() != id || deliveries.Load() != 1 {
		t.Errorf("after the restart: id %v, %d deliveries; want %s once", again.Load(), deliveries.Load(), id)
	}
}

// TestLongHandlerIsKeptAlive: a handler that runs past the ack wait is not
// redelivered meanwhile.
func TestLongHandlerIsKeptAlive(t *testing.T) {
	e := newEnv(t)
	cfg := baseConfig("long")
	// The keep-alive beats every third of this, so only a stall of two
	// thirds of it lets the server redeliver: 300ms left 200ms, less than
	// a loaded machine can stall.
	cfg.AckWait = time.Second
	cfg.Concurrency = 2
	var calls atomic.Int32
	release := make(chan struct{})
	var releaseOnce sync.Once
	e.run(cfg, func(ctx context.Context, _ event.Event) error {
		calls.Add(1)
		<-release
		return nil
	})
	t.Cleanup(func() { releaseOnce.Do(func() { close(release) }) }) // before stopping Run
	e.publish("webhooks.shopify.acme.orders.create", "l1")
	natstest.Eventually(t, natstest.Patience, "handler started", func() bool { return calls.Load() == 1 })
	// Wait for several ack waits to pass, observed on the server.
	c, _ := e.js.Consumer(context.Background(), "WEBHOOKS", "long")
	deadline := time.Now().Add(4 * cfg.AckWait)
	for time.Now().Before(deadline) {
		info, err := c.Info(context.Background())
		if err == nil && info.NumRedelivered > 0 {
			t.Fatal("the message was redelivered while its handler was still running")
		}
		time.Sleep(50 * time.Millisecond)
	}
	releaseOnce.Do(func() { close(release) })
	natstest.Eventually(t, natstest.Patience, "acked", func() bool { return e.settled("long") })
	if calls.Load() != 1 {
		t.Errorf("handler called %d times", calls.Load())
	}
}

// TestShutdownLetsHandlersFinish: cancelling Run stops fetching and waits
// for the handlers in flight, whose messages are acked.
func TestShutdownLetsHandlersFinish(t *testing.T) {
	e := newEnv(t)
	cfg := baseConfig("drain")
	cfg.Concurrency = 3
	started := make(chan struct{}, 3)
	release := make(chan struct{})
	var finished atomic.Int32
	stop := e.run(cfg, func(ctx context.Context, _ event.Event) error {
		started <- struct{}{}
		<-release
		if ctx.Err() != nil {
			return ctx.Err()
		}
		finished.Add(1)
		return nil
	})
	for i := range 3 {
		e.publish("webhooks.shopify.acme.orders.create", fmt.Sprintf("s%d", i))
	}
	for range 3 {
		select {
		case <-started:
		case <-time.After(natstest.Patience):
			t.Fatal("handlers did not start")
		}
	}
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	select {
	case <-stopped:
		t.Fatal("Run returned while handlers were in flight")
	case <-time.After(200 * time.Millisecond):
	}
	close(release)
	if err := <-stopped; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if finished.Load() != 3 {
		t.Errorf("%d handlers finished, want 3", finished.Load())
	}
	natstest.Eventually(t, natstest.Patience, "all acked", func() bool { return e.settled("drain") })
}

func TestShutdownGraceCancelsStuckHandlers(t *testing.T) {
	e := newEnv(t)
	cfg := baseConfig("stuck")
	cfg.ShutdownGrace = 200 * time.Millisecond
	started := make(chan struct{}, 1)
	var sawCancel atomic.Bool
	stop := e.run(cfg, func(ctx context.Context, _ event.Event) error {
		started <- struct{}{}
		<-ctx.Done()
		sawCancel.Store(true)
		return ctx.Err()
	})
	e.publish("webhooks.shopify.acme.orders.create", "g1")
	select {
	case <-started:
	case <-time.After(natstest.Patience):
		t.Fatal("the handler did not start")
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if !sawCancel.Load() {
		t.Error("the stuck handler's context was not cancelled after the grace period")
	}
}

// Acks as the server sees them: by default each one is a request the
// server confirms (DoubleAck, with a reply subject); with
// AckWithoutConfirmation a plain publish (no reply subject). Either way
// every message ends acknowledged and is handled once.
func TestAckWithoutConfirmation(t *testing.T) {
	for _, c := range []struct {
		name        string
		unconfirmed bool
		wantReplyTo bool
	}{
		{"confirmed", false, true},
		{"unconfirmed", true, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			nc, _ := e.ns.Connect(t)
			acks := make(chan *nats.Msg, 16)
			sub, err := nc.ChanSubscribe("$JS.ACK.WEBHOOKS."+c.name+".>", acks)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = sub.Unsubscribe() }()
			if err := nc.Flush(); err != nil {
				t.Fatal(err)
			}
			var calls atomic.Int32
			cfg := baseConfig(c.name)
			cfg.AckWithoutConfirmation = c.unconfirmed
			e.run(cfg, func(context.Context, event.Event) error { calls.Add(1); return nil })
			for i := range 3 {
				e.publish("webhooks.shopify.acme.orders.create", fmt.Sprintf("ev-%d", i))
			}
			natstest.Eventually(t, natstest.Patience, "all acked", func() bool { return e.settled(c.name) && len(acks) == 3 })
			for range 3 {
				ack := <-acks
				if string(ack.Data) != "+ACK" || (ack.Reply != "") != c.wantReplyTo {
					t.Errorf("ack %q with reply subject %q; a reply subject wanted: %v", ack.Data, ack.Reply, c.wantReplyTo)
				}
			}
			if n := calls.Load(); n != 3 {
				t.Errorf("handled %d times, want 3", n)
			}
		})
	}
}

// publishBig stores n events of about size bytes of data each.
func (e *env) publishBig(n, size int) {
	e.t.Helper()
	body := append(append([]byte(`{"pad":"`), bytes.Repeat([]byte("a"), size)...), `"}`...)
	for i := range n {
		ev := event.New()
		ev.SetID(fmt.Sprintf("big-%d", i))
		ev.SetType("com.shopify.orders.create")
		ev.SetSource("acme.myshopify.com")
		if err := ev.SetData(event.ApplicationJSON, body); err != nil {
			e.t.Fatal(err)
		}
		if _, err := consumers.PublishEvent(e.t.Context(), e.js, "webhooks.shopify.acme.orders.create", ev); err != nil {
			e.t.Fatal(err)
		}
	}
}

// With MaxBytesInFlight the handlers hold at most that much data at once,
// however many of them Concurrency allows; a message larger than the
// bound is handled alone.
func TestMaxBytesInFlight(t *testing.T) {
	for _, c := range []struct {
		name        string
		size, limit int
		want        int32 // handlers at once
	}{
		{"two fit", 400 << 10, 1 << 20, 2},
		{"larger than the bound", 400 << 10, 100 << 10, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			e.publishBig(6, c.size)
			cfg := baseConfig("handlers")
			cfg.Concurrency = 16
			cfg.MaxBytesInFlight = c.limit
			release := make(chan struct{})
			var running, most atomic.Int32
			e.run(cfg, func(context.Context, event.Event) error {
				n := running.Add(1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				<-release
				running.Add(-1)
				return nil
			})
			// The handlers are held while the next message waits in the
			// client: it was delivered, and has not started.
			natstest.Eventually(t, natstest.Patience, "a message delivered beyond the running handlers", func() bool {
				cons, err := e.js.Consumer(t.Context(), "WEBHOOKS", "handlers")
				if err != nil {
					return false
				}
				info, err := cons.Info(t.Context())
				return err == nil && running.Load() >= c.want && info.NumAckPending > int(c.want)
			})
			if m := most.Load(); m != c.want {
				t.Errorf("%d handlers at once on messages of %d KiB; want %d within %d KiB", m, c.size>>10, c.want, c.limit>>10)
			}
			close(release)
			natstest.Eventually(t, natstest.Patience, "every message handled", func() bool { return e.settled("handlers") })
		})
	}
}
