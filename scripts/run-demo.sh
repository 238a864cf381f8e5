#!/usr/bin/env bash
# make run: create a demo node under var/demo (if there is none), start it, import the
# sample reports from deploy/samples/, and keep the node in the foreground until Ctrl-C.
set -u
BUILD=${BUILD:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/$BUILD/bin
DEMO=${ACCORD_DEMO_DIR:-$ROOT/var/demo}
PORT=${ACCORD_DEMO_PORT:-7400}
CFG=$DEMO/node.cfg
CTL=("$BIN/accordctl" -c "$CFG")

if [ ! -f "$CFG" ]; then
    mkdir -p "$(dirname "$DEMO")"
    "$BIN/accordctl" init "$DEMO" --agency demo-stttt --name "Sở TT&TT (demo)" --port-base "$PORT" || exit 1
fi

"$BIN/accord-node" -c "$CFG" &
NODE=$!
stop() { kill -TERM "$NODE" 2>/dev/null; wait "$NODE" 2>/dev/null; exit 0; }
trap stop INT TERM

for _ in $(seq 1 100); do
    "${CTL[@]}" status >/dev/null 2>&1 && break
    kill -0 "$NODE" 2>/dev/null || { echo "accord: the node did not start (see above)" >&2; exit 1; }
    sleep 0.1
done

for f in "$ROOT"/deploy/samples/*.jsonl "$ROOT"/deploy/samples/*.csv; do
    [ -f "$f" ] || continue
    echo "== importing $(basename "$f")"
    "${CTL[@]}" report import "$f"
done
# Detection feeds, each under its own source name.
for spec in stix:stix-bundle.json misp:misp-event.json urlhaus:urlhaus.csv \
    phishtank:phishtank.csv phishtank:phishtank.json openphish:openphish.txt; do
    fmt=${spec%%:*}
    f=$ROOT/deploy/samples/feeds/${spec#*:}
    [ -f "$f" ] || continue
    echo "== importing feed $(basename "$f") ($fmt)"
    "${CTL[@]}" feed import "$f" --format "$fmt" --source "demo-$fmt" --category phishing-malware
done

cat <<TXT

accord demo node is running (agency demo-stttt), data in $DEMO/data
  intake: ipc://$DEMO/data/intake.sock and tcp://127.0.0.1:$PORT
  citizen form (trang phản ánh): http://127.0.0.1:$((PORT + 8))/report

Try, in another terminal:
  $BUILD/bin/accordctl -c $CFG case list
  $BUILD/bin/accordctl -c $CFG case show demo-stttt/$(date +%Y)/000001
  $BUILD/bin/accordctl -c $CFG report submit --url 'https://example.vn/lua-dao' --category scam
  LANG=vi_VN.UTF-8 $BUILD/bin/accordctl -c $CFG case list

Ctrl-C stops the node.
TXT
wait "$NODE"
