# Pulse: the two commands a newcomer needs are `make run` and `make test`.
GO        ?= go
BIN       := bin
PKGS      := ./...
GOFLAGS_TEST ?= -race -count=1 -timeout 20m
EMULATOR  := $(BIN)/bigquery-emulator

.PHONY: run test test-short bench lint fmt build tools fuzz clean

## run: the whole pipeline on embedded defaults (in-process Pub/Sub, generator, local files)
run: build
	./$(BIN)/pulse run

## build: the pulse binary
build:
	$(GO) build -o $(BIN)/pulse ./cmd/pulse

## test: every test, with the race detector (builds the BigQuery emulator once)
test: tools
	PULSE_BIGQUERY_EMULATOR=$(CURDIR)/$(EMULATOR) $(GO) test $(GOFLAGS_TEST) $(PKGS)
	$(GO) test -count=1 -run 'InjectedAnomalies|ReplicaKilled' ./cmd/pulse/

## test-short: unit tests only, no emulator build
test-short:
	$(GO) test -short -count=1 $(PKGS)

## tools: test tools kept out of the pulse binary (BigQuery emulator; first build takes minutes)
tools: $(EMULATOR)

$(EMULATOR): tools/bigquery-emulator/go.mod
	@echo "building the BigQuery emulator (first build is slow; later builds are cached)"
	cd tools/bigquery-emulator && $(GO) build -o ../../$(EMULATOR) github.com/goccy/bigquery-emulator/cmd/bigquery-emulator

## bench: the benchmark suite, 6 counts, summarised with benchstat
bench:
	./scripts/bench.sh

## fuzz: the order decoder fuzz targets, 60 seconds each
fuzz:
	$(GO) test ./events/ -run '^$$' -fuzz FuzzDecode -fuzztime 60s
	$(GO) test ./events/ -run '^$$' -fuzz FuzzScanWire -fuzztime 60s

## lint: go vet and staticcheck
lint:
	$(GO) vet $(PKGS)
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 $(PKGS)

## fmt: gofmt every file
fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf $(BIN)
