package bridge

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/internal/config"
	"github.com/hookbridge/hookbridge/internal/wire"
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

// WebhookStream is one of the streams a bridge publishes to: what hookbridge
// requires of it, and which sources' deliveries it captures.
type WebhookStream struct {
	StreamConfig
	// Sources, when not nil, are the only sources whose deliveries the
	// stream captures (<prefix>.*.<source>.> each, see Subjects); nil
	// captures every source (<prefix>.>): a bridge with one stream.
	Sources []string
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
	if err := CheckStreamName(f, "stream", c.Name); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", f.Path("stream"), err))
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

// CheckStreamName reports a name JetStream does not take for a stream: the
// rule of nats.stream and of a source's stream. f (may be nil) shows the
// value at rel below its root; the caller names the field.
func CheckStreamName(f *config.Fields, rel, name string) error {
	switch {
	case name == "":
		return errors.New("required")
	case strings.IndexFunc(name, badStreamRune) >= 0:
		return fmt.Errorf(`%s must not contain whitespace, control characters, '.', '*', '>', '/' or '\'`, f.Show(rel, name))
	case !wire.ValidBucket(BodyBucket(name)):
		return fmt.Errorf("%s may hold only ASCII letters, digits, '_' and '-': bodies too large for a message are kept in the Object Store bucket <stream>_BODIES, and bucket names take no more", f.Show(rel, name))
	}
	return nil
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

// Subjects are the subjects the stream captures: <prefix>.> when Sources is
// nil, else <prefix>.*.<source>.> for each source. A source's deliveries
// are published on <prefix>.<provider>.<source>.<type tokens> (at least one
// type token), so the second form captures all of them and nothing of
// another source.
func (c WebhookStream) Subjects() []string {
	if c.Sources == nil {
		return []string{c.SubjectPrefix + ".>"}
	}
	out := make([]string, len(c.Sources))
	for i, src := range c.Sources {
		out[i] = c.SubjectPrefix + ".*." + src + ".>"
	}
	return out
}

// streamConfig is the stream hookbridge creates when none exists.
func (c WebhookStream) streamConfig() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        c.Name,
		Description: "Verified webhooks as CloudEvents (binary mode), published by hookbridge",
		Subjects:    c.Subjects(),
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Replicas:    c.Replicas,
		Duplicates:  c.Duplicates,
	}
}

// EnsureStream creates the stream, or updates an existing one so that it
// captures its Subjects with the configured replicas and duplicate window.
// Settings an operator made that hookbridge does not own (limits, max age,
// subjects of its own) are kept. A stream that cannot serve (memory
// storage, or an update the server refuses) is an error that says what to
// change.
func EnsureStream(ctx context.Context, js jetstream.JetStream, c StreamConfig) (jetstream.Stream, error) {
	return ensureStream(ctx, js, WebhookStream{StreamConfig: c})
}

