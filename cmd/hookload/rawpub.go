package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// rawResult is the broker's limit: what one publisher with a bounded window
// of async publishes gets through JetStream.
type rawResult struct {
	Start, End time.Time
	Elapsed    time.Duration
	Published  uint64 // PubAcks received, duplicates included
	Duplicates uint64
	Errors     uint64
	FirstErr   string
	Latency    histogram // publish to PubAck
}

func (r *rawResult) rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Published) / r.Elapsed.Seconds()
}

// rawPublish publishes the deliveries' bodies, as CloudEvents in binary
// mode with headers like the bridge's and a unique Nats-Msg-Id each (the
// delivery's, plus idTag), to <prefix>.bench.<source>.event for d, with at
// most window publishes awaiting their PubAck. When the deliveries run out
// before d, they are published again under new ids. js must have been made
// with WithPublishAsyncMaxPending(window).
func rawPublish(ctx context.Context, js jetstream.JetStream, prefix, idTag string, ds []delivery, d time.Duration, window int) *rawResult {
	res := &rawResult{}
	pending := make(chan inflight, window)
	var wg sync.WaitGroup
	// The collector owns res until wg.Wait; the publisher counts its own
	// failures apart.
	wg.Go(func() { res.collect(pending) })
	var pubErrs uint64
	var pubFirstErr string
	subjects := rawSubjects(prefix, ds)
	ceTime := time.Now().UTC().Format(time.RFC3339Nano)
	start := time.Now()
	deadline := start.Add(d)
	for i := 0; ctx.Err() == nil && time.Now().Before(deadline); i++ {
		dl := &ds[i%len(ds)]
		id := dl.msgID + idTag
		if round := i / len(ds); round > 0 {
			id += "#" + strconv.Itoa(round)
		}
		at := time.Now()
		f, err := js.PublishMsgAsync(rawMsg(dl, subjects, id, ceTime), jetstream.WithMsgID(id), jetstream.WithStallWait(10*time.Second))
		if err != nil {
			pubErrs++
			if pubFirstErr == "" {
				pubFirstErr = err.Error()
			}
			continue
		}
		pending <- inflight{f, at}
	}
	close(pending)
	wg.Wait()
	res.Start = start
	res.Errors += pubErrs
	if res.FirstErr == "" {
		res.FirstErr = pubFirstErr
	}
	res.End = time.Now()
	res.Elapsed = res.End.Sub(res.Start)
	return res
}

// inflight is a publish awaiting its PubAck.
type inflight struct {
	f  jetstream.PubAckFuture
	at time.Time
}

// collect waits for each publish's PubAck, in order, until pending closes.
func (r *rawResult) collect(pending <-chan inflight) {
	for p := range pending {
		select {
		case ack := <-p.f.Ok():
			r.Latency.record(time.Since(p.at))
			r.Published++
			if ack.Duplicate {
				r.Duplicates++
			}
		case err := <-p.f.Err():
			r.Errors++
			if r.FirstErr == "" {
				r.FirstErr = err.Error()
			}
		}
	}
}

// rawSubjects is each source's subject, <prefix>.bench.<source>.event,
// built once rather than per publish.
func rawSubjects(prefix string, ds []delivery) map[string]string {
	subjects := map[string]string{}
	for i := range ds {
		src := strings.TrimPrefix(ds[i].path, "/webhooks/")
		if _, ok := subjects[src]; !ok {
			subjects[src] = prefix + ".bench." + src + ".event"
		}
	}
	return subjects
}

// rawMsg is delivery dl as a CloudEvent with the given id, in binary mode,
// on its source's subject.
func rawMsg(dl *delivery, subjects map[string]string, id, ceTime string) *nats.Msg {
	src := strings.TrimPrefix(dl.path, "/webhooks/")
	return &nats.Msg{Subject: subjects[src], Data: dl.body, Header: nats.Header{
		"ce-specversion":     {"1.0"},
		"ce-id":              {id},
		"ce-source":          {"/bench/" + src},
		"ce-type":            {"com.example.bench.event"},
		"ce-time":            {ceTime},
		"ce-datacontenttype": {"application/json"},
	}}
}

func (r *rawResult) String() string {
	s := fmt.Sprintf("%d PubAcks in %s = %.0f msgs/s; publish to PubAck p50 %s p90 %s p99 %s max %s",
		r.Published, r.Elapsed.Round(time.Millisecond), r.rate(),
		fmtDur(r.Latency.quantile(0.5)), fmtDur(r.Latency.quantile(0.9)), fmtDur(r.Latency.quantile(0.99)), fmtDur(r.Latency.maxValue()))
	if r.Duplicates > 0 || r.Errors > 0 {
		s += fmt.Sprintf("; %d duplicates, %d errors", r.Duplicates, r.Errors)
		if r.FirstErr != "" {
			s += " (" + r.FirstErr + ")"
		}
	}
	return s
}
