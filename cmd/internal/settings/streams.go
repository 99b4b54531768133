package settings

import (
	"fmt"
	"slices"

	"github.com/hookbridge/hookbridge/bridge"
	"github.com/hookbridge/hookbridge/consumers"
	"github.com/hookbridge/hookbridge/consumers/commerce"
	"github.com/hookbridge/hookbridge/internal/config"
)

// Streams are the webhook streams the bridge sets up and publishes to, each with the sources
// whose deliveries it captures. While no source names a stream other than nats.stream, that is
// nats.stream alone, capturing <prefix>.> (every source, as a bridge without sources[].stream
// always did). Otherwise it is nats.stream with the sources that name no stream (left out when
// every source names another), then each stream that sources name, in the order they first
// appear; all with nats' subject prefix, replicas and duplicate window.
//
// Every program that reads the webhook streams (serve, normalise) derives them here, from the
// same file: bridges that publish to the same streams must share the sources' streams, or each
// would narrow the streams to its own.
func (c *Config) Streams() []bridge.WebhookStream {
	def := bridge.WebhookStream{StreamConfig: c.NATS.Stream}
	var named []bridge.WebhookStream
	var stay []string
	for _, s := range c.Sources {
		if s.Stream == "" || s.Stream == def.Name {
			stay = append(stay, s.Name)
			continue
		}
		i := slices.IndexFunc(named, func(sc bridge.WebhookStream) bool { return sc.Name == s.Stream })
		if i < 0 {
			sc := def
			sc.Name, sc.Sources = s.Stream, nil
			named = append(named, sc)
			i = len(named) - 1
		}
		named[i].Sources = append(named[i].Sources, s.Name)
	}
	if len(named) == 0 {
		return []bridge.WebhookStream{def}
	}
	if len(stay) == 0 {
		return named
	}
	def.Sources = stay
	return append([]bridge.WebhookStream{def}, named...)
}

// StreamNames are the names of Streams, in its order.
func (c *Config) StreamNames() []string {
	ss := c.Streams()
	names := make([]string, len(ss))
	for i, s := range ss {
		names[i] = s.Name
	}
	return names
}

// checkSourceStream reports a source's stream that another component owns: the normaliser's
// canonical stream and the consumers' dead letters hold other messages, and capturing webhook
// subjects there would mix them in. f is rooted at the source.
func checkSourceStream(f *config.Fields, stream string) error {
	switch stream {
	case commerce.Stream:
		return fmt.Errorf("stream: %s is the commerce normaliser's stream of canonical events; name a stream of its own", f.Show("stream", stream))
	case consumers.DefaultDeadLetterStream:
		return fmt.Errorf("stream: %s is the consumers' dead-letter stream; name a stream of its own", f.Show("stream", stream))
	}
	return nil
}
