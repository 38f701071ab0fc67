# faultline -- the two commands a new machine needs: `make demo` and `make test`.
# Everything else is CMake underneath; this file installs what is missing, builds and
# runs.  Build trees: build/ (normal), build-asan/ (AddressSanitizer + UBSan),
# build-release/ (CMake Release, for make bench).

DEB_PACKAGES := cmake gcc make pkg-config libevent-dev libsqlite3-dev libcjson-dev check sqlite3 libraft-dev \
                procps diffutils
# issue 13 (script, diff): the CLI tests of `faultline script` and `diff` read JSON with jq.
SCRIPT_DEB_PACKAGES := jq
# `make fuzz` only: clang and the compiler-rt runtimes that hold libFuzzer and the sanitizers.
FUZZ_DEB_PACKAGES := clang-14 libclang-rt-14-dev
FUZZ_CC ?= clang-14
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
MAKEFLAGS += --no-print-directory
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=
ifdef CI
CMAKE_FLAGS += -DFL_WERROR=ON
endif

.PHONY: all build deps fuzz-deps script-deps demo test test-fast test-asan bench soak fuzz clean format install

all: build

# Install the missing Debian packages of $(1): with apt-get as root, otherwise say exactly
# what to run.
define install_debs
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" \
	    || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else \
	    echo "faultline needs these Debian packages; run:"; \
	    echo "  sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi
endef

deps:
	$(call install_debs,$(DEB_PACKAGES))

fuzz-deps:
	$(call install_debs,$(FUZZ_DEB_PACKAGES))

# issue 13 (script, diff)
script-deps:
	$(call install_debs,$(SCRIPT_DEB_PACKAGES))

build: deps
	@cmake -S . -B build $(CMAKE_FLAGS) >/dev/null
	@cmake --build build -j $(JOBS)

build-asan/.configured: deps
	@cmake -S . -B build-asan -DFL_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug $(CMAKE_FLAGS) >/dev/null
	@touch $@

demo: build
	@bash sim/demo.sh build/faultline

# Every test, normally and under the sanitizers.
test: build build-asan/.configured script-deps
	@cmake --build build-asan -j $(JOBS)
	cd build && ctest --output-on-failure -j $(JOBS)
	@cat build/canonical-raft-skipped.txt 2>/dev/null || true
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 FL_SANITIZED=1 ctest --output-on-failure -j $(JOBS)
	@cat build-asan/canonical-raft-skipped.txt 2>/dev/null || true

test-fast: build script-deps
	cd build && ctest --output-on-failure -j $(JOBS)
	@cat build/canonical-raft-skipped.txt 2>/dev/null || true

build-release/.configured: deps
	@cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null
	@touch $@

# Every benchmark in build/, and bench_evq in a Release (-O3) tree too.
bench: build build-release/.configured
	@cmake --build build-release -j $(JOBS) --target bench_evq
	@bash tests/bench/run.sh build build-release

soak: build
	@bash tests/soak.sh build

# libFuzzer runs (docs/fuzzing.md): build-fuzz/ is a clang tree with -DFL_FUZZ=ON; each target
# runs FUZZ_SECONDS on a scratch copy of its corpus, two at a time.  FUZZ_TARGETS="set" picks.
fuzz: deps fuzz-deps
	@cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=$(FUZZ_CC) -DFL_FUZZ=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build build-fuzz -j $(JOBS) --target fuzz_all
	@bash tests/fuzz/run.sh build-fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# make install PREFIX=$$HOME/.local: the faultline binary, core/faultline.h and a
# relocatable faultline.pc (docs/writing-a-protocol.md).  FL_BUILD: the tree to install.
PREFIX ?= /usr/local
FL_BUILD ?= build
install: build
	cmake --install $(FL_BUILD) --prefix "$(PREFIX)"

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-asan build-fuzz build-release
