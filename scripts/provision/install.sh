#!/usr/bin/env bash
# Turn a Raspberry Pi OS (bookworm, 64-bit) machine into a Moodspeaker, or bring one up to date
# with this checkout.  Idempotent: every step checks first and changes only what differs, so a
# second run changes nothing.  --dry-run prints every action without changing the machine.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/common.sh
. "$HERE/lib/common.sh"
# shellcheck source=lib/defaults.sh
. "$HERE/lib/defaults.sh"
# shellcheck source=lib/release.sh
. "$HERE/lib/release.sh"
# shellcheck source=lib/steps.sh
. "$HERE/lib/steps.sh"

usage() {
  cat <<'USAGE'
Usage: sudo scripts/provision/install.sh [options]

  --dry-run            print every action, change nothing
  --coral std|max      also install Coral's Edge TPU runtime from Coral's apt repository
                       (max = full clock: faster, and hot enough to burn; see the warning)
  --no-pi              skip the Raspberry Pi-only packages (picamera2, libcamera, gpiozero)
                       and the `pi` extra: for other Debian machines, chroots and CI
  --no-ffmpeg          do not install ffmpeg (only needed to analyse m4a/aac files)
  --hostname NAME      host name announced over mDNS as NAME.local (default: moodspeaker)
  --keep-hostname      leave the host name alone
  --extras LIST        Python extras to install (default: coral,all; picamera2 and gpiozero come
                       from apt, never from pip: see lib/release.sh)
  --wheelhouse DIR     install Python packages from DIR only (offline image builds)
  --no-doctor          skip the closing self-check
  --strict             fail when the closing self-check finds a problem
  --no-start           install and enable the service but do not start it now
  -h, --help           this text
USAGE
}

MS_PI=1
MS_CORAL=none
MS_FFMPEG=1
MS_HOSTNAME=moodspeaker
MS_EXTRAS=""
MS_WHEELHOUSE=""
MS_DOCTOR=1
MS_STRICT=0
MS_START=1
MS_ENABLE_UNITS="moodspeaker.service"

while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) MS_DRY_RUN=1 ;;
    --coral)
      [ $# -ge 2 ] || die "--coral needs std or max"
      MS_CORAL=$2
      shift
      ;;
    --coral=*) MS_CORAL=${1#--coral=} ;;
    --no-pi) MS_PI=0 ;;
    --no-ffmpeg) MS_FFMPEG=0 ;;
    --hostname)
      [ $# -ge 2 ] || die "--hostname needs a name"
      MS_HOSTNAME=$2
      shift
      ;;
    --keep-hostname) MS_HOSTNAME="" ;;
    --extras)
      [ $# -ge 2 ] || die "--extras needs a list such as pi,coral,all"
      MS_EXTRAS=$2
      shift
      ;;
    --wheelhouse)
      [ $# -ge 2 ] || die "--wheelhouse needs a folder"
      MS_WHEELHOUSE=$(cd "$2" && pwd)
      shift
      ;;
    --no-doctor) MS_DOCTOR=0 ;;
    --strict) MS_STRICT=1 ;;
    --no-start) MS_START=0 ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      usage >&2
      die "unknown option $1"
      ;;
  esac
  shift
done

case "$MS_CORAL" in
  none | std | max) ;;
  *) die "--coral must be std or max, not '$MS_CORAL'" ;;
esac
if [ -n "$MS_HOSTNAME" ] && ! printf '%s' "$MS_HOSTNAME" | grep -qE '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'; then
  die "--hostname '$MS_HOSTNAME' is not a valid host name (lower-case letters, digits and -)"
fi
if [ -z "$MS_EXTRAS" ]; then
  # Not the `pi` extra: its picamera2 and gpiozero come from apt (step_apt), and asking pip for them
  # makes pip resolve the apt packages' own requirements (see lib/release.sh).
  MS_EXTRAS=all
  [ "$MS_CORAL" != none ] && MS_EXTRAS="coral,$MS_EXTRAS"
fi
require_root "$@"
refuse_on_booted_overlay "everything this installs"

[ "$MS_DRY_RUN" = 1 ] && say "Dry run: nothing on this machine will be changed."
step_preflight
step_apt
step_coral
step_user
step_dirs
step_venv
step_config
step_firmware
step_boot_cmdline
step_hostname
if [ "$MS_START" = 1 ]; then step_start; fi
step_old_cache # after the restart: the service ran on it until then
step_doctor
[ "${MS_START_FAILED:-0}" = 1 ] && die "installed, but moodspeaker.service does not start (see above)"

if [ "$MS_DRY_RUN" = 1 ]; then
  say ""
  say "Dry run finished: $MS_CHANGES action(s) would be taken."
else
  say ""
  say "Moodspeaker installed: $MS_CHANGES change(s) made."
  [ -n "$MS_HOSTNAME" ] && say "Open http://$MS_HOSTNAME.local:8080/ from a phone or computer on the same network."
fi
say_reboot
exit 0
