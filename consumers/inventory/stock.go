package inventory

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/nats-io/nats.go/jetstream"
)

// ErrUnknownSKU is returned by Stock for a SKU that was never seeded nor
// ordered.
var ErrUnknownSKU = errors.New("unknown sku")

// skuValue is the value of the key sku.<token>. Everything about one SKU is
// in one key so that one compare-and-set decides a reservation against the
// current availability: two orders for the last unit cannot both see it.
type skuValue struct {
	SKU    string `json:"sku"`
	OnHand int    `json:"on_hand"`
	// Reserved holds each open order's quantity by order key. A reservation
	// is present or absent, never added to, so applying it twice is the same
	// as once.
	Reserved map[string]int `json:"reserved,omitempty"`
	// Backorders is an outbox: the backorder events decided together with a
	// reservation and not yet published. An entry is removed once its event
	// is in the stream.
	Backorders map[string]pendingBackorder `json:"backorders,omitempty"`
}

type pendingBackorder struct {
	Quantity    int `json:"quantity"`    // the order's quantity of the SKU
	Backordered int `json:"backordered"` // how many of them were not available
	Available   int `json:"available"`   // availability right after the reservation
}

func (v *skuValue) reserved() int {
	n := 0
	for _, q := range v.Reserved {
		n += q
	}
	return n
}

func (v *skuValue) stock() Stock {
	r := v.reserved()
	return Stock{SKU: v.SKU, OnHand: v.OnHand, Reserved: r, Available: v.OnHand - r, Orders: len(v.Reserved)}
}

// Stock is one SKU's stock as the read path shows it.
type Stock struct {
	SKU string `json:"sku"`
	// OnHand is the physical stock as seeded.
	OnHand int `json:"on_hand"`
	// Reserved is the sum of the open orders' quantities.
	Reserved int `json:"reserved"`
	// Available is OnHand − Reserved; negative when orders were taken
	// beyond the stock (see the package documentation on overselling).
	Available int `json:"available"`
	// Orders is the number of open orders holding the SKU.
	Orders int `json:"orders"`
}

// Seed sets the on-hand stock of each SKU in stock that the bucket does not
// hold yet. A SKU that exists is left as it is, its on-hand quantity
// included: seeding is safe to repeat at every start (the same --seed twice
// does not undo the orders taken in between), and it is not the way to
// correct a stock count. A SKU first seen in an order exists from then on
// (with 0 on hand), so seed before the first order arrives. A negative
// quantity or an unusable SKU is an error and nothing is written.
func (s *Service) Seed(ctx context.Context, stock map[string]int) error {
	for sku, n := range stock {
		if err := checkSKU(sku); err != nil {
			return fmt.Errorf("seed %q: %w", sku, err)
		}
		if n < 0 || n > maxQuantity {
			return fmt.Errorf("seed %q: quantity %d outside 0..%d", sku, n, maxQuantity)
		}
	}
	for _, sku := range slices.Sorted(maps.Keys(stock)) {
		n := stock[sku]
		created := false
		_, err := s.updateSKU(ctx, sku, func(v *skuValue, exists bool) bool {
			created = !exists
			if exists {
				return false
			}
			*v = skuValue{SKU: sku, OnHand: n}
			return true
		})
		if err != nil {
			return fmt.Errorf("seed %q: %w", sku, err)
		}
		if created {
			s.log.Info("seeded", "sku", sku, "on_hand", n)
		} else {
			s.log.Info("seed skipped: sku exists", "sku", sku, "seed", n)
		}
	}
	return nil
}

// Stock returns one SKU's stock, or ErrUnknownSKU.
func (s *Service) Stock(ctx context.Context, sku string) (Stock, error) {
	if checkSKU(sku) != nil {
		return Stock{}, ErrUnknownSKU
	}
	v, err := read[skuValue](ctx, s.kv, skuKey(sku))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Stock{}, ErrUnknownSKU
	}
	if err != nil {
		return Stock{}, err
	}
	return v.stock(), nil
}

// All returns the stock of every SKU, sorted by SKU. It reads the bucket
// once through a watcher: each value is current at the moment it is read,
// not all at one instant.
func (s *Service) All(ctx context.Context) ([]Stock, error) {
	w, err := s.kv.Watch(ctx, skuPrefix+">", jetstream.IgnoreDeletes())
	if err != nil {
		return nil, err
	}
	defer w.Stop()
	var all []Stock
	for {
		select {
		case e := <-w.Updates():
			if e == nil { // every current value has been delivered
				slices.SortFunc(all, func(a, b Stock) int { return cmp.Compare(a.SKU, b.SKU) })
				return all, nil
			}
			var v skuValue
			if err := json.Unmarshal(e.Value(), &v); err != nil {
				return nil, fmt.Errorf("reading %s: %w", e.Key(), err)
			}
			all = append(all, v.stock())
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// reserveLine holds qty of sku for the order k, unless it already holds
// some: the first reservation of an order for a SKU is the only one. When
// it takes the availability below zero it records the backorder in the same
// write, then publishes it (see flushBackorder). Safe to repeat at any point.
func (s *Service) reserveLine(ctx context.Context, k string, rec orderRecord, sku string, qty int) error {
	v, err := s.updateSKU(ctx, sku, reserveChange(k, sku, qty))
	if err != nil {
		return fmt.Errorf("reserving %q: %w", sku, err)
	}
	// Also reached when the reservation was already there: a run that
	// crashed between the write above and the publish left the entry, and
	// this run finishes it.
	if b, ok := v.Backorders[k]; ok {
		return s.flushBackorder(ctx, k, rec, sku, b)
	}
	return nil
}

// reserveChange adds the order's reservation, and its backorder if the
// reservation takes the availability below zero, in one change.
func reserveChange(k, sku string, qty int) skuChange {
	return func(v *skuValue, exists bool) bool {
		if !exists {
			// Never seeded: the order is real, so it is held against zero.
			v.SKU = sku
		}
		if _, ok := v.Reserved[k]; ok {
			return false
		}
		after := v.OnHand - v.reserved() - qty
		if v.Reserved == nil {
			v.Reserved = map[string]int{}
		}
		v.Reserved[k] = qty
		if after < 0 {
			if v.Backorders == nil {
				v.Backorders = map[string]pendingBackorder{}
			}
			v.Backorders[k] = pendingBackorder{Quantity: qty, Backordered: min(qty, -after), Available: after}
		}
		return true
	}
}

// releaseLine removes the order's reservation of sku, and its unpublished
// backorder if any. Removing an absent entry writes nothing, so it is safe
// to repeat, and it never creates a SKU.
func (s *Service) releaseLine(ctx context.Context, k, sku string) error {
	_, err := s.updateSKU(ctx, sku, func(v *skuValue, exists bool) bool {
		_, r := v.Reserved[k]
		_, b := v.Backorders[k]
		if !exists || (!r && !b) {
			return false
		}
		delete(v.Reserved, k)
		delete(v.Backorders, k)
		return true
	})
	if err != nil {
		return fmt.Errorf("releasing %q: %w", sku, err)
	}
	return nil
}
