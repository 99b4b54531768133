package main

import (
	"context"
	"io"
	"log/slog"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/cmd/internal/service"
	"github.com/hookbridge/hookbridge/consumers/shipping"
)

// run is the whole program; main only supplies the process's context,
// arguments, environment and streams. It returns nil after ctx is cancelled
// and the handlers in flight have finished. What every sample shares lives
// in service.Main; shipping adds only its routes and the service itself.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return service.Main(ctx, args, getenv, stdout, stderr, service.Sample{
		Name:          "shipping",
		DefaultListen: "127.0.0.1:9192",
		ReadPaths:     []string{"/shipments", "/shipments/"},
		ReadHelp:      "GET /shipments, /shipments/{key}",
		Start: func(ctx context.Context, js jetstream.JetStream, log *slog.Logger) (service.Domain, error) {
			svc, err := shipping.New(ctx, js, shipping.Config{Logger: log})
			if err != nil {
				return service.Domain{}, err
			}
			return service.Domain{Read: svc.ReadHandler(), Consumer: shipping.ConsumerConfig(), Handle: svc.Handle}, nil
		},
	})
}
