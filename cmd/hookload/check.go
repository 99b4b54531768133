package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// checkSet is one run's deliveries and what their senders were told.
type checkSet struct {
	ds     []delivery
	states []deliveryState
}

// checkReport is what the stream holds of a run, against what was answered.
// The contract: a delivery answered 2xx is stored exactly once; a delivery
// answered otherwise (or not at all) is stored at most once, since the
// broker may have stored it and lost the ack.
type checkReport struct {
	Stream   string
	FromSeq  uint64 // first sequence read
	LastSeq  uint64 // the stream's last sequence when the check began
	Read     uint64 // messages read
	Answered int    // deliveries answered 2xx at least once
	Once     int    // of those, stored exactly once

	Lost       int // answered 2xx but not stored
	Duplicated int // stored more than once
	LostAck    int // stored once, but never answered 2xx: allowed (a lost ack)
	NeverSent  int // stored, but never sent by this run: an id collision
	Unknown    int // stored with this run's id but not one of its deliveries
	Foreign    int // other traffic in the same range, ignored
	Examples   []string
}

func (r *checkReport) ok() bool {
	return r.Lost == 0 && r.Duplicated == 0 && r.NeverSent == 0 && r.Unknown == 0
}

func (r *checkReport) String() string {
	verdict := "PASS"
	if !r.ok() {
		verdict = "FAIL"
	}
	s := fmt.Sprintf("%s: stream %s seq %d..%d, %d messages read; %d deliveries answered 2xx, %d of them stored exactly once; lost %d, duplicated %d, stored but never sent %d, unknown with this run's id %d; stored but answered non-2xx (lost ack, allowed) %d; other traffic %d",
		verdict, r.Stream, r.FromSeq, r.LastSeq, r.Read, r.Answered, r.Once, r.Lost, r.Duplicated, r.NeverSent, r.Unknown, r.LostAck, r.Foreign)
	if len(r.Examples) > 0 {
		s += "\n  e.g. " + strings.Join(r.Examples, "\n  e.g. ")
	}
	return s
}

// streamStart is the sequence the next message of stream will get: a run's
// check reads from there.
func streamStart(ctx context.Context, js jetstream.JetStream, stream string) (uint64, error) {
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return 0, fmt.Errorf("stream %s: %w", stream, err)
	}
	return s.CachedInfo().State.LastSeq + 1, nil
}

// checkStream reads stream's headers from fromSeq to its current end and
// counts every run delivery by Nats-Msg-Id. runID marks messages that belong
// to the run without being one of its deliveries.
func checkStream(ctx context.Context, js jetstream.JetStream, stream string, fromSeq uint64, runID string, sets ...checkSet) (*checkReport, error) {
	total := 0
	for _, s := range sets {
		total += len(s.ds)
	}
	index := make(map[string]int32, total)
	for si, s := range sets {
		base := 0
		for _, prev := range sets[:si] {
			base += len(prev.ds)
		}
		for i := range s.ds {
			index[s.ds[i].msgID] = int32(base + i)
		}
	}
	counts := make([]int32, total)
	rep := &checkReport{Stream: stream, FromSeq: fromSeq}
	var unknown []string

	str, err := js.Stream(ctx, stream)
	if err != nil {
		return nil, fmt.Errorf("check: stream %s: %w", stream, err)
	}
	rep.LastSeq = str.CachedInfo().State.LastSeq
	if rep.LastSeq >= fromSeq {
		cons, err := js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{
			DeliverPolicy: jetstream.DeliverByStartSequencePolicy,
			OptStartSeq:   fromSeq,
			HeadersOnly:   true,
		})
		if err != nil {
			return nil, fmt.Errorf("check: consumer on %s: %w", stream, err)
		}
		it, err := cons.Messages(jetstream.PullMaxMessages(2000))
		if err != nil {
			return nil, fmt.Errorf("check: reading %s: %w", stream, err)
		}
		defer it.Stop()
		// Bounded: every message must come within 10s, and the read ends
		// at the last sequence seen when the check began (or earlier, when
		// the tail was deleted).
		for ctx.Err() == nil {
			m, err := it.Next(jetstream.NextMaxWait(10 * time.Second))
			if err != nil {
				return nil, fmt.Errorf("check: reading %s after %d messages: %w", stream, rep.Read, err)
			}
			md, err := m.Metadata()
			if err != nil {
				return nil, fmt.Errorf("check: %w", err)
			}
			rep.Read++
			id := m.Headers().Get(jetstream.MsgIDHeader)
			if i, ok := index[id]; ok {
				counts[i]++
			} else if runID != "" && (strings.Contains(id, runID) || strings.Contains(m.Headers().Get("ce-id"), runID)) {
				rep.Unknown++
				if len(unknown) < 3 {
					unknown = append(unknown, fmt.Sprintf("seq %d: Nats-Msg-Id %q is not one of this run's deliveries", md.Sequence.Stream, id))
				}
			} else {
				rep.Foreign++
			}
			if md.Sequence.Stream >= rep.LastSeq || md.NumPending == 0 {
				break
			}
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("check: %w", err)
		}
	}

	g := 0
	for _, s := range sets {
		for i := range s.ds {
			c, st := counts[g], s.states[i]
			g++
			switch {
			case c > 1:
				rep.Duplicated++
				rep.example(fmt.Sprintf("%s stored %d times", s.ds[i].msgID, c))
			case st.answered && c == 0:
				rep.Lost++
				rep.example(fmt.Sprintf("%s answered %d but not stored", s.ds[i].msgID, st.first))
			case c == 1 && !st.sent:
				rep.NeverSent++
				rep.example(fmt.Sprintf("%s stored but never sent by this run", s.ds[i].msgID))
			case c == 1 && !st.answered:
				rep.LostAck++
			}
			if st.answered {
				rep.Answered++
				if c == 1 {
					rep.Once++
				}
			}
		}
	}
	rep.Examples = append(rep.Examples, unknown...)
	return rep, nil
}

func (r *checkReport) example(s string) {
	if len(r.Examples) < 5 {
		r.Examples = append(r.Examples, s)
	}
}

// errCheckFailed is returned when the stream does not match the answers.
var errCheckFailed = errors.New("stream check failed")
