#!/usr/bin/env bash
# Builds localhost/python-base:3.11, a stand-in for python:3.11-slim where no container registry
# answers: Debian bookworm (whose python3 is 3.11) from the machine's own Debian mirror, with
# debootstrap, imported into podman. Does nothing when the image exists (FORCE=1 rebuilds it).
set -euo pipefail

IMAGE=${BASE_IMAGE:-localhost/python-base:3.11}
if [[ -z ${FORCE:-} ]] && podman image exists "$IMAGE"; then
    echo "base image $IMAGE exists"
    exit 0
fi
# The first deb822 "URIs:" (or one-line "deb") entry of the machine's apt sources.
MIRROR=${DEBIAN_MIRROR:-$(
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
        awk '$1 == "URIs:" || $1 == "deb" { print $2 }' |
        grep -v -e security -e '^\[' | head -n 1 || true
)}
[[ -n $MIRROR ]] || { echo "no Debian mirror in /etc/apt: set DEBIAN_MIRROR" >&2; exit 1; }
ROOTFS=$(mktemp -d /var/tmp/python-base.XXXXXX)
trap 'rm -rf "$ROOTFS"' EXIT
echo "debootstrap bookworm from $MIRROR into $ROOTFS"
debootstrap --variant=minbase --include=python3-minimal,python3-venv,ca-certificates \
    bookworm "$ROOTFS" "$MIRROR" >/dev/null
rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/*
tar -C "$ROOTFS" -c . | podman import --change 'CMD ["/bin/bash"]' - "$IMAGE"
echo "imported $IMAGE"
