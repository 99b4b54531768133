package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

type variantKind int

const (
	kindPlain    variantKind = iota // (a) plain net/http
	kindRaw                         // (b) raw JetStream async publishing, in this process
	kindExternal                    // (c) hookbridge with an external nats-server
	kindEmbedded                    // (d) hookbridge with its embedded server
	kindBenthos                     // (e) Benthos with an external nats-server
)

type variant struct {
	key      string
	name     string
	kind     variantKind
	sync     bool // fsync before the PubAck
	commerce bool // the bridge runs the commerce normaliser beside it
	// trace, when set, traces the bridge, exporting to a receiver the
	// bench runs (see tracebench.go).
	trace *traceSetting
	// view, when set, keeps the bridge's console open and live through the
	// round (see consolebench.go).
	view *viewSetting
	// cluster, when set, runs the external broker as a cluster on loopback
	// with the stream replicated on every node (see clusterbench.go).
	cluster *clusterSetting
	// benthos is a Benthos variant's setting (see benthosbench.go).
	benthos *benthosSetting
}

// variants run in this order, one after another.
var variants = []variant{
	{key: "a", name: "plain net/http", kind: kindPlain},
	{key: "b", name: "raw JetStream publish", kind: kindRaw},
	{key: "c", name: "hookbridge + external nats-server", kind: kindExternal},
	{key: "d", name: "hookbridge, embedded nats", kind: kindEmbedded},
	{key: "b-sync", name: "raw JetStream publish, fsync", kind: kindRaw, sync: true},
	{key: "c-sync", name: "hookbridge + external nats-server, fsync", kind: kindExternal, sync: true},
	{key: "d-sync", name: "hookbridge, embedded nats, fsync", kind: kindEmbedded, sync: true},
}

// optInVariants run only when --only names them, so that the default
// bench measures what it always has.
var optInVariants = []variant{
	{key: "n", name: "hookbridge, embedded nats, with the normaliser", kind: kindEmbedded, commerce: true},
	{key: "c-traced", name: "c, traced: every delivery sampled", kind: kindExternal, trace: &traceSetting{"c", "always_on", ""}},
	{key: "d-traced", name: "d, traced: every delivery sampled", kind: kindEmbedded, trace: &traceSetting{"d", "always_on", ""}},
	{key: "c-sampled", name: "c, traced: 1 delivery in 10 sampled", kind: kindExternal, trace: &traceSetting{"c", "parentbased_traceidratio", "0.1"}},
	{key: "d-sampled", name: "d, traced: 1 delivery in 10 sampled", kind: kindEmbedded, trace: &traceSetting{"d", "parentbased_traceidratio", "0.1"}},
	{key: "c-console", name: "c, with the console open and live", kind: kindExternal, view: &viewSetting{"c"}},
	{key: "d-console", name: "d, with the console open and live", kind: kindEmbedded, view: &viewSetting{"d"}},
	{key: "c-r3", name: "c on a 3-node cluster, stream at replicas 3", kind: kindExternal, cluster: &clusterSetting{base: "c", nodes: 3}},
	{key: "c-r3-leader", name: "c-r3, the bridge on the stream's leader", kind: kindExternal, cluster: &clusterSetting{base: "c", nodes: 3, onLeader: true}},
	{key: "e", name: "Benthos 4.27: verify + Nats-Msg-Id + synchronous publish", kind: kindBenthos, benthos: &benthosSetting{verify: true}},
	{key: "e-plain", name: "Benthos 4.27: plain passthrough", kind: kindBenthos, benthos: &benthosSetting{}},
}

func selectVariants(only string) ([]variant, error) {
	if strings.TrimSpace(only) == "" {
		return variants, nil
	}
	all := append(slices.Clone(variants), optInVariants...)
	var keys, optIn []string
	for _, v := range variants {
		keys = append(keys, v.key)
	}
	for _, v := range optInVariants {
		optIn = append(optIn, v.key)
	}
	want := map[string]bool{}
	for k := range strings.SplitSeq(only, ",") {
		k = strings.TrimSpace(k)
		if !slices.Contains(keys, k) && !slices.Contains(optIn, k) {
			return nil, fmt.Errorf("bench: --only: no variant %q (have %s), nor an opt-in one (%s)", k, strings.Join(keys, ", "), strings.Join(optIn, ", "))
		}
		want[k] = true
	}
	var out []variant
	for _, v := range all {
		if want[v.key] {
			out = append(out, v)
		}
	}
	return out, nil
}

