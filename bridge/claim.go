package bridge

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/internal/wire"
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
// the message is then a duplicate JetStream drops. Objects expire with the
// bucket's TTL, which EnsureBodyBuckets sets to the stream's max age.

// ObjectStore is what the bridge needs of a body bucket;
// jetstream.ObjectStore satisfies it.
type ObjectStore interface {
	GetInfo(ctx context.Context, name string, opts ...jetstream.GetObjectInfoOpt) (*jetstream.ObjectInfo, error)
	Put(ctx context.Context, meta jetstream.ObjectMeta, r io.Reader) (*jetstream.ObjectInfo, error)
}

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
}

// BodyBucket is the Object Store bucket holding the claim-checked bodies of
// stream: "<stream>_BODIES" (its JetStream stream is OBJ_<stream>_BODIES).
func BodyBucket(stream string) string { return stream + "_BODIES" }

// check reports a Bodies the server cannot work with.
func (b *Bodies) check(streams []string) error {
	if b == nil {
		return nil
	}
	var errs []error
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
	ctx, cancel := context.WithTimeout(ctx, s.cfg.PublishTimeout)
	defer cancel()
	store, name := s.cfg.Bodies.Buckets[rt.stream], msg.Header.Get(jetstream.MsgIDHeader)
	start := time.Now()
	info, err := storeObject(ctx, store, name, msg.Data)
	s.metrics.objectSeconds.Observe(time.Since(start).Seconds())
	if err != nil {
		return fmt.Errorf("storing the body as object %q of bucket %s: %w", name, BodyBucket(rt.stream), err)
	}
	msg.Header[wire.HeaderDataRef] = []string{wire.DataRef(BodyBucket(rt.stream), name)}
	msg.Header[wire.HeaderDataSize] = []string{strconv.FormatUint(info.Size, 10)}
	msg.Header[wire.HeaderDataDigest] = []string{info.Digest}
	msg.Data = nil
	return nil
}

// storeObject stores data as object name, unless a complete object of that
// name holds the same bytes (a retry of a delivery whose object was stored).
// The Object Store makes an object visible only once its last chunk is
// stored; chunks of a Put that failed are purged, or expire with the bucket.
func storeObject(ctx context.Context, store ObjectStore, name string, data []byte) (*jetstream.ObjectInfo, error) {
	info, err := store.GetInfo(ctx, name)
	switch {
	case err == nil && info.Size == uint64(len(data)) && info.Digest == digest(data):
		return info, nil
	case err != nil && !errors.Is(err, jetstream.ErrObjectNotFound):
		return nil, err
	}
	return store.Put(ctx, jetstream.ObjectMeta{Name: name}, bytes.NewReader(data))
}

// digest is data's SHA-256 as the Object Store writes it.
func digest(data []byte) string {
	h := sha256.New()
	h.Write(data)
	return jetstream.GetObjectDigestValue(h)
}

// EnsureBodyBuckets creates or updates the body bucket of each of the
// webhook streams (which must exist: see EnsureStreams) and returns them by
// stream name. A bucket takes its stream's replicas and file storage, and
// its max age as TTL, read at each start: a body expires with the
// messages of its time. A stream kept forever keeps its bodies forever.
func EnsureBodyBuckets(ctx context.Context, js jetstream.JetStream, streams []WebhookStream) (map[string]ObjectStore, error) {
	out := make(map[string]ObjectStore, len(streams))
	for _, c := range streams {
		bucket := BodyBucket(c.Name)
		if !wire.ValidBucket(bucket) {
			return nil, fmt.Errorf("stream %s: its body bucket %s is not an Object Store bucket name (letters, digits, '_' and '-' only): rename the stream", c.Name, bucket)
		}
		s, err := js.Stream(ctx, c.Name)
		if err != nil {
			return nil, fmt.Errorf("looking up stream %s: %w", c.Name, err)
		}
		obs, err := js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
			Bucket:      bucket,
			Description: "Bodies of " + c.Name + " too large for a message (claim checks), published by hookbridge",
			TTL:         s.CachedInfo().Config.MaxAge,
			Storage:     jetstream.FileStorage,
			Replicas:    c.Replicas,
		})
		if err != nil {
			return nil, fmt.Errorf("body bucket %s: %w", bucket, err)
		}
		out[c.Name] = obs
	}
	return out, nil
}
