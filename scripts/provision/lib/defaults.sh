# shellcheck shell=bash
# Where things live on a device; the same in install.sh, update.sh and uninstall.sh.
# shellcheck disable=SC2034 # each script uses its own subset of these
MS_USER=moodspeaker
MS_PREFIX=/opt/moodspeaker # releases/<fingerprint>/ (one venv each), venv -> running, previous -> before
MS_ETC=/etc/moodspeaker    # config.toml: written once, never overwritten by install or update
MS_DATA=/var/lib/moodspeaker # library index, feedback, profiles, state: never touched by install or update
MS_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
# the last three: image builds (firmware/image)
MS_UNITS="moodspeaker.service moodspeaker-library.service moodspeaker-firstboot.service moodspeaker-issue.path moodspeaker-issue.service"
