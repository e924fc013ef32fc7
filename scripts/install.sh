#!/bin/sh
# make install: puts the built gateway, its plugins (with their resources), the Swift
# runtime libraries it was linked against, a sample site file (never over an existing one)
# and the systemd unit under DESTDIR/PREFIX; creates the bmsgate user when installing for
# real (no DESTDIR, as root).
#   scripts/install.sh DESTDIR PREFIX BIN_DIR
set -eu
DESTDIR=$1 PREFIX=$2 BIN=$3
[ -x "$BIN/bmsgate" ] || { echo "no bmsgate in $BIN: build first" >&2; exit 1; }
root="$DESTDIR$PREFIX"
install -d "$root/bin" "$root/lib/bmsgate/drivers" "$root/lib/bmsgate/swift" "$root/lib/systemd/system" \
  "$root/share/doc/bmsgate" "$DESTDIR/etc/bmsgate"
install -m 0755 "$BIN/bmsgate" "$root/bin/bmsgate"
for so in "$BIN"/libbmsdriver-*.so; do
  case "$so" in *example*) continue ;; esac
  install -m 0644 "$so" "$root/lib/bmsgate/drivers/"
done
for res in "$BIN"/*.resources; do
  [ -d "$res" ] || continue
  rm -rf "$root/lib/bmsgate/drivers/$(basename "$res")"
  cp -R "$res" "$root/lib/bmsgate/drivers/"
done
# The Swift runtime the binary and the plugins were linked against (the toolchain's).
ldd "$BIN/bmsgate" "$BIN"/libbmsdriver-*.so 2>/dev/null | awk '/=> \// && /swift|Foundation|dispatch|BlocksRuntime|icu/ {print $3}' \
  | sort -u | while read -r lib; do install -m 0644 "$lib" "$root/lib/bmsgate/swift/"; done
sed "s|@PREFIX@|$PREFIX|g" dist/bmsgate.service.in > "$root/lib/systemd/system/bmsgate.service"
chmod 0644 "$root/lib/systemd/system/bmsgate.service"
install -m 0644 README.md "$root/share/doc/bmsgate/README.md"
install -m 0644 docs/drivers.md "$root/share/doc/bmsgate/drivers.md"
if [ ! -e "$DESTDIR/etc/bmsgate/config.yaml" ]; then
  install -m 0640 config.yaml "$DESTDIR/etc/bmsgate/config.yaml"
  echo "installed the demo site (simulated) as $DESTDIR/etc/bmsgate/config.yaml: edit it for your hardware"
else
  echo "kept $DESTDIR/etc/bmsgate/config.yaml"
fi
if [ -z "$DESTDIR" ] && [ "$(id -u)" -eq 0 ]; then
  getent passwd bmsgate >/dev/null || useradd --system --home-dir /var/lib/bmsgate --shell /usr/sbin/nologin --user-group bmsgate
  for g in dialout i2c bluetooth; do getent group "$g" >/dev/null && usermod -a -G "$g" bmsgate; done
  chgrp bmsgate /etc/bmsgate/config.yaml
  command -v systemctl >/dev/null && systemctl daemon-reload 2>/dev/null || true
  echo "installed; start with: systemctl enable --now bmsgate (logs: journalctl -u bmsgate)"
fi
