package shipping

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
)

// step is one webhook of an out-of-order scenario, named for the oracle.
type step struct {
	name string // P (paid), C (cancelled), F (fulfilled), N (no-op)
	ev   func(source string) event.Event
}

// permutations returns every order of 0..n-1.
func permutations(n int) [][]int {
	if n == 0 {
		return [][]int{{}}
	}
	var out [][]int
	for _, p := range permutations(n - 1) {
		for i := 0; i <= len(p); i++ {
			q := slices.Insert(slices.Clone(p), i, n-1)
			out = append(out, q)
		}
	}
	return out
}

// first is the index in order of the first step named one of names, or
// len(order).
func first(order []string, names ...string) int {
	for i, n := range order {
		if slices.Contains(names, n) {
			return i
		}
	}
	return len(order)
}

// TestOutOfOrder runs every permutation of small sets of webhooks (with
// redeliveries and re-sends under a new CloudEvent id) through Handle and
// checks the final state and the published events against the table in
// the package doc: the state depends only on which events arrived (except
// for the pair cancelled + fulfilled, where the first wins), and each
// shipping event is published at most once.
func TestOutOfOrder(t *testing.T) {
	svc, js := newService(t)
	shop := func(topic, id string) func(string) event.Event {
		return func(src string) event.Event { return shopifyEvent(t, topic, src, id) }
	}
	woo := func(action, status, id string) func(string) event.Event {
		return func(src string) event.Event { return wooEvent(t, action, status, src, id) }
	}
	type expect struct {
		status Status // "" means no shipment at all
		events []string
	}
	sets := []struct {
		name     string
		platform string
		steps    []step
		want     func(order []string) expect
	}{{
		name: "shopify paid twice, re-sent, cancelled", platform: "shopify",
		steps: []step{{"P", shop("paid", "e1")}, {"P", shop("paid", "e1")}, {"P", shop("paid", "e2")}, {"C", shop("cancelled", "e3")}},
		want: func(o []string) expect {
			if first(o, "P") < first(o, "C") {
				return expect{StatusCancelled, []string{tCreated, tCancelled}}
			}
			return expect{StatusCancelled, nil} // the tombstone
		},
	}, {
		name: "shopify paid twice, re-sent, fulfilled", platform: "shopify",
		steps: []step{{"P", shop("paid", "e1")}, {"P", shop("paid", "e1")}, {"P", shop("paid", "e2")}, {"F", shop("fulfilled", "e3")}},
		want:  func([]string) expect { return expect{StatusFulfilled, []string{tCreated, tFulfilled}} },
	}, {
		name: "shopify paid, cancelled, fulfilled", platform: "shopify",
		steps: []step{{"P", shop("paid", "e1")}, {"C", shop("cancelled", "e2")}, {"F", shop("fulfilled", "e3")}},
		want: func(o []string) expect {
			switch {
			case first(o, "F") < first(o, "C"):
				return expect{StatusFulfilled, []string{tCreated, tFulfilled}}
			case first(o, "P") < first(o, "C"):
				return expect{StatusCancelled, []string{tCreated, tCancelled}}
			}
			return expect{StatusCancelled, nil}
		},
	}, {
		name: "woocommerce created pending, processing twice, cancelled", platform: "woocommerce",
		steps: []step{{"N", woo("created", "pending", "1-a")}, {"P", woo("updated", "processing", "1-b")},
			{"P", woo("updated", "processing", "1-c")}, {"C", woo("updated", "cancelled", "1-d")}},
		want: func(o []string) expect {
			if first(o, "P") < first(o, "C") {
				return expect{StatusCancelled, []string{tCreated, tCancelled}}
			}
			return expect{StatusCancelled, nil}
		},
	}, {
		name: "woocommerce processing before created", platform: "woocommerce",
		steps: []step{{"N", woo("created", "pending", "1-a")}, {"P", woo("updated", "processing", "1-b")}, {"P", woo("updated", "processing", "1-b")}},
		want:  func([]string) expect { return expect{StatusCreated, []string{tCreated}} },
	}}

	for si, set := range sets {
		t.Run(set.name, func(t *testing.T) {
			perms := permutations(len(set.steps))
			orders := make([][]string, len(perms))
			keys := make([]string, len(perms))
			// Each permutation is its own order: a source of its own.
			for pi, perm := range perms {
				src := fmt.Sprintf("perm-%d-%d.example.test", si, pi)
				keys[pi] = mustKey(t, set.platform, src, map[string]string{"shopify": "820982911946154508", "woocommerce": "727"}[set.platform])
				for _, i := range perm {
					orders[pi] = append(orders[pi], set.steps[i].name)
					handle(t, svc, set.steps[i].ev(src))
				}
			}
			all := readPublished(t, js)
			for pi := range perms {
				want := set.want(orders[pi])
				sh, err := svc.Shipment(t.Context(), keys[pi])
				if want.status == "" {
					if err == nil {
						t.Errorf("%s: shipment %+v, want none", strings.Join(orders[pi], ""), sh)
					}
				} else if err != nil || sh.Status != want.status {
					t.Errorf("%s: status %q (%v), want %q", strings.Join(orders[pi], ""), sh.Status, err, want.status)
				}
				if got := kinds(all, keys[pi]); !slices.Equal(got, want.events) && !(len(got) == 0 && len(want.events) == 0) {
					t.Errorf("%s: events %v, want %v", strings.Join(orders[pi], ""), got, want.events)
				}
			}
		})
	}
}

func TestApplyTable(t *testing.T) {
	o := func(a action) order {
		return order{action: a, platform: "shopify", source: "s", id: "1", key: "shopify.s.1", eventID: "e"}
	}
	at := func(s Status) *record { return &record{Shipment: Shipment{Key: "shopify.s.1", Status: s}} }
	cases := []struct {
		cur     *record
		act     action
		status  Status
		changed bool
		emitted []Status
	}{
		{nil, actPaid, StatusCreated, true, []Status{StatusCreated}},
		{nil, actCancelled, StatusCancelled, true, nil},
		{nil, actFulfilled, StatusFulfilled, true, []Status{StatusCreated, StatusFulfilled}},
		{at(StatusCreated), actPaid, StatusCreated, false, nil},
		{at(StatusCreated), actCancelled, StatusCancelled, true, []Status{StatusCancelled}},
		{at(StatusCreated), actFulfilled, StatusFulfilled, true, []Status{StatusFulfilled}},
		{at(StatusCancelled), actPaid, StatusCancelled, false, nil},
		{at(StatusCancelled), actCancelled, StatusCancelled, false, nil},
		{at(StatusCancelled), actFulfilled, StatusCancelled, false, nil},
		{at(StatusFulfilled), actPaid, StatusFulfilled, false, nil},
		{at(StatusFulfilled), actCancelled, StatusFulfilled, false, nil},
		{at(StatusFulfilled), actFulfilled, StatusFulfilled, false, nil},
	}
	for _, c := range cases {
		from := Status("(absent)")
		if c.cur != nil {
			from = c.cur.Status
		}
		next, changed, _, err := apply(c.cur, o(c.act), testNow)
		if err != nil {
			t.Fatal(err)
		}
		var emitted []Status
		for _, e := range next.Outbox {
			emitted = append(emitted, e.Kind)
		}
		if next.Status != c.status || changed != c.changed || !slices.Equal(emitted, c.emitted) {
			t.Errorf("%s + %s = %s changed=%v emitted %v; want %s changed=%v emitted %v",
				from, c.act, next.Status, changed, emitted, c.status, c.changed, c.emitted)
		}
	}
}
