package bridge

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/internal/config"
)

// StreamConfig is what hookbridge requires of its stream. The yaml tags are
// its keys in the nats section of hookbridge's config file.
type StreamConfig struct {
	Name          string `yaml:"stream"`
	SubjectPrefix string `yaml:"subject_prefix"`
	Replicas      int    `yaml:"replicas"` // 1 to 5
	// Duplicates is JetStream's dedup window: a Nats-Msg-Id seen within it
	// is acknowledged as a duplicate and not stored again.
	Duplicates time.Duration `yaml:"duplicate_window"`
}

// Defaults for StreamConfig's zero fields, besides DefaultStream and
// DefaultSubjectPrefix.
const (
	DefaultReplicas = 1
	// DefaultDuplicateWindow covers the retry horizon of most platforms
	// (Shopify retries for 4 hours) at about 145 bytes of server memory per
	// delivery.
	DefaultDuplicateWindow = 24 * time.Hour
)

// SetDefaults fills c's zero fields.
func (c *StreamConfig) SetDefaults() {
	if c.Name == "" {
		c.Name = DefaultStream
	}
	if c.SubjectPrefix == "" {
		c.SubjectPrefix = DefaultSubjectPrefix
	}
	if c.Replicas == 0 {
		c.Replicas = DefaultReplicas
	}
	if c.Duplicates == 0 {
		c.Duplicates = DefaultDuplicateWindow
	}
}

// Check reports every problem of c, naming each field by its path below f's
// root (f may be nil). Whether the server can hold Replicas copies is the
// server's to say.
func (c StreamConfig) Check(f *config.Fields) error {
	var errs []error
	switch {
	case c.Name == "":
		errs = append(errs, fmt.Errorf("%s: required", f.Path("stream")))
	case strings.IndexFunc(c.Name, badStreamRune) >= 0:
		errs = append(errs, fmt.Errorf(`%s: %s must not contain whitespace, control characters, '.', '*', '>', '/' or '\'`, f.Path("stream"), f.Show("stream", c.Name)))
	}
	if err := checkSubjectPrefix(f, "subject_prefix", c.SubjectPrefix); err != nil {
		errs = append(errs, err)
	}
	if c.Replicas < 1 || c.Replicas > 5 {
		errs = append(errs, fmt.Errorf("%s: must be from 1 to 5 (got %s)", f.Path("replicas"), f.Show("replicas", c.Replicas)))
	}
	if err := config.CheckPositive(f, "duplicate_window", c.Duplicates); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// badStreamRune reports a rune JetStream does not take in a stream name.
func badStreamRune(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune(`.*>/\`, r)
}

// checkSubjectPrefix accepts dot-separated tokens without wildcards: the
// prefix starts subjects and, with ".>", the stream's subject filter.
func checkSubjectPrefix(f *config.Fields, rel, prefix string) error {
	if !validPrefix(prefix) {
		return fmt.Errorf("%s: %s must be one or more dot-separated tokens of letters, digits, '_' and '-'", f.Path(rel), f.Show(rel, prefix))
	}
	return nil
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
