#!/bin/sh
# make uninstall: removes what install.sh put under DESTDIR/PREFIX; keeps /etc/bmsgate
# (the site file is the user's) and /var/lib/bmsgate (their data) and the user.
#   scripts/uninstall.sh DESTDIR PREFIX
set -eu
DESTDIR=$1 PREFIX=$2
root="$DESTDIR$PREFIX"
if [ -z "$DESTDIR" ] && command -v systemctl >/dev/null; then systemctl disable --now bmsgate 2>/dev/null || true; fi
rm -f "$root/bin/bmsgate" "$root/lib/systemd/system/bmsgate.service"
rm -rf "$root/lib/bmsgate" "$root/share/doc/bmsgate"
echo "removed bmsgate from $root (kept $DESTDIR/etc/bmsgate and /var/lib/bmsgate)"
