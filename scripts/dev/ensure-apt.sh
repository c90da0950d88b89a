#!/usr/bin/env bash
# Install the Debian/Ubuntu packages named on the command line when any is missing.
# Runs apt-get as root, or through sudo; otherwise says exactly what to install and fails.
set -euo pipefail

missing=()
for pkg in "$@"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
[ "${#missing[@]}" -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-apt: this is not a Debian/Ubuntu machine; please install: ${missing[*]}" >&2
  exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "ensure-apt: missing system packages: ${missing[*]}" >&2
  echo "ensure-apt: run as root or with sudo, or install them: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "ensure-apt: installing ${missing[*]}"
# Wait for another apt run (unattended-upgrades on a fresh machine, a second checkout's make) instead of
# failing at once on the dpkg lock.
lock=(-o DPkg::Lock::Timeout=600)
"${sudo[@]}" apt-get "${lock[@]}" update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get "${lock[@]}" install -y -qq --no-install-recommends "${missing[@]}"
