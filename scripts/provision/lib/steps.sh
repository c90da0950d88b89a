# shellcheck shell=bash
# The installer's steps, one function each, shared by install.sh and update.sh.
# Settings come from the MS_* variables that install.sh sets from its options.

APT_BASE=(python3 python3-venv libsndfile1 alsa-utils mosquitto-clients avahi-daemon logrotate ca-certificates)
APT_FFMPEG=(ffmpeg) # decodes m4a/aac for the library analysis (libsndfile reads wav/flac/ogg/mp3)
# Raspberry Pi OS only: the camera stack must come from apt (picamera2 needs the system libcamera).
APT_PI=(python3-picamera2 python3-libcamera rpicam-apps-lite python3-gpiozero python3-lgpio)
CORAL_KEY_URL=https://packages.cloud.google.com/apt/doc/apt-key.gpg
CORAL_KEYRING=/etc/apt/keyrings/coral-edgetpu.gpg # signed-by= keyring (apt-key is deprecated)
CORAL_REPO_LINE="deb [signed-by=$CORAL_KEYRING] https://packages.cloud.google.com/apt coral-edgetpu-stable main"

# 64-bit only: the model runtime (ai-edge-litert) has wheels for arm64 and amd64, none for the
# 32-bit armhf Raspberry Pi OS, where pip would fail late with "no matching distribution".
supported_arch() { case "$1" in arm64 | amd64) return 0 ;; *) return 1 ;; esac }

step_preflight() {
  step "Checking this machine"
  if [ ! -f "$MS_SRC/pyproject.toml" ] || [ ! -d "$MS_SRC/edge/moodspeaker" ]; then
    die "$MS_SRC does not look like a Moodspeaker checkout (no pyproject.toml / edge/moodspeaker)"
  fi
  command -v apt-get >/dev/null || die "apt-get not found: the installer supports Debian and Raspberry Pi OS"
  local arch
  arch=$(dpkg --print-architecture)
  supported_arch "$arch" || die "this is a 32-bit ($arch) system: Moodspeaker needs Raspberry Pi OS 64-bit (arm64)"
  ok "architecture: $arch"
  if [ -r /proc/device-tree/model ]; then
    ok "board: $(tr -d '\0' </proc/device-tree/model)"
  else
    ok "board: not a Raspberry Pi (no /proc/device-tree/model)"
  fi
  if [ "$MS_PI" = 1 ] && [ "$MS_DRY_RUN" != 1 ] && ! apt-cache show python3-picamera2 >/dev/null 2>&1; then
    die "python3-picamera2 is not in this machine's apt sources (not Raspberry Pi OS?); rerun with --no-pi"
  fi
  if [ "$MS_CORAL" = max ]; then
    warn "libedgetpu1-max runs the Coral USB Accelerator at its maximum clock: it gets hot enough" \
      "to burn skin at room temperature. Put it where nobody can touch it, with airflow, and" \
      "prefer a powered USB hub. Use --coral std unless you measured that you need the speed."
  fi
  ok "source: $MS_SRC"
}

step_apt() {
  step "System packages"
  local pkgs=("${APT_BASE[@]}")
  if [ "$MS_FFMPEG" = 1 ]; then pkgs+=("${APT_FFMPEG[@]}"); fi
  if [ "$MS_PI" = 1 ]; then
    pkgs+=("${APT_PI[@]}")
  else
    ok "Raspberry Pi packages skipped (--no-pi): ${APT_PI[*]}"
  fi
  ensure_apt "${pkgs[@]}"
}

