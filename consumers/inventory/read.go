package inventory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/hookbridge/hookbridge/consumers/commerce"
)

// ErrBadPayload reports an order event that cannot be read: data that is
// not a canonical order, an order without id or platform, an event without
// source, or an unusable SKU or quantity. Handle returns it wrapped in
// consumers.Permanent, so the message is dead-lettered instead of retried:
// a retry would read the same bytes.
var ErrBadPayload = errors.New("unusable order payload")

// effect is what an event asks of the stock.
type effect int

const (
	ignore  effect = iota // not about stock: acknowledge and drop
	reserve               // hold the order's quantities
	release               // give them back, for good
)

func (e effect) String() string {
	return [...]string{"ignore", "reserve", "release"}[e]
}

// orderTypePrefix starts the CloudEvent type of every canonical order
// event; the action follows it.
const orderTypePrefix = commerce.TypePrefix + commerce.EntityOrder + "."

// effectOf is the rule, the same for every platform: an order that is
// cancelled or refunded, by the event's action or by the status the event
// shows, gives its stock back; an order created otherwise holds it; nothing
// else (updated, paid, fulfilled, ...) is about stock. Reading the status
// too means that an order created already cancelled (an import) releases,
// leaving the tombstone that keeps a late create from counting, and that an
// update showing a full refund releases as the refund itself would.
func effectOf(action, status string) effect {
	switch {
	case action == commerce.ActionCancelled || action == commerce.ActionRefunded,
		status == commerce.OrderCancelled || status == commerce.OrderRefunded:
		return release
	case action == commerce.ActionCreated:
		return reserve
	}
	return ignore
}

// resolve reads what an event asks for. Events of other types than order
// events are ignored unread. An error means the event is unusable.
func resolve(ev event.Event) (o order, eff effect, skipped int, err error) {
	action, ok := strings.CutPrefix(ev.Type(), orderTypePrefix)
	if !ok {
		return order{}, ignore, 0, nil
	}
	data, err := readOrder(ev)
	if err != nil {
		return order{}, ignore, 0, err
	}
	if eff = effectOf(action, data.Status); eff == ignore {
		return order{}, ignore, 0, nil
	}
	perSKU, skipped, err := lines(data.LineItems)
	if err != nil {
		return order{}, ignore, 0, err
	}
	return order{
		key:      orderKey(data.Platform, ev.Source(), data.ID),
		platform: data.Platform,
		source:   ev.Source(),
		id:       data.ID,
		lines:    perSKU,
		event:    ev.Type() + " " + ev.ID(),
	}, eff, skipped, nil
}

// platformRe is the schema's rule for a provider kind. The platform starts
// the order key (see orderKey), so it must be one key token.
var platformRe = regexp.MustCompile(`^[a-z0-9_-]{1,64}$`)

// readOrder decodes an order event's data and checks what the order key is
// made of: the order's id and platform, and the event's source (the shop).
func readOrder(ev event.Event) (commerce.Order, error) {
	var o commerce.Order
	data := ev.Data()
	if len(bytes.TrimSpace(data)) == 0 {
		return o, errors.New("no data")
	}
	if err := json.Unmarshal(data, &o); err != nil {
		return o, fmt.Errorf("not a canonical order: %w", err)
	}
	switch {
	case strings.TrimSpace(o.ID) == "":
		return o, errors.New("no order id")
	case !platformRe.MatchString(o.Platform):
		return o, fmt.Errorf("platform %q is not a provider kind", o.Platform)
	case ev.Source() == "":
		return o, errors.New("no source")
	}
	return o, nil
}