// benchPorts are one variant's loopback ports; otlp is the trace
// receiver's, used by a traced variant only; nodes are a cluster variant's
// nodes, whose broker is them (nats is then unused).
type benchPorts struct {
	http, admin, nats, otlp int
	nodes                   []nodePorts
}

// nodePorts are one cluster node's ports: for clients, for the other
// nodes' routes, and for its monitoring endpoint.
type nodePorts struct{ client, route, monitor int }

// natsURL is where the variant's broker listens, external or embedded: for
// a cluster, every node, comma-separated, as a client is given them.
func (p benchPorts) natsURL() string {
	if len(p.nodes) == 0 {
		return clientURL(p.nats)
	}
	urls := make([]string, len(p.nodes))
	for i, n := range p.nodes {
		urls[i] = clientURL(n.client)
	}
	return strings.Join(urls, ",")
}

func clientURL(port int) string { return fmt.Sprintf("nats://127.0.0.1:%d", port) }

// newPorts picks a variant's ports, all distinct: for v's cluster, if it
// has one, three more per node.
func newPorts(v variant) (benchPorts, error) {
	nodes := 0
	if v.cluster != nil {
		nodes = v.cluster.nodes
	}
	ports, err := freePorts(4 + 3*nodes)
	if err != nil {
		return benchPorts{}, err
	}
	p := benchPorts{http: ports[0], admin: ports[1], nats: ports[2], otlp: ports[3]}
	for i := range nodes {
		n := ports[4+3*i:]
		p.nodes = append(p.nodes, nodePorts{client: n[0], route: n[1], monitor: n[2]})
	}
	return p, nil
}

// benchConfig is hookbridge's config for one variant: natsURL empty means
// the embedded server at p.nats with its store in storeDir. Every source
// signs with a fixed bench secret; the timestamp tolerance is an hour so
// that deliveries signed at the start stay valid through the whole bench.
// The stream, subjects, duplicate window and publish timeout are left to
// their defaults: the bench measures the bridge as shipped, and the raw
// variant creates the same stream from the same defaults. The replicas are
// the default 1 too, but for a cluster (p.nodes), where the stream is
// replicated on every node.
func benchConfig(p benchPorts, natsURL, storeDir string, sync bool, logLevel string) string {
	return fmt.Sprintf(`# generated by hookload bench
log: {level: %s, format: json}
http: {listen: "127.0.0.1:%d"}
admin: {listen: "127.0.0.1:%d"}
nats:
  url: %q
  replicas: %d
  embedded: {listen: "127.0.0.1:%d", store_dir: %q, sync_always: %t}
sources:
  - {name: acme-shop, provider: shopify, secrets: ["bench-shopify-secret"]}
  - {name: acme-woo, provider: woocommerce, secrets: ["bench-woocommerce-secret"]}
  - {name: billing, provider: stripe, secrets: ["whsec_bench-stripe-secret"], tolerance: 1h}
  - {name: invoices, provider: standardwebhooks, secrets: ["whsec_YmVuY2gtc3RhbmRhcmQtd2ViaG9va3Mtc2VjcmV0"], tolerance: 1h}
  - {name: github, provider: github, secrets: ["bench-github-secret"]}
  - name: razorpay
    provider: hmac
    secrets: ["bench-razorpay-secret"]
    hmac: {header: X-Razorpay-Signature, algorithm: sha256, encoding: hex, id: "header:X-Razorpay-Event-Id", type: "json:event", source: "json:account_id", time: "json:created_at"}
`, logLevel, p.http, p.admin, natsURL, max(1, len(p.nodes)), p.nats, storeDir, sync)
}

// natsNode is one external nats-server: alone, or a node of a cluster
// (routes set).
type natsNode struct {
	name     string // server_name, distinct in a cluster
	port     int
	storeDir string
	sync     bool
	// A cluster's node only: its route and monitoring ports, and every
	// node's route port (its own included: a server ignores a route to
	// itself, so that every node's config lists the same routes).
	route, monitor int
	routes         []int
}

