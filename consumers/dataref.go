package consumers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/internal/wire"
)

// ObjectStores is what ResolveData needs of JetStream: a bucket by name.
// jetstream.JetStream satisfies it.
type ObjectStores interface {
	ObjectStore(ctx context.Context, bucket string) (jetstream.ObjectStore, error)
}

// ErrDataGone: the message refers to a body that is no longer stored (its
// bucket's TTL passed, or it was removed). Retrying cannot bring it back.
var ErrDataGone = errors.New("the event's data is no longer stored")

// ErrDataMismatch: the stored body is not the one the message describes
// (its size or SHA-256 differ).
var ErrDataMismatch = errors.New("the stored data does not match the event's size and digest")

// ResolveData gives ev its data when its message is a claim check: a body
// too large for a message, which hookbridge stores in an Object Store
// bucket and refers to with the CloudEvents dataref extension, its size
// (datasize) and SHA-256 (datadigest). The body is read whole, checked
// against both and set as ev's data; the extensions stay. An event without
// dataref is left alone. Errors that retrying cannot fix (a malformed
// dataref, ErrDataGone, ErrDataMismatch) are Permanent; others (the broker
// is unavailable) are not. Run calls it before the handler; call it
// yourself after DecodeEvent.
func ResolveData(ctx context.Context, js ObjectStores, ev *event.Event) error {
	ext := ev.Extensions()
	ref, ok := ext["dataref"].(string)
	if !ok {
		return nil
	}
	bucket, name, err := wire.ParseDataRef(ref)
	if err != nil {
		return Permanent(err)
	}
	size, err := dataSize(ext)
	if err != nil {
		return Permanent(err)
	}
	digest, _ := ext["datadigest"].(string)
	obs, err := js.ObjectStore(ctx, bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return Permanent(fmt.Errorf("%w: bucket %s: %w", ErrDataGone, bucket, err))
	}
	if err != nil {
		return fmt.Errorf("data of event %s: bucket %s: %w", ev.ID(), bucket, err)
	}
	res, err := obs.Get(ctx, name)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return Permanent(fmt.Errorf("%w: object %q of bucket %s", ErrDataGone, name, bucket))
	}
	if err != nil {
		return fmt.Errorf("data of event %s: object %q of bucket %s: %w", ev.ID(), name, bucket, err)
	}
	defer res.Close()
	info, err := res.Info()
	if err != nil {
		return fmt.Errorf("data of event %s: object %q of bucket %s: %w", ev.ID(), name, bucket, err)
	}
	if info.Size != size || info.Digest != digest {
		return Permanent(fmt.Errorf("%w: object %q of bucket %s holds %d bytes, %s; the event says %d bytes, %s", ErrDataMismatch, name, bucket, info.Size, info.Digest, size, digest))
	}
	data := make([]byte, size)
	if _, err := io.ReadFull(res, data); err != nil {
		return fmt.Errorf("data of event %s: reading object %q of bucket %s: %w", ev.ID(), name, bucket, err)
	}
	if wire.ObjectDigest(data) != digest {
		return Permanent(fmt.Errorf("%w: object %q of bucket %s", ErrDataMismatch, name, bucket))
	}
	ev.DataEncoded, ev.DataBase64 = data, false
	return nil
}

// dataSize reads the datasize extension.
func dataSize(ext map[string]any) (uint64, error) {
	s, _ := ext["datasize"].(string)
	n, err := strconv.ParseUint(s, 10, 63)
	if err != nil {
		return 0, fmt.Errorf("datasize %q is not a byte count", s)
	}
	return n, nil
}

// messageDataSize is the size of a message's data: its payload, or the
// body it refers to (claim check).
func messageDataSize(h nats.Header, payload int) int {
	if h == nil || h.Get(wire.HeaderDataRef) == "" {
		return payload
	}
	n, err := strconv.ParseUint(h.Get(wire.HeaderDataSize), 10, 31)
	if err != nil {
		return payload
	}
	return payload + int(n)
}
