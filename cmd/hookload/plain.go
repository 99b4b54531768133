package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// plainServer is the bench's baseline: a net/http server with the same
// timeouts and limits as hookbridge's webhook server, whose handler only
// reads the body and answers 200 with a short JSON body. It prints
// "listening on http://ADDR" once it accepts connections and stops on
// ctx's cancel (SIGINT or SIGTERM).
func plainServer(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("plain-server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return serveUntil(ctx, *listen, newPlainServer(), stdout)
}

// serveUntil serves srv on listen, prints "listening on http://ADDR" once
// it accepts connections, and shuts it down when ctx is cancelled.
func serveUntil(ctx context.Context, listen string, srv *http.Server, stdout io.Writer) error {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "listening on http://%s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// newPlainServer has hookbridge's http.Server shape (its default timeouts,
// 64 KiB of headers, the 1 MiB body limit).
func newPlainServer() *http.Server {
	return &http.Server{
		Handler:           plainHandler(1 << 20),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      15 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
}

func plainHandler(maxBody int64) http.Handler {
	ok := []byte(`{"status":"ok"}` + "\n")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == "/healthz" {
			w.WriteHeader(http.StatusOK)
			return
		}
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		if _, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody)); err != nil {
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(ok)
	})
}
