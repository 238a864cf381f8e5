#!/usr/bin/env bash
#
# test_compose.sh — the container deployment is well-formed: docker-compose accepts the
# file (no engine needed), every service it runs has a binary, the image runs as a non-root
# user with a volume, and the configuration the init container writes is one the node
# accepts (accordctl config check on the rendered template).

source "$(dirname "$0")/lib.sh"
plan 16 # every check below runs on a passing run; a changed path fails

cd "$ACC_ROOT" || exit 1
if command -v docker-compose >/dev/null; then
    run docker-compose -f docker-compose.yml config -q
    check_rc "docker-compose config -q accepts docker-compose.yml" 0
    run docker-compose -f docker-compose.yml config --services
    for s in init intake verification assignment notification reporting; do
        check_match "compose defines service $s" "(^|[[:space:]])$s($|[[:space:]])" "$OUT"
    done
else
    fail "docker-compose is installed (scripts/deps.sh installs it)"
fi
for s in intake verification assignment notification reporting; do
    check "binary accord-$s exists for the $s container" test -x "$ACC_BIN/accord-$s"
done
check_match "the image runs as a non-root user" "^USER accord" "$(cat deploy/docker/Dockerfile)"
check_match "the image is multi-stage" "FROM debian:12 AS build" "$(cat deploy/docker/Dockerfile)"
check_match "data on a named volume" "accord-data:/var/lib/accord" "$(cat docker-compose.yml)"

# The configuration the init container writes must load.
N=$T_TMP/docker-node
"$CTL" init "$N" --agency stttt-hn >/dev/null 2>&1
sed -e 's/@AGENCY@/stttt-hn/' -e 's/@NAME@/Sở TT\&TT/' deploy/docker/node.cfg.in >"$N/node.cfg"
run "$CTL" -c "$N/node.cfg" config check
check_rc "the docker node.cfg template passes config check" 0
done_testing
