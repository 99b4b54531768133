package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/bridge/provider"
	"github.com/hookbridge/hookbridge/internal/sample"
)

// Platform sends signed deliveries to one source the way a webhook platform
// does: a delivery keeps its id, body and signature across attempts, and
// every answer that is not 2xx (or no answer at all) is retried with
// exponential back-off, bounded in attempts and in time. It does not wait the
// 5s that Retry-After asks for: the suites compress a platform's schedule.
// Its methods are safe for concurrent use.
type Platform struct {
	URL          string // the source's endpoint, …/webhooks/<source>
	Kind         string // the provider kind, for sample deliveries
	Provider     *provider.Provider
	FirstBackoff time.Duration // wait before the first retry; doubles after each
	MaxBackoff   time.Duration
	MaxAttempts  int
	MaxElapsed   time.Duration // since the first attempt
	HTTP         *http.Client

	mu       sync.Mutex
	attempts []Attempt // in the order they were answered
	ok       int
}

// NewPlatform returns a Platform that sends Shopify deliveries, signed with
// ShopSecret, to the bridge's ShopSource; it retries after 100ms, 200ms, ...
// up to 1s between attempts, at most 100 attempts within 2 minutes.
func NewPlatform(t testing.TB, b *Bridge) *Platform {
	t.Helper()
	return NewSourcePlatform(t, b.WebhookURL, Shop)
}

// NewSourcePlatform is NewPlatform for the source src of the bridge whose
// webhook base URL (…/webhooks/) is webhookURL: it sends src.Kind's
// deliveries signed with src.Secret.
func NewSourcePlatform(t testing.TB, webhookURL string, src Source) *Platform {
	t.Helper()
	p, err := provider.New(provider.Config{Kind: src.Kind, Secrets: []string{src.Secret}})
	if err != nil {
		t.Fatal(err)
	}
	return &Platform{
		URL: webhookURL + src.Name, Kind: src.Kind, Provider: p,
		FirstBackoff: 100 * time.Millisecond, MaxBackoff: time.Second,
		MaxAttempts: 100, MaxElapsed: 2 * time.Minute,
		HTTP: &http.Client{
			Timeout:   10 * time.Second,
			Transport: &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second},
		},
	}
}

// Delivery is one event as the platform sends it, on every attempt.
type Delivery struct {
	ID     string
	body   []byte
	header http.Header
}

// NewDelivery builds the platform's signed delivery with the delivery id id.
func (p *Platform) NewDelivery(id string) (Delivery, error) {
	now := time.Now()
	body, h, err := sample.Delivery(p.Kind, sample.Locators{}, "", id, now)
	if err != nil {
		return Delivery{}, err
	}
	if err := p.Provider.Sign(body, h, now); err != nil {
		return Delivery{}, err
	}
	return Delivery{ID: id, body: body, header: h}, nil
}

// Attempt is one POST of a delivery and what came back.
type Attempt struct {
	ID         string
	N          int // 1 for the first attempt of the delivery
	Start, End time.Time
	Status     int    // 0 when there was no answer (Err)
	RetryAfter string // the Retry-After header
	Answer     Answer
	Err        error
}

// OK reports a 2xx answer.
func (a Attempt) OK() bool { return a.Status >= 200 && a.Status < 300 }

// Took is how long the answer took.
func (a Attempt) Took() time.Duration { return a.End.Sub(a.Start) }

func (a Attempt) String() string {
	if a.Err != nil {
		return fmt.Sprintf("%s #%d: %v after %s", a.ID, a.N, a.Err, a.Took().Round(time.Millisecond))
	}
	return fmt.Sprintf("%s #%d: %d %+v after %s", a.ID, a.N, a.Status, a.Answer, a.Took().Round(time.Millisecond))
}

// Answer is the bridge's JSON answer.
type Answer struct {
	Status    string `json:"status"`
	ID        string `json:"id"`
	Subject   string `json:"subject"`
	Seq       uint64 `json:"seq"`
	Duplicate bool   `json:"duplicate"`
	Error     string `json:"error"`
}

// Result is the story of one delivery.
type Result struct {
	ID       string
	Attempts []Attempt
}

// OK reports whether the delivery got a 2xx in the end.
func (r Result) OK() bool { return len(r.Attempts) > 0 && r.Attempts[len(r.Attempts)-1].OK() }

// Final is the last attempt.
func (r Result) Final() Attempt { return r.Attempts[len(r.Attempts)-1] }

// Try posts d once.
func (p *Platform) Try(ctx context.Context, d Delivery) Attempt {
	return p.try(ctx, d, 1)
}