step_coral() {
  [ "$MS_CORAL" = none ] && return 0
  step "Coral Edge TPU runtime (libedgetpu1-$MS_CORAL from Coral's apt repository)"
  ensure_apt curl gnupg
  ensure_dir "$(dirname "$CORAL_KEYRING")" 755 root:root
  local pkg="libedgetpu1-$MS_CORAL" fresh=1
  if ensure_coral_key; then fresh=0; fi
  # Never piped into act_write (here and below): a pipe runs it in a subshell, and its MS_CHANGES is lost.
  if act_write /etc/apt/sources.list.d/coral-edgetpu.list 644 root:root < <(printf '%s\n' "$CORAL_REPO_LINE"); then
    fresh=0
  fi
  if [ "$fresh" = 0 ]; then
    export MS_APT_FRESH=0 # the new source or key: its package lists are needed
  fi
  if [ "$MS_CORAL" = max ] && ! apt_installed "$pkg"; then
    # The package asks two questions itself (its licence, then whether to install the hot runtime at
    # all); unanswered under DEBIAN_FRONTEND=noninteractive the install is refused.  The warning above
    # is the answer given on the user's behalf.
    local q="libedgetpu1-max libedgetpu"
    act sh -c "printf '%s\n' '$q/accepted-eula boolean true' '$q/install-confirm-max boolean true' | debconf-set-selections"
  fi
  ensure_apt "$pkg"
}

# ensure_coral_key: Coral's signing key, dearmored (the file may be ASCII-armored or binary) into
# CORAL_KEYRING.  Fetched into a scratch folder and installed only when complete: a failed download
# (sh has no pipefail) used to leave an empty keyring that `gpg -o` then refused to overwrite on every
# later run.  Fetched again each run so that a key Google replaced is picked up; offline, a key
# already in place is kept.  Returns 0 when it changed the keyring (apt's lists must be updated).
ensure_coral_key() {
  if [ "$MS_DRY_RUN" = 1 ]; then
    if [ -s "$CORAL_KEYRING" ]; then
      ok "$CORAL_KEYRING (fetched again and compared on a real run)"
      return 1
    fi
    MS_CHANGES=$((MS_CHANGES + 1))
    say "  would run: curl -fsSL $CORAL_KEY_URL | gpg --dearmor, installed as $CORAL_KEYRING"
    return 0
  fi
  local tmp status=1
  tmp=$(mktemp -d)
  if curl -fsSL --retry 3 -o "$tmp/key" "$CORAL_KEY_URL" &&
    GNUPGHOME="$tmp" gpg --batch --quiet --dearmor -o "$tmp/key.gpg" <"$tmp/key" && [ -s "$tmp/key.gpg" ]; then
    if install_file "$tmp/key.gpg" "$CORAL_KEYRING" 644 root:root; then status=0; fi
  elif [ -s "$CORAL_KEYRING" ]; then
    warn "could not fetch Coral's signing key from $CORAL_KEY_URL: keeping $CORAL_KEYRING"
  else
    rm -rf "$tmp"
    die "could not fetch Coral's signing key from $CORAL_KEY_URL (network?); nothing was written"
  fi
  rm -rf "$tmp"
  return "$status"
}

step_user() {
  step "Service user $MS_USER"
  if getent passwd "$MS_USER" >/dev/null; then
    ok "user $MS_USER"
  else
    act useradd --system --user-group --home-dir "$MS_DATA" --no-create-home \
      --shell /usr/sbin/nologin --comment "Moodspeaker service" "$MS_USER"
  fi
  if ! getent group plugdev >/dev/null; then
    act groupadd --system plugdev # the Coral's udev rule grants the device to plugdev
  fi
  local group groups=(video audio plugdev gpio i2c render)
  for group in "${groups[@]}"; do
    if ! getent group "$group" >/dev/null; then
      [ "$group" = plugdev ] || { ok "group $group does not exist here (fine off a Pi)"; continue; }
    fi
    if id -nG "$MS_USER" 2>/dev/null | tr ' ' '\n' | grep -qx "$group"; then
      ok "$MS_USER in group $group"
    else
      act usermod -aG "$group" "$MS_USER"
    fi
  done
}

step_dirs() {
  step "Folders"
  ensure_dir "$MS_PREFIX" 755 root:root
  # The web page saves the config atomically (temp file + rename), so the service owns the folder.
  ensure_dir "$MS_ETC" 750 "$MS_USER:$MS_USER"
  ensure_dir "$MS_DATA" 750 "$MS_USER:$MS_USER"
  ensure_dir "$MS_DATA/music" 755 "$MS_USER:$MS_USER"
}

