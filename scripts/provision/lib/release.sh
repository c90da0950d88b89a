# shellcheck shell=bash
# Releases: each install or update builds a complete venv in $MS_PREFIX/releases/<fingerprint>;
# $MS_PREFIX/venv is a symlink to the running one and $MS_PREFIX/previous to the one before, so an
# update is a symlink swap (atomic) and a rollback is the same swap back.  Config (/etc/moodspeaker)
# and data (/var/lib/moodspeaker) live outside the releases and are never touched by them.

# Copy just what the package build needs into a scratch folder, so that pip's in-tree build never
# writes build/ or *.egg-info into the user's checkout (which may be read-only).
stage_sources() {
  local src=$1 dest=$2
  mkdir -p "$dest"
  (cd "$src" && tar -cf - --exclude='__pycache__' --exclude='*.egg-info' --exclude='*.pyc' \
    pyproject.toml README.md edge web-config) | tar -xf - -C "$dest"
}

# Write the release stamp last: a release folder without it is a half-built leftover.  pi=1 records
# that the release uses the Raspberry Pi packages from apt (update.sh builds the next one the same way).
write_release_stamp() {
  local dir=$1 fp=$2 extras=$3 src=$4 pi=$5
  printf 'fingerprint=%s\nextras=%s\npi=%s\nsource=%s\nbuilt=%s\n' "$fp" "$extras" "$pi" "$src" \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$dir/.release"
}

release_field() { sed -n "s/^$2=//p" "$1/.release" 2>/dev/null; }

current_release() { [ -L "$MS_PREFIX/venv" ] && basename "$(readlink "$MS_PREFIX/venv")"; }
previous_release() { [ -L "$MS_PREFIX/previous" ] && basename "$(readlink "$MS_PREFIX/previous")"; }

# build_release: sets MS_RELEASE to the fingerprint; builds the venv only when it does not exist yet.
build_release() {
  local python=${MS_PYTHON:-/usr/bin/python3} dir stage pip_args=() spec
  # pi= too: a Pi release differs (numpy constrained, apt packages checked) with the same extras.
  MS_RELEASE=$(source_fingerprint "$MS_SRC" "$MS_EXTRAS;pi=$MS_PI" "$python")
  dir="$MS_PREFIX/releases/$MS_RELEASE"
  if [ -f "$dir/.release" ]; then
    ok "release $MS_RELEASE (venv already built from these sources)"
    return 0
  fi
  if [ -e "$dir" ]; then
    act rm -rf "$dir" # an interrupted earlier build
  fi
  ensure_dir "$MS_PREFIX/releases" 755 root:root
  act "$python" -m venv --system-site-packages "$dir"
  if [ "$MS_DRY_RUN" = 1 ]; then
    stage="/tmp/moodspeaker-build/moodspeaker"
  else
    stage="$(mktemp -d)/moodspeaker"
  fi
  act stage_sources "$MS_SRC" "$stage"
  spec=$stage
  if [ -n "$MS_EXTRAS" ]; then spec="${stage}[$MS_EXTRAS]"; fi
  # --prefer-binary: a Pi has no compiler or python3-dev; a release whose aarch64 wheels are not
  # uploaded yet must not be chosen over the previous one that has them.
  pip_args=(--quiet --disable-pip-version-check --no-warn-script-location --prefer-binary)
  if [ -n "$MS_WHEELHOUSE" ]; then
    pip_args+=(--no-index --find-links "$MS_WHEELHOUSE")
  fi
  if [ "$MS_PI" = 1 ]; then
    # picamera2 and simplejpeg from apt are built against Raspberry Pi OS's numpy 1.x.  They are
    # seen through --system-site-packages and never asked of pip (no `pi` extra): pip would then
    # resolve the apt packages' own requirements, and an apt picamera2 older than the extra's
    # minimum, or whose metadata names apt packages (python3-jsonschema in some releases), sends it
    # to PyPI for picamera2 and python-prctl, which does not build without libcap headers.
    pip_args+=(--constraint "$MS_SRC/scripts/provision/constraints-pi.txt")
  fi
  act "$dir/bin/pip" install "${pip_args[@]}" "$spec"
  # The shipped models, where an installed package looks for them (sys.prefix/share/moodspeaker):
  # the expression classifier (edgetpu/) and the BlazeFace face detector (detector/).
  local models
  for models in edgetpu detector; do
    if [ -d "$MS_SRC/models/$models" ]; then
      act mkdir -p "$dir/share/moodspeaker/models"
      act cp -r "$MS_SRC/models/$models" "$dir/share/moodspeaker/models/"
    fi
  done
  act write_release_stamp "$dir" "$MS_RELEASE" "$MS_EXTRAS" "$MS_SRC" "$MS_PI"
  if [ "$MS_DRY_RUN" != 1 ]; then rm -rf "$(dirname "$stage")"; fi
}

# smoke_test_release FP: the new code starts and accepts the config it will run with; on a Pi the
# venv also imports apt's camera and GPIO packages (a numpy 2 pulled into the venv breaks them).
smoke_test_release() {
  local bin="$MS_PREFIX/releases/$1/bin/moodspeaker" python="$MS_PREFIX/releases/$1/bin/python"
  local imports="import picamera2, gpiozero"
  if [ "$MS_DRY_RUN" = 1 ]; then
    say "  would check: $bin --version; $bin config check"
    if [ "$MS_PI" = 1 ]; then say "  would check: $python -c '$imports'"; fi
    return 0
  fi
  "$bin" --version >/dev/null || return 1
  if [ "$MS_PI" = 1 ] && ! "$python" -c "$imports"; then
    warn "the venv cannot import apt's python3-picamera2 / python3-gpiozero (output above)"
    return 1
  fi
  if [ -f "$MS_ETC/config.toml" ]; then
    "$bin" --config "$MS_ETC/config.toml" config check >/dev/null || return 1
  fi
}

# switch_release FP: make FP the running release and remember the one it replaces.
switch_release() {
  local fp=$1 old
  old=$(current_release || true)
  if [ "$old" = "$fp" ]; then
    ok "$MS_PREFIX/venv -> releases/$fp"
    return 0
  fi
  if [ -n "$old" ]; then
    ensure_symlink "releases/$old" "$MS_PREFIX/previous"
  fi
  ensure_symlink "releases/$fp" "$MS_PREFIX/venv"
  export MS_CODE_CHANGED=1 # read by step_start: restart onto the new code
}

# Keep the running release and the one before it; older ones only cost SD-card space.
prune_releases() {
  local keep_a keep_b dir
  keep_a=$(current_release || true)
  keep_b=$(previous_release || true)
  for dir in "$MS_PREFIX"/releases/*; do
    [ -d "$dir" ] || continue
    case "$(basename "$dir")" in
      "$keep_a" | "$keep_b") ;;
      *) act rm -rf "$dir" ;;
    esac
  done
}
