package console

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strconv"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/cmd/internal/console/jsview"
	"github.com/hookbridge/hookbridge/consumers"
)

// deadLettersData is the Dead letters page: one consumer's dead letters, or every one's.
type deadLettersData struct {
	Consumer string // "" for every consumer
	Counts   []orphan
	Total    uint64
	Letters  []jsview.DeadLetter
	// Older is the link to the next, older page; "" at the end.
	Older string
	// Redriven is the notice after a redrive: how many went back, -1 for none to tell.
	Redriven int
	Error    string
}

// deadLetters serves the Dead letters page: ?consumer= narrows it to one consumer, ?before=
// pages back, ?redriven= is the notice a redrive redirects with.
func (c *Console) deadLetters(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), opsTimeout)
	defer cancel()
	q := r.URL.Query()
	d := deadLettersData{Consumer: q.Get("consumer"), Redriven: -1}
	if d.Consumer != "" && !consumers.ValidName(d.Consumer) {
		http.Error(w, "bad consumer name "+strconv.Quote(d.Consumer)+": want [A-Za-z0-9_-]+", http.StatusBadRequest)
		return
	}
	before, ok := uintParam(q, "before")
	if !ok {
		http.Error(w, "bad before "+strconv.Quote(q.Get("before"))+": want a sequence number", http.StatusBadRequest)
		return
	}
	if n, err := strconv.Atoi(q.Get("redriven")); err == nil && n >= 0 {
		d.Redriven = n
	}
	counts, err := c.view.DeadLetterCounts(ctx)
	if err != nil {
		c.cfg.Log.Warn("console: counting the dead letters", "error", err)
		d.Error = err.Error()
	}
	for name, n := range counts {
		d.Counts = append(d.Counts, orphan{Name: name, Count: n})
		d.Total += n
	}
	sort.Slice(d.Counts, func(i, j int) bool { return d.Counts[i].Name < d.Counts[j].Name })
	page, err := c.view.DeadLetters(ctx, d.Consumer, 0, before)
	if err != nil {
		c.cfg.Log.Warn("console: reading the dead letters", "error", err)
		d.Error = err.Error()
	}
	d.Letters = page.DeadLetters
	if page.Before != 0 {
		d.Older = "/deadletters?" + url.Values{"consumer": {d.Consumer}, "before": {strconv.FormatUint(page.Before, 10)}}.Encode()
	}
	c.render(w, r, "deadletters", "Dead letters", false, d)
}

// uintParam is q's name as a number, 0 when absent; false when it is not a number.
func uintParam(q url.Values, name string) (uint64, bool) {
	v := q.Get(name)
	if v == "" {
		return 0, true
	}
	n, err := strconv.ParseUint(v, 10, 64)
	return n, err == nil
}

// deadLetterAt reads the dead letter the request's {seq} names, or answers 404 (no such
// sequence, or not a number) or 500 and returns false.
func (c *Console) deadLetterAt(ctx context.Context, w http.ResponseWriter, r *http.Request) (jsview.DeadLetter, bool) {
	seq, err := strconv.ParseUint(r.PathValue("seq"), 10, 64)
	if err != nil || seq == 0 {
		http.Error(w, "no dead letter at "+strconv.Quote(r.PathValue("seq")), http.StatusNotFound)
		return jsview.DeadLetter{}, false
	}
	dl, err := c.view.DeadLetter(ctx, seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) || errors.Is(err, jetstream.ErrStreamNotFound) || (err == nil && dl.Consumer == "") {
		http.Error(w, "no dead letter at "+strconv.FormatUint(seq, 10)+" (redriven already?)", http.StatusNotFound)
		return jsview.DeadLetter{}, false
	}
	if err != nil {
		c.cfg.Log.Warn("console: reading a dead letter", "seq", seq, "error", err)
		http.Error(w, "the dead letter could not be read", http.StatusInternalServerError)
		return jsview.DeadLetter{}, false
	}
	return dl, true
}

// deadLetterData is the page of one dead letter.
type deadLetterData struct {
	jsview.DeadLetter
	// Body is what the page shows of the body, as the delivery page shows one; it stands in
	// for the message's own Body.
	Body shownBody
}

// deadLetter serves one dead letter: why, where it came from, its headers and its body
// (unless bodies are hidden). A dead letter carries its message's headers and data as they
// were, so a claim check's body is read from the object it names, as on the delivery page.
func (c *Console) deadLetter(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), opsTimeout)
	defer cancel()
	dl, ok := c.deadLetterAt(ctx, w, r)
	if !ok {
		return
	}
	c.render(w, r, "deadletter", "Dead letter "+strconv.FormatUint(dl.Seq, 10), false, deadLetterData{DeadLetter: dl, Body: c.body(r.Context(), dl.Message)})
}

