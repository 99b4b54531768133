package integration

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/hookbridge/hookbridge/consumers"
	"github.com/hookbridge/hookbridge/internal/natstest"
)

// gitHub is the suite's GitHub source.
var gitHub = Source{Name: "gh", Kind: "github", Secret: "integration-github-secret"}

// TestClaimCheckGitHub25MB: a 25 MB GitHub push delivery (GitHub's largest)
// through a bridge whose broker keeps NATS's default 1 MB max_payload is
// answered 200; its retry is a 200 duplicate; a consumer written with the
// consumers library sees the 25 MB body, byte for byte, as the event's
// data; the stream holds one message and the body bucket one object.
func TestClaimCheckGitHub25MB(t *testing.T) {
	RequireDocker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	nw := NewNetwork(ctx, t)
	broker := StartNATS(ctx, t, nw, "nats")
	b := StartBridge(ctx, t, nw, BridgeConfig{NATSURL: broker.InternalURL, PublishTimeout: 5 * time.Second, Sources: []Source{gitHub}})

	body := gitHubPush(25_000_000)
	post := func() (int, map[string]any) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.WebhookURL+gitHub.Name, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		mac := hmac.New(sha256.New, []byte(gitHub.Secret))
		mac.Write(body)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-GitHub-Event", "push")
		req.Header.Set("X-GitHub-Delivery", "0b9d5a40-1c6f-11f0-8e4a-25mb")
		req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
		resp, err := (&http.Client{Timeout: time.Minute}).Do(req)
		if err != nil {
			t.Fatalf("POST: %v", err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var answer map[string]any
		_ = json.Unmarshal(raw, &answer)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("25 MB delivery: %d %s, want 200", resp.StatusCode, raw)
		}
		return resp.StatusCode, answer
	}
	if _, a := post(); a["duplicate"] == true {
		t.Fatalf("first delivery answered as a duplicate: %v", a)
	}
	if _, a := post(); a["duplicate"] != true {
		t.Errorf("the retry: %v, want a duplicate", a)
	}

	_, js := Connect(t, broker)
	stored := ReadStream(ctx, t, js, Stream)
	if len(stored) != 1 {
		t.Fatalf("%d messages in %s, want 1", len(stored), Stream)
	}
	obs, err := js.ObjectStore(ctx, Stream+"_BODIES")
	if err != nil {
		t.Fatal(err)
	}
	if objects, err := obs.List(ctx); err != nil || len(objects) != 1 {
		t.Errorf("body bucket lists %d objects (%v), want 1", len(objects), err)
	}

	var mu sync.Mutex
	var got []byte
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- consumers.Run(runCtx, js, consumers.Config{Name: "claim-reader", FilterSubjects: []string{"webhooks.github.>"}},
			func(_ context.Context, ev event.Event) error {
				mu.Lock()
				defer mu.Unlock()
				got = ev.Data()
				return nil
			})
	}()
	natstest.Eventually(t, time.Minute, "the consumer handled the event", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return got != nil
	})
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, body) {
		t.Errorf("the handler saw %d bytes, want the %d-byte body", len(got), len(body))
	}
}

// gitHubPush is a push event's JSON of about size bytes.
func gitHubPush(size int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"ref":"refs/heads/main","repository":{"full_name":"acme/monorepo"},"commits":[`)
	for i := 0; b.Len() < size-64; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":"%040d","message":"change %d","added":["src/file%d.go"]}`, i, i, i)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}
