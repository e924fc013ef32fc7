#!/bin/sh
# Prints one hash of every source file the built binaries and plugins come from. `make test`
# stores it next to the binaries after building; the end-to-end tests compare it with the
# sources they see, so a skipped build fails with a clear message instead of testing old code.
cd "$(dirname "$0")/.." || exit 1
find Sources Plugins -type f \( -name '*.swift' -o -name '*.c' -o -name '*.h' -o -name '*.modulemap' -o -name '*.json' -o -name '*.html' -o -name '*.js' -o -name '*.css' \) \
  | LC_ALL=C sort | xargs cat | sha256sum | cut -d' ' -f1