step_venv() {
  step "Python environment (venv with --system-site-packages, extras: ${MS_EXTRAS:-none})"
  build_release
  if ! smoke_test_release "$MS_RELEASE"; then
    die "the new release $MS_RELEASE does not start; see the output above"
  fi
  switch_release "$MS_RELEASE"
  prune_releases
  ensure_symlink "$MS_PREFIX/venv/bin/moodspeaker" /usr/local/bin/moodspeaker
}

default_config() {
  local classifier=cpu
  [ "$MS_CORAL" != none ] && classifier=edgetpu
  cat <<CONF
# Moodspeaker configuration, written once by the installer and never overwritten by it.
# Every setting and its default: moodspeaker config schema.  Change with the web page,
# or: sudo -u $MS_USER moodspeaker config set section.key=value
[device]
data_dir = "$MS_DATA"

[classifier]
type = "$classifier"

[library]
folders = ["$MS_DATA/music"]
CONF
}

step_config() {
  step "Configuration $MS_ETC/config.toml"
  if [ -e "$MS_ETC/config.toml" ]; then
    ok "$MS_ETC/config.toml exists: kept as it is"
  else
    act_write "$MS_ETC/config.toml" 600 "$MS_USER:$MS_USER" < <(default_config) || true
  fi
  if [ "$MS_DRY_RUN" = 1 ]; then
    say "  would check: moodspeaker --config $MS_ETC/config.toml config check"
  elif ! "$MS_PREFIX/venv/bin/moodspeaker" --config "$MS_ETC/config.toml" config check; then
    warn "$MS_ETC/config.toml has problems (listed above); the service will refuse to start until fixed"
  fi
}

