package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/cmd/internal/console/jsview"
	"github.com/hookbridge/hookbridge/consumers"
)

// sinceLayouts are the start times the Replay form takes: a browser's datetime-local (read
// as UTC, as the form says) and RFC 3339 with its own offset.
var sinceLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05", time.RFC3339}

// replayForm is the Replay form's fields, as submitted.
type replayForm struct {
	Stream, Name, Source, Provider, Type, Since string
}

// replayData is the Replay page: the form, its streams and what was wrong with it.
type replayData struct {
	Form    replayForm
	Streams []string
	Error   string
}

func formOf(v url.Values) replayForm {
	f := replayForm{}
	for field, p := range map[string]*string{"stream": &f.Stream, "name": &f.Name, "source": &f.Source, "provider": &f.Provider, "type": &f.Type, "since": &f.Since} {
		*p = strings.TrimSpace(v.Get(field))
	}
	return f
}

func (f replayForm) values() map[string]string {
	return map[string]string{"stream": f.Stream, "name": f.Name, "source": f.Source, "provider": f.Provider, "type": f.Type, "since": f.Since}
}

// replayForm serves the form, filled from the query (a link back from a refused confirm).
func (c *Console) replayForm(w http.ResponseWriter, r *http.Request) {
	f := formOf(r.URL.Query())
	if f.Stream == "" && len(c.cfg.Streams) > 0 {
		f.Stream = c.cfg.Streams[0]
	}
	if f.Since == "" {
		f.Since = c.cfg.Now().UTC().Add(-time.Hour).Format(sinceLayouts[0])
	}
	c.render(w, r, "replay", "Replay", false, replayData{Form: f, Streams: c.cfg.Streams})
}

// stream is the console's stream named name, with the layout of its subjects.
func (c *Console) stream(name string) (jsview.Stream, bool) {
	if !slices.Contains(c.cfg.Streams, name) {
		return jsview.Stream{}, false
	}
	return c.cfg.layout(name), true
}

// replayOf checks the form and turns it into the replay it asks for, with its subject filter;
// the error says which field is wrong and how.
func (c *Console) replayOf(f replayForm) (jsview.Replay, string, error) {
	st, ok := c.stream(f.Stream)
	if !ok {
		return jsview.Replay{}, "", formErrorf("stream %q: want one of %s", f.Stream, strings.Join(c.cfg.Streams, ", "))
	}
	since, err := parseSince(f.Since)
	if err != nil {
		return jsview.Replay{}, "", err
	}
	if now := c.cfg.Now(); since.After(now) {
		return jsview.Replay{}, "", formErrorf("start %s is in the future (now is %s): a replay starts at a moment already past", since.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	r := jsview.Replay{Stream: st, Name: f.Name, Filter: jsview.Filter{Source: f.Source, Provider: f.Provider, Type: f.Type}, Since: since}
	if f.Name == "" {
		return r, "", formError("name is required: the new consumer's name, [A-Za-z0-9_-]+")
	}
	if !consumers.ValidName(f.Name) {
		return r, "", fmt.Errorf("%w: %q: want [A-Za-z0-9_-]+", jsview.ErrBadName, f.Name)
	}
	subject, err := st.Subject(r.Filter)
	if err != nil {
		return r, "", err
	}
	return r, subject, nil
}

// parseSince reads the form's start time in one of sinceLayouts.
func parseSince(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, formError("start is required: when the replay begins, in UTC")
	}
	for _, layout := range sinceLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, formErrorf("start %q: want a date and time such as 2026-01-02T15:04 (UTC) or RFC 3339", s)
}

// confirmReplay checks the form and shows what the replay will create, with the form that
// creates it; a form that is wrong comes back with the error (400).
func (c *Console) confirmReplay(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), opsTimeout)
	defer cancel()
	f := formOf(r.URL.Query())
	rp, subject, err := c.replayOf(f)
	if err == nil {
		err = c.nameFree(ctx, rp)
	}
	if err != nil {
		c.replayRefused(w, r, f, err)
		return
	}
	c.render(w, r, "confirm", "Start a replay", false, confirmData{
		Heading: "Create consumer " + rp.Name + " on " + rp.Stream.Name + "?",
		Lines: []string{
			"A new durable consumer " + rp.Name + " on " + rp.Stream.Name + ", filter " + subject + ".",
			"It starts at the first message stored at or after " + rp.Since.UTC().Format(time.RFC3339) + " and holds its place until a program consumes it.",
			"Nothing is delivered anywhere until a program attaches to it; delete it when the replay is done.",
		},
		Action: "/replay",
		Fields: f.values(),
		Button: "Create " + rp.Name,
		Cancel: "/replay?" + r.URL.RawQuery,
	})
}

