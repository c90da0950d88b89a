#!/usr/bin/env bash
# in_chroot.sh ROOT SRC WHEELS CMD...: run CMD inside the Debian root folder ROOT, in private
# mount and UTS namespaces, so the host is never changed: the mounts (proc, dev, an empty /run,
# the checkout read-only at /srv/moodspeaker-src, the wheelhouse at /srv/wheels) vanish with the
# namespace, and a host name set inside stays inside.  /run is empty, as in an image build, so
# the installer sees that systemd is not running there.
set -euo pipefail
[ $# -ge 4 ] || {
  echo "usage: $0 ROOT SRC WHEELS CMD..." >&2
  exit 2
}
# shellcheck disable=SC2016 # the inner script expands its own positional parameters
exec unshare --mount --uts --fork --propagation private bash -euo pipefail -c '
  root=$1 src=$2 wheels=$3
  shift 3
  mount -t proc proc "$root/proc"
  mount --rbind /dev "$root/dev"
  mount -t tmpfs tmpfs "$root/run"
  mkdir -p "$root/srv/moodspeaker-src" "$root/srv/wheels"
  mount --bind "$src" "$root/srv/moodspeaker-src"
  mount -o remount,bind,ro "$root/srv/moodspeaker-src"
  mount --bind "$wheels" "$root/srv/wheels"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  exec chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 TERM=dumb "$@"
' in_chroot "$@"