// natsServerConfig is an external nats-server's config: loopback only,
// JetStream in storeDir, and with sync an fsync before every PubAck
// (jetstream { sync_interval: always }, which has no command-line flag).
// A cluster's node also routes to the other nodes and serves /connz.
func natsServerConfig(n natsNode) string {
	js := fmt.Sprintf("store_dir: %q", n.storeDir)
	if n.sync {
		js += "\n  sync_interval: always"
	}
	conf := fmt.Sprintf("# generated by hookload bench\nserver_name: %s\nlisten: \"127.0.0.1:%d\"\nmax_payload: %d\njetstream {\n  %s\n}\n",
		n.name, n.port, 1<<20+16<<10, js)
	if len(n.routes) == 0 {
		return conf
	}
	routes := make([]string, len(n.routes))
	for i, r := range n.routes {
		routes[i] = fmt.Sprintf("\"nats-route://127.0.0.1:%d\"", r)
	}
	return conf + fmt.Sprintf("http: \"127.0.0.1:%d\"\ncluster {\n  name: bench\n  listen: \"127.0.0.1:%d\"\n  routes: [%s]\n}\n",
		n.monitor, n.route, strings.Join(routes, ", "))
}

// natsNodes are the external broker's nodes for v: one, or a cluster's.
func natsNodes(v variant, dir string, p benchPorts) []natsNode {
	if len(p.nodes) == 0 {
		return []natsNode{{name: "bench", port: p.nats, storeDir: filepath.Join(dir, "nats"), sync: v.sync}}
	}
	var routes []int
	for _, np := range p.nodes {
		routes = append(routes, np.route)
	}
	nodes := make([]natsNode, len(p.nodes))
	for i, np := range p.nodes {
		name := nodeName(i)
		nodes[i] = natsNode{name: name, port: np.client, storeDir: filepath.Join(dir, "nats-"+name), sync: v.sync,
			route: np.route, monitor: np.monitor, routes: routes}
	}
	return nodes
}

// runVariant starts the variant's children, warms up, measures, reads the
// processes' counters, checks the stream and returns the figures. The
// caller stops the children.
func (b *benchRun) runVariant(ctx context.Context, v variant, dir string) *benchRow {
	row := &benchRow{v: v}
	if row.err = os.MkdirAll(dir, 0o755); row.err != nil {
		return row
	}
	p, err := newPorts(v)
	if err != nil {
		row.err = err
		return row
	}
	meter, err := b.startVariant(ctx, v, dir, p)
	if err != nil {
		row.err = err
		return row
	}
	cw, err := b.watchCluster(ctx, v, p)
	if err != nil {
		row.err = err
		return row
	}
	if cw != nil {
		defer cw.close()
	}
	viewer, err := b.openConsole(ctx, v, p)
	if err != nil {
		row.err = err
		return row
	}
	if v.kind == kindRaw {
		b.measureRaw(ctx, row, p.natsURL(), meter)
	} else {
		b.measureHTTP(ctx, row, p, meter)
	}
	if viewer != nil {
		b.closeConsole(row, viewer)
	}
	if v.trace != nil && row.err == nil {
		b.settleTraces(ctx, row, p, meter.child("hookbridge"))
	}
	if cw != nil && row.err == nil {
		b.settleCluster(ctx, row, cw)
	}
	if row.err == nil {
		b.printRow(row)
	}
	return row
}

// startVariant starts v's children, each ready before the next starts (a
// broker before the hookbridge that uses it), and returns a meter on them.
func (b *benchRun) startVariant(ctx context.Context, v variant, dir string, p benchPorts) (*procMeter, error) {
	meter := &procMeter{}
	if v.kind == kindRaw || v.kind == kindExternal || v.kind == kindBenthos {
		if err := b.startNats(ctx, v, dir, p, meter); err != nil {
			return nil, err
		}
	}
	switch v.kind {
	case kindPlain:
		c, err := b.startPlain(ctx, v, p)
		if err != nil {
			return nil, err
		}
		meter.add("plain-server", c)
	case kindExternal, kindEmbedded:
		if v.trace != nil {
			rc, err := b.startReceiver(ctx, v, p)
			if err != nil {
				return nil, err
			}
			meter.add("otlp-receiver", rc)
		}
		hb, err := b.startHookbridge(ctx, v, dir, p)
		if err != nil {
			return nil, err
		}
		meter.add("hookbridge", hb)
	case kindBenthos:
		c, err := b.startBenthos(ctx, v, dir, p)
		if err != nil {
			return nil, err
		}
		meter.add("benthos", c)
	}
	return meter, nil
}

