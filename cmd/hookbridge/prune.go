package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/bridge"
	"github.com/hookbridge/hookbridge/cmd/internal/settings"
)

// pruneBodies removes, from the body bucket of each webhook stream of the
// config and from the normaliser's bucket of canonical events
// (COMMERCE_BODIES), the objects whose messages the stream no longer holds
// (see bridge.PruneBodies) and the chunks of uploads cut off before their
// entry was written (bridge.PruneOrphanChunks), and prints how many per
// bucket. It is for streams kept without max age; with one, the buckets'
// TTL does it. COMMERCE never has one: the normaliser sets the stream up
// without limits at each start.
func pruneBodies(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("prune-bodies", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: hookbridge prune-bodies [--config FILE] [--nats URL] [--grace 1h]

Removes, from the body bucket of each webhook stream (<stream>_BODIES) and from
the commerce normaliser's COMMERCE_BODIES, the objects whose messages the stream
no longer holds and the chunks of uploads cut off by an outage, and prints how
many per bucket. It is for streams without max age (COMMERCE never has one);
with one, the bucket's TTL removes them. A missing COMMERCE_BODIES is reported
when commerce.enabled is true and passed over otherwise.

Flags:
`)
		fs.PrintDefaults()
	}
	grace := fs.Duration("grace", time.Hour, "keep objects stored this long (beyond the duplicate window) before the stream's first message, and the chunks of an upload without an entry this long after its last chunk: at least twice nats.publish_timeout")
	cfg, url, err := loadForNATS(fs, args, getenv, stderr)
	if err != nil {
		return err
	}
	if *grace < 2*cfg.NATS.PublishTimeout {
		return fmt.Errorf("prune-bodies: --grace %s must be at least twice nats.publish_timeout (%s)", *grace, cfg.NATS.PublishTimeout)
	}
	if url == "" {
		return errors.New("prune-bodies: no NATS server: pass --nats URL or set nats.url (for the embedded server, its nats.embedded.listen address)")
	}
	nc, err := nats.Connect(url, nats.Name("hookbridge-prune-bodies"))
	if err != nil {
		return fmt.Errorf("connecting to nats: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	// A bucket that cannot be pruned (its stream deleted to be rebuilt, a
	// broker error) does not keep the others from it: each is tried, and
	// every failure is returned at the end.
	var errs []error
	for _, sc := range cfg.Streams() {
		if err := pruneBucket(ctx, js, sc.StreamConfig, *grace, stdout); err != nil {
			errs = append(errs, err)
			if ctx.Err() != nil {
				return errors.Join(errs...)
			}
		}
	}
	return errors.Join(append(errs, pruneCommerceBodies(ctx, js, cfg, *grace, stdout))...)
}

// pruneCommerceBodies prunes the normaliser's bucket wherever it exists:
// commerce.enabled only says whether serve runs the normaliser, and one run
// alone (hookbridge normalise) fills the bucket all the same. A missing
// bucket is said when commerce.enabled promises one (no normaliser has run
// against this server yet, or only one older than its claim checks), and
// passed over in silence otherwise: no normaliser.
//
// The rule of bridge.PruneBodies holds for COMMERCE with the window the
// normaliser reuses objects within, COMMERCE's duplicate window
// (commerceStream). The normaliser publishes an event within a JetStream
// request or two of storing or finding its object, each bounded by the
// client's default timeout (5 s), where the bridge has publish_timeout:
// the default grace covers both by far.
func pruneCommerceBodies(ctx context.Context, js jetstream.JetStream, cfg *settings.Config, grace time.Duration, stdout io.Writer) error {
	sc := commerceStream(cfg)
	bucket := bridge.BodyBucket(sc.Name)
	_, err := js.ObjectStore(ctx, bucket)
	switch {
	case errors.Is(err, jetstream.ErrBucketNotFound):
		if cfg.Commerce.Enabled {
			fmt.Fprintf(stdout, "%s: no such bucket on this server (no normaliser has set it up yet), nothing to prune\n", bucket)
		}
		return nil
	case err != nil:
		return fmt.Errorf("body bucket %s: %w", bucket, err)
	}
	return pruneBucket(ctx, js, sc, grace, stdout)
}

// pruneBucket prunes the body bucket of stream sc and prints what it
// removed, also when it stops at an error.
func pruneBucket(ctx context.Context, js jetstream.JetStream, sc bridge.StreamConfig, grace time.Duration, stdout io.Writer) error {
	removed, err := bridge.PruneBodies(ctx, js, sc, grace)
	if err != nil {
		fmt.Fprintf(stdout, "%s: %d objects removed\n", bridge.BodyBucket(sc.Name), len(removed))
		return err
	}
	cut, err := bridge.PruneOrphanChunks(ctx, js, sc.Name, grace)
	fmt.Fprintf(stdout, "%s: %d objects removed, chunks of %d cut-off uploads removed\n", bridge.BodyBucket(sc.Name), len(removed), cut)
	return err
}
