// Package claimcheck stores data too large for a NATS message as an object
// in a JetStream Object Store bucket and turns the message into its claim
// check: the CloudEvents dataref, datasize and datadigest headers (see
// internal/wire) and no data. The bridge claim-checks webhook bodies and the
// commerce normaliser its canonical events the same way, and neither may
// import the other, so the shared part lives here.
//
// Object first, then the message: a consumer only learns of an object from
// its message, so an object whose message was never stored is invisible. An
// object is named by its message's Nats-Msg-Id, so a retry of the publish
// finds it and reuses it (Store) while the stream would still drop the
// message as a duplicate; the bucket's TTL (TTL) keeps an object at least as
// long as any message that refers to it.
package claimcheck

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/internal/wire"
)

// HeaderRoom is what a CloudEvent's headers may add to its data on the
// wire: data up to the server's max_payload less HeaderRoom travels in the
// message, larger data is claim-checked.
const HeaderRoom = 16 << 10

// ObjectStore is what storing a claim check needs of a bucket;
// jetstream.ObjectStore satisfies it.
type ObjectStore interface {
	GetInfo(ctx context.Context, name string, opts ...jetstream.GetObjectInfoOpt) (*jetstream.ObjectInfo, error)
	Put(ctx context.Context, meta jetstream.ObjectMeta, r io.Reader) (*jetstream.ObjectInfo, error)
}

// Bucket is the Object Store bucket holding the claim-checked data of
// stream: "<stream>_BODIES" (its JetStream stream is OBJ_<stream>_BODIES).
func Bucket(stream string) string { return stream + "_BODIES" }

// Store stores data as object name, unless a complete object of that name
// stored after since holds the same bytes (a retry of a publish whose
// object was stored).
// The Object Store makes an object visible only once its last chunk is
// stored; chunks of a Put that failed are purged, or expire with the bucket.
func Store(ctx context.Context, store ObjectStore, name string, data []byte, since time.Time) (*jetstream.ObjectInfo, error) {
	info, err := store.GetInfo(ctx, name)
	switch {
	case err == nil && info.ModTime.After(since) && info.Size == uint64(len(data)) && info.Digest == wire.ObjectDigest(data):
		return info, nil
	case err != nil && !errors.Is(err, jetstream.ErrObjectNotFound):
		return nil, err
	}
	return store.Put(ctx, jetstream.ObjectMeta{Name: name}, bytes.NewReader(data))
}

// Refer turns msg into the claim check of object info of bucket: the
// dataref, datasize and datadigest headers, and no data.
func Refer(msg *nats.Msg, bucket string, info *jetstream.ObjectInfo) {
	msg.Header[wire.HeaderDataRef] = []string{wire.DataRef(bucket, info.Name)}
	msg.Header[wire.HeaderDataSize] = []string{strconv.FormatUint(info.Size, 10)}
	msg.Header[wire.HeaderDataDigest] = []string{info.Digest}
	msg.Data = nil
}

// TTL is the TTL of the claim-check bucket of a stream with maxAge (0:
// unlimited) and duplicate window dup: an object outlives the messages
// that refer to it by at most the duplicate window.
func TTL(maxAge, dup time.Duration) time.Duration {
	if maxAge <= 0 {
		return 0
	}
	return maxAge + dup
}

// EnsureBucket creates or updates the claim-check bucket of stream (which
// must exist), with duplicate window dup, described by description. The
// bucket takes the stream's file storage and replicas, and as TTL its max
// age plus dup, read now: call it at each start.
func EnsureBucket(ctx context.Context, js jetstream.JetStream, stream string, replicas int, dup time.Duration, description string) (jetstream.ObjectStore, error) {
	bucket := Bucket(stream)
	if !wire.ValidBucket(bucket) {
		return nil, fmt.Errorf("stream %s: its body bucket %s is not an Object Store bucket name (letters, digits, '_' and '-' only): rename the stream", stream, bucket)
	}
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return nil, fmt.Errorf("looking up stream %s: %w", stream, err)
	}
	obs, err := js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket:      bucket,
		Description: description,
		TTL:         TTL(s.CachedInfo().Config.MaxAge, dup),
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("body bucket %s: %w", bucket, err)
	}
	return obs, nil
}