step_firmware() {
  step "systemd units, udev rules, log rotation"
  local fw="$MS_SRC/firmware" unit units_changed=0 rules_changed=0 journal_changed=0
  for unit in "$fw"/systemd/*.service "$fw"/systemd/*.timer; do
    [ -f "$unit" ] || continue
    if install_file "$unit" "/etc/systemd/system/$(basename "$unit")" 644 root:root; then units_changed=1; fi
  done
  if install_file "$fw/systemd/journald-moodspeaker.conf" /etc/systemd/journald.conf.d/moodspeaker.conf 644 root:root; then
    journal_changed=1 # journald reads its config only when it starts: daemon-reload does not apply it
  fi
  if install_file "$fw/udev/99-moodspeaker-coral.rules" /etc/udev/rules.d/99-moodspeaker-coral.rules 644 root:root; then
    rules_changed=1
  fi
  install_file "$fw/logrotate/moodspeaker" /etc/logrotate.d/moodspeaker 644 root:root || true
  if systemd_running; then
    if [ "$units_changed" = 1 ]; then act systemctl daemon-reload; fi
    if [ "$journal_changed" = 1 ]; then act systemctl restart systemd-journald.service; fi
    if [ "$rules_changed" = 1 ]; then
      act udevadm control --reload-rules
      act udevadm trigger --subsystem-match=usb
    fi
  else
    ok "systemd is not running here (chroot or image build): units take effect at boot"
  fi
  for unit in $MS_ENABLE_UNITS; do
    if [ "$(systemctl is-enabled "$unit" 2>/dev/null)" = enabled ]; then
      ok "$unit enabled"
    else
      act systemctl enable "$unit"
    fi
  done
  MS_UNITS_CHANGED=$units_changed
}

# The memory cgroup.  moodspeaker.service keeps the process, and the frames in its memory, out of swap
# (MemorySwapMax=0: Raspberry Pi OS swaps to a file on the SD card); systemd applies that through the
# kernel's memory controller, which Raspberry Pi OS's kernel leaves off unless its command line says
# cgroup_enable=memory: without it the setting is silently ignored.  The command line is cmdline.txt's
# one line (a second line is never read), in /boot/firmware on bookworm and /boot before: the word is
# appended to that line once, the other parameters kept as they are.  A machine with neither file (not
# a Pi, a chroot for tests) is left alone.  Read at boot only: MS_REBOOT says a reboot is needed.
MS_BOOT_FIRMWARE=/boot/firmware
MS_BOOT_OLD=/boot
CGROUP_WORD=cgroup_enable=memory
# cmdline_has_memory FILE: its first line turns the memory controller on (cgroup_enable=memory, or a
# comma list naming memory, as the kernel reads the word).
cmdline_has_memory() {
  head -n 1 "$1" | grep -qE '(^|[[:space:]])cgroup_enable=([^[:space:]]*,)?memory(,[^[:space:]]*)?([[:space:]]|$)'
}
# boot_cmdline: this machine's cmdline.txt, printed; status 1 when there is none (not a Pi, or bookworm's
# /boot/firmware without its partition mounted, where /boot/cmdline.txt is no command line).
boot_cmdline() {
  if [ -f "$MS_BOOT_FIRMWARE/cmdline.txt" ]; then
    printf '%s\n' "$MS_BOOT_FIRMWARE/cmdline.txt"
  elif [ ! -d "$MS_BOOT_FIRMWARE" ] && [ -f "$MS_BOOT_OLD/cmdline.txt" ]; then
    printf '%s\n' "$MS_BOOT_OLD/cmdline.txt"
  else
    return 1
  fi
}
step_boot_cmdline() {
  local cmdline
  if ! cmdline=$(boot_cmdline); then
    [ -d "$MS_BOOT_FIRMWARE" ] || return 0 # not a Raspberry Pi: its kernel's memory cgroup is its own business
    step "Memory cgroup ($CGROUP_WORD, for the service's MemorySwapMax=0)"
    warn "$MS_BOOT_FIRMWARE has no cmdline.txt (the boot partition is not mounted?): $CGROUP_WORD not" \
      "added; the service's memory may be swapped to the SD card (moodspeaker doctor checks it)"
    return 0
  fi
  step "Memory cgroup ($CGROUP_WORD in $cmdline, for the service's MemorySwapMax=0)"
  if cmdline_has_memory "$cmdline"; then
    ok "$cmdline turns the memory cgroup on"
    return 0
  fi
  local boot was_ro=0
  boot=$(dirname "$cmdline")
  if findmnt -no OPTIONS --target "$boot" 2>/dev/null | grep -qE '(^|,)ro(,|$)'; then
    was_ro=1 # raspi-config's read-only boot partition
    act mount -o remount,rw "$boot"
  fi
  # The first line only, its trailing blanks dropped: the word is the line's last, never on a line of its own.
  act sed -i -e "1s/[[:space:]]*\$/ $CGROUP_WORD/" "$cmdline" || die "could not add $CGROUP_WORD to $cmdline"
  if [ "$was_ro" = 1 ]; then act mount -o remount,ro "$boot"; fi
  if [ "$MS_DRY_RUN" != 1 ] && ! cmdline_has_memory "$cmdline"; then
    warn "$cmdline is empty: $CGROUP_WORD not added (the kernel's command line is missing?)"
    return 0
  fi
  MS_REBOOT="the kernel reads $CGROUP_WORD ($cmdline) only at boot"
}

# say_reboot: the closing line when a step changed what only a boot applies.
say_reboot() {
  [ -n "${MS_REBOOT:-}" ] || return 0
  if [ "$MS_DRY_RUN" = 1 ]; then
    say "A reboot would then be needed: ${MS_REBOOT}."
  elif systemd_running; then
    say "Reboot this machine (sudo reboot): ${MS_REBOOT}."
  else
    say "Takes effect at the next boot: ${MS_REBOOT}."
  fi
}

# Before the units shared $MS_DATA/numba-cache with `moodspeaker index` (firmware/systemd),
# moodspeaker.service kept librosa's numba JIT cache in /var/cache/moodspeaker/numba (CacheDirectory=):
# a second copy, compiled on its own, that nothing reads now.  Removed once the service no longer runs
# on it (install.sh and update.sh call this after restarting it); the folder too, if nothing else is in it.
MS_OLD_CACHE=/var/cache/moodspeaker
step_old_cache() {
  [ -e "$MS_OLD_CACHE" ] || return 0
  step "The old JIT cache $MS_OLD_CACHE/numba (now in $MS_DATA/numba-cache)"
  local pid=""
  if systemd_running; then pid=$(systemctl show -p MainPID --value moodspeaker.service 2>/dev/null || true); fi
  if [ -n "$pid" ] && [ "$pid" != 0 ] &&
    tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "NUMBA_CACHE_DIR=$MS_OLD_CACHE/numba"; then
    ok "the running service still uses it (not restarted): left for the next run"
    return 0
  fi
  if [ -e "$MS_OLD_CACHE/numba" ]; then act rm -rf "$MS_OLD_CACHE/numba"; fi
  if [ -z "$(find "$MS_OLD_CACHE" -mindepth 1 -maxdepth 1 ! -name numba -print -quit)" ]; then
    act rmdir "$MS_OLD_CACHE"
  else
    ok "$MS_OLD_CACHE holds more than the cache: kept"
  fi
}

step_hostname() {
  [ -z "$MS_HOSTNAME" ] && return 0
  step "Host name $MS_HOSTNAME (reachable as $MS_HOSTNAME.local through avahi/mDNS)"
  local current
  current=$(cat /etc/hostname 2>/dev/null || true)
  if [ "$current" = "$MS_HOSTNAME" ]; then
    ok "/etc/hostname is $MS_HOSTNAME"
  else
    act_write /etc/hostname 644 root:root < <(printf '%s\n' "$MS_HOSTNAME") || true
    if systemd_running; then
      act hostnamectl set-hostname "$MS_HOSTNAME"
      # avahi keeps announcing the old name until it restarts: the page would not be at NAME.local.
      if systemctl is-active --quiet avahi-daemon.service; then act systemctl restart avahi-daemon.service; fi
    fi
  fi
  if grep -qE "^127\.0\.1\.1[[:space:]]+$MS_HOSTNAME\$" /etc/hosts 2>/dev/null; then
    ok "/etc/hosts names $MS_HOSTNAME"
  elif grep -qE '^127\.0\.1\.1[[:space:]]' /etc/hosts 2>/dev/null; then
    act sed -i -E "s/^127\.0\.1\.1[[:space:]].*/127.0.1.1\t$MS_HOSTNAME/" /etc/hosts
  else
    act sh -c "printf '127.0.1.1\t%s\n' '$MS_HOSTNAME' >> /etc/hosts"
  fi
}

