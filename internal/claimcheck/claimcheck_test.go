package claimcheck_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/internal/claimcheck"
	"github.com/hookbridge/hookbridge/internal/natstest"
	"github.com/hookbridge/hookbridge/internal/wire"
)

// TestStore: a retry finds the object its first attempt stored and reuses it while it is
// newer than since and holds the same bytes; otherwise the data is stored again.
func TestStore(t *testing.T) {
	_, js := natstest.Start(t).Connect(t)
	ctx := t.Context()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "EVENTS", Subjects: []string{"events.>"}, MaxAge: time.Hour, Duplicates: 10 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	obs, err := claimcheck.EnsureBucket(ctx, js, "EVENTS", 1, 10*time.Minute, "test")
	if err != nil {
		t.Fatal(err)
	}
	if st, err := obs.Status(ctx); err != nil || st.TTL() != 70*time.Minute || st.Bucket() != "EVENTS_BODIES" {
		t.Errorf("bucket %v (%v): want EVENTS_BODIES with TTL max age + duplicate window, 70m", st, err)
	}
	data := []byte(strings.Repeat("order line\n", 1000))
	first, err := claimcheck.Store(ctx, obs, "src:1", data, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		what  string
		data  []byte
		since time.Time
		reuse bool
	}{
		{"a retry within the window", data, first.ModTime.Add(-time.Second), true},
		{"a retry after the window", data, first.ModTime.Add(time.Second), false},
		{"other bytes under the same name", []byte("other"), time.Time{}, false},
	} {
		prev, err := obs.GetInfo(ctx, "src:1")
		if err != nil {
			t.Fatal(err)
		}
		got, err := claimcheck.Store(ctx, obs, "src:1", c.data, c.since)
		if err != nil {
			t.Fatalf("%s: %v", c.what, err)
		}
		if reused := got.NUID == prev.NUID; reused != c.reuse || got.Digest != wire.ObjectDigest(c.data) {
			t.Errorf("%s: reused %v, digest %s; want reused %v and the data's digest", c.what, reused, got.Digest, c.reuse)
		}
	}

	msg := &nats.Msg{Subject: "events.x", Header: nats.Header{}, Data: data}
	info, err := obs.GetInfo(ctx, "src:1")
	if err != nil {
		t.Fatal(err)
	}
	claimcheck.Refer(msg, "EVENTS_BODIES", info)
	if msg.Data != nil || msg.Header.Get(wire.HeaderDataRef) != "nats-object://EVENTS_BODIES/src:1" ||
		msg.Header.Get(wire.HeaderDataSize) != strconv.FormatUint(info.Size, 10) || msg.Header.Get(wire.HeaderDataDigest) != info.Digest {
		t.Errorf("claim check %v with %d bytes of data", msg.Header, len(msg.Data))
	}
}

func TestTTL(t *testing.T) {
	for _, c := range []struct{ maxAge, dup, want time.Duration }{
		{0, time.Hour, 0}, // unlimited retention: the bucket keeps its objects too
		{24 * time.Hour, 2 * time.Minute, 24*time.Hour + 2*time.Minute},
	} {
		if got := claimcheck.TTL(c.maxAge, c.dup); got != c.want {
			t.Errorf("TTL(%s, %s) = %s, want %s", c.maxAge, c.dup, got, c.want)
		}
	}
}
