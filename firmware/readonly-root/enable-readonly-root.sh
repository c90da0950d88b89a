#!/usr/bin/env bash
# Move Moodspeaker's config and data onto the MOODDATA partition and turn on Raspberry Pi OS's
# overlay (read-only) root.  See README.md beside this file.  --dry-run prints every action;
# --disable turns the overlay off again (for an update), which raspi-config alone cannot (below).
# On a speaker already booted read-only, a run refreshes what it can on the real root beneath the
# overlay (the JIT cache drop-in) and changes nothing else.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../../scripts/provision/lib/common.sh
. "$HERE/../../scripts/provision/lib/common.sh"

LABEL=MOODDATA
DATA=/var/lib/moodspeaker
JIT_CACHE=$DATA/numba-cache # the units' NUMBA_CACHE_DIR (firmware/systemd), pinned by the drop-in
JIT_DROPIN=/etc/systemd/system/moodspeaker.service.d/moodspeaker-readonly.conf # uninstall.sh removes it
LOWER=/media/root-ro # overlayroot's read-only mount of the real root, on a booted overlay
DISABLE=0
for arg in "$@"; do
  case "$arg" in
    --dry-run) MS_DRY_RUN=1 ;;
    --disable) DISABLE=1 ;;
    *) die "unknown option $arg (--dry-run, --disable)" ;;
  esac
done
require_root "$@"

# Every step checks first, so a second run changes nothing: raspi-config's enable_overlayfs (which
# builds an initramfs, minutes on a Pi) runs only while the overlay is off.  Its switch is a word in
# cmdline.txt: overlayroot=tmpfs on bookworm (the overlayroot package), boot=overlay before.
CMDLINE=/boot/firmware/cmdline.txt
[ -f "$CMDLINE" ] || CMDLINE=/boot/cmdline.txt
# The word as raspi-config writes it, and as this script leaves it.  overlayroot's default (recurse=1)
# also lays a RAM overlay over every fstab mount below /, the MOODDATA partition included: the data
# and config would then vanish at each reboot, like the rest.  recurse=0 keeps the overlay to / alone.
word_in() { grep -qE "(^|[[:space:]])$2([[:space:]]|\$)" "$1" 2>/dev/null; } # word_in FILE WORD
RAM_ROOT=overlayroot=tmpfs
OUR_ROOT=overlayroot=tmpfs:recurse=0
# replace_word OLD NEW: in cmdline.txt, whose partition is read-only after raspi-config's enable_bootro.
replace_word() {
  local boot
  boot=$(dirname "$CMDLINE")
  if findmnt -no OPTIONS "$boot" 2>/dev/null | grep -qE '(^|,)ro(,|$)'; then act mount -o remount,rw "$boot"; fi
  act sed -i -E "s/(^|[[:space:]])$1([[:space:]]|\$)/\1$2\2/" "$CMDLINE"
}

# The drop-in pins librosa's numba JIT cache to the data partition.  moodspeaker.service kept it in
# /var/cache/moodspeaker (CacheDirectory=), which is RAM here: every boot compiled the analysis kernels
# again (minutes on a Pi) before the library could be scanned.  The units now name JIT_CACHE
# themselves; the drop-in also covers a unit installed before that, until update.sh replaces it.
jit_dropin() { printf '[Service]\nEnvironment=NUMBA_CACHE_DIR=%s\n' "$JIT_CACHE"; }

# write_dropin ROOT: the drop-in under ROOT ("" for this root), written only when it differs.  ROOT
# read-only (the real root beneath a booted overlay) is made writable just for the write.
write_dropin() {
  local dest=$1$JIT_DROPIN was_ro=0
  if [ -f "$dest" ] && jit_dropin | cmp -s - "$dest" && [ "$(stat -c '%a %U:%G' "$dest")" = "644 root:root" ]; then
    ok "$dest"
    return 0
  fi
  if [ -n "$1" ] && findmnt -no OPTIONS "$1" | grep -qE '(^|,)ro(,|$)'; then
    was_ro=1
    act mount -o remount,rw "$1"
    if [ "$MS_DRY_RUN" != 1 ]; then trap 'mount -o remount,ro "$LOWER"' EXIT; fi # also when the write fails
  fi
  act_write "$dest" 644 root:root < <(jit_dropin) || true # not piped: a subshell lost MS_CHANGES
  if [ "$was_ro" = 1 ]; then
    act mount -o remount,ro "$1"
    trap - EXIT
  fi
}

if [ "$DISABLE" = 1 ]; then
  step "Overlay root off"
  if ! overlay_root_in "$CMDLINE"; then
    ok "no overlay root in $CMDLINE"
  else
    command -v raspi-config >/dev/null || die "raspi-config not found: this needs Raspberry Pi OS"
    # raspi-config's disable_overlayfs removes only its own word (a literal "overlayroot=tmpfs "): hand
    # it back that word first, or it reports success and changes nothing.
    if word_in "$CMDLINE" "$OUR_ROOT"; then replace_word "$OUR_ROOT" "$RAM_ROOT"; fi
    act raspi-config nonint disable_overlayfs
  fi
  say "Reboot to run read-write; run this script without --disable to turn the overlay on again."
  exit 0
fi

if overlay_root_in /proc/cmdline; then
  # Running on the overlay: whatever this wrote through it would be gone at the next boot.
  word_in /proc/cmdline "$RAM_ROOT" &&
    die "the overlay covers the data partition too (no recurse=0; lost at reboot): run this with --disable, reboot, run it again"
  grep -q "LABEL=$LABEL" /etc/fstab ||
    die "the root is an overlay now (changes are lost at reboot): run this with --disable, reboot, run it again"
  # Set up before the drop-in existed: it goes on the real root, as overlayroot-chroot would write it.
  step "JIT cache on the data partition (drop-in on the real root, $LOWER)"
  if mountpoint -q "$LOWER"; then
    write_dropin "$LOWER"
  elif [ -f "$JIT_DROPIN" ] && jit_dropin | cmp -s - "$JIT_DROPIN"; then
    ok "$JIT_DROPIN"
  else
    die "the real root is not mounted at $LOWER (an overlay other than overlayroot's): run this with --disable, reboot, run it again"
  fi
  if [ "$MS_CHANGES" = 0 ]; then
    say "The root is read-only already (overlay): nothing to do."
  else
    say "Done: the service uses $JIT_CACHE from the next boot on ($MS_CHANGES action(s))."
  fi
  exit 0
fi
overlay_root_in "$CMDLINE" || command -v raspi-config >/dev/null ||
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
act_write /etc/systemd/journald.conf.d/moodspeaker-volatile.conf 644 root:root \
  < <(printf '[Journal]\nStorage=volatile\nRuntimeMaxUse=16M\n') || true

step "JIT cache on the data partition"
write_dropin ""

step "Overlay root"
enabled=0
if overlay_root_in "$CMDLINE"; then
  ok "overlay root enabled in $CMDLINE"
else
  act raspi-config nonint enable_overlayfs
  enabled=1
fi
# Under --dry-run raspi-config did not write its word: show what would follow it.
if word_in "$CMDLINE" "$RAM_ROOT" || { [ "$MS_DRY_RUN" = 1 ] && [ "$enabled" = 1 ]; }; then
  replace_word "$RAM_ROOT" "$OUR_ROOT"
else
  ok "the overlay leaves the data partition alone (no $RAM_ROOT without recurse=0)"
fi
if [ "$MS_CHANGES" = 0 ]; then
  say "Nothing to change: the root is read-only from the next boot on."
else
  say "Done: reboot to run read-only ($MS_CHANGES action(s))."
fi
