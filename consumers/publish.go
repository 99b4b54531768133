package consumers

import (
	"bytes"
	"context"
	"fmt"

	cejs "github.com/cloudevents/sdk-go/protocol/nats_jetstream/v2"
	"github.com/cloudevents/sdk-go/v2/binding"
	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Publisher is what PublishEvent needs of JetStream; jetstream.JetStream
// satisfies it.
type Publisher interface {
	PublishMsg(ctx context.Context, msg *nats.Msg, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error)
}

// PublishEvent publishes ev in CloudEvents binary mode (the same wire format
// hookbridge uses) on subject, with the event's id as Nats-Msg-Id so that
// publishing the same event twice stores it once. It returns after the
// stream's PubAck. Called from a traced Handler, the publish is a producer
// span below the handler's and the message's traceparent its context
// (see StartPublish), so the event's consumers continue the trace.
func PublishEvent(ctx context.Context, js Publisher, subject string, ev event.Event) (*jetstream.PubAck, error) {
	if err := ev.Validate(); err != nil {
		return nil, fmt.Errorf("invalid event: %w", err)
	}
	msg, err := EncodeEvent(ctx, subject, ev)
	if err != nil {
		return nil, err
	}
	msg.Header.Set(jetstream.MsgIDHeader, ev.ID())
	ctx, span := StartPublish(ctx, "", msg)
	ack, err := js.PublishMsg(ctx, msg)
	EndPublish(span, ack, err)
	return ack, err
}

// EncodeEvent returns ev as a NATS message in CloudEvents binary mode.
func EncodeEvent(ctx context.Context, subject string, ev event.Event) (*nats.Msg, error) {
	var body bytes.Buffer
	hdr, err := cejs.WriteMsg(ctx, binding.ToMessage(&ev), &body)
	if err != nil {
		return nil, fmt.Errorf("encoding event: %w", err)
	}
	return &nats.Msg{Subject: subject, Header: hdr, Data: body.Bytes()}, nil
}

// DecodeEvent reads a CloudEvent from a JetStream message in binary mode.
func DecodeEvent(ctx context.Context, subject string, header nats.Header, data []byte) (event.Event, error) {
	ev, err := binding.ToEvent(ctx, cejs.NewMessage(&nats.Msg{Subject: subject, Header: header, Data: data}))
	if err != nil {
		return event.Event{}, fmt.Errorf("decoding cloudevent: %w", err)
	}
	return *ev, nil
}
