# Braze ⇄ Zendesk bridge. `make demo` runs it locally; `make test` runs everything.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

GO        ?= go
FUNCTIONS := braze-to-zendesk zendesk-to-braze
BIN       := $(CURDIR)/bin
RIE_VERSION := v0.0.0-20261030222936-bef5c4ba774d
RIE       := $(BIN)/aws-lambda-rie
FUZZTIME  ?= 5s
LAMBDA_BUILD := CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -tags lambda.norpc -trimpath -ldflags "-s -w"

# Every fuzz target, as package:Target.
FUZZ_TARGETS := \
	./shared/liquidjson:FuzzDecode \
	./shared/apigw:FuzzRequest \
	./shared/webhook:FuzzBearerMatches \
	./shared/webhook:FuzzVerifyZendesk \
	./shared/tickets:FuzzParse \
	./shared/tracking:FuzzParse

.PHONY: all build tools check-tools test unit fuzz lint bench deploy clean

all: build

## build: both Lambda bootstraps for linux/arm64, into build/<function>/bootstrap
build: $(addprefix build/,$(addsuffix /bootstrap,$(FUNCTIONS)))

build/%/bootstrap: FORCE
	$(LAMBDA_BUILD) -o $@ ./functions/$*

# `sam build` (BuildMethod: makefile) calls these with ARTIFACTS_DIR set.
build-BrazeToZendeskFunction:
	$(LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/braze-to-zendesk

build-ZendeskToBrazeFunction:
	$(LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/zendesk-to-braze

## tools: the pinned Lambda runtime emulator, and a check for moto and cfn-lint
tools: $(RIE) check-tools

$(RIE):
	GOBIN=$(BIN) $(GO) install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION)

check-tools:
	@command -v moto_server >/dev/null || { echo "moto_server is missing: install it with  pip install 'moto[server]==5.*'  (the Secrets Manager tests run against it)" >&2; exit 1; }
	@command -v cfn-lint >/dev/null || { echo "cfn-lint is missing: install it with  pip install 'cfn-lint==1.*'" >&2; exit 1; }

## test: lint, every Go test (unit, moto, end-to-end under the emulator), then each fuzz target briefly
test: tools lint unit fuzz

unit: $(RIE)
	AWS_LAMBDA_RIE=$(RIE) $(GO) test -count=1 ./...

fuzz:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$pkg $$name ($(FUZZTIME))"; \
		$(GO) test -run='^$$' -fuzz="^$$name$$" -fuzztime=$(FUZZTIME) $$pkg; \
	done

## lint: go vet, gofmt, cfn-lint on the template
lint:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
		if [ -n "$$out" ]; then echo "gofmt would change: $$out" >&2; exit 1; fi
	cfn-lint template.yaml

## bench: warm-invocation benchmarks (ns/op, allocs/op) and the arm64 binary sizes
bench: build
	$(GO) test -run='^$$' -bench=. -benchmem ./...
	@ls -l build/*/bootstrap | awk '{print $$5, $$9}'

## deploy: build with SAM and deploy the stack (samconfig.toml holds the defaults)
deploy:
	sam build
	sam deploy

clean:
	rm -rf build bin

FORCE:
