# Developer tasks for hookbridge. Go 1.26 is all `make test` needs; `images`
# and `integration` need a local Docker engine (no registry: every image is
# built here from source, FROM scratch).
GO ?= go

.PHONY: help test race images integration scaleout powerloss bench instructions clean-images

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

test: ## the unit tests; the integration suites skip where no Docker engine answers
	$(GO) test ./...

race: ## what CI runs: every test with the race detector
	$(GO) test -race -count=1 ./...

images: ## build nats:<version in go.mod>, hookbridge:dev, caddy:<version in its go.mod>, and inventory:dev, shipping:dev once they exist (IMAGES="nats hookbridge" picks)
	$(GO) run ./integration/images/cmd/buildimages $(IMAGES)

integration: ## the container suites (end to end, broker outage, cluster fault, scale-out chaos, consumer crash, compose smoke and cluster); a missing Docker engine fails them
	CI=$${CI:-true} TESTCONTAINERS_RYUK_DISABLED=true $(GO) test -count=1 -timeout 20m -v ./integration/...

scaleout: ## the scale-out suites alone: two bridges behind Caddy on a three-node cluster under load (a bridge killed, a rolling restart, the leader killed), and the compose cluster profile
	CI=$${CI:-true} TESTCONTAINERS_RYUK_DISABLED=true $(GO) test -count=1 -timeout 20m -v -run 'TestScaleOutChaos|TestComposeCluster' ./integration/

powerloss: ## the power-cut tests: hookbridge and an R3 nats-server cluster on a FUSE disk that drops unsynced writes (needs /dev/fuse and root; no Docker)
	CI=$${CI:-true} $(GO) test -count=1 -v -run TestPowerLoss ./integration/powerloss

bench: ## side by side, in one run of three interleaved rounds: plain net/http, raw JetStream, hookbridge external and embedded, Benthos 4.27 doing the same work and passing bodies through; about 4 minutes (BENCHFLAGS="--only a,b,c,d,b-sync,c-sync,d-sync" for the fsync rows)
	$(GO) run ./cmd/hookload bench --only a,b,c,d,e,e-plain --rounds 3 --duration 5s --conns 64 --body 1024 --markdown $(BENCHFLAGS)

instructions: ## hookbridge's instructions per delivery under valgrind's callgrind (needs valgrind), external and embedded, three interleaved rounds; steady where CPU time and req/s are not (INSTRFLAGS="--hookbridge /tmp/base,/tmp/new" compares builds, the first the baseline); about 15 seconds a run (modes × binaries × rounds)
	$(GO) run ./cmd/hookload instructions --rounds 3 --markdown $(INSTRFLAGS)

clean-images: ## remove every image `make images` or the suites built
	docker image ls -q --filter label=org.hookbridge.image.content-sha256 | sort -u | xargs -r docker image rm -f
