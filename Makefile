# Rocky: the two set-up commands are `make demo` and `make test`.
# Both install missing Debian packages when run as root, and otherwise print
# the exact command to run.

SWIFT        ?= swift
DEB_PACKAGES := libssl-dev zlib1g-dev libsqlite3-dev sqlite3 libpq-dev
# The Postgres tests start a throw-away server of their own (initdb, pg_ctl);
# the editor tests drive `rocky lsp` from Neovim and the VS Code client under
# Node; the HTTPS remote tests serve `rocky http-backend` with nginx + fcgiwrap;
# the Spark tests run Spark's Thrift server (pyspark, requirements-test.txt) on Java 17.
TEST_PACKAGES := postgresql neovim nodejs nginx fcgiwrap openjdk-17-jre-headless
VENV         := build/venv
PYTHON       := $(VENV)/bin/python
JOBS         ?= 2

# Where `make install` puts bin/rocky: /usr/local for root, else ~/.local.
PREFIX ?= $(if $(filter 0,$(shell id -u)),/usr/local,$(HOME)/.local)

# Release builds skip Swift's dynamic exclusivity checks (the code keeps no
# overlapping accesses; Docs/benchmarks.md, "Exclusivity checks", gives what
# it is worth) and carry the build stamp `rocky --version` prints. Both are
# command-line flags, never in Package.swift: SwiftPM refuses unsafe flags in
# a package used as a dependency.
STAMP   := Sources/RockyCLI/Stamp/BuildStamp.swift
RELEASE := -c release -j $(JOBS) -Xswiftc -enforce-exclusivity=unchecked -Xswiftc -DROCKY_STAMPED

.PHONY: all deps venv build release test stress demo demo-pg demo-spark bench dist install stamp clean

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

# Python with the packages of requirements-test.txt (DuckDB for the SQL
# dialect tests and the benchmark comparisons, the integrations' peers:
# Dagster and dagster-rocky, installed from integrations/dagster).
venv: $(VENV)/.ready
$(VENV)/.ready: requirements-test.txt
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q -r requirements-test.txt
	touch $@

build: deps
	$(SWIFT) build -j $(JOBS)

# The git commit (with -dirty for local changes) and the date, rewritten only
# when they change so that an unchanged tree rebuilds nothing.
stamp:
	@mkdir -p $(dir $(STAMP))
	@commit=$$(git rev-parse --short=12 HEAD 2>/dev/null || echo "no git"); \
	git diff --quiet HEAD 2>/dev/null || commit="$$commit-dirty"; \
	printf '// Written by make (the stamp target); see BuildInfo.swift.\n#if ROCKY_STAMPED\nextension RockyCLI {\n    static let build = "%s, %s"\n}\n#endif\n' \
	  "$$commit" "$$(date -u +%Y-%m-%d)" > $(STAMP).new; \
	cmp -s $(STAMP).new $(STAMP) && rm $(STAMP).new || mv $(STAMP).new $(STAMP)

release: deps stamp
	$(SWIFT) build $(RELEASE) --product rocky
	$(SWIFT) build $(RELEASE) --product rocky-bench

# rocky on PATH: $(PREFIX)/bin/rocky (PREFIX=/opt/rocky make install).
install: deps stamp
	$(SWIFT) build $(RELEASE) --product rocky
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 .build/release/rocky $(DESTDIR)$(PREFIX)/bin/rocky
	@echo "installed $(DESTDIR)$(PREFIX)/bin/rocky: $$($(DESTDIR)$(PREFIX)/bin/rocky --version)"
	@case ":$$PATH:" in *":$(PREFIX)/bin:"*) ;; \
	  *) echo "$(PREFIX)/bin is not on PATH: export PATH=\"$(PREFIX)/bin:\$$PATH\"";; esac

