# SPDX-License-Identifier: MIT
# Thin wrapper: installs missing Debian packages, then drives CMake. The build is CMake's.
#   make demo   set up, build, classify testdata/ and print the table + accuracy
#   make test   set up, build, run the whole suite (plus an ASan+UBSan build of it) via ctest
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=

# Everything the build, the tests and the corpus tools need, by Debian package name.
APT_PACKAGES = cmake make gcc pkg-config clang libclang-rt-14-dev \
  libfftw3-dev libspeexdsp-dev check libsubunit-dev libsndfile1-dev \
  libmicrohttpd-dev libcurl4-openssl-dev libsqlite3-dev libpq-dev postgresql haproxy libjansson-dev \
  python3 python3-twilio python3-numpy espeak-ng libespeak-ng-dev sox libsox-fmt-all \
  festival festvox-ca-ona-hts festvox-suopuhe-lj festvox-suopuhe-mv festvox-hi-nsk \
  festvox-mr-nsk festvox-te-nsk \
  asterisk-core-sounds-en-wav libspandsp-dev libtiff-dev \
  libre-dev librem-dev baresip-core sip-tester iproute2 wrk curl abigail-tools \
  chromium chromium-driver python3-selenium

.PHONY: all setup build demo test asan fuzz clean

all: build

setup:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make setup: installing missing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	else echo "make setup: all required Debian packages are present"; fi

build: setup
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	@echo
	$(BUILD)/cli/amd classify --format table --manifest testdata/manifest.csv

asan: setup
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DAMD_SANITIZE="address;undefined" \
	  -DAMD_BUILD_BENCH=OFF $(CMAKE_ARGS) >/dev/null
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j $(JOBS) -L unit

test: build asan
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# libFuzzer harnesses (tests/fuzz/), built with clang + ASan/UBSan, each run FUZZ_SECONDS.
FUZZ_SECONDS ?= 30
fuzz: setup
	cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DAMD_BUILD_FUZZ=ON -DAMD_BUILD_TESTS=OFF \
	  -DAMD_BUILD_BENCH=OFF -DAMD_BUILD_CLI=OFF >/dev/null
	cmake --build build-fuzz -j $(JOBS)
	FUZZ_SECONDS=$(FUZZ_SECONDS) cmake --build build-fuzz --target fuzz-run

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz
