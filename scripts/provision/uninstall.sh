#!/usr/bin/env bash
# Remove Moodspeaker from this machine.  Keeps the config (/etc/moodspeaker) and the data
# (/var/lib/moodspeaker: library index, feedback, profiles) unless --purge, so a reinstall
# picks up where it left off.  System packages stay (other programs may use them); the list
# of what the installer added is printed for removal by hand.  Idempotent, with --dry-run.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/common.sh
. "$HERE/lib/common.sh"
# shellcheck source=lib/defaults.sh
. "$HERE/lib/defaults.sh"
# shellcheck source=lib/steps.sh
. "$HERE/lib/steps.sh"

MS_PURGE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) MS_DRY_RUN=1 ;;
    --purge) MS_PURGE=1 ;;
    -h | --help)
      say "Usage: sudo scripts/provision/uninstall.sh [--dry-run] [--purge]"
      say "  --purge   also delete the config, the data (library index, feedback) and the service user"
      exit 0
      ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done
require_root "$@"

remove() {
  local path
  for path in "$@"; do
    if [ -e "$path" ] || [ -L "$path" ]; then act rm -rf "$path"; else ok "$path already gone"; fi
  done
}

step "Services"
for unit in $MS_UNITS; do
  if systemd_running && systemctl is-active --quiet "$unit"; then act systemctl stop "$unit"; fi
  if [ "$(systemctl is-enabled "$unit" 2>/dev/null)" = enabled ]; then
    act systemctl disable "$unit"
  else
    ok "$unit not enabled"
  fi
  remove "/etc/systemd/system/$unit"
done
# moodspeaker-volatile.conf: firmware/readonly-root's journal in RAM.
remove /etc/systemd/journald.conf.d/moodspeaker.conf /etc/systemd/journald.conf.d/moodspeaker-volatile.conf \
  /etc/udev/rules.d/99-moodspeaker-coral.rules /etc/logrotate.d/moodspeaker
# A flashed image's first-boot setup (firmware/image): left enabled, it ran again at the next boot
# once --purge had deleted its done-flag, and failed there with the service user gone.
remove /usr/local/sbin/moodspeaker-firstboot /etc/issue.d/moodspeaker.issue
if systemd_running; then act systemctl daemon-reload; fi

step "Program"
remove /usr/local/bin/moodspeaker "$MS_PREFIX"

if [ "$MS_PURGE" = 1 ]; then
  step "Config, data and the service user (--purge)"
  remove "$MS_ETC" "$MS_DATA" /var/cache/moodspeaker /var/log/moodspeaker
  if getent passwd "$MS_USER" >/dev/null; then act userdel "$MS_USER"; else ok "user $MS_USER already gone"; fi
else
  step "Kept"
  ok "config $MS_ETC and data $MS_DATA (delete them with --purge)"
fi
say ""
say "Left in place: the host name, the Coral apt source (/etc/apt/sources.list.d/coral-edgetpu.list) and"
say "the system packages: ${APT_BASE[*]} ${APT_FFMPEG[*]} (and on a Pi: ${APT_PI[*]})."
if grep -q "LABEL=MOODDATA" /etc/fstab 2>/dev/null; then
  say "And the read-only root (firmware/readonly-root): its MOODDATA lines in /etc/fstab and the overlay"
  say "(firmware/readonly-root/enable-readonly-root.sh --disable; while the overlay is active, what this"
  say "run removed comes back at the next boot)."
fi
say "Moodspeaker removed: $MS_CHANGES change(s)."
