// Package healthcheck is the `healthcheck` subcommand of hookbridge's
// programs: container images are built FROM scratch, with no shell or curl,
// so the program itself probes its own health endpoint for Docker's
// HEALTHCHECK and compose.
package healthcheck

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// Run parses `healthcheck [--url URL] [--timeout D]` and probes the URL; it
// returns nil only for a 2xx answer.
func Run(ctx context.Context, args []string, defaultURL string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", defaultURL, "health endpoint to probe")
	timeout := fs.Duration("timeout", 3*time.Second, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	if err := Probe(ctx, *url); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "healthy:", *url)
	return nil
}

// Probe GETs url and reports an error unless the answer is 2xx.
func Probe(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("unhealthy: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("unhealthy: %s %s: %s", url, resp.Status, body)
	}
	return nil
}

// LocalURL turns a listen address into a URL this host can reach:
// "0.0.0.0:9090" and ":9090" become "http://127.0.0.1:9090" + path.
func LocalURL(listen, path string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "http://" + listen + path
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + path
}
