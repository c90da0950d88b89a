#!/bin/bash -e
# Runs on the build host (pi-gen sets ROOTFS_DIR; the working folder is this sub-stage).
# Copies this checkout into the image, appends the camera boot lines and adds first-boot setup.
SRC=$(cd ../../../.. && pwd) # firmware/image/stage-moodspeaker/00-moodspeaker -> checkout root
install -d "${ROOTFS_DIR}/opt/moodspeaker-src"
tar -C "${SRC}" --exclude=.git --exclude=.venv --exclude=.cache --exclude=__pycache__ \
  --exclude='*.egg-info' -cf - pyproject.toml README.md edge web-config models scripts firmware |
  tar -C "${ROOTFS_DIR}/opt/moodspeaker-src" -xf -
if ! grep -q "Moodspeaker camera" "${ROOTFS_DIR}/boot/firmware/config.txt"; then
  {
    echo ""
    echo "# Moodspeaker camera (firmware/boot/config-camera.txt)"
    grep -v '^#' "${SRC}/firmware/boot/config-camera.txt" | grep .
  } >>"${ROOTFS_DIR}/boot/firmware/config.txt"
fi
install -m 755 files/moodspeaker-firstboot "${ROOTFS_DIR}/usr/local/sbin/moodspeaker-firstboot"
install -m 644 files/moodspeaker-firstboot.service "${ROOTFS_DIR}/etc/systemd/system/"
# The login prompt's note on the web page (its setup code root's alone, gone once the page is set up).
install -m 755 files/moodspeaker-issue "${ROOTFS_DIR}/usr/local/sbin/moodspeaker-issue"
install -m 644 files/moodspeaker-issue.service files/moodspeaker-issue.path "${ROOTFS_DIR}/etc/systemd/system/"
