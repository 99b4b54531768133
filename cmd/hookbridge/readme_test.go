package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// natsRecipes returns the nats CLI commands the README gives, in order:
// every line of its sh blocks that starts with "nats " (continuation lines
// joined, comments cut), and every inline `nats ...` in its prose.
func natsRecipes(t *testing.T) []string {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	inBlock := false
	var cont string
	inline := regexp.MustCompile("`(nats [^`]+)`")
	for _, line := range strings.Split(string(readme), "\n") {
		if strings.HasPrefix(line, "```") {
			inBlock = !inBlock
			continue
		}
		if !inBlock {
			for _, m := range inline.FindAllStringSubmatch(line, -1) {
				out = append(out, m[1])
			}
			continue
		}
		if cont != "" {
			line = cont + " " + strings.TrimSpace(line)
			cont = ""
		}
		if !strings.HasPrefix(line, "nats ") {
			continue
		}
		if i := strings.Index(line, " #"); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if strings.HasSuffix(line, `\`) {
			cont = strings.TrimSpace(strings.TrimSuffix(line, `\`))
			continue
		}
		out = append(out, line)
	}
	return out
}

// TestREADMENatsRecipes runs every nats CLI recipe of the README, as
// written and in order, against a running bridge, without a terminal (as a
// script would): each must exit 0. Consumers it creates must have distinct
// names, or a later recipe silently changes an earlier one's consumer.
func TestREADMENatsRecipes(t *testing.T) {
	recipes := natsRecipes(t)
	names := map[string]string{}
	addConsumer := regexp.MustCompile(`^nats consumer add (\S+) (\S+)`)
	for _, r := range recipes {
		if m := addConsumer.FindStringSubmatch(r); m != nil {
			key := m[1] + " " + m[2]
			if prev, dup := names[key]; dup && prev != r {
				t.Errorf("two recipes create consumer %s with different settings:\n  %s\n  %s", key, prev, r)
			}
			names[key] = r
		}
	}

	bin, err := exec.LookPath("nats")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("the nats CLI is required in CI (.ci/run installs it): %v", err)
		}
		t.Skip("the nats CLI is not installed (go install github.com/nats-io/natscli/nats@v0.5.0); recipes not run")
	}

	in := newInstance(t)
	in.serveUntilEnd(t)
	// Enough order events for every recipe that reads several.
	for i := range 12 {
		var out bytes.Buffer
		if err := run(context.Background(), []string{"send", "--config", in.cfgPath, "shop", "--order", fmt.Sprint(1000 + i)}, noEnv, &out, &out); err != nil {
			t.Fatalf("send: %v\n%s", err, out.String())
		}
	}

	// One order too large for a message, for the recipe that fetches a
	// claim check's body: delivery id big-1, object shop:big-1.
	fixture, err := os.ReadFile(filepath.Join("..", "..", "consumers", "commerce", "testdata", "shopify", "orders.paid.json"))
	if err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(t.TempDir(), "big-order.json")
	padded := append([]byte(`{"note_attributes_padding":"`+strings.Repeat("x", 2<<20)+`",`), bytes.TrimPrefix(bytes.TrimSpace(fixture), []byte("{"))...)
	if err := os.WriteFile(big, padded, 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"send", "--config", in.cfgPath, "--event", "orders/paid", "--file", big, "--id", "big-1", "shop"}, noEnv, &out, &out); err != nil {
		t.Fatalf("send: %v\n%s", err, out.String())
	}

	// The durable consumers the samples had on WEBHOOKS before they moved to
	// COMMERCE, for the upgrade recipe that removes them.
	nc, err := nats.Connect("nats://" + in.nats)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"inventory", "shipping"} {
		if _, err := js.CreateConsumer(t.Context(), "WEBHOOKS", jetstream.ConsumerConfig{Durable: name, AckPolicy: jetstream.AckExplicitPolicy}); err != nil {
			t.Fatal(err)
		}
	}

	home := t.TempDir() // the CLI's contexts and settings stay out of the user's
	for _, r := range recipes {
		if strings.HasPrefix(r, "nats sub ") {
			continue // runs until interrupted
		}
		if strings.HasPrefix(r, "nats --server ") {
			// Addressed to another server: the compose cluster profile's,
			// whose own suite (integration TestComposeCluster) checks the same.
			t.Logf("$ %s (not run: names its own server)", r)
			continue
		}
		ctx, stop := context.WithTimeout(context.Background(), 60*time.Second)
		cmd := exec.CommandContext(ctx, "bash", "-c", r)
		cmd.Env = append(os.Environ(), "NATS_URL=nats://"+in.nats, "HOME="+home, "PATH="+filepath.Dir(bin)+":"+os.Getenv("PATH"))
		cmd.Stdin = nil // no terminal: prompts must not be needed
		cmd.Dir = home  // files a recipe writes (a claim check's body) stay out of the tree
		out, err := cmd.CombinedOutput()
		stop()
		t.Logf("$ %s (%v)", r, err)
		if err != nil {
			t.Errorf("README recipe failed: %s\n%v\n%s", r, err, out)
		}
	}
}
