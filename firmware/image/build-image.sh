#!/usr/bin/env bash
# Build the Moodspeaker SD-card image with pi-gen.
#   firmware/image/build-image.sh /path/to/pi-gen     (a checkout of pi-gen's arm64 branch)
# Runs pi-gen's own build-docker.sh (or build.sh with --native); the image lands in pi-gen/deploy/.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PIGEN=${1:?usage: $0 /path/to/pi-gen [--native]}
MODE=${2:-docker}
PIGEN=$(cd "$PIGEN" && pwd)
[ -x "$PIGEN/build.sh" ] || {
  echo "$PIGEN is not a pi-gen checkout" >&2
  exit 1
}
config="$PIGEN/config"
cp "$HERE/config" "$config"
# Stages 0-2 are Raspberry Pi OS Lite; only the last one is exported as an image.
touch "$PIGEN/stage2/SKIP_IMAGES"
printf 'STAGE_LIST="stage0 stage1 stage2 %s"\n' "$HERE/stage-moodspeaker" >>"$config"
cd "$PIGEN"
if [ "$MODE" = --native ]; then
  exec sudo ./build.sh -c "$config"
fi
# The container holds pi-gen only: STAGE_LIST names this stage by its host path, and the stage copies
# the checkout from ../../../.., so the checkout is mounted at the same path inside.
checkout=$(cd "$HERE/../.." && pwd)
export PIGEN_DOCKER_OPTS="${PIGEN_DOCKER_OPTS:-} --volume $checkout:$checkout:ro"
exec ./build-docker.sh -c "$config"
