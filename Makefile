# Braze ⇄ Zendesk bridge. `make demo` runs it locally; `make test` runs everything.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

GO        ?= go
FUNCTIONS := braze-to-zendesk zendesk-to-braze
BIN       := $(CURDIR)/bin
RIE_VERSION := v0.0.0-20261030222936-bef5c4ba774d
RIE       := $(BIN)/aws-lambda-rie
# The deployed stack, as samconfig.toml names it (make secrets, make redrive).
STACK     ?= braze-zendesk-bridge
# An execution count, not a duration: Go 1.26's fuzz coordinator can report a
# bare "context deadline exceeded" when a duration runs out (golang/go#75804,
# fixed in Go 1.27); a count has no deadline to race.
FUZZTIME  ?= 100000x
LAMBDA_BUILD := CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -tags lambda.norpc -trimpath -ldflags "-s -w"

# Every fuzz target, as package:Target.
FUZZ_TARGETS := \
	./shared/liquidjson:FuzzDecode \
	./shared/apigw:FuzzRequest \
	./shared/bearer:FuzzMatches \
	./shared/zendesk:FuzzVerifyZendesk \
	./shared/zendesk:FuzzTicketAnswer \
	./shared/tickets:FuzzParse \
	./shared/tracking:FuzzParse \
	./shared/tracking:FuzzBrazeTime \
	./shared/lambdaio:FuzzEvent

.PHONY: all build build-native tools check-tools test unit fuzz demo-check lint bench deploy clean demo local invoke sign redrive secrets check-credentials

all: build

## build: both Lambda bootstraps for linux/arm64, into build/<function>/bootstrap
build: $(addprefix build/,$(addsuffix /bootstrap,$(FUNCTIONS)))

build/%/bootstrap: FORCE
	$(LAMBDA_BUILD) -o $@ ./functions/$*

## build-native: both bootstraps for this machine, for `make invoke` (the emulator runs native binaries)
build-native: $(addprefix build/native/,$(addsuffix /bootstrap,$(FUNCTIONS)))

build/native/%/bootstrap: FORCE
	CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath -o $@ ./functions/$*

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

## demo: one round trip through a local API with stand-ins (a free port, or ADDR=127.0.0.1:3000), then stop
demo:
	$(GO) run ./cmd/local demo $(if $(ADDR),-addr $(ADDR))

## local: the local API on 127.0.0.1:3000 until Ctrl-C (ARGS="-zendesk acme -braze https://rest.iad-01.braze.com -secrets local/secrets.json" for real services)
local:
	$(GO) run ./cmd/local serve $(ARGS)

## invoke: one event through a built bootstrap under aws-lambda-rie, no Docker (FN=BrazeToZendeskFunction EVENT=events/braze-to-zendesk.json)
invoke: $(RIE) build-native
	@test -n "$(FN)" -a -n "$(EVENT)" || { echo "usage: make invoke FN=BrazeToZendeskFunction|ZendeskToBrazeFunction EVENT=events/<file>.json" >&2; exit 2; }
	$(GO) run ./cmd/local invoke -fn $(FN) -event $(EVENT) -rie $(RIE) $(ARGS)

## sign: print a Zendesk sample event signed now, for sam local invoke (EVENT=events/zendesk-to-braze.json)
sign:
	@$(GO) run ./cmd/local sign $(or $(EVENT),events/zendesk-to-braze.json)

## test: lint, every Go test (unit, moto, end-to-end under the emulator), fuzz targets briefly, and the demo
test: tools lint unit fuzz demo-check
	@echo "make test: all passed"

# The README's first command must keep working: run it and check what it prints.
demo-check:
	@echo "==> make demo, while something else holds port 3000"
	@mkdir -p build
	python3 -m http.server 3000 --bind 127.0.0.1 >/dev/null 2>&1 & holder=$$!; \
		trap 'kill $$holder 2>/dev/null' EXIT; sleep 0.5; \
		$(MAKE) --no-print-directory demo | tee build/demo.out
	@grep -Eq '"ticket_id": [0-9]+' build/demo.out || { echo "demo-check: no ticket id in the demo output" >&2; exit 1; }
	@grep -q '"name": "zendesk_ticket_solved"' build/demo.out || { echo "demo-check: no Braze event name in the demo output" >&2; exit 1; }
	@grep -q '"zendesk_open_tickets": 0' build/demo.out || { echo "demo-check: no support state attributes in the demo output" >&2; exit 1; }
	@echo "demo-check: ticket id, event name and support state present"

