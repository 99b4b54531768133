package jsview

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/consumers"
)

// Errors of Replay's and the dead letters' input.
var (
	// ErrBadName is a consumer name that is not [A-Za-z0-9_-]+.
	ErrBadName = errors.New("bad consumer name")
	// ErrBadStart is a replay start that is missing or in the future.
	ErrBadStart = errors.New("bad replay start")
	// ErrConsumerExists is a replay name already taken on the stream: a
	// consumer's start cannot change, so a replay takes a new name.
	ErrConsumerExists = errors.New("consumer already exists")
)

// Replay is a new durable consumer that starts at a point in time, as the
// README's "Replay from a point in time" recipe makes it.
type Replay struct {
	Stream Stream
	// Name is the new consumer's name, [A-Za-z0-9_-]+, not yet taken.
	Name string
	// Filter selects what it replays (see Stream.Subject).
	Filter Filter
	// Since is the first moment it replays from; not in the future.
	Since time.Time
}

// Replay creates r's consumer and returns it as the server created it. It
// is the consumer consumers.Run would create for a Config with r's name,
// filter and StartTime (consumers.Config.ConsumerConfig), so the team's
// program started with that Config takes it over unchanged. A name already
// taken is ErrConsumerExists, and nothing changes.
func (v *View) Replay(ctx context.Context, r Replay) (*jetstream.ConsumerInfo, error) {
	if err := consumerName(r.Name); err != nil {
		return nil, err
	}
	if r.Since.IsZero() {
		return nil, fmt.Errorf("%w: since is required", ErrBadStart)
	}
	if now := v.opt.Now(); r.Since.After(now) {
		return nil, fmt.Errorf("%w: since %s is after now (%s)", ErrBadStart, r.Since.Format(time.RFC3339), now.Format(time.RFC3339))
	}
	subject, err := r.Stream.Subject(r.Filter)
	if err != nil {
		return nil, err
	}
	st, err := v.js.Stream(ctx, r.Stream.Name)
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", r.Stream.Name, err)
	}
	_, err = st.Consumer(ctx, r.Name)
	if err == nil {
		return nil, fmt.Errorf("%w: %s on %s", ErrConsumerExists, r.Name, r.Stream.Name)
	}
	if !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return nil, fmt.Errorf("consumer %s: %w", r.Name, err)
	}
	cfg := consumers.Config{Name: r.Name, FilterSubjects: []string{subject}, StartTime: r.Since.UTC()}
	c, err := st.CreateConsumer(ctx, cfg.ConsumerConfig())
	if errors.Is(err, jetstream.ErrConsumerExists) {
		return nil, fmt.Errorf("%w: %s on %s", ErrConsumerExists, r.Name, r.Stream.Name)
	}
	if err != nil {
		return nil, fmt.Errorf("creating consumer %s: %w", r.Name, err)
	}
	return c.CachedInfo(), nil
}

// consumerName checks a consumer name from input.
func consumerName(name string) error {
	if !consumers.ValidName(name) {
		return fmt.Errorf("%w: %q: want [A-Za-z0-9_-]+", ErrBadName, name)
	}
	return nil
}
