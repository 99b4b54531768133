package bridge

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/internal/natstest"
)

// realAnswers are nats-server v2.15.2's answers to publishes, byte for byte
// (TestRealAnswers checks that the server still sends them): a stored
// message, a duplicate and a refusal, then a stored message and a duplicate
// from a server with a JetStream domain.
var realAnswers = []string{
	`{"stream":"WEBHOOKS","seq":1}`,
	`{"stream":"WEBHOOKS","seq":1,"duplicate": true}`,
	`{"error":{"code":400,"err_code":10054,"description":"message size exceeds maximum allowed"},"stream":"WEBHOOKS","seq":0}`,
	`{"stream":"WEBHOOKS","domain":"hub","seq":1}`,
	`{"stream":"WEBHOOKS","domain":"hub","seq":1,"duplicate": true}`,
}

// TestRealAnswers keeps realAnswers (the fuzz seeds) what a real server
// sends, and checks that the fast reader takes every PubAck among them.
func TestRealAnswers(t *testing.T) {
	var got []string
	for _, domain := range []string{"", "hub"} {
		ns, err := natsserver.NewServer(&natsserver.Options{
			ServerName: "answers", JetStream: true, JetStreamDomain: domain, StoreDir: t.TempDir(),
			Port: natsserver.RANDOM_PORT, DontListen: true, NoSigs: true, NoLog: true,
		})
		if err != nil {
			t.Fatal(err)
		}
		ns.Start()
		t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
		if !ns.ReadyForConnections(natstest.Patience) {
			t.Fatal("nats-server not ready")
		}
		nc, err := nats.Connect(ns.ClientURL(), nats.InProcessServer(ns))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		js, err := jetstream.New(nc)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), natstest.Patience)
		defer cancel()
		if _, err := js.CreateStream(ctx, jetstream.StreamConfig{
			Name: "WEBHOOKS", Subjects: []string{"webhooks.>"}, MaxMsgSize: 64, Duplicates: time.Hour,
		}); err != nil {
			t.Fatal(err)
		}
		msgs := []*nats.Msg{nats.NewMsg("webhooks.a"), nats.NewMsg("webhooks.a")}
		for _, m := range msgs {
			m.Header.Set(jetstream.MsgIDHeader, "a")
		}
		if domain == "" {
			msgs = append(msgs, &nats.Msg{Subject: "webhooks.b", Data: []byte(strings.Repeat("x", 65))})
		}
		for _, m := range msgs {
			resp, err := nc.RequestMsgWithContext(ctx, m)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, string(resp.Data))
		}
	}
	if !slices.Equal(got, realAnswers) {
		t.Errorf("the server answers\n%q\nnot realAnswers\n%q", got, realAnswers)
	}
	for _, a := range realAnswers {
		fast := readPubAck([]byte(a))
		ack, err := decodePubAckJSON([]byte(a))
		if (fast != nil) != (err == nil) {
			t.Errorf("%s: fast reader %+v, encoding/json %+v, %v", a, fast, ack, err)
		}
	}
}

// TestDecodePubAck pins what nats.go makes of answers the fast reader
// leaves to encoding/json.
func TestDecodePubAck(t *testing.T) {
	cases := []struct {
		data string
		want *jetstream.PubAck
		err  string
	}{
		{`{"stream":"S","seq":3,"val":"7"}`, &jetstream.PubAck{Stream: "S", Sequence: 3, Value: "7"}, ""},
		{`{"stream":"S","seq":3,"batch":"b","count":2}`, &jetstream.PubAck{Stream: "S", Sequence: 3}, ""},
		{`{"stream":"S\u00e9","seq":3}`, &jetstream.PubAck{Stream: "Sé", Sequence: 3}, ""},
		{`{"stream": "S", "seq": 3, "duplicate": true}`, &jetstream.PubAck{Stream: "S", Sequence: 3, Duplicate: true}, ""},
		{`{"stream":"","seq":3}`, nil, jetstream.ErrInvalidJSAck.Error()},
		{`{"seq":3}`, nil, jetstream.ErrInvalidJSAck.Error()},
		{`{"stream":"S","seq":03}`, nil, jetstream.ErrInvalidJSAck.Error()},
		{`{"stream":"S","seq":18446744073709551616}`, nil, jetstream.ErrInvalidJSAck.Error()},
		{`+OK`, nil, jetstream.ErrInvalidJSAck.Error()},
		{realAnswers[2], nil, "nats: nats: API error: code=400 err_code=10054 description=message size exceeds maximum allowed"},
	}
	for _, c := range cases {
		ack, err := decodePubAck([]byte(c.data))
		switch {
		case c.err != "" && (err == nil || err.Error() != c.err):
			t.Errorf("%s: err %v, want %s", c.data, err, c.err)
		case c.err == "" && (err != nil || *ack != *c.want):
			t.Errorf("%s: %+v, %v; want %+v", c.data, ack, err, *c.want)
		}
	}
}

// FuzzReadPubAck: whatever the fast reader accepts, encoding/json reads
// into the same PubAck.
func FuzzReadPubAck(f *testing.F) {
	for _, a := range realAnswers {
		f.Add([]byte(a))
	}
	f.Add([]byte(`{"stream":"S","seq":18446744073709551615}`))
	f.Add([]byte(`{"stream":"S","domain":"","seq":0,"duplicate": true}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fast := readPubAck(data)
		if fast == nil {
			return
		}
		want, err := decodePubAckJSON(data)
		if err != nil {
			t.Fatalf("%q: fast reader %+v, encoding/json: %v", data, *fast, err)
		}
		if *fast != *want {
			t.Fatalf("%q: fast reader %+v, encoding/json %+v", data, *fast, *want)
		}
	})
}

// BenchmarkDecodePubAck compares the fast reader with encoding/json on the
// answers a delivery gets, in one run:
//
//	go test ./bridge -run '^$' -bench 'DecodePubAck$' -count 5
func BenchmarkDecodePubAck(b *testing.B) {
	readers := []struct {
		name string
		read func([]byte) (*jetstream.PubAck, error)
	}{{"fast", decodePubAck}, {"encoding-json", decodePubAckJSON}}
	for _, r := range readers {
		for _, a := range []struct{ name, data string }{{"stored", realAnswers[0]}, {"duplicate", realAnswers[1]}} {
			b.Run(r.name+"/"+a.name, func(b *testing.B) {
				data := []byte(a.data)
				b.ReportAllocs()
				for b.Loop() {
					if _, err := r.read(data); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
