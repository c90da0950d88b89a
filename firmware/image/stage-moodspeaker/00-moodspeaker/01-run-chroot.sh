#!/bin/bash -e
# Runs inside the image's root (systemd is not running: units are enabled offline, nothing starts).
# The same installer as on a live Pi; the Coral runtime (std clock) is included so a Coral USB
# Accelerator works when plugged in, and the classifier falls back to the CPU when it is not.
/opt/moodspeaker-src/scripts/provision/install.sh --coral std --keep-hostname --no-doctor --no-start
systemctl enable moodspeaker-firstboot.service moodspeaker-issue.service moodspeaker-issue.path
