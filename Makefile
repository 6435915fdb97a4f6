# Rocky: the two set-up commands are `make demo` and `make test`.
# Both install missing Debian packages when run as root, and otherwise print
# the exact command to run.

SWIFT        ?= swift
DEB_PACKAGES := libssl-dev zlib1g-dev libsqlite3-dev sqlite3 libpq-dev
# The Postgres tests start a throw-away server of their own (initdb, pg_ctl).
TEST_PACKAGES := postgresql
VENV         := build/venv
PYTHON       := $(VENV)/bin/python
JOBS         ?= 2

.PHONY: all deps venv build release test stress demo bench dist clean

all: build

deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	python3 -c 'import venv, ensurepip' 2>/dev/null || missing="$$missing python3 python3-venv"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else \
	    echo "Rocky needs these Debian packages:$$missing"; \
	    echo "run: sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

# Python with DuckDB, for the SQL dialect tests and the benchmark comparisons.
venv: $(VENV)/.ready
$(VENV)/.ready:
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q duckdb
	touch $@

build: deps
	$(SWIFT) build -j $(JOBS)

release: deps
	$(SWIFT) build -c release -j $(JOBS) --product rocky
	$(SWIFT) build -c release -j $(JOBS) --product rocky-bench

test: DEB_PACKAGES += $(TEST_PACKAGES)
test: deps venv
	$(SWIFT) build -j $(JOBS) --build-tests
	ROCKY_PYTHON=$(CURDIR)/$(PYTHON) $(SWIFT) test -j $(JOBS) --skip-build

# The crash stress run outside the default suite: every writing command
# SIGKILLed at random points, ROUNDS times (the suite itself runs 25).
ROUNDS ?= 200
stress: deps venv
	$(SWIFT) build -j $(JOBS) --build-tests
	ROCKY_STRESS_ROUNDS=$(ROUNDS) ROCKY_PYTHON=$(CURDIR)/$(PYTHON) $(SWIFT) test -j $(JOBS) --skip-build --filter CrashStressTests

demo: build
	ROCKY=$(CURDIR)/.build/debug/rocky bash Fixtures/demo.sh

# Every benchmark beside what a user would use instead, in one run; the
# report (Markdown) is also written to build/bench.md. Commands are timed
# with the distributed (static) binary: it starts in ~3 ms, the dynamically
# linked one in ~13 ms, which would dominate the short commands. Peak memory
# comes from GNU time (package time), git is the side-by-side comparison.
bench: DEB_PACKAGES += git time
bench: release dist venv
	mkdir -p build
	ROCKY=$(CURDIR)/build/dist/rocky ROCKY_PYTHON=$(CURDIR)/$(PYTHON) .build/release/rocky-bench all | tee build/bench.md

# A static binary: the Swift runtime and libcrypto, zlib and sqlite linked in,
# so that ldd shows only the C runtime (libc, libm, the loader). The folder
# build/static-libs holds only .a archives and comes first on the search path,
# so -lcrypto, -lz, -lsqlite3 and the -lstdc++ of the Swift runtime resolve
# to them; libgcc_s (the unwinder) is served by its static twin libgcc_eh.
dist: deps
	mkdir -p build/static-libs
	for lib in libcrypto libz libsqlite3; do \
	  ln -sf /usr/lib/$$(gcc -print-multiarch)/$$lib.a build/static-libs/$$lib.a; done
	ln -sf $$(gcc -print-file-name=libstdc++.a) build/static-libs/libstdc++.a
	ln -sf $$(gcc -print-file-name=libgcc_eh.a) build/static-libs/libgcc_s.a
	$(SWIFT) build -c release -j $(JOBS) --product rocky --static-swift-stdlib \
	  --scratch-path .build/dist -Xlinker -L$(CURDIR)/build/static-libs -Xlinker -ldl -Xlinker -lpthread -Xlinker -lm
	mkdir -p build/dist && cp .build/dist/release/rocky build/dist/rocky
	@echo "built build/dist/rocky:"; ldd build/dist/rocky || true

clean:
	rm -rf .build build