// ensureStream is EnsureStream for a stream that may capture some sources
// only.
func ensureStream(ctx context.Context, js jetstream.JetStream, c WebhookStream) (jetstream.Stream, error) {
	want := c.streamConfig()
	if len(want.Subjects) == 0 {
		return nil, fmt.Errorf("stream %s: no source is published to it", c.Name)
	}
	s, err := js.Stream(ctx, c.Name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		s, err = js.CreateStream(ctx, want)
		if err != nil {
			return nil, fmt.Errorf("creating stream %s: %w", c.Name, overlapping(ctx, js, c.Name, want.Subjects, err))
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
	for _, subj := range want.Subjects {
		if slices.Contains(next.Subjects, subj) {
			continue
		}
		// A stream's subjects must not overlap each other either: a source's
		// subjects that the new one covers go (webhooks.*.eu.> once webhooks.>
		// is back), losing nothing. An operator's own are the operator's.
		next.Subjects = slices.DeleteFunc(slices.Clone(next.Subjects), func(s string) bool {
			return sourceSubject(c.SubjectPrefix, s) && subjectWithin(s, subj)
		})
		next.Subjects = append(next.Subjects, subj)
	}
	next.Replicas = want.Replicas
	next.Duplicates = want.Duplicates
	if slices.Equal(next.Subjects, cur.Subjects) && next.Replicas == cur.Replicas && next.Duplicates == cur.Duplicates {
		return s, nil
	}
	s, err = js.UpdateStream(ctx, next)
	if err != nil {
		return nil, fmt.Errorf("stream %s exists with an incompatible configuration (subjects %v, replicas %d, duplicate window %s) and cannot be updated to subjects %v, replicas %d, duplicate window %s: %w",
			c.Name, cur.Subjects, cur.Replicas, cur.Duplicates, next.Subjects, next.Replicas, next.Duplicates, overlapping(ctx, js, c.Name, want.Subjects, err))
	}
	return s, nil
}

// EnsureStreams is EnsureStream for each of cs, the bridge's webhook
// streams (their subjects must not overlap: see Subjects). First each
// existing stream of cs gives up the subjects another of cs now captures
// (a source moved to another stream, or the default stream narrowed from
// <prefix>.> to its own sources), so that the other can take them:
// JetStream refuses two streams with overlapping subjects. Messages a
// stream already holds stay in it. A stream that cs does not name is
// never changed; one that still captures subjects of cs is an error that
// names it.
func EnsureStreams(ctx context.Context, js jetstream.JetStream, cs []WebhookStream) ([]jetstream.Stream, error) {
	if len(cs) > 1 {
		for i, c := range cs {
			if err := release(ctx, js, c, othersOf(cs, i)); err != nil {
				return nil, err
			}
		}
	}
	out := make([]jetstream.Stream, len(cs))
	for i, c := range cs {
		s, err := ensureStream(ctx, js, c)
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}

// othersOf is the subjects of every stream of cs but the i-th.
func othersOf(cs []WebhookStream, i int) []string {
	var out []string
	for j, c := range cs {
		if j != i {
			out = append(out, c.Subjects()...)
		}
	}
	return out
}

// release removes from the existing stream c the subjects that overlap
// others. A stream left with none of its own takes c's subjects at once
// (a stream needs at least one). A missing stream, or one EnsureStream
// will refuse, is left to EnsureStream.
func release(ctx context.Context, js jetstream.JetStream, c WebhookStream, others []string) error {
	s, err := js.Stream(ctx, c.Name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("looking up stream %s: %w", c.Name, err)
	}
	cur := s.CachedInfo().Config
	if cur.Storage != jetstream.FileStorage {
		return nil
	}
	kept := slices.DeleteFunc(slices.Clone(cur.Subjects), func(subj string) bool {
		return slices.ContainsFunc(others, func(o string) bool { return subjectsCollide(subj, o) })
	})
	if len(kept) == len(cur.Subjects) {
		return nil
	}
	if len(kept) == 0 {
		kept = c.Subjects()
	}
	next := cur
	next.Subjects = kept
	if _, err := js.UpdateStream(ctx, next); err != nil {
		return fmt.Errorf("stream %s: giving up subjects %v, which other streams of this config now capture: %w", c.Name, cur.Subjects, err)
	}
	return nil
}

// subjectsCollide reports whether some subject matches both a and b
// (subjects or filters with wildcards).
func subjectsCollide(a, b string) bool {
	ta, tb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; ; i++ {
		switch {
		case i == len(ta) && i == len(tb):
			return true
		case i == len(ta) || i == len(tb):
			return false
		case ta[i] == ">" || tb[i] == ">":
			return true
		case ta[i] != tb[i] && ta[i] != "*" && tb[i] != "*":
			return false
		}
	}
}

// sourceSubject reports whether subj is what a stream that captures some
// sources only captures for one of them: <prefix>.*.<source>.>.
func sourceSubject(prefix, subj string) bool {
	rest, ok := strings.CutPrefix(subj, prefix+".*.")
	if !ok {
		return false
	}
	source, ok := strings.CutSuffix(rest, ".>")
	return ok && validToken(source)
}

// subjectWithin reports whether every subject that a matches, b matches
// too.
func subjectWithin(a, b string) bool {
	ta, tb := strings.Split(a, "."), strings.Split(b, ".")
	for i := range ta {
		switch {
		case i == len(tb):
			return false
		case tb[i] == ">":
			return true
		case ta[i] == ">":
			return false
		case tb[i] != "*" && ta[i] != tb[i]:
			return false
		}
	}
	return len(ta) == len(tb)
}

// overlapping adds to err, when the server refused subjects that overlap
// another stream's, which streams capture them and what to do.
func overlapping(ctx context.Context, js jetstream.JetStream, name string, subjects []string, err error) error {
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode != errCodeSubjectsOverlap {
		return err
	}
	var holders []string
	for _, subj := range subjects {
		names := js.StreamNames(ctx, jetstream.WithStreamListSubject(subj))
		for n := range names.Name() {
			if n != name && !slices.Contains(holders, n) {
				holders = append(holders, n)
			}
		}
	}
	if len(holders) == 0 {
		return err
	}
	return fmt.Errorf("%w: stream %s already captures some of %v; hookbridge changes only the streams its config names: once its consumers have read it, delete that stream or remove those subjects from it",
		err, strings.Join(holders, ", "), subjects)
}

// errCodeSubjectsOverlap is JetStream's "subjects overlap with an existing
// stream".
const errCodeSubjectsOverlap jetstream.ErrorCode = 10065

// SetUpStreams runs EnsureStreams for the bridge's webhook streams until it
// succeeds, ctx ends, or it fails for a reason waiting cannot fix (an
// incompatible stream, a refused update). A broker that is still starting,
// or a fresh cluster with no JetStream meta leader or too few peers yet, is
// retried every second, each attempt bounded by attempt; onRetry (if not
// nil) hears why.
func SetUpStreams(ctx context.Context, js jetstream.JetStream, cs []WebhookStream, attempt time.Duration, onRetry func(error)) ([]jetstream.Stream, error) {
	var ss []jetstream.Stream
	err := retryTransient(ctx, attempt, onRetry, func(actx context.Context) (err error) {
		ss, err = EnsureStreams(actx, js, cs)
		return err
	})
	if err != nil && ctx.Err() != nil {
		names := make([]string, len(cs))
		for i, c := range cs {
			names[i] = c.Name
		}
		return nil, fmt.Errorf("stream %s not ready before the start-up deadline: %w", strings.Join(names, ", "), err)
	}
	return ss, err
}

// retryTransient runs fn, each attempt bounded by attempt, until it
// succeeds, fails for a reason waiting cannot fix, or ctx ends; a transient
// failure (a broker still starting, a fresh cluster without a meta leader,
// a request that got no answer) is retried every second, and onRetry (if
// not nil) hears why. It returns fn's last error.
func retryTransient(ctx context.Context, attempt time.Duration, onRetry func(error), fn func(context.Context) error) error {
	for {
		actx, cancel := context.WithTimeout(ctx, attempt)
		err := fn(actx)
		cancel()
		if err == nil || !transient(err) {
			return err
		}
		if onRetry != nil {
			onRetry(err)
		}
		t := time.NewTimer(time.Second)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
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
	return noAnswer(err)
}
