# shellcheck shell=bash
# Shared helpers of install.sh, update.sh and uninstall.sh.
#
# Every step checks the machine first and acts only when something differs, so a second run of
# the installer changes nothing; each action goes through `act`, which prints it and, under
# --dry-run, does nothing else.  MS_CHANGES counts the actions taken (or that would be taken).

MS_DRY_RUN=${MS_DRY_RUN:-0}
MS_CHANGES=0

say() { printf '%s\n' "$*"; }
ok() { printf '  ok: %s\n' "$*"; }
step() { printf '\n== %s\n' "$*"; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die() {
  printf 'ERROR: %s\n' "$*" >&2
  exit 1
}

# Quote a command the way a person could paste it back into a shell (plain words stay plain).
quoted() {
  local out="" arg
  for arg in "$@"; do
    if [[ $arg =~ ^[A-Za-z0-9_./:=@%+,-]+$ ]]; then
      out+="$arg "
    else
      out+="'${arg//\'/\'\\\'\'}' "
    fi
  done
  printf '%s' "${out% }"
}

# act CMD ARGS...: one change to the machine.  Printed always; run unless --dry-run.
act() {
  MS_CHANGES=$((MS_CHANGES + 1))
  if [ "$MS_DRY_RUN" = 1 ]; then
    say "  would run: $(quoted "$@")"
    return 0
  fi
  say "  run: $(quoted "$@")"
  "$@"
}

# act_write DEST MODE OWNER:GROUP < content: write a file only when its content, mode or owner differ.
# Feed it with `< <(cmd)`, never `cmd | act_write`: the pipe runs it in a subshell and loses the change count.
act_write() {
  local dest=$1 mode=$2 owner=$3 tmp
  local status=0
  tmp=$(mktemp)
  cat >"$tmp"
  install_file "$tmp" "$dest" "$mode" "$owner" || status=$?
  if [ "$MS_DRY_RUN" = 1 ] && [ "$status" = 0 ]; then
    sed 's/^/    | /' "$tmp" # what would be written
  fi
  rm -f "$tmp"
  return "$status"
}

# install_file SRC DEST MODE OWNER:GROUP: copy when missing or different; fix mode/owner when wrong.
# Returns 0 when it changed something, 1 when DEST was already right (callers use it to reload).
# Callers test its status (`if install_file ...`), which switches `set -e` off inside it: a failed
# copy must stop the installer here, not be reported as a change.
install_file() {
  local src=$1 dest=$2 mode=$3 owner=$4
  if [ -f "$dest" ] && cmp -s "$src" "$dest"; then
    if [ "$(stat -c '%a %U:%G' "$dest")" = "$mode $owner" ]; then
      ok "$dest"
      return 1
    fi
    act chmod "$mode" "$dest" || die "could not set the mode of $dest"
    act chown "$owner" "$dest" || die "could not set the owner of $dest"
    return 0
  fi
  act install -D -m "$mode" -o "${owner%%:*}" -g "${owner##*:}" "$src" "$dest" || die "could not install $dest"
  return 0
}

# ensure_dir PATH MODE OWNER:GROUP
ensure_dir() {
  local path=$1 mode=$2 owner=$3
  if [ -d "$path" ]; then
    if [ "$(stat -c '%a %U:%G' "$path")" = "$mode $owner" ]; then
      ok "$path/"
      return 0
    fi
    act chmod "$mode" "$path"
    act chown "$owner" "$path"
    return 0
  fi
  act install -d -m "$mode" -o "${owner%%:*}" -g "${owner##*:}" "$path"
}

# ensure_symlink TARGET LINK: point LINK at TARGET, replacing it atomically (rename over the old link).
ensure_symlink() {
  local target=$1 link=$2
  if [ -L "$link" ] && [ "$(readlink "$link")" = "$target" ]; then
    ok "$link -> $target"
    return 0
  fi
  act ln -sfn "$target" "$link.new"
  act mv -Tf "$link.new" "$link"
}

# True when systemd manages this machine right now (false in a chroot or an image build).
systemd_running() { [ -d /run/systemd/system ]; }

# overlay_root_in FILE: FILE (cmdline.txt, or /proc/cmdline for the running boot) turns on Raspberry
# Pi OS's overlay root (firmware/readonly-root): overlayroot=tmpfs on bookworm, boot=overlay before.
overlay_root_in() { grep -qE '(^|[[:space:]])(overlayroot=tmpfs[^[:space:]]*|boot=overlay)([[:space:]]|$)' "$@" 2>/dev/null; }

# refuse_on_booted_overlay WHAT: stop when this boot's root is that overlay, where WHAT (install.sh's
# or update.sh's changes to the root) would go to RAM and be gone at the next boot, after a run that
# looked successful.  uninstall.sh --purge has its own refusal (it would also empty the data partition).
refuse_on_booted_overlay() {
  overlay_root_in /proc/cmdline || return 0
  die "the root is a read-only overlay now (firmware/readonly-root): $1 would go to RAM and be gone at" \
    "the next boot. Run firmware/readonly-root/enable-readonly-root.sh --disable, reboot, run this again," \
    "then enable-readonly-root.sh and reboot."
}

apt_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

# ensure_apt PKG...: install the missing ones (one apt-get update first, only when needed).
ensure_apt() {
  local missing=() pkg
  for pkg in "$@"; do
    if apt_installed "$pkg"; then ok "package $pkg"; else missing+=("$pkg"); fi
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ "${MS_APT_FRESH:-0}" != 1 ]; then
    act apt-get update -qq
    MS_APT_FRESH=1 # one update per run is enough, unless a new apt source is added
  fi
  act env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

require_root() {
  if [ "$MS_DRY_RUN" != 1 ] && [ "$(id -u)" -ne 0 ]; then
    die "run as root (sudo $0 $*), or add --dry-run to see what it would do"
  fi
}

# The source fingerprint: what goes into a release.  Same sources, constraints, extras and Python =
# same release, which is what makes a second install (or an update without changes) a no-op.
source_fingerprint() {
  local src=$1 extras=$2 python=$3
  {
    printf 'extras=%s\n' "$extras"
    "$python" -c 'import sys; print(sys.version)'
    (cd "$src" && find pyproject.toml edge web-config models/edgetpu models/detector \
      scripts/provision/constraints-pi.txt -type f \
      ! -path '*/__pycache__/*' ! -path '*.egg-info/*' ! -name '*.pyc' -print0 2>/dev/null |
      LC_ALL=C sort -z | xargs -0 sha256sum)
  } | sha256sum | cut -c1-12
}
