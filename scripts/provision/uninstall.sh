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
# Booted with the read-only root's overlay (firmware/readonly-root), every change to the root goes to
# RAM and is back at the next boot: the fstab lines, the program, the units, the service user.  Not the
# MOODDATA partition beneath /var/lib/moodspeaker, which the overlay leaves alone: --purge emptied it
# for good, and the speaker came back with its program and an empty data partition.  Refused up front.
if [ "$MS_PURGE" = 1 ] && overlay_root_in /proc/cmdline; then
  die "the root is a read-only overlay now: --purge would empty the MOODDATA partition for good while" \
    "what it removes from the root (its fstab lines, the program, the service user) comes back at the next" \
    "boot. Run firmware/readonly-root/enable-readonly-root.sh --disable, reboot, then run this again."
fi

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
# firmware/readonly-root's JIT cache on the data partition (the folder only when nothing else is in it).
dropins=/etc/systemd/system/moodspeaker.service.d
remove "$dropins/moodspeaker-readonly.conf"
if [ -d "$dropins" ] && [ -z "$(ls -A "$dropins")" ]; then act rmdir "$dropins"; fi
# A flashed image's first-boot setup (firmware/image): left enabled, it ran again at the next boot
# once --purge had deleted its done-flag, and failed there with the service user gone.  Its done-flag
# (root's, outside the data folder) goes with it.
remove /usr/local/sbin/moodspeaker-firstboot /usr/local/sbin/moodspeaker-issue /etc/issue.d/moodspeaker.issue \
  /var/lib/moodspeaker-firstboot-done
if systemd_running; then act systemctl daemon-reload; fi

step "Program"
remove /usr/local/bin/moodspeaker "$MS_PREFIX"

# With firmware/readonly-root the config and data folders are mount points (the MOODDATA partition
# and a bind mount from it): rm -rf empties them, then fails on the mount point itself (busy), which
# under set -e stopped --purge halfway, and its fstab lines would mount the partition again at boot.
# So: empty each mount (the partition's own lost+found stays), unmount it, drop the two fstab lines
# enable-readonly-root.sh added, and only then remove the folders (with the root's copy beneath).
MS_FSTAB_DATA="^LABEL=MOODDATA[[:space:]]+${MS_DATA}[[:space:]]"
MS_FSTAB_ETC="^$MS_DATA/etc[[:space:]]+${MS_ETC}[[:space:]]"
purge_mounts() {
  local path emptied=0
  for path in "$MS_ETC" "$MS_DATA"; do # the bind mount first: it lives on the partition
    if mountpoint -q "$path" 2>/dev/null; then
      act find "$path" -mindepth 1 -maxdepth 1 ! -name lost+found -exec rm -rf {} +
      act umount "$path"
      [ "$path" != "$MS_DATA" ] || emptied=1
    fi
  done
  if grep -qE "$MS_FSTAB_DATA|$MS_FSTAB_ETC" /etc/fstab 2>/dev/null; then
    if [ "$emptied" = 0 ] && grep -qE "$MS_FSTAB_DATA" /etc/fstab; then
      say "  the MOODDATA partition is not mounted: what it holds stays on it"
    fi
    act sed -i -E "\#$MS_FSTAB_DATA#d; \#$MS_FSTAB_ETC#d" /etc/fstab
    if systemd_running; then act systemctl daemon-reload; fi # its fstab generator made mount units
  fi
}

if [ "$MS_PURGE" = 1 ]; then
  step "Config, data and the service user (--purge)"
  purge_mounts
  remove "$MS_ETC" "$MS_DATA" /var/cache/moodspeaker /var/log/moodspeaker
  if getent passwd "$MS_USER" >/dev/null; then act userdel "$MS_USER"; else ok "user $MS_USER already gone"; fi
else
  step "Kept"
  ok "config $MS_ETC and data $MS_DATA (delete them with --purge)"
fi
say ""
say "Left in place: the host name, the Coral apt source (/etc/apt/sources.list.d/coral-edgetpu.list) and"
say "the system packages: ${APT_BASE[*]} ${APT_FFMPEG[*]} (and on a Pi: ${APT_PI[*]})."
# The installer's cgroup_enable=memory (lib/steps.sh) stays: nothing records whether it added the word
# or found it there (Docker, k3s and others ask for it too), and other services' memory limits need it;
# without Moodspeaker it costs nothing.  Removing it would also need a reboot.
if cmdline=$(boot_cmdline) && cmdline_has_memory "$cmdline"; then
  say "And $CGROUP_WORD in $cmdline (the memory cgroup, which other programs' memory limits use too:"
  say "remove it by hand and reboot if nothing else needs it)."
fi
if grep -q "LABEL=MOODDATA" /etc/fstab 2>/dev/null; then
  say "And the read-only root (firmware/readonly-root): its MOODDATA lines in /etc/fstab and the overlay"
  say "(firmware/readonly-root/enable-readonly-root.sh --disable; while the overlay is active, what this"
  say "run removed comes back at the next boot)."
elif overlay_root_in /boot/firmware/cmdline.txt /boot/cmdline.txt; then
  say "And the read-only root's overlay (firmware/readonly-root/enable-readonly-root.sh --disable; while"
  say "it is active, what this run removed comes back at the next boot)."
fi
say "Moodspeaker removed: $MS_CHANGES change(s)."
