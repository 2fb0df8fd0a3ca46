# pg_inventory: the two commands a newcomer needs are `make run` and `make test`.
# Every target installs what is missing first (scripts/install-deps.sh), so both work on a fresh
# Debian 12 machine. The images build with the same per-component targets (Dockerfile.db runs
# `make install`, Dockerfile.svc runs `make build-service`).
SHELL := /bin/bash
SUDO  := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
FRONTEND_BUILD := build/frontend

.PHONY: deps build build-extension build-service build-tools install test run bench bench-citus fuzz clean

deps:
	scripts/install-deps.sh

build: build-extension build-service build-tools

build-extension: deps
	$(MAKE) -C extension

build-service: deps
	cmake -S frontend -B $(FRONTEND_BUILD) -DCMAKE_BUILD_TYPE=Release -DINVENTORY_BUILD_TESTS=ON >/dev/null
	cmake --build $(FRONTEND_BUILD) -j2

build-tools: deps
	$(MAKE) -C tools/kafka-mock

install: build-extension
	$(SUDO) $(MAKE) -C extension install

test: build install
	scripts/run-tests.sh

run: build install
	scripts/run-local.sh

bench: build install
	bench/run.sh
	bench/flash_sale.sh
	scratch=$$(mktemp -d /tmp/pg-inventory-bench.XXXXXX) && chmod 755 $$scratch && \
	    BENCH_SCRATCH_DIR=$$scratch bench/http.sh && BENCH_SCRATCH_DIR=$$scratch bench/kafka.sh; \
	    status=$$?; rm -rf $$scratch; exit $$status

# Citus against one PostgreSQL on this machine; needs Citus installed in the PostgreSQL of pg_config
# (docs/operations.md, "Sharding by product on Citus").
bench-citus: build install
	bench/citus.sh

# Longer fuzzing than the short run inside `make test`: FUZZ_SECONDS per target (default 300).
fuzz: build install
	FUZZ_SECONDS=$${FUZZ_SECONDS:-300} frontend/fuzz/run.sh

clean:
	$(MAKE) -C extension clean
	$(MAKE) -C tools/kafka-mock clean
	rm -rf build
