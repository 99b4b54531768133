package main

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/internal/natstest"
)

// checkCase is a stream's contents and what the senders were told, as the
// check sees them after a run of a warm-up set and a main set.
type checkCase struct {
	name string
	// The deliveries: warm[i] and main[i] answered 200 unless listed here.
	refused []string // sent, answered 503
	unsent  []string // never sent
	// before are stored before the run starts; stored, in order, during
	// it ("main-2" twice: stored a second time past the dedup window).
	before, stored []string
	stray          []nats.Header // other messages stored during the run
	want           checkReport   // its counts; Stream, FromSeq, LastSeq and Examples are not compared
	ok             bool
	example        string // in String() when set
}

const (
	checkWarm = 2
	checkMain = 4
)

func TestCheckStreamVerdicts(t *testing.T) {
	all := []string{"warm-0", "warm-1", "main-0", "main-1", "main-2", "main-3"}
	without := func(drop string) []string {
		var out []string
		for _, k := range all {
			if k != drop {
				out = append(out, k)
			}
		}
		return out
	}
	const runID = "0123456789"
	cases := []checkCase{{
		name: "every 200 stored once", stored: all, ok: true,
		want: checkReport{Read: 6, Answered: 6, Once: 6},
	}, {
		name: "a 200 not stored is lost", stored: without("main-2"),
		want:    checkReport{Read: 5, Answered: 6, Once: 5, Lost: 1},
		example: "shop:" + runID + "-main-2 answered 200 but not stored",
	}, {
		// The warm-up's deliveries are indexed before the main run's: a
		// loss among them must be found as that delivery's.
		name: "a warm-up 200 not stored is lost", stored: without("warm-1"),
		want:    checkReport{Read: 5, Answered: 6, Once: 5, Lost: 1},
		example: "shop:" + runID + "-warm-1 answered 200 but not stored",
	}, {
		name: "nothing stored: every 200 lost", stored: nil,
		want: checkReport{Read: 0, Answered: 6, Once: 0, Lost: 6},
	}, {
		name: "one stored, the rest lost", stored: []string{"main-0"},
		want: checkReport{Read: 1, Answered: 6, Once: 1, Lost: 5},
	}, {
		// Stored before the run began: not this run's storing, so the
		// check, which reads from the run's first sequence, misses it.
		name: "stored only before the run is lost", before: []string{"main-0"}, stored: without("main-0"),
		want:    checkReport{Read: 5, Answered: 6, Once: 5, Lost: 1},
		example: "shop:" + runID + "-main-0 answered 200 but not stored",
	}, {
		name: "a delivery stored twice is duplicated", stored: append(slices.Clone(all), "main-2"),
		want:    checkReport{Read: 7, Answered: 6, Once: 5, Duplicated: 1},
		example: "shop:" + runID + "-main-2 stored 2 times",
	}, {
		name: "stored although answered 503 is a lost ack, allowed", refused: []string{"main-3"}, stored: all, ok: true,
		want: checkReport{Read: 6, Answered: 5, Once: 5, LostAck: 1},
	}, {
		name: "answered 503 and not stored is fine", refused: []string{"main-3"}, stored: without("main-3"), ok: true,
		want: checkReport{Read: 5, Answered: 5, Once: 5},
	}, {
		name: "stored but never sent", unsent: []string{"main-3"}, stored: all,
		want:    checkReport{Read: 6, Answered: 5, Once: 5, NeverSent: 1},
		example: "shop:" + runID + "-main-3 stored but never sent by this run",
	}, {
		name: "a message with the run's id that is no delivery", stored: all,
		stray:   []nats.Header{{jetstream.MsgIDHeader: {"shop:" + runID + "-stray"}}},
		want:    checkReport{Read: 7, Answered: 6, Once: 6, Unknown: 1},
		example: `Nats-Msg-Id "shop:` + runID + `-stray" is not one of this run's deliveries`,
	}, {
		name: "a CloudEvent id with the run's id that is no delivery", stored: all,
		stray: []nats.Header{{jetstream.MsgIDHeader: {"woo:abc"}, "ce-id": {runID + "-other"}}},
		want:  checkReport{Read: 7, Answered: 6, Once: 6, Unknown: 1},
	}, {
		name: "other traffic is ignored", stored: all, ok: true,
		stray: []nats.Header{{jetstream.MsgIDHeader: {"shop:another-run-1"}}, {"ce-id": {"x"}}},
		want:  checkReport{Read: 8, Answered: 6, Once: 6, Foreign: 2},
	}}
	ns := natstest.Start(t)
	_, js := ns.Connect(t)
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep := runCheckCase(t, js, fmt.Sprintf("CHECK%d", i), runID, tc)
			got := *rep
			got.Stream, got.FromSeq, got.LastSeq, got.Examples = "", 0, 0, nil
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("counts\n got %+v\nwant %+v", got, tc.want)
			}
			if rep.ok() != tc.ok {
				t.Errorf("ok() = %t, want %t: %s", rep.ok(), tc.ok, rep)
			}
			verdict := "FAIL: "
			if tc.ok {
				verdict = "PASS: "
			}
			if !strings.HasPrefix(rep.String(), verdict) || !strings.Contains(rep.String(), tc.example) {
				t.Errorf("report %q lacks %q or %q", rep, verdict, tc.example)
			}
		})
	}
}

