package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/internal/natstest"
)

// TestCheckFindsLostAndDuplicated feeds the check a stream where one
// answered delivery is missing, then one where one is stored twice.
func TestCheckFindsLostAndDuplicated(t *testing.T) {
	b := startBridge(t)
	ctx := context.Background()
	m, err := parseMix("shop,woo,pay", b.cfg)
	if err != nil {
		t.Fatal(err)
	}
	fromSeq, err := streamStart(ctx, b.js, "WEBHOOKS")
	if err != nil {
		t.Fatal(err)
	}
	runID := newRunID()
	rc := runConfig{BaseURL: b.url, Conns: 3, Duration: time.Minute, Bridge: true}
	lr, err := measure(ctx, m, rc, measureConfig{RunID: runID, Requests: 30, Body: 512, MaxPool: 100}, t.Output())
	if err != nil {
		t.Fatal(err)
	}
	rep, err := checkStream(ctx, b.js, "WEBHOOKS", fromSeq, runID, lr.sets()...)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.ok() || rep.Answered != 30 || rep.Once != 30 {
		t.Fatalf("untouched stream: %s", rep)
	}
	if err := verdict(lr, rep); err != nil {
		t.Fatalf("verdict of a clean run: %v", err)
	}

	str, err := b.js.Stream(ctx, "WEBHOOKS")
	if err != nil {
		t.Fatal(err)
	}
	// Missing: delete one stored delivery.
	if err := str.DeleteMsg(ctx, fromSeq+7); err != nil {
		t.Fatal(err)
	}
	rep, err = checkStream(ctx, b.js, "WEBHOOKS", fromSeq, runID, lr.sets()...)
	if err != nil {
		t.Fatal(err)
	}
	if rep.ok() || rep.Lost != 1 || rep.Duplicated != 0 || rep.Once != 29 {
		t.Fatalf("one deleted: %s", rep)
	}
	if err := verdict(lr, rep); !errors.Is(err, errCheckFailed) {
		t.Fatalf("verdict with a lost delivery: %v", err)
	}

	// Duplicated: shrink the dedup window so that one delivery can be
	// stored a second time under its own Nats-Msg-Id.
	orig, err := str.GetMsg(ctx, fromSeq+8)
	if err != nil {
		t.Fatal(err)
	}
	cfg := str.CachedInfo().Config
	cfg.Duplicates = 100 * time.Millisecond
	if _, err := b.js.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	id := orig.Header.Get(jetstream.MsgIDHeader)
	natstest.Eventually(t, natstest.Patience, "the dedup window to forget "+id, func() bool {
		ack, err := b.js.PublishMsg(ctx, &nats.Msg{Subject: orig.Subject, Header: orig.Header, Data: orig.Data}, jetstream.WithMsgID(id))
		return err == nil && !ack.Duplicate
	})
	rep, err = checkStream(ctx, b.js, "WEBHOOKS", fromSeq, runID, lr.sets()...)
	if err != nil {
		t.Fatal(err)
	}
	if rep.ok() || rep.Lost != 1 || rep.Duplicated != 1 || !strings.Contains(rep.String(), id+" stored 2 times") {
		t.Fatalf("one deleted, one stored twice: %s", rep)
	}

	// A message with this run's id that is none of its deliveries.
	if _, err := b.js.PublishMsg(ctx, &nats.Msg{Subject: "webhooks.shopify.shop.x", Data: []byte("{}")}, jetstream.WithMsgID("shop:"+runID+"-stray")); err != nil {
		t.Fatal(err)
	}
	rep, err = checkStream(ctx, b.js, "WEBHOOKS", fromSeq, runID, lr.sets()...)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Unknown != 1 {
		t.Fatalf("stray message: %s", rep)
	}
}
