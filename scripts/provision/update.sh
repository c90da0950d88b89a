#!/usr/bin/env bash
# Update a Moodspeaker to this checkout (optionally `git pull` first), with rollback.
#
# The new code is built as a complete new venv next to the running one; only when it starts and
# accepts the existing config does $MS_PREFIX/venv switch to it (one atomic symlink rename).  If
# the restarted service then fails, the switch is undone.  `--rollback` returns to the previous
# release at any later time.  The config (/etc/moodspeaker) and the data (/var/lib/moodspeaker)
# are outside the releases: an update or a rollback never touches them.
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
Usage: sudo scripts/provision/update.sh [options]

  --dry-run          print every action, change nothing
  --git-pull         `git pull --ff-only` the checkout first (as the checkout's owner)
  --rollback         switch back to the previous release and restart
  --extras LIST      Python extras (default: those of the running release)
  --wheelhouse DIR   install Python packages from DIR only
  --health-wait S    seconds the restarted service must stay up (default 15)
  -h, --help         this text
USAGE
}

MS_EXTRAS=""
MS_WHEELHOUSE=""
MS_ROLLBACK=0
MS_GIT_PULL=0
MS_HEALTH_WAIT=15
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) MS_DRY_RUN=1 ;;
    --git-pull) MS_GIT_PULL=1 ;;
    --rollback) MS_ROLLBACK=1 ;;
    --extras)
      [ $# -ge 2 ] || die "--extras needs a list"
      MS_EXTRAS=$2
      shift
      ;;
    --wheelhouse)
      [ $# -ge 2 ] || die "--wheelhouse needs a folder"
      MS_WHEELHOUSE=$(cd "$2" && pwd)
      shift
      ;;
    --health-wait)
      [ $# -ge 2 ] || die "--health-wait needs seconds"
      MS_HEALTH_WAIT=$2
      shift
      ;;
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
require_root "$@"
# --rollback and --dry-run too: a switch back would be undone at reboot, and the plan cannot be carried out.
refuse_on_booted_overlay "the new release, its units and the switch to it"

OLD=$(current_release || true)
[ -n "$OLD" ] || die "no installed release in $MS_PREFIX: run scripts/provision/install.sh first"
BEFORE_PREVIOUS=$(previous_release || true)

service_enabled() { [ "$(systemctl is-enabled moodspeaker.service 2>/dev/null)" = enabled ]; }

# restart_and_check: true when the service comes back and stays up for MS_HEALTH_WAIT seconds.
restart_and_check() {
  if ! systemd_running || ! service_enabled; then
    ok "service not running under systemd here: nothing to restart"
    return 0
  fi
  act systemctl restart moodspeaker.service || return 1 # Type=notify: waits for READY=1
  [ "$MS_DRY_RUN" = 1 ] && return 0
  local restarts
  restarts=$(systemctl show -p NRestarts --value moodspeaker.service)
  sleep "$MS_HEALTH_WAIT"
  systemctl is-active --quiet moodspeaker.service &&
    [ "$(systemctl show -p NRestarts --value moodspeaker.service)" = "$restarts" ]
}

if [ "$MS_ROLLBACK" = 1 ]; then
  step "Rolling back"
  [ -n "$BEFORE_PREVIOUS" ] || die "there is no previous release to roll back to"
  ensure_symlink "releases/$BEFORE_PREVIOUS" "$MS_PREFIX/venv"
  ensure_symlink "releases/$OLD" "$MS_PREFIX/previous"
  restart_and_check || die "the previous release does not stay up either: see journalctl -u moodspeaker"
  say "Rolled back from $OLD to $BEFORE_PREVIOUS (update.sh --rollback again returns to $OLD)."
  exit 0
fi

if [ "$MS_GIT_PULL" = 1 ]; then
  step "Fetching the new version"
  owner=$(stat -c %U "$MS_SRC") # as the owner: root's git refuses another user's checkout
  command -v git >/dev/null || die "git is not installed (sudo apt install git)"
  # A flashed image's /opt/moodspeaker-src is a copy without .git (firmware/image).
  runuser -u "$owner" -- git -C "$MS_SRC" rev-parse --git-dir >/dev/null 2>&1 ||
    die "$MS_SRC is not a git checkout: git clone the repository and run its scripts/provision/update.sh"
  act runuser -u "$owner" -- git -C "$MS_SRC" pull --ff-only
fi
[ -n "$MS_EXTRAS" ] || MS_EXTRAS=$(release_field "$MS_PREFIX/releases/$OLD" extras)
MS_PI=$(release_field "$MS_PREFIX/releases/$OLD" pi)
if [ -z "$MS_PI" ]; then # a release stamped before pi= was recorded: it had the `pi` extra
  MS_PI=0
  case ",$MS_EXTRAS," in *,pi,*) MS_PI=1 ;; esac
fi
# The Pi packages come from apt, never from pip (lib/release.sh): drop an inherited `pi` extra.
MS_EXTRAS=$(printf ',%s,' "$MS_EXTRAS" | sed -e 's/,pi,/,/g' -e 's/^,//' -e 's/,$//')

step "Building the new release (extras: ${MS_EXTRAS:-none})"
build_release
MS_ENABLE_UNITS="" # keep the user's enable/disable choices; only refresh changed unit files
if [ "$MS_RELEASE" = "$OLD" ]; then
  # A release is the Python code only: units, rules and the like may still have changed.
  step_firmware
  step_boot_cmdline
  if [ "$MS_UNITS_CHANGED" = 1 ] && ! restart_and_check; then
    die "the service does not stay up with the new unit files: see journalctl -u moodspeaker"
  fi
  step_old_cache
  say "Already up to date: release $OLD is built from these sources."
  say_reboot
  exit 0
fi
if ! smoke_test_release "$MS_RELEASE"; then
  act rm -rf "$MS_PREFIX/releases/$MS_RELEASE"
  die "update failed: release $MS_RELEASE does not start or rejects $MS_ETC/config.toml; still on $OLD"
fi

step "Switching to $MS_RELEASE"
switch_release "$MS_RELEASE"
step_firmware
step_boot_cmdline
if ! restart_and_check; then
  warn "the service does not stay up on $MS_RELEASE: rolling back to $OLD"
  ensure_symlink "releases/$OLD" "$MS_PREFIX/venv"
  if [ -n "$BEFORE_PREVIOUS" ]; then ensure_symlink "releases/$BEFORE_PREVIOUS" "$MS_PREFIX/previous"; fi
  act rm -rf "$MS_PREFIX/releases/$MS_RELEASE"
  restart_and_check || warn "$OLD does not stay up either: see journalctl -u moodspeaker"
  die "update failed and was rolled back to $OLD"
fi
prune_releases
step_old_cache
say ""
say "Updated from $OLD to $MS_RELEASE; config and data untouched. Undo with: sudo $0 --rollback"
say_reboot