// runCheckCase builds tc in a fresh stream and returns the check's report.
func runCheckCase(t *testing.T, js jetstream.JetStream, stream, runID string, tc checkCase) *checkReport {
	t.Helper()
	ctx := t.Context()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name: stream, Subjects: []string{stream + ".>"}, Duplicates: 100 * time.Millisecond,
	}); err != nil {
		t.Fatal(err)
	}
	id := func(key string) string { return "shop:" + runID + "-" + key }
	for _, k := range tc.before {
		storeMsg(t, js, stream, nats.Header{jetstream.MsgIDHeader: {id(k)}})
	}
	fromSeq, err := streamStart(ctx, js, stream)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range tc.stored {
		storeMsg(t, js, stream, nats.Header{jetstream.MsgIDHeader: {id(k)}})
	}
	for _, h := range tc.stray {
		storeMsg(t, js, stream, h)
	}
	set := func(prefix string, n int) checkSet {
		s := checkSet{ds: make([]delivery, n), states: make([]deliveryState, n)}
		for i := range n {
			k := fmt.Sprintf("%s-%d", prefix, i)
			s.ds[i].msgID = id(k)
			s.states[i] = deliveryState{sent: true, answered: true, first: 200}
			if slices.Contains(tc.refused, k) {
				s.states[i] = deliveryState{sent: true, first: 503}
			}
			if slices.Contains(tc.unsent, k) {
				s.states[i] = deliveryState{}
			}
		}
		return s
	}
	rep, err := checkStream(ctx, js, stream, fromSeq, runID, set("warm", checkWarm), set("main", checkMain))
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// storeMsg stores a message with headers h; one whose Nats-Msg-Id the
// stream already holds is stored again once the dedup window forgot it.
func storeMsg(t *testing.T, js jetstream.JetStream, stream string, h nats.Header) {
	t.Helper()
	natstest.Eventually(t, natstest.Patience, "storing "+h.Get(jetstream.MsgIDHeader), func() bool {
		ack, err := js.PublishMsg(context.Background(), &nats.Msg{Subject: stream + ".x", Header: h, Data: []byte("{}")})
		if err != nil {
			t.Fatal(err)
		}
		return !ack.Duplicate
	})
}

// TestCheckFailsTheRun: a failed check fails the load's and the bench's
// exit status, and a passed one does not.
func TestCheckFailsTheRun(t *testing.T) {
	lr := &loadRun{main: &runResult{}}
	if err := verdict(lr, &checkReport{Answered: 3, Once: 3, LostAck: 1}); err != nil {
		t.Errorf("load, check passed: %v", err)
	}
	for _, rep := range []*checkReport{{Lost: 1}, {Duplicated: 1}, {NeverSent: 1}, {Unknown: 1}} {
		if err := verdict(lr, rep); !errors.Is(err, errCheckFailed) {
			t.Errorf("load, %+v: %v", *rep, err)
		}
		b := &benchRun{rows: []*benchRow{{v: variants[2], check: &checkReport{Once: 5}}, {v: variants[3], check: rep}}}
		if err := b.failures(); !errors.Is(err, errCheckFailed) || !strings.HasPrefix(err.Error(), "d: ") {
			t.Errorf("bench, %+v: %v", *rep, err)
		}
	}
}

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
	rc := runConfig{BaseURL: b.url, Conns: 3, Duration: time.Minute, Bridge: true, Stores: true}
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
