#!/usr/bin/env bash
#
# test_disk_full.sh — a full disk stops acknowledgements with a retryable error, loses
# nothing acknowledged, keeps the node up, and the node resumes when space returns.
# The node's data directory is a small tmpfs (root only; elsewhere the whole test is a
# recorded skip, "1..0 # SKIP", never a pass).
#
# What was acknowledged is the client's record, not the node's counts: the import runs
# through tests/tools/ack_import, which logs every acknowledgement it receives. After a
# kill -9 on the full disk every acknowledged id must be stored; then space returns and
# the operator's re-import completes, each report stored once.

source "$(dirname "$0")/lib.sh"

ACK_IMPORT=$ACC_BUILD/tools/ack_import
STORE_PY=$ACC_ROOT/tests/tools/acc_store.py
TOTAL=600

[ "$(id -u)" = 0 ] || skip_all "needs root to mount a tmpfs as the node's data directory"
N=$T_TMP/n1
node_init "$N" || { fail "node init"; done_testing; }
mount -t tmpfs -o size=3m tmpfs "$N/data" 2>"$T_TMP/mount.err" ||
    skip_all "cannot mount a tmpfs here: $(head -c 200 "$T_TMP/mount.err")"
plan 23 # the whole test runs from here on (skips are decided above)
unmount() { umount "$N/data" 2>/dev/null || umount -l "$N/data" 2>/dev/null; }
trap 'node_kill9 "$N" >/dev/null 2>&1; unmount; _cleanup' EXIT
for tool in python3 mdb_dump; do
    command -v "$tool" >/dev/null 2>&1 || { fail "$tool is installed (scripts/deps.sh)"; done_testing; }
done
check "ack_import built" test -x "$ACK_IMPORT" || done_testing
check "node start on a 3 MiB data directory" node_start "$N" || done_testing

# stored_ids — the report ids in the intake store, one per line, sorted (repeats kept).
stored_ids() {
    python3 "$STORE_PY" summary "$N/data" | jq -r '.reports[][0]' | sort
}

# 600 reports of ~16 KiB each (about 10 MiB): far more than fits.
python3 - "$T_TMP/big.jsonl" "$TOTAL" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(int(sys.argv[2])):
        f.write(json.dumps({"id": "0193a1b0-0000-7000-8000-%012x" % i,
                            "url": "http://full-%d.example.vn/" % i, "category": "scam",
                            "description": ("Lừa đảo %d " % i) * 1400}) + "\n")
PY
sed -n 's/.*"id": "\([^"]*\)".*/\1/p' "$T_TMP/big.jsonl" | sort >"$T_TMP/all.ids"
check_eq "the file holds $TOTAL distinct ids" "$TOTAL" "$(sort -u "$T_TMP/all.ids" | wc -l)"

ACKS=$T_TMP/acks
run "$ACK_IMPORT" "ipc://$N/data/intake.sock" "$T_TMP/big.jsonl" "$ACKS" 600000
check_rc "import into a full store: exit 1 (a batch refused)" 1
grep '^ack ' "$ACKS" | cut -d' ' -f2 | sort -u >"$T_TMP/acked"
A1=$(wc -l <"$T_TMP/acked")
echo "# $A1 of $TOTAL records acknowledged before the disk filled"
check "some reports were acknowledged before the disk filled" test "$A1" -gt 0
check "not all of them" test "$A1" -lt "$TOTAL"
# The node's own answer (code 3 = RETRY), not the client's wording.
check_match "the node refused with RETRY: the store is full, nothing of the request stored" \
    '^refused [0-9]+ 3 the store is full \(disk or map limit\): nothing of this request was stored; send it again later$' \
    "$(grep '^refused ' "$ACKS" | head -1)"
check "node is still up after the disk filled" node_alive "$N"
run ctl "$N" report import "$T_TMP/big.jsonl"
check_rc "accordctl import on the full disk: exit 1" 1
check_match "accordctl passes on the node's message" \
    'the store is full \(disk or map limit\): nothing of this request was stored' "$ERR"
check_match "status still answers on a full disk" '^[0-9]+ [0-9]+$' "$(node_counts "$N")"
check_eq "every acknowledged report is stored (before any crash)" "" \
    "$(comm -23 "$T_TMP/acked" <(stored_ids) | head -5)"

# Acknowledged reports survive a crash on the full disk.
node_kill9 "$N"
check "node restarts on the full disk" node_start "$N"
stored_ids >"$T_TMP/stored"
check_eq "after kill -9: every acknowledged report is stored" "" \
    "$(comm -23 "$T_TMP/acked" "$T_TMP/stored" | head -5)"
check_eq "after kill -9: no report stored twice" "" "$(uniq -d "$T_TMP/stored" | head -5)"
R2=$(wc -l <"$T_TMP/stored")
check_match "after kill -9: status counts what the store holds" "^$R2 $R2\$" "$(node_counts "$N")"

# Space returns: the same import completes, each report stored once.
check "space returns (remount with 64 MiB)" mount -o remount,size=64m "$N/data"
run ctl "$N" report import "$T_TMP/big.jsonl"
check_rc "import after space returns: exit 0" 0
check_match "the already stored ones were recognised" "^already present: $R2\$" "$OUT"
check_match "the others were stored" "^new cases: $((TOTAL - R2))\$" "$OUT"
check_eq "status: every report present exactly once, one case per url" "$TOTAL $TOTAL" \
    "$(node_counts "$N")"
check_eq "the stored ids are exactly the file's" "$(sha256sum <"$T_TMP/all.ids")" \
    "$(stored_ids | sha256sum)"
nodes_stop_checked "$N"
done_testing
