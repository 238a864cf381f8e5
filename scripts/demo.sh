#!/usr/bin/env bash
# make demo: three agencies' nodes on loopback — the provincial department (lead), the
# provincial police (coordinating) and the ministry (parent) — and one report walked through
# the whole flow, each step said in plain words. Exits 0 when every step happened.
#
# Environment: BUILD (build dir), DEMO_DIR (where the nodes live; default a temporary
# directory, removed at the end unless DEMO_KEEP=1), DEMO_PORT (first port; the nodes use
# DEMO_PORT, +20, +40 and the 15 ports above each).
set -u
BUILD=${BUILD:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/$BUILD/bin
[[ "$BIN" = /* ]] || BIN=$PWD/$BIN
[ -x "$BIN/accord-node" ] || BIN=$BUILD/bin
DIR=${DEMO_DIR:-$(mktemp -d /tmp/accord-demo.XXXXXX)}
PORT=${DEMO_PORT:-27400}
TIMEOUT=${DEMO_TIMEOUT:-30}
PIDS=()

say() { printf '\n== %s\n' "$*"; }
die() {
    printf '\nDEMO FAILED: %s\n' "$*" >&2
    for n in lead police ministry; do
        [ -f "$DIR/$n/node.log" ] && { echo "--- $n log (last lines)" >&2; tail -n 15 "$DIR/$n/node.log" >&2; }
    done
    exit 1
}
cleanup() {
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    [ -z "${DEMO_DIR:-}" ] && [ "${DEMO_KEEP:-0}" != 1 ] && rm -rf "$DIR"
}
trap cleanup EXIT
ctl() { local n=$1; shift; "$BIN/accordctl" -c "$DIR/$n/node.cfg" "$@"; }
# wait_for DESCRIPTION COMMAND... — retry COMMAND until it succeeds or the timeout passes.
wait_for() {
    local what=$1 i
    shift
    for ((i = 0; i < TIMEOUT * 5; i++)); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    die "timed out waiting for: $what"
}

say "Three agencies set up their nodes"
ctl_init() { "$BIN/accordctl" init "$DIR/$1" --agency "$2" --name "$3" --port-base "$4" >/dev/null || die "init $1"; }
ctl_init lead stttt-hn "Sở Thông tin và Truyền thông (lead)" "$PORT"
ctl_init police ca-hn "Công an tỉnh (coordinating)" $((PORT + 20))
ctl_init ministry bo-tttt "Bộ Thông tin và Truyền thông (parent)" $((PORT + 40))
key() { ctl "$1" key show | tail -n 1; }
KL=$(key lead) KP=$(key police) KM=$(key ministry)
echo "each node generated its CurveZMQ key pair; public keys exchanged out of band"

say "They register each other as peers, with their roles"
ctl lead peer add --agency ca-hn --role coordinating --endpoint "tcp://127.0.0.1:$((PORT + 20))" --public-key "$KP" --name "Công an tỉnh" 2>/dev/null || die "peer add"
ctl lead peer add --agency bo-tttt --role parent --endpoint "tcp://127.0.0.1:$((PORT + 40))" --public-key "$KM" --name "Bộ TT&TT" 2>/dev/null || die "peer add"
ctl police peer add --agency stttt-hn --role lead --endpoint "tcp://127.0.0.1:$PORT" --public-key "$KL" --name "Sở TT&TT" 2>/dev/null || die "peer add"
ctl ministry peer add --agency stttt-hn --role child --endpoint "tcp://127.0.0.1:$PORT" --public-key "$KL" --name "Sở TT&TT" 2>/dev/null || die "peer add"
echo "lead knows police (coordinating) and ministry (parent); police knows its lead; ministry knows its child"

for n in lead police ministry; do
    "$BIN/accord-node" -c "$DIR/$n/node.cfg" >>"$DIR/$n/node.log" 2>&1 &
    PIDS+=($!)
done
for n in lead police ministry; do
    wait_for "$n node up" ctl "$n" status
done
echo "three nodes running on 127.0.0.1"

say "The lead sets a routing rule: scam sites → the police request removal within 24 hours"
ctl lead route add --category scam --action request-removal --to ca-hn --deadline 24h || die "route add"


URL="https://vietcombank-xacthuc.online/dang-nhap?utm_source=sms"
say "A police officer reports a phishing site at the police node"
PCASE=$(ctl police report submit --url "$URL" --category scam --description "Trang giả mạo ngân hàng" --source officer) || die "submit at police"
echo "police case $PCASE; the police node forwards the report to its lead"

lead_case() { ctl lead case list --json | python3 -c 'import json,sys; c=[x["number"] for x in json.load(sys.stdin) if x["content_key"].startswith("https://vietcombank-xacthuc.online/")]; print(c[0]) if c else sys.exit(1)'; }
wait_for "the report to reach the lead" lead_case
LCASE=$(lead_case)
echo "the lead opened case $LCASE for it (provenance: forwarded by ca-hn)"

say "The lead verifies it: violating, with legal basis and reasons"
ctl lead verify decide "$LCASE" --verdict violating --category scam \
    --basis "Nghị định 15/2020/NĐ-CP, Điều 100" \
    --reasons "Trang giả mạo giao diện ngân hàng để chiếm đoạt thông tin đăng nhập" \
    --by "Nguyễn Văn A" || die "verify decide"

police_measure() { ctl police measure list --mine --json | python3 -c 'import json,sys; m=[x["id"] for x in json.load(sys.stdin) if x["case"]==sys.argv[1]]; print(m[0]) if m else sys.exit(1)' "$LCASE"; }
wait_for "the measure to reach the police" police_measure
MID=$(police_measure)
echo "the routing rule produced measure $MID for the police; it arrived at the police node"

say "The police carry it out and report back"
ctl police measure update "$MID" --status done --result "Đã yêu cầu nhà cung cấp gỡ bỏ; trang đã ngừng hoạt động" --by "Trần Thị B" || die "measure update"
lead_done() { ctl lead measure list --json | python3 -c 'import json,sys; sys.exit(0 if any(x["id"]==sys.argv[1] and x["status"]=="done" for x in json.load(sys.stdin)) else 1)' "$MID"; }
wait_for "the update to reach the lead" lead_done
echo "the lead sees the measure done"

say "The lead's timeline of case $LCASE"
wait_for "the timeline to show the update" sh -c "'$BIN/accordctl' -c '$DIR/lead/node.cfg' case show '$LCASE' | grep -q measure-update"
ctl lead case show "$LCASE"
say "Notices sent by the lead"
ctl lead notice list
echo
echo "DEMO OK: report → forward → verdict → measure → update, across three nodes"
