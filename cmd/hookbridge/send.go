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

// sendFlags are the send command's settings.
type sendFlags struct {
	cfgPath, url, eventType, id, order, file string
	form, dry                                bool
	source                                   string // the one positional argument
}

// send signs a sample delivery for a configured source the way its platform
// would, posts it to a running bridge and prints the answer.
func send(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	f, err := parseSend(args, stderr)
	if err != nil {
		return err
	}
	cfg, err := settings.Load(config.Path(f.cfgPath, getenv), getenv, settings.Providers())
	if err != nil {
		return err
	}
	src, err := findSource(cfg, f.source)
	if err != nil {
		return err
	}
	body, h, err := f.signed(src)
	if err != nil {
		return err
	}
	base := f.url
	if base == "" {
		base = "http://" + cfg.HTTP.Listen
	}
	target := base + "/webhooks/" + f.source
	if f.dry {
		fmt.Fprintf(stdout, "POST %s\n", target)
		_ = h.Write(stdout)
		fmt.Fprintf(stdout, "\n%s\n", body)
		return nil
	}
	return post(ctx, target, body, h, stdout)
}

func parseSend(args []string, stderr io.Writer) (*sendFlags, error) {
	var f sendFlags
	fs := flag.NewFlagSet("send", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: hookbridge send [flags] SOURCE\n\nSigns a sample delivery for SOURCE with its first secret (or, for a source with development_keys, the development key) and posts it.\n\nFlags:")
		fs.PrintDefaults()
	}
	fs.StringVar(&f.cfgPath, "config", "", "config file (default $HOOKBRIDGE_CONFIG, else hookbridge.yaml)")
	fs.StringVar(&f.url, "url", "", "bridge base URL (default http://<http.listen from the config>)")
	fs.StringVar(&f.eventType, "event", "", "event type as the platform names it (default: a typical one for the provider)")
	fs.StringVar(&f.id, "id", "", "delivery id; send the same id twice to see a platform retry collapse (default: random)")
	fs.StringVar(&f.order, "order", "", "order (resource) id in the sample body, to send several events about one order (default: derived from the delivery id)")
	fs.StringVar(&f.file, "file", "", "send this file as the body instead of the sample")
	fs.BoolVar(&f.form, "form", false, "github only: send the JSON form-encoded (payload=<JSON>), as a webhook created through GitHub's API does by default")
	fs.BoolVar(&f.dry, "dry-run", false, "print the request instead of sending it")
	// Flags may come before or after SOURCE.
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(positional) != 1 {
		fs.Usage()
		return nil, fmt.Errorf("send: want exactly one SOURCE, got %d", len(positional))
	}
	f.source = positional[0]
	if f.id == "" {
		f.id = randomID()
	}
	return &f, nil
}

func findSource(cfg *settings.Config, name string) (*settings.Source, error) {
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
		return nil, fmt.Errorf("send: no source %q in the config (have %v)", name, known)
	}
	return src, nil
}

// signed is the request send posts: the sample (or --file) body, shaped
// and signed as src's platform would.
func (f *sendFlags) signed(src *settings.Source) ([]byte, http.Header, error) {
	p, err := src.Provider()
	if err != nil {
		return nil, nil, fmt.Errorf("source %q: %w", f.source, err)
	}
	now := time.Now()
	loc := sample.Locators{ID: src.HMAC.ID, Type: src.HMAC.Type, Subject: src.HMAC.Subject, Time: src.HMAC.Time}
	body, h, err := sample.DeliveryForOrder(src.Kind, loc, f.eventType, f.id, f.order, now)
	if err != nil {
		return nil, nil, err
	}
	if f.file != "" {
		if body, err = os.ReadFile(f.file); err != nil {
			return nil, nil, fmt.Errorf("send: %w", err)
		}
	}
	if f.form {
		if src.Kind != "github" {
			return nil, nil, fmt.Errorf("send: --form is for github sources only (%q is %s)", f.source, src.Kind)
		}
		body = sample.GitHubForm(body, h)
	}
	if body, err = p.SignBody(body); err != nil {
		return nil, nil, fmt.Errorf("send: signing: %w", err)
	}
	if err := p.Sign(body, h, now); err != nil {
		return nil, nil, fmt.Errorf("send: signing: %w", err)
	}
	return body, h, nil
}

func post(ctx context.Context, target string, body []byte, h http.Header, stdout io.Writer) error {
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