// The result is named: the deferred function sets End on the attempt the
// caller gets, not only on the recorded copy.
func (p *Platform) try(ctx context.Context, d Delivery, n int) (a Attempt) {
	a = Attempt{ID: d.ID, N: n, Start: time.Now()}
	defer func() {
		a.End = time.Now()
		p.mu.Lock()
		defer p.mu.Unlock()
		p.attempts = append(p.attempts, a)
		if a.OK() {
			p.ok++
		}
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.URL, bytes.NewReader(d.body))
	if err != nil {
		a.Err = err
		return a
	}
	req.Header = d.header.Clone()
	resp, err := p.HTTP.Do(req)
	if err != nil {
		a.Err = err
		return a
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	a.Status, a.RetryAfter = resp.StatusCode, resp.Header.Get("Retry-After")
	if err != nil {
		a.Err = err
		return a
	}
	if err := json.Unmarshal(body, &a.Answer); err != nil {
		a.Err = fmt.Errorf("answer %q: %w", body, err)
	}
	return a
}

// Deliver posts d until it gets a 2xx, the attempts or the time run out, or
// ctx ends.
func (p *Platform) Deliver(ctx context.Context, d Delivery) Result {
	r := Result{ID: d.ID}
	start, wait := time.Now(), p.FirstBackoff
	for n := 1; ; n++ {
		a := p.try(ctx, d, n)
		r.Attempts = append(r.Attempts, a)
		if a.OK() || n >= p.MaxAttempts || time.Since(start) >= p.MaxElapsed {
			return r
		}
		select { // the platform's back-off, not a synchronisation
		case <-ctx.Done():
			return r
		case <-time.After(wait):
		}
		wait = min(2*wait, p.MaxBackoff)
	}
}

// Run sends one new delivery every interval, one per id, each retried as
// Deliver does, and returns once every delivery has ended, in the order of
// ids. A delivery that cannot be built ends with an attempt carrying the error.
func (p *Platform) Run(ctx context.Context, ids []string, interval time.Duration) []Result {
	return p.run(ctx, interval, func(i int) (string, bool) {
		if i < len(ids) {
			return ids[i], true
		}
		return "", false
	})
}

// RunUntil is Run with the ids prefix-0000, prefix-0001, ... until stop is
// closed or ctx ends: the platform's steady traffic, for as long as a test
// needs it.
// It returns once every delivery sent has ended, in the order sent.
func (p *Platform) RunUntil(ctx context.Context, stop <-chan struct{}, prefix string, interval time.Duration) []Result {
	return p.run(ctx, interval, func(i int) (string, bool) {
		select {
		case <-stop:
			return "", false
		case <-ctx.Done():
			return "", false
		default:
			return fmt.Sprintf("%s-%04d", prefix, i), true
		}
	})
}

// run sends a delivery for each id next gives (i = 0, 1, ...), one every
// interval, until it gives none.
func (p *Platform) run(ctx context.Context, interval time.Duration, next func(i int) (string, bool)) []Result {
	var (
		mu      sync.Mutex
		results []Result
		wg      sync.WaitGroup
	)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for i := 0; ; i++ {
		if i > 0 {
			select {
			case <-ctx.Done():
			case <-tick.C:
			}
		}
		id, ok := next(i)
		if !ok {
			break
		}
		mu.Lock()
		results = append(results, Result{ID: id})
		mu.Unlock()
		d, err := p.NewDelivery(id)
		if err != nil {
			mu.Lock()
			results[i].Attempts = []Attempt{{ID: id, N: 1, Err: err}}
			mu.Unlock()
			continue
		}
		wg.Go(func() {
			r := p.Deliver(ctx, d)
			mu.Lock()
			results[i] = r
			mu.Unlock()
		})
	}
	wg.Wait()
	return results
}

// Delivered is the number of 2xx answers so far; a delivery stops at its
// first, so it counts delivered deliveries.
func (p *Platform) Delivered() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ok
}

// Attempts returns every attempt so far, in the order they were answered.
func (p *Platform) Attempts() []Attempt {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.attempts)
}

// Failed is the number of attempts so far that did not get a 2xx.
func (p *Platform) Failed() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.attempts) - p.ok
}

// Outage is a span between two 2xx answers; in an outage proper, the
// senders got other answers in between (Failures > 0).
type Outage struct {
	From, To time.Time // the last 2xx answer before, the first after
	Failures int       // answers in between, none of them 2xx
	First    time.Time // when the first of those came; zero if none
}

// Length is To - From.
func (o Outage) Length() time.Duration { return o.To.Sub(o.From) }

// Gaps cuts attempts, in the order they were answered, at each 2xx answer:
// one Outage from each 2xx answer to the next.
func Gaps(attempts []Attempt) []Outage {
	sorted := slices.Clone(attempts)
	slices.SortFunc(sorted, func(a, b Attempt) int { return a.End.Compare(b.End) })
	var gaps []Outage
	var cur *Outage // nil until the first 2xx
	for _, a := range sorted {
		switch {
		case cur == nil && !a.OK():
		case !a.OK():
			if cur.Failures++; cur.Failures == 1 {
				cur.First = a.End
			}
		default:
			if cur != nil {
				cur.To = a.End
				gaps = append(gaps, *cur)
			}
			cur = &Outage{From: a.End}
		}
	}
	return gaps
}

// LongestOutage finds, among attempts, the longest span between two 2xx
// answers (by answer time) with at least one other answer in between: how
// long the platform was told "not now". Ok is false when there is none.
func LongestOutage(attempts []Attempt) (longest Outage, ok bool) {
	for _, g := range Gaps(attempts) {
		if g.Failures > 0 && (!ok || g.Length() > longest.Length()) {
			longest, ok = g, true
		}
	}
	return longest, ok
}

// FirstOKSentAfter returns when the first 2xx answer came for a POST sent
// after t.
func FirstOKSentAfter(attempts []Attempt, t time.Time) (time.Time, bool) {
	var first time.Time
	for _, a := range attempts {
		if a.OK() && a.Start.After(t) && (first.IsZero() || a.End.Before(first)) {
			first = a.End
		}
	}
	return first, !first.IsZero()
}
