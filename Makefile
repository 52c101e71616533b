# cmcoord — the documented entry points. Each target is a line or two;
# the logic lives in Go (cmd/cmcoord, internal/devtools/testenv).

# Use the Go on PATH, or the default install location of the official tarball.
GO ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
GOFMT := $(dir $(GO))gofmt
BIN := bin/cmcoord
# Arguments for `make run`, e.g. make run ARGS="-keep-db -addr 0.0.0.0:8080".
ARGS ?=
# A count, not a duration: Go 1.26's fuzz coordinator can report a bare
# "context deadline exceeded" when a duration ends while a worker is busy
# on a loaded machine (golang/go#75804, fixed in Go 1.27).
FUZZTIME ?= 15000x

.PHONY: help build run test generate check fmt vet bench bench-load slowlink drill-failover drill-restore chaos clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

build: generate ## build bin/cmcoord (templ output regenerated first)
	$(GO) build -trimpath -buildvcs=auto -o $(BIN) ./cmd/cmcoord

run: build ## find or start PostgreSQL, migrate, load demo data once, serve on http://127.0.0.1:8080
	./$(BIN) dev $(ARGS)

test: ## every test (domain, PostgreSQL-backed, browser) on a throwaway PostgreSQL, then FuzzEveryBody as a fuzzer for FUZZTIME
	$(GO) run ./internal/devtools/testenv -- $(GO) test -race -count=1 -timeout 40m ./...
	$(GO) run ./internal/devtools/testenv -- $(GO) test -count=1 -run '^$$' -fuzz '^FuzzEveryBody$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 50x ./internal/api/

bench: ## Go benchmarks and the load run (100k requests, 1M events; each endpoint alone, 16 keep-alive clients; BENCHFLAGS, docs/performance.md)
	$(GO) run ./internal/devtools/testenv -- $(GO) test -run '^$$' -bench . -benchmem ./internal/...
	$(GO) run ./internal/devtools/testenv -- $(GO) run ./internal/devtools/bench -go $(GO) $(BENCHFLAGS)

bench-load: ## the load run alone (make bench's second half), e.g. BENCHFLAGS="-endpoints list,show -gzip both"
	$(GO) run ./internal/devtools/testenv -- $(GO) run ./internal/devtools/bench -go $(GO) $(BENCHFLAGS)

slowlink: ## page timings in Chromium over an emulated satellite link (600 ms round trip, 256 kbit/s; root, iproute2)
	$(GO) run ./internal/devtools/testenv -- $(GO) run ./internal/devtools/slowlink -go $(GO) $(SLOWFLAGS)

drill-failover: ## failover drill: synchronous standby promoted under a write load; lost writes, outage, audit (own PostgreSQL; see docs/reliability.md)
	$(GO) run ./internal/devtools/drill -go $(GO) failover $(DRILLFLAGS)

drill-restore: ## restore drill: base backup + archived WAL restored to a named point in a new cluster; counts, audit
	$(GO) run ./internal/devtools/drill -go $(GO) restore $(DRILLFLAGS)

chaos: ## fault tests: kill -9 of the server and PostgreSQL restarts under load, two instances sharing the deadline job
	$(GO) run ./internal/devtools/drill -go $(GO) chaos $(DRILLFLAGS)

generate: ## regenerate *_templ.go from the .templ sources (templ pinned in go.mod)
	$(GO) tool templ generate -log-level warn

check: generate ## generated code committed and current, go vet, gofmt
	git diff --exit-code -- '*_templ.go' || { echo "generated templ code is stale: run make generate and commit"; exit 1; }
	test -z "$$(git ls-files --others --exclude-standard -- '*_templ.go')" || { echo "uncommitted generated templ files"; exit 1; }
	$(GO) vet ./...
	test -z "$$($(GOFMT) -l $$(git ls-files '*.go'))" || { $(GOFMT) -l $$(git ls-files '*.go'); echo "run make fmt"; exit 1; }

fmt: ## format the Go sources
	$(GOFMT) -w $$(git ls-files '*.go')

clean: ## remove the binary and test artifacts (keeps .data)
	rm -rf bin
	find . -path '*/testdata/artifacts' -type d -prune -exec rm -rf {} +
