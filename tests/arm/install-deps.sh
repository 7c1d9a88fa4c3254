#!/usr/bin/env bash
# Installs what tests/arm/run-qemu.sh needs on a Debian x86-64 host (run as root): the AArch64
# cross compiler with its sysroot, qemu-user, and the project's libraries for arm64 through
# Debian multiarch (cJSON for the library, cmocka for the unit tests).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
dpkg --add-architecture arm64
apt-get update -q
apt-get install -y -q gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user libcjson-dev:arm64 libcmocka-dev:arm64