unit: $(RIE)
	@echo "==> go test ./... (unit, moto, the built functions under the emulator, the fault suite; a few minutes; each package prints when done)"
	AWS_LAMBDA_RIE=$(RIE) $(GO) test -count=1 ./...

fuzz:
	@echo "==> fuzz targets, $(FUZZTIME) each"
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$pkg $$name ($(FUZZTIME))"; \
		$(GO) test -run='^$$' -fuzz="^$$name$$" -fuzztime=$(FUZZTIME) $$pkg; \
	done

## lint: go vet, gofmt, cfn-lint on the template
lint:
	@echo "==> lint: go vet, gofmt, cfn-lint"
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

## secrets: fill or rotate a deployed function's secret keys, merged in, never echoed (FN=BrazeToZendesk|ZendeskToBraze)
secrets:
	@test -n "$(FN)" || { echo "usage: make secrets FN=BrazeToZendesk|ZendeskToBraze [STACK=$(STACK)] [KEYS=key1,key2]" >&2; exit 2; }
	@$(GO) run ./cmd/secrets -fn $(FN) -stack $(STACK) $(if $(KEYS),-keys $(KEYS))

## check-credentials: after filling a secret, mint a Zendesk token, show whom it acts as and its scopes, prove the Braze key; never prints a secret (FN=BrazeToZendesk|ZendeskToBraze [STACK=…]; or SECRETS=local/secrets.json ZENDESK=acme BRAZE=https://rest.iad-01.braze.com [FN=…])
check-credentials:
	@fn="$(patsubst %Function,%,$(FN))"; \
	if [ -n "$(SECRETS)" ]; then \
		exec $(GO) run ./cmd/check -secrets "$(SECRETS)" -fn "$$fn" -zendesk "$(ZENDESK)" -braze "$(BRAZE)"; \
	fi; \
	case "$$fn" in BrazeToZendesk|ZendeskToBraze) ;; \
		*) echo "usage: make check-credentials FN=BrazeToZendesk|ZendeskToBraze [STACK=$(STACK)], or SECRETS=local/secrets.json ZENDESK=acme BRAZE=https://rest.iad-01.braze.com" >&2; exit 2;; esac; \
	param() { aws cloudformation describe-stacks --stack-name "$(STACK)" --query "Stacks[0].Parameters[?ParameterKey=='$$1'].ParameterValue" --output text; }; \
	zendesk="$(ZENDESK)"; test -n "$$zendesk" || zendesk=$$(param ZendeskSubdomain); \
	braze="$(BRAZE)"; test -n "$$braze" -o "$$fn" != ZendeskToBraze || braze=$$(param BrazeRestEndpoint); \
	$(GO) run ./cmd/check -fn "$$fn" -stack "$(STACK)" -zendesk "$$zendesk" -braze "$$braze"

## redrive: move a function's dead letters back to its retry queue, once its cause is fixed (FN=BrazeToZendesk|ZendeskToBraze)
redrive:
	@fn="$(patsubst %Function,%,$(FN))"; case "$$fn" in BrazeToZendesk|ZendeskToBraze) ;; \
		*) echo "usage: make redrive FN=BrazeToZendesk|ZendeskToBraze [STACK=$(STACK)]" >&2; exit 2;; esac; \
	arn=$$(aws cloudformation describe-stacks --stack-name "$(STACK)" \
		--query "Stacks[0].Outputs[?OutputKey=='$${fn}DeadLetterQueueArn'].OutputValue" --output text); \
	test -n "$$arn" -a "$$arn" != None || { echo "stack $(STACK) has no output $${fn}DeadLetterQueueArn" >&2; exit 1; }; \
	aws sqs start-message-move-task --source-arn "$$arn"

clean:
	rm -rf build bin

FORCE:
