package bridge

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// StreamConfig is what hookbridge requires of its stream.
type StreamConfig struct {
	Name          string
	SubjectPrefix string
	Replicas      int
	// Duplicates is JetStream's dedup window: a Nats-Msg-Id seen within it
	// is acknowledged as a duplicate and not stored again.
	Duplicates time.Duration
}

// streamConfig is the stream hookbridge creates when none exists.
func (c StreamConfig) streamConfig() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        c.Name,
		Description: "Verified webhooks as CloudEvents (binary mode), published by hookbridge",
		Subjects:    []string{c.SubjectPrefix + ".>"},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Replicas:    c.Replicas,
		Duplicates:  c.Duplicates,
	}
}

// EnsureStream creates the stream, or updates an existing one so that it
// captures <prefix>.> with the configured replicas and duplicate window.
// Settings an operator made that hookbridge does not own (limits, max age)
// are kept. A stream that cannot serve (memory storage, or an update the
// server refuses) is an error that says what to change.
func EnsureStream(ctx context.Context, js jetstream.JetStream, c StreamConfig) (jetstream.Stream, error) {
	want := c.streamConfig()
	s, err := js.Stream(ctx, c.Name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		s, err = js.CreateStream(ctx, want)
		if err != nil {
			return nil, fmt.Errorf("creating stream %s: %w", c.Name, err)
		}
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("looking up stream %s: %w", c.Name, err)
	}
	cur := s.CachedInfo().Config
	if cur.Storage != jetstream.FileStorage {
		return nil, fmt.Errorf("stream %s exists with %s storage; hookbridge needs file storage so that acknowledged deliveries survive a restart: remove the stream or set nats.stream to another name", c.Name, cur.Storage)
	}
	next := cur
	if !slices.Contains(cur.Subjects, want.Subjects[0]) {
		next.Subjects = append(slices.Clone(cur.Subjects), want.Subjects[0])
	}
	next.Replicas = want.Replicas
	next.Duplicates = want.Duplicates
	if slices.Equal(next.Subjects, cur.Subjects) && next.Replicas == cur.Replicas && next.Duplicates == cur.Duplicates {
		return s, nil
	}
	s, err = js.UpdateStream(ctx, next)
	if err != nil {
		return nil, fmt.Errorf("stream %s exists with an incompatible configuration (subjects %v, replicas %d, duplicate window %s) and cannot be updated to subjects %v, replicas %d, duplicate window %s: %w",
			c.Name, cur.Subjects, cur.Replicas, cur.Duplicates, next.Subjects, next.Replicas, next.Duplicates, err)
	}
	return s, nil
}

// SetUpStream runs EnsureStream until it succeeds, ctx ends, or it fails
// for a reason waiting cannot fix (an incompatible stream, a refused
// update). A broker that is still starting, or a fresh cluster with no
// JetStream meta leader or too few peers yet, is retried every second, each
// attempt bounded by attempt; onRetry (if not nil) hears why.
func SetUpStream(ctx context.Context, js jetstream.JetStream, c StreamConfig, attempt time.Duration, onRetry func(error)) (jetstream.Stream, error) {
	for {
		actx, cancel := context.WithTimeout(ctx, attempt)
		s, err := EnsureStream(actx, js, c)
		cancel()
		if err == nil || !transient(err) {
			return s, err
		}
		if onRetry != nil {
			onRetry(err)
		}
		t := time.NewTimer(time.Second)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("stream %s not ready before the start-up deadline: %w", c.Name, err)
		case <-t.C:
		}
	}
}

// transient reports whether a JetStream API error may pass by itself.
func transient(err error) bool {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		// 10008: JetStream temporarily unavailable (no meta leader yet);
		// 10005: not enough peers for the replicas (nodes still joining).
		return apiErr.Code == 503 || apiErr.ErrorCode == 10008 || apiErr.ErrorCode == 10005
	}
	return errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, nats.ErrNoResponders) ||
		errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, nats.ErrDisconnected) ||
		errors.Is(err, jetstream.ErrNoStreamResponse)
}
