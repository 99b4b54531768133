package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/internal/natstest"
)

// TestRawPublish: the raw variant's publisher gets a PubAck for every
// message it counts, none of them a duplicate although the deliveries run
// out and are published again, and each message is stored as a CloudEvent
// on its source's bench subject.
func TestRawPublish(t *testing.T) {
	ns := natstest.Start(t)
	nc, _ := ns.Connect(t)
	js, st, err := rawStream(t.Context(), nc, 8)
	if err != nil {
		t.Fatal(err)
	}
	ds := make([]delivery, 5)
	for i := range ds {
		src := []string{"shop", "woo"}[i%2]
		ds[i] = delivery{path: "/webhooks/" + src, body: []byte(`{"n":1}`), msgID: fmt.Sprintf("%s:run-%d", src, i)}
	}
	r := rawPublish(t.Context(), js, "webhooks", "@t", ds, 300*time.Millisecond, 8)
	if r.Errors > 0 || r.Duplicates > 0 || r.Published <= uint64(len(ds)) || r.Latency.n != r.Published {
		t.Fatalf("%s: want more than %d PubAcks, each timed, no duplicates or errors", r, len(ds))
	}
	info, err := st.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != r.Published {
		t.Errorf("stream holds %d messages, publisher counted %d", info.State.Msgs, r.Published)
	}
	first, err := st.GetMsg(t.Context(), 1)
	if err != nil {
		t.Fatal(err)
	}
	again, err := st.GetMsg(t.Context(), uint64(len(ds)+1))
	if err != nil {
		t.Fatal(err)
	}
	for m, want := range map[*jetstream.RawStreamMsg]string{first: "shop:run-0@t", again: "shop:run-0@t#1"} {
		if id := m.Header.Get(jetstream.MsgIDHeader); id != want || m.Header.Get("ce-id") != want ||
			m.Subject != "webhooks.bench.shop.event" || m.Header.Get("ce-source") != "/bench/shop" {
			t.Errorf("seq %d: %s %v", m.Sequence, m.Subject, m.Header)
		}
	}
	if s := r.String(); !strings.Contains(s, fmt.Sprintf("%d PubAcks in ", r.Published)) || strings.Contains(s, "duplicates") {
		t.Errorf("summary %q", s)
	}
}
