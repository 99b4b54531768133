package bridge

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/internal/claimcheck"
)

// A body too large for a message is a claim check: the body is stored as an
// object in the source stream's Object Store bucket (BodyBucket), and the
// message carries the CloudEvents dataref extension pointing at it, with the
// body's size and digest (see internal/wire), and no data.
//
// Object first, then the message: a consumer only learns of an object from
// its message, so an object whose message was never stored (the publish
// failed) is invisible; the sender got no 200 and will retry. The object is
// named by the message's dedup id (<source>:<event id>), so the platform's
// retry finds it: a complete object with the body's digest is reused, and
// the message is then a duplicate JetStream drops, if the object is not
// older than the stream's duplicate window (Bodies.ReuseWithin); an older one
// is stored again, so that an object never expires before a message that
// refers to it: EnsureBodyBuckets sets the bucket's TTL to the stream's max
// age plus its duplicate window. With unlimited retention, PruneBodies
// removes the objects whose messages are gone.

// ObjectStore is what the bridge needs of a body bucket;
// jetstream.ObjectStore satisfies it.
type ObjectStore = claimcheck.ObjectStore

// Bodies configures claim checks. With Config.Bodies nil, a body must fit
// in a message.
type Bodies struct {
	// InlineMax is the largest data that travels in the message itself:
	// the broker's max_payload less room for the headers. Larger data is
	// stored in the stream's bucket.
	InlineMax int64
	// Buckets holds the body bucket of each webhook stream, by stream name
	// (see EnsureBodyBuckets).
	Buckets map[string]ObjectStore
	// ReuseWithin is how old a stored object of the same name and bytes
	// may be to be reused by a retry: the streams' duplicate window
	// (StreamConfig.Duplicates), which EnsureBodyBuckets adds to the
	// buckets' TTL.
	ReuseWithin time.Duration
}

// BodyBucket is the Object Store bucket holding the claim-checked bodies of
// stream: "<stream>_BODIES" (its JetStream stream is OBJ_<stream>_BODIES).
func BodyBucket(stream string) string { return claimcheck.Bucket(stream) }

// The Object Store's layout in its stream (nats.go's jetstream/object.go,
// ADR-20): an object's chunks are the messages on one subject named by the
// object's NUID, its entry (ObjectInfo, naming that NUID) the last message
// on its meta subject.
func objectStream(bucket string) string  { return "OBJ_" + bucket }
func chunkSubjects(bucket string) string { return "$O." + bucket + ".C." }

// check reports a Bodies the server cannot work with.
func (b *Bodies) check(streams []string) error {
	if b == nil {
		return nil
	}
	var errs []error
	if b.ReuseWithin <= 0 {
		errs = append(errs, fmt.Errorf("bodies: reuse window must be greater than 0 (got %s)", b.ReuseWithin))
	}
	if b.InlineMax <= 0 {
		errs = append(errs, fmt.Errorf("bodies: inline max must be greater than 0 (got %d)", b.InlineMax))
	}
	for _, s := range streams {
		if b.Buckets[s] == nil {
			errs = append(errs, fmt.Errorf("bodies: no bucket for stream %s", s))
		}
	}
	return errors.Join(errs...)
}

// claim stores msg's data as an object of rt's bucket when it is too large
// for the message, and turns msg into its claim check. It returns once the
// object is complete (or one complete with the same bytes already existed),
// within the publish timeout. Small data is left alone.
func (s *server) claim(ctx context.Context, rt *route, msg *nats.Msg) error {
	if s.cfg.Bodies == nil || int64(len(msg.Data)) <= s.cfg.Bodies.InlineMax {
		return nil
	}
	// The store outlives a sender that hangs up, as the publish does.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.PublishTimeout)
	defer cancel()
	store, name := s.cfg.Bodies.Buckets[rt.stream], msg.Header.Get(jetstream.MsgIDHeader)
	start := time.Now()
	info, err := claimcheck.Store(ctx, store, name, msg.Data, s.cfg.Now().Add(-s.cfg.Bodies.ReuseWithin))
	s.metrics.objectSeconds.Observe(time.Since(start).Seconds())
	if err != nil {
		return fmt.Errorf("storing the body as object %q of bucket %s: %w", name, BodyBucket(rt.stream), err)
	}
	claimcheck.Refer(msg, BodyBucket(rt.stream), info)
	return nil
}

// EnsureBodyBuckets creates or updates the body bucket of each of the
// webhook streams (which must exist: see EnsureStreams) and returns them by
// stream name. A bucket takes its stream's replicas and file storage, and
// as TTL its max age plus its duplicate window, read at each start: a body
// outlives the messages that refer to it by at most the duplicate window. A
// stream without max age keeps its bodies until PruneBodies removes them.
func EnsureBodyBuckets(ctx context.Context, js jetstream.JetStream, streams []WebhookStream) (map[string]ObjectStore, error) {
	out := make(map[string]ObjectStore, len(streams))
	for _, c := range streams {
		obs, err := claimcheck.EnsureBucket(ctx, js, c.Name, c.Replicas, c.Duplicates,
			"Bodies of "+c.Name+" too large for a message (claim checks), published by hookbridge")
		if err != nil {
			return nil, err
		}
		out[c.Name] = obs
	}
	return out, nil
}