test: DEB_PACKAGES += $(TEST_PACKAGES)
test: deps venv
	$(SWIFT) build -j $(JOBS) --build-tests
	ROCKY_PYTHON=$(CURDIR)/$(PYTHON) $(SWIFT) test -j $(JOBS) --skip-build
	ROCKY_BIN=$(CURDIR)/.build/debug/rocky $(PYTHON) -m pytest -q -p no:cacheprovider integrations/dagster/tests

# The crash stress run outside the default suite: every writing command
# SIGKILLed at random points, ROUNDS times (the suite itself runs 25).
ROUNDS ?= 200
stress: deps venv
	$(SWIFT) build -j $(JOBS) --build-tests
	ROCKY_STRESS_ROUNDS=$(ROUNDS) ROCKY_PYTHON=$(CURDIR)/$(PYTHON) $(SWIFT) test -j $(JOBS) --skip-build --filter CrashStressTests

# The whole story in under a minute (Fixtures/demo.sh), then the library
# example of the README (Sources/rocky-example).
demo: build
	ROCKY=$(CURDIR)/.build/debug/rocky bash Fixtures/demo.sh
	.build/debug/rocky-example Fixtures

# The same story with the agent's chain run on PostgreSQL (--engine pg), on a
# throw-away server the script starts and stops (Fixtures/demo-pg.sh).
demo-pg: DEB_PACKAGES += $(TEST_PACKAGES)
demo-pg: build
	ROCKY=$(CURDIR)/.build/debug/rocky bash Fixtures/demo-pg.sh

# The same story with the agent's chain run on Spark (--engine spark), on a
# throw-away Thrift server the script starts and stops (Fixtures/demo-spark.sh;
# Java 17 and pyspark as for the tests).
demo-spark: DEB_PACKAGES += openjdk-17-jre-headless
demo-spark: build venv
	ROCKY=$(CURDIR)/.build/debug/rocky ROCKY_VENV=$(CURDIR)/$(VENV) bash Fixtures/demo-spark.sh

# Every benchmark beside what a user would use instead, in one run; the
# report (Markdown) is also written to build/bench.md. Commands are timed
# with the distributed (static) binary: it starts in ~3 ms, the dynamically
# linked one in ~13 ms, which would dominate the short commands. Peak memory
# comes from GNU time (package time), git is the side-by-side comparison.
bench: DEB_PACKAGES += git time nginx fcgiwrap openjdk-17-jre-headless
bench: release dist venv
	mkdir -p build
	ROCKY=$(CURDIR)/build/dist/rocky ROCKY_PYTHON=$(CURDIR)/$(PYTHON) .build/release/rocky-bench all | tee build/bench.md

# A static binary: the Swift runtime and libcrypto, zlib and sqlite linked in,
# so that ldd shows only the C runtime (libc, libm, the loader). The folder
# build/static-libs holds only .a archives and comes first on the search path,
# so -lcrypto, -lz, -lsqlite3 and the -lstdc++ of the Swift runtime resolve
# to them; libgcc_s (the unwinder) is served by its static twin libgcc_eh.
# libpq (the PostgreSQL engine) stays dynamic: no libpq.a is linked here, and
# Debian's would pull in GSSAPI and LDAP; ldd lists libpq and what it needs.
dist: deps stamp
	mkdir -p build/static-libs
	for lib in libssl libcrypto libz libsqlite3; do \
	  ln -sf /usr/lib/$$(gcc -print-multiarch)/$$lib.a build/static-libs/$$lib.a; done
	ln -sf $$(gcc -print-file-name=libstdc++.a) build/static-libs/libstdc++.a
	ln -sf $$(gcc -print-file-name=libgcc_eh.a) build/static-libs/libgcc_s.a
	$(SWIFT) build $(RELEASE) --product rocky --static-swift-stdlib \
	  --scratch-path .build/dist -Xlinker -L$(CURDIR)/build/static-libs -Xlinker -ldl -Xlinker -lpthread -Xlinker -lm
	mkdir -p build/dist && cp .build/dist/release/rocky build/dist/rocky
	@echo "built build/dist/rocky:"; ldd build/dist/rocky || true

clean:
	rm -rf .build build
