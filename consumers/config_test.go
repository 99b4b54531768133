package consumers_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/hookbridge/hookbridge/consumers"
	"github.com/hookbridge/hookbridge/internal/natstest"
)

func TestConfigValidation(t *testing.T) {
	e := newEnv(t)
	for _, c := range []consumers.Config{
		{FilterSubjects: []string{"webhooks.>"}},
		{Name: "a.b", FilterSubjects: []string{"webhooks.>"}},
		{Name: "x"},
		{Name: "x", FilterSubjects: []string{"webhooks.>"}, Backoff: []time.Duration{0}},
		{Name: "x", FilterSubjects: []string{"webhooks.>"}, MaxBytesInFlight: -1},
	} {
		if err := consumers.Run(context.Background(), e.js, c, func(context.Context, event.Event) error { return nil }); err == nil {
			t.Errorf("Run accepted %+v", c)
		}
	}
}

func TestReplayFromStartTime(t *testing.T) {
	e := newEnv(t)
	e.publish("webhooks.shopify.acme.orders.create", "old-1")
	e.publish("webhooks.shopify.acme.orders.create", "old-2")
	s, err := e.js.Stream(context.Background(), "WEBHOOKS")
	if err != nil {
		t.Fatal(err)
	}
	last, err := s.GetMsg(context.Background(), 2)
	if err != nil {
		t.Fatal(err)
	}
	e.publish("webhooks.shopify.acme.orders.create", "new-1")
	third, err := s.GetMsg(context.Background(), 3)
	if err != nil {
		t.Fatal(err)
	}
	if !third.Time.After(last.Time) {
		t.Skip("messages 2 and 3 share a timestamp; cannot split them by time")
	}
	cfg := baseConfig("replay")
	cfg.StartTime = third.Time
	var mu sync.Mutex
	var got []string
	e.run(cfg, func(_ context.Context, ev event.Event) error {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, ev.ID())
		return nil
	})
	natstest.Eventually(t, natstest.Patience, "the replay consumer settled", func() bool { return e.settled("replay") })
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0] != "new-1" {
		t.Errorf("replay from %s saw %v, want [new-1]", third.Time, got)
	}
}
