package jsview

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/internal/wire"
)

// ErrBodyGone: the object a claim check refers to is no longer stored (its
// bucket's TTL passed, or it was removed, or the bucket is gone).
var ErrBodyGone = errors.New("the claim-checked body is no longer stored")

// Claimed is the body a claim check refers to (a message with the
// CloudEvents dataref extension, see internal/wire): where it is stored,
// what the store says of it, and its first bytes.
type Claimed struct {
	Bucket, Name string
	// Size and Digest are the stored object's, as the Object Store keeps
	// them.
	Size   uint64
	Digest string
	// Data is the object's first bytes, at most the limit asked for; nil
	// when bodies are hidden.
	Data []byte
}

// Claimed reads the object the dataref ref names: its size and digest and,
// unless bodies are hidden, at most its first limit bytes, so that a page
// never reads more of a body than it would show. An object or bucket that
// is not there is ErrBodyGone; a dataref that is not one wraps
// wire.ErrDataRef.
func (v *View) Claimed(ctx context.Context, ref string, limit int) (Claimed, error) {
	bucket, name, err := wire.ParseDataRef(ref)
	if err != nil {
		return Claimed{}, err
	}
	c := Claimed{Bucket: bucket, Name: name}
	obs, err := v.js.ObjectStore(ctx, bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return c, fmt.Errorf("%w: bucket %s", ErrBodyGone, bucket)
	}
	if err != nil {
		return c, err
	}
	if v.opt.HideBodies {
		info, err := obs.GetInfo(ctx, name)
		if err != nil {
			return c, gone(err, bucket, name)
		}
		c.Size, c.Digest = info.Size, info.Digest
		return c, nil
	}
	res, err := obs.Get(ctx, name)
	if err != nil {
		return c, gone(err, bucket, name)
	}
	defer res.Close()
	info, err := res.Info()
	if err != nil {
		return c, err
	}
	c.Size, c.Digest = info.Size, info.Digest
	if c.Data, err = io.ReadAll(io.LimitReader(res, int64(limit))); err != nil {
		return c, fmt.Errorf("reading object %q of bucket %s: %w", name, bucket, err)
	}
	return c, nil
}

// gone is err, ErrBodyGone when it says the object is not there.
func gone(err error, bucket, name string) error {
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return fmt.Errorf("%w: object %q of bucket %s", ErrBodyGone, name, bucket)
	}
	return err
}