# A service that does not start (Type=notify: no READY=1) must not end the run before the self-check,
# which says why: MS_START_FAILED makes install.sh fail after it instead.
step_start() {
  systemd_running || return 0
  step "Starting the service"
  local verb=""
  if ! systemctl is-active --quiet moodspeaker.service; then
    verb=start
  elif [ "${MS_UNITS_CHANGED:-0}" = 1 ] || [ "${MS_CODE_CHANGED:-0}" = 1 ]; then
    verb=restart
  else
    ok "moodspeaker.service running"
    return 0
  fi
  if ! act systemctl "$verb" moodspeaker.service; then
    warn "moodspeaker.service did not start; the self-check below and journalctl -u moodspeaker -b say why"
    export MS_START_FAILED=1 # read by install.sh after the self-check
  fi
}

step_doctor() {
  [ "$MS_DOCTOR" = 1 ] || return 0
  step "Self-check (moodspeaker doctor)"
  local cmd=(runuser -u "$MS_USER" -- "$MS_PREFIX/venv/bin/moodspeaker" --config "$MS_ETC/config.toml" doctor)
  if [ "$MS_DRY_RUN" = 1 ]; then
    say "  would check: $(quoted "${cmd[@]}")"
    return 0
  fi
  if "${cmd[@]}"; then
    say "Self-check passed."
  else
    warn "the self-check found something to fix (above); rerun it any time with: sudo moodspeaker doctor"
    if [ "$MS_STRICT" = 1 ]; then return 1; fi
  fi
  return 0
}
