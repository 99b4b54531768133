package console

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hookbridge/hookbridge/bridge"
	"github.com/hookbridge/hookbridge/consumers/commerce"
)

// overviewData is the Overview page: sources and their deliveries, the last hour's chart, the
// streams, readiness and the latest failure.
type overviewData struct {
	Outcomes []string
	Sources  []sourceRow
	Chart    chart
	Streams  []streamState
	// Ready is "" when ready, else why not.
	Ready       string
	LastFailure failureView
	CountsError string // the counters could not be read
	// LastStored is when a webhook stream (a raw one) last stored a message: the last
	// delivery that succeeded. Zero when unknown or none.
	LastStored time.Time
}

type sourceRow struct {
	Name, Provider string
	Cells          []cell
	// LastSuccess is when a delivery of the source was last answered with
	// success; LastFailure the last one answered with an error (nil: none).
	LastSuccess time.Time
	LastFailure *bridge.SourceFailure
}

// cell is one source's deliveries with one outcome.
type cell struct {
	Outcome   string
	Total     float64
	PerMinute string // "" when there is no earlier sample to measure from
}

type streamState struct {
	Name                    string
	Error                   string
	Messages, FirstSeq      uint64
	LastSeq                 uint64
	Bytes                   string
	FirstTime, LastTime     time.Time
	DuplicateWindow, MaxAge string
}

type failureView struct {
	At     time.Time
	Reason string
}

// overview serves the Overview page.
func (c *Console) overview(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	now := c.cfg.Now()
	var d overviewData
	cur, err := gather(c.cfg.Gatherer)
	if err != nil {
		c.cfg.Log.Warn("console: reading the delivery counters", "error", err)
		d.CountsError = "the delivery counters could not be read"
	}
	d.Outcomes = outcomes(cur)
	rates, measured := c.history.rate(now, cur)
	for _, s := range c.cfg.Sources {
		row := sourceRow{Name: s.Name, Provider: s.Provider}
		row.LastSuccess, row.LastFailure = c.cfg.Activity.Source(s.Name)
		for _, o := range d.Outcomes {
			k := key{source: s.Name, outcome: o}
			cl := cell{Outcome: o, Total: cur[k]}
			if measured {
				cl.PerMinute = strconv.FormatFloat(rates[k], 'f', 1, 64)
			}
			row.Cells = append(row.Cells, cl)
		}
		d.Sources = append(d.Sources, row)
	}
	d.Chart = newChart(now, c.history.span, c.history.series(now, cur), d.Outcomes)
	for _, name := range c.cfg.Streams {
		d.Streams = append(d.Streams, c.streamState(ctx, name))
	}
	for _, st := range d.Streams {
		if st.Name != commerce.Stream && st.LastTime.After(d.LastStored) {
			d.LastStored = st.LastTime
		}
	}
	if err := c.cfg.Ready(ctx); err != nil {
		d.Ready = err.Error()
	}
	if at, err := c.cfg.Failures.Latest(); err != nil {
		d.LastFailure = failureView{At: at, Reason: err.Error()}
	}
	c.render(w, r, "overview", "Overview", true, d)
}

func (c *Console) streamState(ctx context.Context, name string) streamState {
	st := streamState{Name: name}
	s, err := c.cfg.JS.Stream(ctx, name)
	if err != nil {
		st.Error = err.Error()
		return st
	}
	info := s.CachedInfo()
	st.Messages, st.FirstSeq, st.LastSeq = info.State.Msgs, info.State.FirstSeq, info.State.LastSeq
	st.Bytes = bytesText(info.State.Bytes)
	st.FirstTime, st.LastTime = info.State.FirstTime, info.State.LastTime
	st.DuplicateWindow = info.Config.Duplicates.String()
	st.MaxAge = "unlimited"
	if info.Config.MaxAge > 0 {
		st.MaxAge = info.Config.MaxAge.String()
	}
	return st
}

// bytesText renders n bytes for a person: "0 B", "1.5 KiB", "12.0 MiB".
func bytesText(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// chart is the last hour's deliveries per minute as an inline SVG: one line per outcome.
type chart struct {
	Width, Height int
	Lines         []line
	Max           string // the top of the scale, per minute
	Empty         bool   // no interval measured yet
}

type line struct {
	Outcome string
	Points  string // SVG polyline points
}

const chartW, chartH = 600, 140

// newChart draws series over the span before now, scaled to its highest value.
func newChart(now time.Time, span time.Duration, series []point, outcomes []string) chart {
	ch := chart{Width: chartW, Height: chartH, Empty: len(series) == 0}
	top := 0.0
	for _, p := range series {
		for _, v := range p.perMinute {
			top = max(top, v)
		}
	}
	ch.Max = strconv.FormatFloat(top, 'f', 1, 64)
	if ch.Empty {
		return ch
	}
	scale := top
	if scale == 0 {
		scale = 1
	}
	start := now.Add(-span)
	x := func(t time.Time) string {
		return strconv.FormatFloat(max(float64(chartW)*t.Sub(start).Seconds()/span.Seconds(), 0), 'f', 1, 64)
	}
	for _, o := range outcomes {
		// Steps: each interval's average holds from its start to its end.
		var pts []string
		for _, p := range series {
			y := strconv.FormatFloat(float64(chartH)-float64(chartH-4)*p.perMinute[o]/scale-2, 'f', 1, 64)
			pts = append(pts, x(p.from)+","+y, x(p.at)+","+y)
		}
		ch.Lines = append(ch.Lines, line{Outcome: o, Points: strings.Join(pts, " ")})
	}
	return ch
}
