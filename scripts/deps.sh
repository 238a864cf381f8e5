#!/usr/bin/env bash
# Installs (install) or checks and installs when missing (ensure) the Debian 12 packages
# accord needs to build, test, run and benchmark. Needs root for apt-get.
set -eu
PKGS="build-essential pkg-config libzmq3-dev libprotobuf-c-dev protobuf-c-compiler \
liblmdb-dev lmdb-utils libconfig-dev libsodium-dev libidn2-dev libunistring-dev \
libcmocka-dev libjansson-dev libmicrohttpd-dev libpq-dev libcurl4-openssl-dev postgresql clang curl python3 docker-compose jq"

missing() {
    local m=""
    for p in $PKGS; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || m="$m $p"
    done
    echo "$m"
}

install() {
    local m="$1"
    [ -z "$m" ] && return 0
    if [ "$(id -u)" != 0 ]; then
        echo "accord: missing Debian packages:$m" >&2
        echo "accord: run 'sudo make deps' (or install them with apt-get) and try again" >&2
        exit 1
    fi
    echo "accord: installing:$m" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $m >&2
}

case "${1:-ensure}" in
install) install "$(missing)" ;;
ensure)
    # Fast path: the build tools answer, nothing to do.
    if command -v protoc-c >/dev/null && pkg-config --exists libzmq libprotobuf-c lmdb libconfig \
        libsodium libidn2 jansson cmocka libmicrohttpd libcurl 2>/dev/null && [ -f /usr/include/uninorm.h ]; then
        exit 0
    fi
    install "$(missing)"
    ;;
*) echo "usage: $0 install|ensure" >&2; exit 2 ;;
esac