// confirmData is a confirmation page: what an action will do, and the form that does it.
type confirmData struct {
	Heading string
	Lines   []string
	Action  string // where the form posts
	Fields  map[string]string
	Button  string
	Cancel  string
	Error   string
}

// confirmRedrive asks before redriving one dead letter.
func (c *Console) confirmRedrive(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), opsTimeout)
	defer cancel()
	dl, ok := c.deadLetterAt(ctx, w, r)
	if !ok {
		return
	}
	seq := strconv.FormatUint(dl.Seq, 10)
	c.render(w, r, "confirm", "Redrive a dead letter", false, confirmData{
		Heading: "Redrive dead letter " + seq + "?",
		Lines: []string{
			"It is published again to " + dl.OriginalSubject + ", where consumer " + dl.Consumer + " (and any other consumer of that subject) gets it as a new message.",
			"Then it is removed from the dead letters.",
			"Why it was dead-lettered: " + dl.Reason + ".",
		},
		Action: "/deadletters/" + seq + "/redrive",
		Fields: map[string]string{"consumer": dl.Consumer},
		Button: "Redrive it",
		Cancel: "/deadletters/" + seq,
	})
}

// redrive redrives one dead letter of the form's consumer and goes back to its list.
func (c *Console) redrive(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), opsTimeout)
	defer cancel()
	seq, err := strconv.ParseUint(r.PathValue("seq"), 10, 64)
	if err != nil || seq == 0 {
		http.Error(w, "no dead letter at "+strconv.Quote(r.PathValue("seq")), http.StatusNotFound)
		return
	}
	consumer := r.PostFormValue("consumer")
	err = c.view.Redrive(ctx, consumer, seq)
	switch {
	case errors.Is(err, jsview.ErrBadName):
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	case errors.Is(err, consumers.ErrNotDeadLetterOf), errors.Is(err, jetstream.ErrMsgNotFound):
		http.Error(w, "no dead letter of "+consumer+" at "+strconv.FormatUint(seq, 10)+" (redriven already?)", http.StatusNotFound)
		return
	case err != nil:
		c.cfg.Log.Warn("console: redriving a dead letter", "consumer", consumer, "seq", seq, "error", err)
		http.Error(w, "the redrive failed: "+err.Error(), http.StatusInternalServerError)
		return
	}
	c.cfg.Log.Info("console: redrove a dead letter", "consumer", consumer, "seq", seq)
	redirectRedriven(w, r, consumer, 1)
}

// redirectRedriven sends the browser back to consumer's dead letters with the notice of n.
func redirectRedriven(w http.ResponseWriter, r *http.Request, consumer string, n int) {
	http.Redirect(w, r, "/deadletters?"+url.Values{"consumer": {consumer}, "redriven": {strconv.Itoa(n)}}.Encode(), http.StatusSeeOther)
}

// confirmRedriveAll asks before redriving every dead letter of ?consumer=.
func (c *Console) confirmRedriveAll(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), opsTimeout)
	defer cancel()
	consumer := r.URL.Query().Get("consumer")
	if !consumers.ValidName(consumer) {
		http.Error(w, "bad consumer name "+strconv.Quote(consumer)+": want [A-Za-z0-9_-]+", http.StatusBadRequest)
		return
	}
	counts, err := c.view.DeadLetterCounts(ctx)
	if err != nil {
		c.cfg.Log.Warn("console: counting the dead letters", "error", err)
		http.Error(w, "the dead letters could not be counted", http.StatusInternalServerError)
		return
	}
	n := strconv.FormatUint(counts[consumer], 10)
	c.render(w, r, "confirm", "Redrive all dead letters", false, confirmData{
		Heading: "Redrive all " + n + " dead letters of " + consumer + "?",
		Lines: []string{
			"Each is published again to its original subject, where " + consumer + " gets it as a new message, and removed from the dead letters.",
			"This is what `deadletters redrive " + consumer + "` does. Dead letters written while it runs are redriven too.",
		},
		Action: "/deadletters/redrive-all",
		Fields: map[string]string{"consumer": consumer},
		Button: "Redrive all " + n,
		Cancel: "/deadletters?" + url.Values{"consumer": {consumer}}.Encode(),
	})
}

// redriveAll redrives every dead letter of the form's consumer and goes back to its list.
func (c *Console) redriveAll(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), opsTimeout)
	defer cancel()
	consumer := r.PostFormValue("consumer")
	n, err := c.view.RedriveAll(ctx, consumer)
	if errors.Is(err, jsview.ErrBadName) {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if err != nil {
		c.cfg.Log.Warn("console: redriving dead letters", "consumer", consumer, "redriven", n, "error", err)
		http.Error(w, "the redrive stopped after "+strconv.Itoa(n)+": "+err.Error(), http.StatusInternalServerError)
		return
	}
	c.cfg.Log.Info("console: redrove dead letters", "consumer", consumer, "redriven", n)
	redirectRedriven(w, r, consumer, n)
}
