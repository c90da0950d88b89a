#!/usr/bin/env bash
# Move Moodspeaker's config and data onto the MOODDATA partition and turn on Raspberry Pi OS's
# overlay (read-only) root.  See README.md beside this file.  --dry-run prints every action.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../../scripts/provision/lib/common.sh
. "$HERE/../../scripts/provision/lib/common.sh"

LABEL=MOODDATA
DATA=/var/lib/moodspeaker
for arg in "$@"; do
  case "$arg" in
    --dry-run) MS_DRY_RUN=1 ;;
    *) die "unknown option $arg (only --dry-run)" ;;
  esac
done
require_root "$@"

# Every step checks first, so a second run changes nothing: raspi-config's enable_overlayfs (which
# builds an initramfs, minutes on a Pi) runs only while the overlay is off.  Its switch is a word in
# cmdline.txt: overlayroot=tmpfs on bookworm (the overlayroot package), boot=overlay before.
CMDLINE=/boot/firmware/cmdline.txt
[ -f "$CMDLINE" ] || CMDLINE=/boot/cmdline.txt
overlay_in() { grep -qE '(^|[[:space:]])(overlayroot=tmpfs[^[:space:]]*|boot=overlay)([[:space:]]|$)' "$1" 2>/dev/null; }

if overlay_in /proc/cmdline; then
  # Running on the overlay: whatever this wrote would be gone at the next boot.
  if grep -q "LABEL=$LABEL" /etc/fstab; then
    say "The root is read-only already (overlay): nothing to do."
    exit 0
  fi
  die "the root is an overlay now (changes are lost at reboot): sudo raspi-config nonint disable_overlayfs, reboot, run this again"
fi
overlay_in "$CMDLINE" || command -v raspi-config >/dev/null ||
  die "raspi-config not found: this needs Raspberry Pi OS"

step "Data partition"
if grep -q "LABEL=$LABEL" /etc/fstab; then
  ok "/etc/fstab mounts $LABEL"
else
  device=$(blkid -L "$LABEL" || true)
  [ -n "$device" ] || die "no partition labelled $LABEL (sudo mkfs.ext4 -L $LABEL /dev/sdX1)"
  say "  $LABEL is $device"
  # Copy a still database, not one the service is writing (SQLite WAL): stopped until the reboot.
  for unit in moodspeaker.service moodspeaker-library.service; do
    if systemctl is-active --quiet "$unit"; then act systemctl stop "$unit"; fi
  done
  tmp=/mnt/moodspeaker-data
  act mkdir -p "$tmp"
  act mount "$device" "$tmp"
  act cp -a "$DATA/." "$tmp/"
  act mkdir -p "$tmp/etc"
  act cp -a /etc/moodspeaker/. "$tmp/etc/"
  act umount "$tmp"
  # nofail: a missing stick must not stop the boot in emergency mode (no network, no ssh on a
  # headless speaker).  moodspeaker.service then does not start instead: its StateDirectory= and
  # WorkingDirectory= make it require the mount (RequiresMountsFor), so it never writes to RAM.
  act sh -c "printf '%s\n' 'LABEL=$LABEL $DATA ext4 defaults,noatime,commit=30,nofail,x-systemd.device-timeout=15s 0 2' >> /etc/fstab"
  act sh -c "printf '%s\n' '$DATA/etc /etc/moodspeaker none bind,nofail,x-systemd.requires-mounts-for=$DATA 0 0' >> /etc/fstab"
fi

step "Journal in RAM"
printf '[Journal]\nStorage=volatile\nRuntimeMaxUse=16M\n' |
  act_write /etc/systemd/journald.conf.d/moodspeaker-volatile.conf 644 root:root || true

step "Overlay root"
if overlay_in "$CMDLINE"; then
  ok "overlay root enabled in $CMDLINE"
else
  act raspi-config nonint enable_overlayfs
fi
if [ "$MS_CHANGES" = 0 ]; then
  say "Nothing to change: the root is read-only from the next boot on."
else
  say "Done: reboot to run read-only ($MS_CHANGES action(s))."
fi