// SetUpBodyBuckets is EnsureBodyBuckets retried as SetUpStreams retries
// EnsureStreams: each attempt bounded by attempt, a transient failure (on a
// fresh cluster a bucket's create may go unanswered) tried again every
// second until ctx ends.
func SetUpBodyBuckets(ctx context.Context, js jetstream.JetStream, streams []WebhookStream, attempt time.Duration, onRetry func(error)) (map[string]ObjectStore, error) {
	var out map[string]ObjectStore
	err := retryTransient(ctx, attempt, onRetry, func(actx context.Context) (err error) {
		out, err = EnsureBodyBuckets(actx, js, streams)
		return err
	})
	return out, err
}

// PruneBodies removes from the body bucket of stream c the objects whose
// messages are gone, and returns their names. A message is stored at most
// a duplicate window (the longest a retry reuses an object) plus the time
// to store the object and publish (two publish timeouts) after its object,
// and every message of a stream is at least as new as its first; so an
// object stored more than c.Duplicates plus grace before the stream's first
// message (before the server's clock when the stream is empty) has no
// message left. grace must cover two publish timeouts. Younger objects
// whose publish failed stay until a later run. It is for streams without
// max age, whose buckets have no TTL; it is safe beside a running bridge.
func PruneBodies(ctx context.Context, js jetstream.JetStream, c StreamConfig, grace time.Duration) ([]string, error) {
	s, err := js.Stream(ctx, c.Name)
	if err != nil {
		return nil, fmt.Errorf("looking up stream %s: %w", c.Name, err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", c.Name, err)
	}
	bound := info.TimeStamp
	if info.State.Msgs > 0 {
		bound = info.State.FirstTime
	}
	cutoff := bound.Add(-c.Duplicates - grace)
	obs, err := js.ObjectStore(ctx, BodyBucket(c.Name))
	if err != nil {
		return nil, fmt.Errorf("body bucket %s: %w", BodyBucket(c.Name), err)
	}
	objects, err := obs.List(ctx)
	if errors.Is(err, jetstream.ErrNoObjectsFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing body bucket %s: %w", BodyBucket(c.Name), err)
	}
	var removed []string
	for _, o := range objects {
		if !o.ModTime.Before(cutoff) {
			continue
		}
		if err := obs.Delete(ctx, o.Name); err != nil {
			return removed, fmt.Errorf("removing object %q of bucket %s: %w", o.Name, BodyBucket(c.Name), err)
		}
		removed = append(removed, o.Name)
	}
	return removed, nil
}

// PruneOrphanChunks removes from the body bucket of stream the chunks that
// no object refers to and whose newest chunk is older than grace by the
// server's clock, and returns how many uploads' chunks it removed. They
// are what an upload cut off by a broker outage leaves (the Object Store
// purges a failed upload's chunks only while the broker answers): no
// object lists them, no consumer reads them, and without a bucket TTL they
// stay. The bridge's upload of a body lasts at most the publish timeout and
// writes its entry right after its last chunk, so with grace at least twice
// the publish timeout an upload in progress is never touched: it is safe
// beside a running bridge.
func PruneOrphanChunks(ctx context.Context, js jetstream.JetStream, stream string, grace time.Duration) (int, error) {
	bucket := BodyBucket(stream)
	obs, err := js.ObjectStore(ctx, bucket)
	if err != nil {
		return 0, fmt.Errorf("body bucket %s: %w", bucket, err)
	}
	// Entries first, then chunks: an upload that completes in between
	// shows chunks without an entry, young ones.
	objects, err := obs.List(ctx, jetstream.ListObjectsShowDeleted())
	if err != nil && !errors.Is(err, jetstream.ErrNoObjectsFound) {
		return 0, fmt.Errorf("listing body bucket %s: %w", bucket, err)
	}
	referred := make(map[string]bool, len(objects))
	for _, o := range objects {
		referred[o.NUID] = true
	}
	s, err := js.Stream(ctx, objectStream(bucket))
	if err != nil {
		return 0, fmt.Errorf("body bucket %s: %w", bucket, err)
	}
	prefix := chunkSubjects(bucket)
	info, err := s.Info(ctx, jetstream.WithSubjectFilter(prefix+">"))
	if err != nil {
		return 0, fmt.Errorf("listing the chunks of body bucket %s: %w", bucket, err)
	}
	cutoff := info.TimeStamp.Add(-grace)
	removed := 0
	for subject := range info.State.Subjects {
		if referred[strings.TrimPrefix(subject, prefix)] {
			continue
		}
		newest, err := s.GetLastMsgForSubject(ctx, subject)
		switch {
		case errors.Is(err, jetstream.ErrMsgNotFound):
			continue // purged since it was listed
		case err != nil:
			return removed, fmt.Errorf("reading chunks %s of body bucket %s: %w", subject, bucket, err)
		case !newest.Time.Before(cutoff):
			continue
		}
		if err := s.Purge(ctx, jetstream.WithPurgeSubject(subject)); err != nil {
			return removed, fmt.Errorf("removing chunks %s of body bucket %s: %w", subject, bucket, err)
		}
		removed++
	}
	return removed, nil
}
