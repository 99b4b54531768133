// Package integration holds hookbridge's container suites and the harness
// they share: the project's own images (built locally by package images, no
// registry), nats-server containers and clusters, the bridge and the sample
// consumers as containers, a sender that behaves like a webhook platform,
// and a docker-compose driver.
//
// The suites:
//
//	TestBrokerOutage   the single broker stops and comes back under load
//	TestClusterFault   a node of a three-node cluster is killed under load
//	TestScaleOutChaos  two bridges behind Caddy on a three-node cluster: a
//	                   bridge killed, a rolling restart, the stream leader
//	                   killed, all under load
//	TestEndToEnd       Shopify, WooCommerce and Stripe orders through the bridge
//	                   and the normaliser into inventory and shipping (on
//	                   canonical events) and a team's own consumer (on raw ones)
//	TestConsumerCrash  inventory and shipping are killed mid-batch
//	TestComposeSmoke   the repository's docker-compose.yml, up and down
//	TestComposeCluster the same file with the profile "cluster": three NATS
//	                   nodes, an R3 stream, two bridges behind Caddy
//
// Run the suites with
//
//	CI=true TESTCONTAINERS_RYUK_DISABLED=true go test -count=1 -timeout 20m -v ./integration/...
//
// or `make integration`. Without a Docker engine every test skips with a
// one-line reason; with CI set (non-empty) that is a failure instead (see
// [RequireDocker]). The first run compiles nats-server (about a minute on
// two cores) and builds the images; later runs reuse them while their
// content is unchanged.
//
// Testcontainers' reaper (Ryuk) is disabled: its image cannot be pulled here.
// [ConfigureTestcontainers] sets TESTCONTAINERS_RYUK_DISABLED=true (and
// TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1) before the first testcontainers
// call (TestMain and [RequireDocker] call it), so every container and network
// is removed by the test that made it, through t.Cleanup, also when the test
// fails.
//
// Traffic stays on the machine: published ports are bound to 127.0.0.1 and
// containers talk to each other only on the test's own Docker network.
package integration
