package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hookbridge/hookbridge/bridge/provider"
	"github.com/hookbridge/hookbridge/cmd/internal/settings"
	"github.com/hookbridge/hookbridge/internal/sample"
)

// delivery is one signed request, built before the clock starts. It is
// read-only once built: a replay sends the same header map and body again.
type delivery struct {
	path   string // "/webhooks/<source>"
	body   []byte
	header http.Header
	// msgID is what the bridge stores as Nats-Msg-Id: "<source>:<ce id>".
	// The ce id is read with the provider's own Extract, because some
	// platforms' ids are not the delivery id (WooCommerce hashes the body).
	msgID string
}

// source is one configured source the load is signed for.
type source struct {
	name     string
	kind     string
	provider *provider.Provider
	loc      sample.Locators
}

// mix is the provider mix: delivery i is signed for sources[schedule[i%len]].
type mix struct {
	sources  []source
	schedule []int
}

// parseMix resolves "--sources a,b=3,c" against the config: a bare name has
// weight 1; an empty spec means every configured source once.
func parseMix(spec string, cfg *settings.Config) (*mix, error) {
	byName := make(map[string]settings.Source, len(cfg.Sources))
	var names []string
	for _, s := range cfg.Sources {
		byName[s.Name] = s
		names = append(names, s.Name)
	}
	if strings.TrimSpace(spec) == "" {
		spec = strings.Join(names, ",")
	}
	m := &mix{}
	var errs []error
	for part := range strings.SplitSeq(spec, ",") {
		name, w, hasWeight := strings.Cut(strings.TrimSpace(part), "=")
		weight := 1
		if hasWeight {
			n, err := strconv.Atoi(w)
			if err != nil || n < 1 || n > 1000 {
				errs = append(errs, fmt.Errorf("--sources: weight %q of %q: want an integer from 1 to 1000", w, name))
				continue
			}
			weight = n
		}
		c, ok := byName[name]
		if !ok {
			errs = append(errs, fmt.Errorf("--sources: no source %q in the config (have %s)", name, strings.Join(names, ", ")))
			continue
		}
		p, err := c.Provider()
		if err != nil {
			errs = append(errs, fmt.Errorf("source %q: %w", name, err))
			continue
		}
		idx := len(m.sources)
		m.sources = append(m.sources, source{
			name: name, kind: c.Kind, provider: p,
			loc: sample.Locators{ID: c.HMAC.ID, Type: c.HMAC.Type, Subject: c.HMAC.Subject, Time: c.HMAC.Time},
		})
		for range weight {
			m.schedule = append(m.schedule, idx)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return m, nil
}

// String names the mix as it was asked for ("acme-shop,billing=3").
func (m *mix) String() string {
	count := make([]int, len(m.sources))
	for _, i := range m.schedule {
		count[i]++
	}
	parts := make([]string, len(m.sources))
	for i, s := range m.sources {
		parts[i] = s.name
		if count[i] > 1 {
			parts[i] += "=" + strconv.Itoa(count[i])
		}
	}
	return strings.Join(parts, ",")
}

// generate builds and signs n deliveries with ids "<prefix><i>", bodies
// padded to bodySize, on every core. now is the signing time: keep the run
// within the sources' timestamp tolerance (5m unless configured).
func (m *mix) generate(prefix string, n, bodySize int, now time.Time) ([]delivery, error) {
	out := make([]delivery, n)
	workers := min(runtime.GOMAXPROCS(0), max(n/256, 1))
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				d, err := m.build(m.sources[m.schedule[i%len(m.schedule)]], prefix+strconv.Itoa(i), bodySize, now)
				if err != nil {
					errs[w] = err
					return
				}
				out[i] = d
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

func (m *mix) build(s source, id string, bodySize int, now time.Time) (delivery, error) {
	body, h, err := sample.DeliveryForOrder(s.kind, s.loc, "", id, "", now)
	if err != nil {
		return delivery{}, fmt.Errorf("source %q: %w", s.name, err)
	}
	body = sample.Pad(body, bodySize)
	if body, err = s.provider.SignBody(body); err != nil {
		return delivery{}, fmt.Errorf("source %q: signing: %w", s.name, err)
	}
	if err := s.provider.Sign(body, h, now); err != nil {
		return delivery{}, fmt.Errorf("source %q: signing: %w", s.name, err)
	}
	ev, err := s.provider.Extract(body, h)
	if err != nil {
		return delivery{}, fmt.Errorf("source %q: the sample delivery is unusable: %w", s.name, err)
	}
	return delivery{path: "/webhooks/" + s.name, body: body, header: h, msgID: s.name + ":" + ev.ID}, nil
}

// newRunID returns a random id that prefixes every delivery id of one run,
// so that two runs against the same stream never collide.
func newRunID() string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