// startNats starts the external broker, its store in dir: one
// nats-server, metered as "nats-server", or a cluster's nodes, each
// metered as "nats-server <node>". Every node is started before any is
// waited for: a clustered JetStream answers only once its nodes have met.
func (b *benchRun) startNats(ctx context.Context, v variant, dir string, p benchPorts, meter *procMeter) error {
	nodes := natsNodes(v, dir, p)
	started := make([]*child, len(nodes))
	for i, n := range nodes {
		file, label := "nats-server", "nats-server"
		if len(nodes) > 1 {
			file, label = file+"-"+n.name, label+" "+n.name
		}
		conf := filepath.Join(dir, file+".conf")
		if err := os.WriteFile(conf, []byte(natsServerConfig(n)), 0o600); err != nil {
			return err
		}
		ns, err := b.start(v.key+"-"+file, nil, b.natsBin, "-c", conf)
		if err != nil {
			return err
		}
		meter.add(label, ns)
		started[i] = ns
		fmt.Fprintf(b.out, "started  nats-server -c %s (pid %d, JetStream on %s)\n", conf, ns.pid(), clientURL(n.port))
	}
	for i, ns := range started {
		url := clientURL(nodes[i].port)
		if err := ns.waitReady(ctx, b.f.readyLimit, "JetStream", func() bool { return jetStreamUp(ctx, url) }); err != nil {
			return err
		}
	}
	return nil
}

// startPlain starts this program as the plain net/http server.
func (b *benchRun) startPlain(ctx context.Context, v variant, p benchPorts) (*child, error) {
	addr := fmt.Sprintf("127.0.0.1:%d", p.http)
	c, err := b.start(v.key+"-plain-server", nil, b.self, "plain-server", "--listen", addr)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(b.out, "started  hookload plain-server --listen %s (pid %d)\n", addr, c.pid())
	return c, c.waitReady(ctx, b.f.readyLimit, "/healthz 200", func() bool { return httpOK("http://" + addr + "/healthz") })
}

// startHookbridge starts hookbridge with the external broker at p.nats or,
// for an embedded variant, its own there with its store in dir.
func (b *benchRun) startHookbridge(ctx context.Context, v variant, dir string, p benchPorts) (*child, error) {
	cfgPath, err := b.writeBridgeConfig(v, dir, p)
	if err != nil {
		return nil, err
	}
	hb, err := b.start(v.key+"-hookbridge", traceEnv(v, p), b.hbBin, "--config", cfgPath)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(b.out, "started  hookbridge --config %s (pid %d)\n", cfgPath, hb.pid())
	readyz := fmt.Sprintf("http://127.0.0.1:%d/readyz", p.admin)
	return hb, hb.waitReady(ctx, b.f.readyLimit, "/readyz 200", func() bool { return httpOK(readyz) })
}

// writeBridgeConfig writes v's hookbridge config into dir and returns its
// path: the external broker at p.nats or, for an embedded variant, the
// bridge's own there with its store in dir.
func (b *benchRun) writeBridgeConfig(v variant, dir string, p benchPorts) (string, error) {
	url := p.natsURL()
	if v.kind == kindEmbedded {
		url = ""
	}
	cfg := benchConfig(p, url, filepath.Join(dir, "jetstream"), v.sync, b.f.bridgeLog)
	if v.commerce {
		cfg += "commerce: {enabled: true}\n"
	}
	if b.f.publishTimeout > 0 {
		cfg = slowBridge(cfg, b.f.publishTimeout)
	}
	cfgPath := filepath.Join(dir, "hookbridge.yaml")
	return cfgPath, os.WriteFile(cfgPath, []byte(cfg), 0o600)
}

// slowBridge gives a benchConfig's bridge a publish timeout of publish,
// and HTTP read and write timeouts a half again as long (the answer is
// written after the PubAck), for a bridge run many times slower than
// natively: under callgrind its threads take turns on one core, and a
// pause the default 3s publish timeout never sees natively turns
// deliveries into 503s.
func slowBridge(cfg string, publish time.Duration) string {
	http := publish * 3 / 2
	cfg = strings.Replace(cfg, "\nhttp: {", fmt.Sprintf("\nhttp: {read_timeout: %s, write_timeout: %s, ", http, http), 1)
	return strings.Replace(cfg, "\nnats:\n", fmt.Sprintf("\nnats:\n  publish_timeout: %s\n", publish), 1)
}
