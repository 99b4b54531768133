package inventory

import (
	"context"
	"maps"
	"slices"
)

// The order record, order.<orderKey>, is the authority on an order: it is
// written before any SKU is touched and it only ever moves forward,
//
//	(none) -> reserved -> released
//	(none) -> released           a cancel seen first leaves a tombstone
//
// and its lines are fixed when it is first written. Every SKU entry of the
// order is then made to agree with it: present while it says reserved, absent
// once it says released. Each step below is an idempotent write (a
// compare-and-set that is a no-op when its effect is already there), so a run
// cut short anywhere, and run again in full by the redelivery, ends in the
// same state as one uninterrupted run; and two runs at once (a redelivery
// overlapping a slow first delivery, or the same order from a second
// subscription under another CloudEvent id) compose like one.

type orderState string

const (
	stateReserved orderState = "reserved"
	stateReleased orderState = "released"
)

type orderRecord struct {
	State    orderState `json:"state"`
	Platform string     `json:"platform"`
	Source   string     `json:"source"`
	OrderID  string     `json:"order_id"`
	// Lines are the quantities per SKU of the event that created the record.
	Lines map[string]int `json:"lines"`
	// Event is the CloudEvent id and type of the event that last changed the
	// state, for people reading the bucket.
	Event string `json:"event"`
}

// order is one order event, resolved: who, which lines, and its key.
type order struct {
	key      string
	platform string
	source   string
	id       string
	lines    map[string]int
	event    string
}

func (o order) record(state orderState) orderRecord {
	return orderRecord{State: state, Platform: o.platform, Source: o.source, OrderID: o.id, Lines: o.lines, Event: o.event}
}

// reserve applies an order-created event.
//
//  1. Create the record as reserved. If it exists, it is not changed: a
//     replay, a duplicate, or a cancel that came first. From here on the
//     record's lines are used, not the event's, so every run of every
//     duplicate touches the same SKUs with the same quantities.
//  2. If the record says released, make sure no SKU holds the order (a
//     reservation of an earlier run that raced the cancel may be left) and
//     stop.
//  3. Reserve each line: add the order's entry to the SKU if it is absent.
//  4. Read the record again. A cancel may have released the order while step
//     3 ran, after it had removed the entries that existed then; the entries
//     added since are removed here. A cancel that commits after this read
//     finds every entry of step 3 in place and removes them itself.
//
// Crash points: before 1 nothing was written. Between 1 and 3, or within
// 3, the redelivery finds the record reserved and adds the missing entries;
// those already present are no-ops. Between 3 and 4 or after 4, the
// redelivery only repeats no-ops (and publishes a backorder left in the
// outbox, see flushBackorder).
func (s *Service) reserve(ctx context.Context, o order) error {
	rec, err := update(ctx, s.kv, orderPrefix+o.key, func(r *orderRecord, exists bool) (bool, error) {
		if exists {
			return false, nil
		}
		*r = o.record(stateReserved)
		return true, nil
	})
	if err != nil {
		return err
	}
	if rec.State == stateReleased {
		return s.releaseLines(ctx, o.key, rec)
	}
	if s.hook != nil {
		s.hook("reserve: record written")
	}
	for _, sku := range slices.Sorted(maps.Keys(rec.Lines)) {
		if err := s.reserveLine(ctx, o.key, rec, sku, rec.Lines[sku]); err != nil {
			return err
		}
	}
	now, err := read[orderRecord](ctx, s.kv, orderPrefix+o.key)
	if err != nil {
		return err
	}
	if now.State == stateReleased {
		return s.releaseLines(ctx, o.key, now)
	}
	return nil
}

// release applies an order-cancelled (or refunded) event.
//
//  1. Move the record to released; create it released (a tombstone) if the
//     order was never seen, so that its create, when it comes, is a no-op.
//     Released is final: a released record is not changed.
//  2. Remove the order's entry from each SKU of the record's lines.
//
// Crash points: between 1 and 2, or within 2, the redelivery finds the
// record released and removes what is left; a replayed create of the order
// does the same (reserve step 2). Removing an absent entry writes nothing.
func (s *Service) release(ctx context.Context, o order) error {
	rec, err := update(ctx, s.kv, orderPrefix+o.key, func(r *orderRecord, exists bool) (bool, error) {
		if !exists {
			*r = o.record(stateReleased)
			return true, nil
		}
		if r.State == stateReleased {
			return false, nil
		}
		r.State = stateReleased
		r.Event = o.event
		return true, nil
	})
	if err != nil {
		return err
	}
	return s.releaseLines(ctx, o.key, rec)
}

// releaseLines removes the order's entries from every SKU of rec's lines. The
// record's lines are the only ones a reservation was ever made from.
func (s *Service) releaseLines(ctx context.Context, k string, rec orderRecord) error {
	for _, sku := range slices.Sorted(maps.Keys(rec.Lines)) {
		if err := s.releaseLine(ctx, k, sku); err != nil {
			return err
		}
	}
	return nil
}
