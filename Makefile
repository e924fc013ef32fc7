# bmsgate: `make run` and `make test` do all the set-up on a fresh Debian 12 machine.
# The toolchain as installed on these machines; a swift already on PATH wins.
export PATH := $(PATH):/opt/swift/usr/bin
SWIFT ?= swift
CONFIG ?= config.yaml
BUILD_FLAGS ?=
BIN_DIR = $(shell $(SWIFT) build $(BUILD_FLAGS) --show-bin-path 2>/dev/null)
# System packages the build and the tests need (apt names).
APT_PACKAGES = libyaml-dev libmodbus-dev libmosquitto-dev libbluetooth-dev pkg-config gcc
# What the tests' real peers need: Modbus clients (mbpoll; pysunspec2 from PyPI in a venv),
# an MQTT broker and its clients (mosquitto, mosquitto_sub/pub/passwd), openssl for TLS certificates,
# socat for linked pseudo-terminals (an SLCAN adapter's two ends; python-can from PyPI on the other).
TEST_APT_PACKAGES = mbpoll python3 python3-venv mosquitto mosquitto-clients openssl socat curl chromium chromium-driver systemd
PYENV = .build/pyenv
PY_PACKAGES = pysunspec2==1.3.7 prometheus-client==0.21.1 PyYAML==6.0.2 pymodbus==3.6.9 python-can==4.4.2 pyserial==3.5 python-pylontech==0.3.3 construct==2.10.70 selenium==4.27.1

.PHONY: all deps test-deps apt-install build run test fuzz test-tsan bench clean check-config install uninstall

all: build

# Installs what is missing (root or sudo); a no-op when everything is there.
deps:
	@$(MAKE) --no-print-directory apt-install PACKAGES="$(APT_PACKAGES)"
	@command -v $(SWIFT) >/dev/null || { echo "Swift 6 toolchain not found: install it from swift.org and put it on PATH"; exit 1; }

# The tests' peers: Debian packages, then a Python venv with pinned PyPI packages.
test-deps: deps
	@$(MAKE) --no-print-directory apt-install PACKAGES="$(TEST_APT_PACKAGES)"
	@if [ ! -f $(PYENV)/.installed ] || [ "$$(cat $(PYENV)/.installed)" != "$(PY_PACKAGES)" ]; then \
	  echo "python venv $(PYENV): $(PY_PACKAGES)"; \
	  /usr/bin/python3 -m venv $(PYENV) && $(PYENV)/bin/pip install -q --disable-pip-version-check $(PY_PACKAGES) \
	  && echo "$(PY_PACKAGES)" > $(PYENV)/.installed; \
	fi

apt-install:
	@missing=""; for p in $(PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build $(BUILD_FLAGS)

run: build
	@mkdir -p data
	$(BIN_DIR)/bmsgate run --config $(CONFIG)

check-config: build
	$(BIN_DIR)/bmsgate check $(CONFIG)

# Builds everything first (the end-to-end tests run the built bmsgate and its plugins).
test: build test-deps
	$(SWIFT) build $(BUILD_FLAGS) --build-tests
	sh scripts/source-stamp.sh > $(BIN_DIR)/source-stamp
	BMSGATE_BIN_DIR=$(BIN_DIR) BMSGATE_PYTHON=$(abspath $(PYENV))/bin/python3 $(SWIFT) test $(BUILD_FLAGS) --skip-build

# The fuzz targets (frame decoders, site file, Modbus and HTTP requests) for a minute each
# instead of make test's second; BMSGATE_FUZZ_SEED=0x... replays a printed seed.
FUZZ_SECONDS ?= 60
fuzz: build test-deps
	$(SWIFT) build $(BUILD_FLAGS) --build-tests
	sh scripts/source-stamp.sh > $(BIN_DIR)/source-stamp
	BMSGATE_FUZZ_SECONDS=$(FUZZ_SECONDS) BMSGATE_BIN_DIR=$(BIN_DIR) $(SWIFT) test $(BUILD_FLAGS) --skip-build --filter '[Ff]uzz'

# Every test once under ThreadSanitizer, in its own build folder (the gateways the end-to-end
# tests start are instrumented too), one test at a time (the sanitizer is slow). Reports of
# every process land in $(TSAN_DIR)/reports; a data race or any other ThreadSanitizer warning
# fails the target. (Children that crash on purpose, a plugin that aborts while loading, also
# leave a report: those are errors, not warnings, and are listed.) Executables export their
# symbols so the instrumented plugins find the sanitizer runtime when they are loaded.
TSAN_DIR = .build/tsan
TSAN_FLAGS = --scratch-path $(TSAN_DIR) --sanitize=thread -Xlinker --export-dynamic
test-tsan: deps test-deps
	$(SWIFT) build $(TSAN_FLAGS) --build-tests
	sh scripts/source-stamp.sh > $$($(SWIFT) build $(TSAN_FLAGS) --show-bin-path)/source-stamp
	rm -rf $(TSAN_DIR)/reports && mkdir -p $(TSAN_DIR)/reports
	TSAN_OPTIONS="halt_on_error=0 log_path=$(abspath $(TSAN_DIR))/reports/tsan" BMSGATE_SANITIZER=thread \
	  BMSGATE_BIN_DIR=$$($(SWIFT) build $(TSAN_FLAGS) --show-bin-path) BMSGATE_PYTHON=$(abspath $(PYENV))/bin/python3 \
	  $(SWIFT) test $(TSAN_FLAGS) --skip-build --no-parallel; status=$$?; \
	  warnings=$$(grep -l "WARNING: ThreadSanitizer" $(TSAN_DIR)/reports/* 2>/dev/null | wc -l); \
	  echo "ThreadSanitizer: $$warnings report(s) with warnings (races) in $(TSAN_DIR)/reports"; \
	  grep -h "WARNING: ThreadSanitizer\|ERROR: ThreadSanitizer\|CHECK failed" $(TSAN_DIR)/reports/* 2>/dev/null | sort | uniq -c; \
	  [ $$status -eq 0 ] && [ $$warnings -eq 0 ]

# Benchmarks (release build): Modbus-TCP throughput/latency against a bare libmodbus loop.
bench: test-deps
	$(SWIFT) build -c release
	$$($(SWIFT) build -c release --show-bin-path)/bmsgate-bench-modbus
	$$($(SWIFT) build -c release --show-bin-path)/bmsgate-bench-site
	$$($(SWIFT) build -c release --show-bin-path)/bmsgate-plant --json .build/plant.json

# Install as a service (release build): PREFIX/bin, PREFIX/lib/bmsgate/{drivers,swift}, the
# systemd unit in PREFIX/lib/systemd/system, /etc/bmsgate/config.yaml when there is none.
# DESTDIR=/tmp/root installs into a tree instead (no user is created).
PREFIX ?= /usr/local
install: deps
	$(SWIFT) build -c release
	sh scripts/install.sh "$(DESTDIR)" "$(PREFIX)" "$$($(SWIFT) build -c release --show-bin-path)"

uninstall:
	sh scripts/uninstall.sh "$(DESTDIR)" "$(PREFIX)"

clean:
	rm -rf .build
