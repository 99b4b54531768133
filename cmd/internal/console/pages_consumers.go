package console

import (
	"context"
	"net/http"
	"sort"
	"time"

	"github.com/hookbridge/hookbridge/cmd/internal/console/jsview"
)

// A consumer is shown as stuck when its team needs a look: lag at or above stuckLag, or
// messages waiting while nothing was delivered or acknowledged for stuckIdle. The page says
// the rule in words (stuckRule).
const (
	stuckLag  = 1000
	stuckIdle = 5 * time.Minute
)

// stuckRule is the rule above, as the Consumers page states it.
const stuckRule = "lag of 1000 or more, or messages waiting with nothing delivered or acknowledged for 5 minutes"

// opsTimeout bounds the JetStream reads and actions of one request of the operations pages.
const opsTimeout = 5 * time.Second

// opsRoutes adds the Consumers, Dead letters and Replay pages to mux.
func (c *Console) opsRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /consumers", c.consumers)
	mux.HandleFunc("GET /deadletters", c.deadLetters)
	mux.HandleFunc("GET /deadletters/{seq}", c.deadLetter)
	mux.HandleFunc("GET /deadletters/{seq}/redrive", c.confirmRedrive)
	c.handlePost(mux, "/deadletters/{seq}/redrive", c.redrive)
	mux.HandleFunc("GET /deadletters/redrive-all", c.confirmRedriveAll)
	c.handlePost(mux, "/deadletters/redrive-all", c.redriveAll)
	mux.HandleFunc("GET /replay", c.replayForm)
	mux.HandleFunc("GET /replay/confirm", c.confirmReplay)
	c.handlePost(mux, "/replay", c.replay)
	mux.HandleFunc("GET /replay/created", c.replayed)
}

// consumersData is the Consumers page.
type consumersData struct {
	Consumers []consumerRow
	// Orphans are dead letters of consumers no stream lists (deleted, or on another stream).
	Orphans []orphan
	Error   string
	Rule    string
}

type consumerRow struct {
	jsview.Consumer
	DeadLetters uint64
	// Stuck is why the consumer needs a look; "" when it does not.
	Stuck string
}

type orphan struct {
	Name  string
	Count uint64
}

// consumers serves the Consumers page: every durable consumer of the console's streams.
func (c *Console) consumers(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), opsTimeout)
	defer cancel()
	d := consumersData{Rule: stuckRule}
	list, err := c.view.Consumers(ctx, c.cfg.Streams...)
	if err != nil {
		c.cfg.Log.Warn("console: listing the consumers", "error", err)
		d.Error = err.Error()
	}
	counts, err := c.view.DeadLetterCounts(ctx)
	if err != nil {
		c.cfg.Log.Warn("console: counting the dead letters", "error", err)
		d.Error = err.Error()
	}
	now := c.cfg.Now()
	seen := map[string]bool{}
	for _, cs := range list {
		seen[cs.Name] = true
		d.Consumers = append(d.Consumers, consumerRow{Consumer: cs, DeadLetters: counts[cs.Name], Stuck: stuck(cs, now)})
	}
	for name, n := range counts {
		if !seen[name] {
			d.Orphans = append(d.Orphans, orphan{Name: name, Count: n})
		}
	}
	sort.Slice(d.Orphans, func(i, j int) bool { return d.Orphans[i].Name < d.Orphans[j].Name })
	c.render(w, r, "consumers", "Consumers", true, d)
}

// stuck says why cs needs a look at now, by the rule of stuckLag and stuckIdle; "" if it
// does not. A paused consumer is not stuck: someone paused it.
func stuck(cs jsview.Consumer, now time.Time) string {
	switch {
	case cs.Paused:
		return ""
	case cs.Lag >= stuckLag:
		return "lag at or above 1000"
	case cs.Lag > 0 && cs.LastActive.IsZero():
		return "messages waiting, never active"
	case cs.Lag > 0 && now.Sub(cs.LastActive) >= stuckIdle:
		return "messages waiting, idle for " + now.Sub(cs.LastActive).Round(time.Second).String()
	}
	return ""
}
