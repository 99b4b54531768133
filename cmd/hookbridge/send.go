package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/hookbridge/hookbridge/cmd/internal/settings"
	"github.com/hookbridge/hookbridge/internal/config"
	"github.com/hookbridge/hookbridge/internal/sample"
)

// send signs a sample delivery for a configured source the way its platform
// would, posts it to a running bridge and prints the answer.
func send(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("send", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: hookbridge send [flags] SOURCE\n\nSigns a sample delivery for SOURCE with its first secret and posts it.\n\nFlags:")
		fs.PrintDefaults()
	}
	cfgPath := fs.String("config", "", "config file (default $HOOKBRIDGE_CONFIG, else hookbridge.yaml)")
	url := fs.String("url", "", "bridge base URL (default http://<http.listen from the config>)")
	eventType := fs.String("event", "", "event type as the platform names it (default: a typical one for the provider)")
	id := fs.String("id", "", "delivery id; send the same id twice to see a platform retry collapse (default: random)")
	order := fs.String("order", "", "order (resource) id in the sample body, to send several events about one order (default: derived from the delivery id)")
	file := fs.String("file", "", "send this file as the body instead of the sample")
	form := fs.Bool("form", false, "github only: send the JSON form-encoded (payload=<JSON>), as a webhook created through GitHub's API does by default")
	dry := fs.Bool("dry-run", false, "print the request instead of sending it")
	// Flags may come before or after SOURCE.
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(positional) != 1 {
		fs.Usage()
		return fmt.Errorf("send: want exactly one SOURCE, got %d", len(positional))
	}
	name := positional[0]

	cfg, err := settings.Load(config.Path(*cfgPath, getenv), getenv, settings.Providers())
	if err != nil {
		return err
	}
	var src *settings.Source
	for i := range cfg.Sources {
		if cfg.Sources[i].Name == name {
			src = &cfg.Sources[i]
		}
	}
	if src == nil {
		known := make([]string, len(cfg.Sources))
		for i, s := range cfg.Sources {
			known[i] = s.Name
		}
		return fmt.Errorf("send: no source %q in the config (have %v)", name, known)
	}
	p, err := src.Provider()
	if err != nil {
		return fmt.Errorf("source %q: %w", name, err)
	}
	if *id == "" {
		*id = randomID()
	}
	now := time.Now()
	loc := sample.Locators{ID: src.HMAC.ID, Type: src.HMAC.Type, Subject: src.HMAC.Subject, Time: src.HMAC.Time}
	body, h, err := sample.DeliveryForOrder(src.Kind, loc, *eventType, *id, *order, now)
	if err != nil {
		return err
	}
	if *file != "" {
		if body, err = os.ReadFile(*file); err != nil {
			return fmt.Errorf("send: %w", err)
		}
	}
	if *form {
		if src.Kind != "github" {
			return fmt.Errorf("send: --form is for github sources only (%q is %s)", name, src.Kind)
		}
		body = sample.GitHubForm(body, h)
	}
	if err := p.Sign(body, h, now); err != nil {
		return fmt.Errorf("send: signing: %w", err)
	}

	base := *url
	if base == "" {
		base = "http://" + cfg.HTTP.Listen
	}
	target := base + "/webhooks/" + name
	if *dry {
		fmt.Fprintf(stdout, "POST %s\n", target)
		_ = h.Write(stdout)
		fmt.Fprintf(stdout, "\n%s\n", body)
		return nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("send: %w", err)
	}
	req.Header = h
	client := &http.Client{Timeout: 15 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("send: %w (is the bridge running? start it with: go run ./cmd/hookbridge)", err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	fmt.Fprintf(stdout, "POST %s -> %s\n%s", target, resp.Status, answer)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("send: the bridge answered %s", resp.Status)
	}
	return nil
}

func randomID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
