#!/bin/sh
# Container entry point. "init" creates the node in the shared volume once (keys with mode
# 0600, node.cfg from the template with this agency); any other command runs that service
# of the node (accord-intake, accord-verification, ...) or accord-node.
set -eu
NODE=/var/lib/accord/node
CFG=$NODE/node.cfg
if [ "${1:-}" = init ]; then
    if [ -f "$CFG" ]; then
        echo "accord: node already initialised in $NODE"
        exit 0
    fi
    : "${ACCORD_AGENCY:?set ACCORD_AGENCY to this agency's id}"
    accordctl init "$NODE" --agency "$ACCORD_AGENCY" --name "${ACCORD_NAME:-$ACCORD_AGENCY}"
    sed -e "s/@AGENCY@/$ACCORD_AGENCY/" -e "s/@NAME@/${ACCORD_NAME:-$ACCORD_AGENCY}/" \
        /usr/local/share/accord/node.cfg.in > "$CFG.tmp"
    mv "$CFG.tmp" "$CFG"
    accordctl -c "$CFG" config check
    exit 0
fi
exec "$@" -c "$CFG"