// nameFree is ErrConsumerExists when rp's name is taken on its stream: said before the
// confirmation, so that a person does not confirm what cannot be done.
func (c *Console) nameFree(ctx context.Context, rp jsview.Replay) error {
	st, err := c.cfg.JS.Stream(ctx, rp.Stream.Name)
	if err != nil {
		return fmt.Errorf("stream %s: %w", rp.Stream.Name, err)
	}
	_, err = st.Consumer(ctx, rp.Name)
	switch {
	case err == nil:
		return fmt.Errorf("%w: %s on %s: a consumer's start cannot change, pick a new name", jsview.ErrConsumerExists, rp.Name, rp.Stream.Name)
	case errors.Is(err, jetstream.ErrConsumerNotFound):
		return nil
	case errors.Is(err, jetstream.ErrInvalidConsumerName):
		return fmt.Errorf("%w: %q: want [A-Za-z0-9_-]+", jsview.ErrBadName, rp.Name)
	}
	return err
}

// replayRefused shows the form again with why it was refused: 400 for what the form got
// wrong, 409 for a name taken, 500 (logged) for anything else.
func (c *Console) replayRefused(w http.ResponseWriter, r *http.Request, f replayForm, err error) {
	code := http.StatusBadRequest
	switch {
	case errors.Is(err, jsview.ErrConsumerExists):
		code = http.StatusConflict
	case errors.Is(err, jetstream.ErrStreamNotFound):
		code = http.StatusNotFound
	case errors.Is(err, jsview.ErrBadName), errors.Is(err, jsview.ErrBadStart), errors.Is(err, jsview.ErrBadFilter):
	case errors.As(err, new(formError)):
	default:
		c.cfg.Log.Warn("console: starting a replay", "error", err)
		code = http.StatusInternalServerError
	}
	w.WriteHeader(code)
	c.render(w, r, "replay", "Replay", false, replayData{Form: f, Streams: c.cfg.Streams, Error: err.Error()})
}

// formError is what replayOf and parseSince find wrong with a form's field.
type formError string

func (e formError) Error() string { return string(e) }

func formErrorf(format string, args ...any) error { return formError(fmt.Sprintf(format, args...)) }

// replay creates the replay consumer the confirmed form describes and shows it.
func (c *Console) replay(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), opsTimeout)
	defer cancel()
	f := formOf(r.PostForm)
	rp, _, err := c.replayOf(f)
	if err != nil {
		c.replayRefused(w, r, f, err)
		return
	}
	if _, err := c.view.Replay(ctx, rp); err != nil {
		c.replayRefused(w, r, f, err)
		return
	}
	c.cfg.Log.Info("console: started a replay", "stream", rp.Stream.Name, "consumer", rp.Name, "since", rp.Since)
	http.Redirect(w, r, "/replay/created?"+url.Values{"stream": {rp.Stream.Name}, "name": {rp.Name}}.Encode(), http.StatusSeeOther)
}

// replayedData is the page of a replay consumer just created.
type replayedData struct {
	Stream, Name, Filters string
	Since                 string
	Pending               uint64
	GoConfig              string
}

// replayed shows a replay consumer as the server has it, and how to attach to it.
func (c *Console) replayed(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), opsTimeout)
	defer cancel()
	q := r.URL.Query()
	name, stream := q.Get("name"), q.Get("stream")
	if _, ok := c.stream(stream); !ok {
		http.Error(w, "no stream "+fmt.Sprintf("%q", stream)+" in the console", http.StatusNotFound)
		return
	}
	st, err := c.cfg.JS.Stream(ctx, stream)
	var cons jetstream.Consumer
	if err == nil {
		cons, err = st.Consumer(ctx, name)
	}
	if errors.Is(err, jetstream.ErrConsumerNotFound) || errors.Is(err, jetstream.ErrInvalidConsumerName) || errors.Is(err, jetstream.ErrStreamNotFound) {
		http.Error(w, "no consumer "+fmt.Sprintf("%q", name)+" on "+stream, http.StatusNotFound)
		return
	}
	if err != nil {
		c.cfg.Log.Warn("console: reading a replay consumer", "error", err)
		http.Error(w, "the consumer could not be read", http.StatusInternalServerError)
		return
	}
	info := cons.CachedInfo()
	d := replayedData{Stream: stream, Name: name, Pending: info.NumPending, Filters: strings.Join(info.Config.FilterSubjects, " ")}
	if info.Config.FilterSubject != "" {
		d.Filters = info.Config.FilterSubject
	}
	since := time.Time{}
	if info.Config.OptStartTime != nil {
		since = info.Config.OptStartTime.UTC()
		d.Since = since.Format(time.RFC3339)
	}
	d.GoConfig = fmt.Sprintf("consumers.Config{\n\tStream:         %q,\n\tName:           %q,\n\tFilterSubjects: []string{%q},\n\tStartTime:      time.Date(%d, %d, %d, %d, %d, %d, 0, time.UTC),\n}",
		stream, name, d.Filters, since.Year(), since.Month(), since.Day(), since.Hour(), since.Minute(), since.Second())
	c.render(w, r, "replayed", "Replay started", false, d)
}
