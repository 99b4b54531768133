package bridge_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/bridge"
	"github.com/hookbridge/hookbridge/internal/natstest"
	"github.com/hookbridge/hookbridge/internal/wire"
)

// withBodies turns claim checks on: data above inlineMax is stored in
// WEBHOOKS' body bucket; bodies up to 32 MiB are accepted.
func withBodies(inlineMax int64) harnessOption {
	return func(c *bridge.Config) {
		c.Bodies = &bridge.Bodies{InlineMax: inlineMax, ReuseWithin: 24 * time.Hour}
		c.Limits = bridge.Limits{MaxBodyBytes: 32 << 20}
	}
}

// bigGitHub is a GitHub push delivery of about size bytes, signed.
func (h *harness) bigGitHub(id string, size int) ([]byte, http.Header) {
	h.t.Helper()
	_, hdr := h.delivery("gh", "", id)
	var b bytes.Buffer
	b.WriteString(`{"ref":"refs/heads/main","commits":[`)
	for i := 0; b.Len() < size-64; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":"%040d","message":"change %d","added":["src/file%d.go"]}`, i, i, i)
	}
	b.WriteString(`]}`)
	body := b.Bytes()
	if err := h.providers["gh"].Sign(body, hdr, testNow); err != nil {
		h.t.Fatal(err)
	}
	return body, hdr
}

func (h *harness) bodies() jetstream.ObjectStore {
	h.t.Helper()
	obs, err := h.js.ObjectStore(context.Background(), bridge.BodyBucket("WEBHOOKS"))
	if err != nil {
		h.t.Fatal(err)
	}
	return obs
}

func sha256Digest(b []byte) string {
	sum := sha256.Sum256(b)
	return "SHA-256=" + base64.URLEncoding.EncodeToString(sum[:])
}

