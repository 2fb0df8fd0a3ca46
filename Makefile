# pg_inventory: the two commands a newcomer needs are `make run` and `make test`.
# Every target installs what is missing first (scripts/install-deps.sh), so both work on a fresh
# Debian 12 machine.
SHELL := /bin/bash
SUDO  := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
FRONTEND_BUILD := build/frontend

.PHONY: deps build install test run bench clean

deps:
	scripts/install-deps.sh

build: deps
	$(MAKE) -C extension
	$(MAKE) -C tools/kafka-mock
	cmake -S frontend -B $(FRONTEND_BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build $(FRONTEND_BUILD) -j2

install: build
	$(SUDO) $(MAKE) -C extension install

test: install
	scripts/run-tests.sh

run: install
	scripts/run-local.sh

bench: install
	bench/run.sh
	bench/http.sh

clean:
	$(MAKE) -C extension clean
	$(MAKE) -C tools/kafka-mock clean
	rm -rf build
