# bmsgate: `make run` and `make test` do all the set-up on a fresh Debian 12 machine.
# The toolchain as installed on these machines; a swift already on PATH wins.
export PATH := $(PATH):/opt/swift/usr/bin
SWIFT ?= swift
CONFIG ?= config.yaml
BUILD_FLAGS ?=
BIN_DIR = $(shell $(SWIFT) build $(BUILD_FLAGS) --show-bin-path 2>/dev/null)
# System packages the build and the tests need (apt names).
APT_PACKAGES = libyaml-dev libmodbus-dev libbluetooth-dev pkg-config gcc

.PHONY: all deps build run test clean check-config

all: build

# Installs what is missing (root or sudo); a no-op when everything is there.
deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi
	@command -v $(SWIFT) >/dev/null || { echo "Swift 6 toolchain not found: install it from swift.org and put it on PATH"; exit 1; }

build: deps
	$(SWIFT) build $(BUILD_FLAGS)

run: build
	@mkdir -p data
	$(BIN_DIR)/bmsgate run --config $(CONFIG)

check-config: build
	$(BIN_DIR)/bmsgate check $(CONFIG)

# Builds everything first (the end-to-end tests run the built bmsgate and its plugins).
test: build
	$(SWIFT) build $(BUILD_FLAGS) --build-tests
	BMSGATE_BIN_DIR=$(BIN_DIR) $(SWIFT) test $(BUILD_FLAGS) --skip-build

clean:
	rm -rf .build