// TestClaimCheck: a body too large for a message is answered 200 once its
// object and its message are stored; the message carries dataref, size and
// digest and no data, and the object holds the body byte for byte. The
// platform's retry stores neither a second object nor a second message. A
// small body still travels in its message, without the extensions.
func TestClaimCheck(t *testing.T) {
	h := newHarness(t, withBodies(64<<10))
	body, hdr := h.bigGitHub("big-1", 3<<20)
	a := h.post(http.MethodPost, "gh", body, hdr)
	if a.code != http.StatusOK || a.body["duplicate"] == true {
		t.Fatalf("big delivery: %d %s, want 200 published", a.code, a.raw)
	}
	msg := h.lastStored()
	if len(msg.Data) != 0 {
		t.Errorf("claim check carries %d bytes of data, want none", len(msg.Data))
	}
	wantRef := "nats-object://WEBHOOKS_BODIES/gh:big-1"
	for name, want := range map[string]string{
		wire.HeaderDataRef: wantRef, wire.HeaderDataSize: strconv.Itoa(len(body)),
		wire.HeaderDataDigest: sha256Digest(body), wire.HeaderID: "big-1",
		wire.HeaderDataContentType: "application/json",
	} {
		if got := msg.Header.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	stored, err := h.bodies().GetBytes(context.Background(), "gh:big-1")
	if err != nil {
		t.Fatalf("object: %v", err)
	}
	if !bytes.Equal(stored, body) {
		t.Errorf("object holds %d bytes that differ from the %d-byte body", len(stored), len(body))
	}
	first, err := h.bodies().GetInfo(context.Background(), "gh:big-1")
	if err != nil {
		t.Fatal(err)
	}

	// The platform did not see the 200 and sends the same delivery again.
	if a := h.post(http.MethodPost, "gh", body, hdr); a.code != http.StatusOK || a.body["duplicate"] != true {
		t.Fatalf("retry: %d %s, want a 200 duplicate", a.code, a.raw)
	}
	again, err := h.bodies().GetInfo(context.Background(), "gh:big-1")
	if err != nil {
		t.Fatal(err)
	}
	if again.NUID != first.NUID {
		t.Errorf("the retry stored the body again (object %s, then %s)", first.NUID, again.NUID)
	}
	if n := h.stored(); n != 1 {
		t.Errorf("%d messages stored, want 1", n)
	}
	objects, err := h.bodies().List(context.Background())
	if err != nil || len(objects) != 1 {
		t.Errorf("bucket lists %d objects (%v), want 1", len(objects), err)
	}

	small, smallHdr := h.delivery("gh", "", "small-1")
	if a := h.post(http.MethodPost, "gh", small, smallHdr); a.code != http.StatusOK {
		t.Fatalf("small delivery: %d %s", a.code, a.raw)
	}
	m := h.lastStored()
	if !bytes.Equal(m.Data, small) || m.Header.Get(wire.HeaderDataRef) != "" || m.Header.Get(wire.HeaderDataSize) != "" {
		t.Errorf("small delivery: data %d bytes, dataref %q: want the body in the message and no dataref", len(m.Data), m.Header.Get(wire.HeaderDataRef))
	}
}

// TestClaimCheckReplacesPartialDifferentObject: an object of the
// delivery's name that does not hold its body is not reused: the body is
// stored over it, so the message's digest matches what consumers read.
func TestClaimCheckReplacesPartialDifferentObject(t *testing.T) {
	h := newHarness(t, withBodies(64<<10))
	// An object left by an earlier attempt under the delivery's name, but
	// not its body (say an operator put something there).
	if _, err := h.bodies().PutBytes(context.Background(), "gh:big-2", []byte("not the body")); err != nil {
		t.Fatal(err)
	}
	body, hdr := h.bigGitHub("big-2", 200<<10)
	if a := h.post(http.MethodPost, "gh", body, hdr); a.code != http.StatusOK {
		t.Fatalf("%d %s", a.code, a.raw)
	}
	stored, err := h.bodies().GetBytes(context.Background(), "gh:big-2")
	if err != nil || !bytes.Equal(stored, body) {
		t.Fatalf("object holds %d bytes (%v), want the %d-byte body", len(stored), err, len(body))
	}
}

// TestClaimCheckBrokerOutage: the broker goes away while the body's chunks
// are being stored. The sender gets 503, not 200; consumers see nothing of
// it (no message, no object: an object is listed only once complete). The
// platform's retry, once the broker is back, stores it whole.
func TestClaimCheckBrokerOutage(t *testing.T) {
	const publishTimeout = 5 * time.Second
	h := newHarness(t, withBodies(64<<10), withPublishTimeout(publishTimeout))
	body, hdr := h.bigGitHub("outage-1", 24<<20)

	// Stop the broker when its first chunk of the body goes by.
	var stopped atomic.Bool
	sub, err := h.nc.Subscribe("$O."+bridge.BodyBucket("WEBHOOKS")+".C.>", func(*nats.Msg) {
		if stopped.CompareAndSwap(false, true) {
			go h.ns.Stop()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	a := h.post(http.MethodPost, "gh", body, hdr)
	took := time.Since(start)
	_ = sub.Unsubscribe()
	if !stopped.Load() {
		t.Fatal("no chunk of the body was seen")
	}
	if a.code != http.StatusServiceUnavailable {
		t.Fatalf("broker gone while storing the body: %d %s, want 503", a.code, a.raw)
	}
	if took > natstest.Within(publishTimeout) {
		t.Errorf("503 took %s with a publish timeout of %s", took, publishTimeout)
	}

	h.ns.Restart(t)
	ready := bridge.Ready(bridge.Readiness{Conn: h.nc, JS: h.js, Streams: []string{"WEBHOOKS"}})
	natstest.Eventually(t, natstest.Patience, "connected and the stream back", func() bool {
		return ready(context.Background()) == nil
	})
	if n := h.stored(); n != 0 {
		t.Errorf("%d messages stored after a 503, want 0", n)
	}
	if _, err := h.bodies().GetInfo(context.Background(), "gh:outage-1"); !errors.Is(err, jetstream.ErrObjectNotFound) {
		t.Errorf("object after a 503: %v, want %v", err, jetstream.ErrObjectNotFound)
	}

	h.postUntilOK("gh", body, hdr)
	stored, err := h.bodies().GetBytes(context.Background(), "gh:outage-1")
	if err != nil || !bytes.Equal(stored, body) {
		t.Fatalf("after the retry the object holds %d bytes (%v), want the %d-byte body", len(stored), err, len(body))
	}
	if n := h.stored(); n != 1 {
		t.Errorf("%d messages stored after the retry, want 1", n)
	}
	if !strings.HasSuffix(h.lastStored().Header.Get(wire.HeaderDataRef), "/gh:outage-1") {
		t.Errorf("dataref = %q", h.lastStored().Header.Get(wire.HeaderDataRef))
	}

	// Whatever chunks the cut-off upload left, pruning them leaves only
	// the stored object's, and the object whole.
	ctx := context.Background()
	n, err := bridge.PruneOrphanChunks(ctx, h.js, "WEBHOOKS", 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("chunks of %d cut-off uploads removed", n)
	info, err := h.bodies().GetInfo(ctx, "gh:outage-1")
	if err != nil {
		t.Fatal(err)
	}
	objects, err := h.js.Stream(ctx, "OBJ_"+bridge.BodyBucket("WEBHOOKS"))
	if err != nil {
		t.Fatal(err)
	}
	prefix := "$O." + bridge.BodyBucket("WEBHOOKS") + ".C."
	st, err := objects.Info(ctx, jetstream.WithSubjectFilter(prefix+">"))
	if err != nil {
		t.Fatal(err)
	}
	if len(st.State.Subjects) != 1 || st.State.Subjects[prefix+info.NUID] == 0 {
		t.Errorf("chunk subjects after pruning: %v, want only %s", st.State.Subjects, prefix+info.NUID)
	}
	if stored, err := h.bodies().GetBytes(ctx, "gh:outage-1"); err != nil || !bytes.Equal(stored, body) {
		t.Errorf("after pruning the object holds %d bytes (%v), want the %d-byte body", len(stored), err, len(body))
	}
}

// TestClaimCheckStaleObjectStoredAgain: a retry that comes after the
// duplicate window finds an object too old to reuse (it would expire, with
// the bucket's TTL, before the message stored now): the body is stored
// again under the same name, and the bucket still lists one object.
func TestClaimCheckStaleObjectStoredAgain(t *testing.T) {
	var now atomic.Pointer[time.Time]
	now.Store(&testNow)
	h := newHarness(t, withBodies(64<<10), func(c *bridge.Config) {
		c.Now = func() time.Time { return *now.Load() }
	})
	body, hdr := h.bigGitHub("late-1", 200<<10)
	if a := h.post(http.MethodPost, "gh", body, hdr); a.code != http.StatusOK {
		t.Fatalf("%d %s", a.code, a.raw)
	}
	first, err := h.bodies().GetInfo(context.Background(), "gh:late-1")
	if err != nil {
		t.Fatal(err)
	}
	later := first.ModTime.Add(25 * time.Hour)
	now.Store(&later)
	if a := h.post(http.MethodPost, "gh", body, hdr); a.code != http.StatusOK {
		t.Fatalf("late retry: %d %s", a.code, a.raw)
	}
	again, err := h.bodies().GetInfo(context.Background(), "gh:late-1")
	if err != nil {
		t.Fatal(err)
	}
	if again.NUID == first.NUID {
		t.Error("an object older than the duplicate window was reused")
	}
	if objects, err := h.bodies().List(context.Background()); err != nil || len(objects) != 1 {
		t.Errorf("bucket lists %d objects (%v), want 1", len(objects), err)
	}
}

// TestPruneBodies: on a stream without max age, an object stored more than
// the duplicate window before the stream's first message (an orphan of a
// failed publish, or one whose message is gone) is removed; one whose
// message is still stored is kept, until that message is gone too.
func TestPruneBodies(t *testing.T) {
	ns := natstest.Start(t)
	_, js := ns.Connect(t)
	ctx := context.Background()
	c := bridge.StreamConfig{Name: "PRUNE", SubjectPrefix: "prune", Replicas: 1, Duplicates: 200 * time.Millisecond}
	stream, err := bridge.EnsureStream(ctx, js, c)
	if err != nil {
		t.Fatal(err)
	}
	buckets, err := bridge.EnsureBodyBuckets(ctx, js, []bridge.WebhookStream{{StreamConfig: c}})
	if err != nil {
		t.Fatal(err)
	}
	obs := buckets["PRUNE"].(jetstream.ObjectStore)
	if st, err := obs.Status(ctx); err != nil || st.TTL() != 0 {
		t.Fatalf("bucket TTL %v (%v), want none for a stream without max age", st.TTL(), err)
	}
	if _, err := obs.PutBytes(ctx, "src:orphan", []byte("publish failed")); err != nil {
		t.Fatal(err)
	}
	orphan, err := obs.GetInfo(ctx, "src:orphan")
	if err != nil {
		t.Fatal(err)
	}
	// The next object and its message come more than the window later.
	natstest.Eventually(t, natstest.Patience, "the duplicate window past the orphan", func() bool {
		info, err := stream.Info(ctx)
		return err == nil && info.TimeStamp.Sub(orphan.ModTime) > 2*c.Duplicates
	})
	if _, err := obs.PutBytes(ctx, "src:kept", []byte("stored")); err != nil {
		t.Fatal(err)
	}
	msg := nats.NewMsg("prune.github.src.push")
	msg.Header.Set(wire.HeaderDataRef, wire.DataRef("PRUNE_BODIES", "src:kept"))
	if _, err := js.PublishMsg(ctx, msg); err != nil {
		t.Fatal(err)
	}

	removed, err := bridge.PruneBodies(ctx, js, c, 0)
	if err != nil || len(removed) != 1 || removed[0] != "src:orphan" {
		t.Fatalf("PruneBodies removed %v (%v), want [src:orphan]", removed, err)
	}
	if _, err := obs.GetInfo(ctx, "src:kept"); err != nil {
		t.Fatalf("the object of a stored message: %v", err)
	}

	// Its message goes; once the window has passed the object goes too.
	if err := stream.Purge(ctx); err != nil {
		t.Fatal(err)
	}
	natstest.Eventually(t, natstest.Patience, "the object of a purged message removed", func() bool {
		removed, err := bridge.PruneBodies(ctx, js, c, 0)
		return err == nil && len(removed) == 1 && removed[0] == "src:kept"
	})
	if objects, err := obs.List(ctx); !errors.Is(err, jetstream.ErrNoObjectsFound) {
		t.Errorf("bucket lists %d objects (%v), want none", len(objects), err)
	}
}

// TestBodyBucketTTL: a stream with max age gets a bucket whose TTL is that
// plus the duplicate window, so an object outlives every message that
// refers to it.
func TestBodyBucketTTL(t *testing.T) {
	ns := natstest.Start(t)
	_, js := ns.Connect(t)
	ctx := context.Background()
	c := bridge.StreamConfig{Name: "AGED", SubjectPrefix: "aged", Replicas: 1, Duplicates: time.Hour}
	s, err := bridge.EnsureStream(ctx, js, c)
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.CachedInfo().Config
	cfg.MaxAge = 72 * time.Hour
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	buckets, err := bridge.EnsureBodyBuckets(ctx, js, []bridge.WebhookStream{{StreamConfig: c}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := buckets["AGED"].(jetstream.ObjectStore).Status(ctx)
	if err != nil || st.TTL() != 73*time.Hour {
		t.Errorf("bucket TTL %v (%v), want 73h", st.TTL(), err)
	}
}

// TestPruneOrphanChunks: the chunks of an upload cut off before its entry
// was written (a broker outage mid-Put) are removed once the newest of them
// is older than the grace; the chunks of a complete object, and those of an
// upload still in progress (young, no entry yet), stay.
func TestPruneOrphanChunks(t *testing.T) {
	// Long enough that no stall of this machine between the young chunk
	// and the prune makes it old.
	const grace = 3 * time.Second
	ns := natstest.Start(t)
	_, js := ns.Connect(t)
	ctx := context.Background()
	c := bridge.StreamConfig{Name: "ORPHANS", SubjectPrefix: "orphans", Replicas: 1, Duplicates: time.Minute}
	if _, err := bridge.EnsureStream(ctx, js, c); err != nil {
		t.Fatal(err)
	}
	buckets, err := bridge.EnsureBodyBuckets(ctx, js, []bridge.WebhookStream{{StreamConfig: c}})
	if err != nil {
		t.Fatal(err)
	}
	obs := buckets["ORPHANS"].(jetstream.ObjectStore)
	objects, err := js.Stream(ctx, "OBJ_ORPHANS_BODIES")
	if err != nil {
		t.Fatal(err)
	}
	chunks := func() map[string]uint64 {
		t.Helper()
		info, err := objects.Info(ctx, jetstream.WithSubjectFilter("$O.ORPHANS_BODIES.C.>"))
		if err != nil {
			t.Fatal(err)
		}
		return info.State.Subjects
	}

	kept := bytes.Repeat([]byte("kept body "), 40_000) // four chunks of 128 KiB
	keptInfo, err := obs.PutBytes(ctx, "src:kept", kept)
	if err != nil {
		t.Fatal(err)
	}
	const cut, young = "$O.ORPHANS_BODIES.C.CutOffUpload", "$O.ORPHANS_BODIES.C.UploadInProgress"
	for range 3 {
		if _, err := js.Publish(ctx, cut, bytes.Repeat([]byte("c"), 128<<10)); err != nil {
			t.Fatal(err)
		}
	}
	last, err := objects.GetLastMsgForSubject(ctx, cut)
	if err != nil {
		t.Fatal(err)
	}
	natstest.Eventually(t, natstest.Within(grace), "the cut-off upload older than the grace", func() bool {
		info, err := objects.Info(ctx)
		return err == nil && info.TimeStamp.Sub(last.Time) > grace
	})
	if _, err := js.Publish(ctx, young, []byte("first chunk")); err != nil {
		t.Fatal(err)
	}

	n, err := bridge.PruneOrphanChunks(ctx, js, "ORPHANS", grace)
	if err != nil || n != 1 {
		t.Fatalf("PruneOrphanChunks removed %d (%v), want 1", n, err)
	}
	left := chunks()
	if left[cut] != 0 {
		t.Errorf("%d chunks of the cut-off upload left", left[cut])
	}
	if left[young] != 1 {
		t.Errorf("%d chunks of the upload in progress left, want 1", left[young])
	}
	if want := uint64(4); left["$O.ORPHANS_BODIES.C."+keptInfo.NUID] != want {
		t.Errorf("%d chunks of the complete object left, want %d", left["$O.ORPHANS_BODIES.C."+keptInfo.NUID], want)
	}
	if got, err := obs.GetBytes(ctx, "src:kept"); err != nil || !bytes.Equal(got, kept) {
		t.Errorf("the complete object reads %d bytes (%v), want its %d", len(got), err, len(kept))
	}
	if n, err := bridge.PruneOrphanChunks(ctx, js, "ORPHANS", grace); err != nil || n != 0 {
		t.Errorf("a second run removed %d (%v), want 0", n, err)
	}
}
