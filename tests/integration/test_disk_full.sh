#!/usr/bin/env bash
#
# test_disk_full.sh — a full disk stops acknowledgements with a retryable error, loses
# nothing acknowledged, keeps the node up, and the node resumes when space returns.
# The node's data directory is a small tmpfs (root only; elsewhere the test says why it
# cannot run and counts nothing).

source "$(dirname "$0")/lib.sh"

N=$T_TMP/n1
check "node init" node_init "$N"
if [ "$(id -u)" != 0 ] || ! mount -t tmpfs -o size=3m tmpfs "$N/data" 2>/dev/null; then
    echo "# cannot mount a tmpfs here (needs root): disk-full test not run"
    done_testing
    exit 0
fi
unmount() { umount "$N/data" 2>/dev/null || umount -l "$N/data" 2>/dev/null; }
trap 'node_kill9 "$N" >/dev/null 2>&1; unmount; _cleanup' EXIT
check "node start on a 3 MiB data directory" node_start "$N"

# 600 reports of ~16 KiB each (about 10 MiB): far more than fits.
python3 - "$T_TMP/big.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(600):
        f.write(json.dumps({"id": "0193a1b0-0000-7000-8000-%012x" % i,
                            "url": "http://full-%d.example.vn/" % i, "category": "scam",
                            "description": ("Lừa đảo %d " % i) * 1400}) + "\n")
PY

run ctl "$N" report import "$T_TMP/big.jsonl"
check_rc "import into a full store: exit 1 (node cannot store now)" 1
check_match "the message says the store is full and to retry" "full|try again|thử lại" "$ERR"
check "node is still up after the disk filled" node_alive "$N"
read -r R1 C1 < <(node_counts "$N")
check "status still answers on a full disk" test -n "$R1"
check "some reports were stored before the disk filled" test "${R1:-0}" -gt 0
check "not all of them" test "${R1:-0}" -lt 600

# Acknowledged reports survive a crash on the full disk.
node_kill9 "$N"
check "node restarts on the full disk" node_start "$N"
read -r R2 C2 < <(node_counts "$N")
check_eq "after kill -9: reports stored before are all there" "$R1" "$R2"

# Space returns: the same import completes, each report stored once.
mount -o remount,size=64m "$N/data"
run ctl "$N" report import "$T_TMP/big.jsonl"
check_rc "import after space returns: exit 0" 0
read -r R3 C3 < <(node_counts "$N")
check_eq "every report present exactly once" 600 "$R3"
check_eq "one case per distinct url" 600 "$C3"
check_match "the already stored ones were recognised" "already present: $R2" "$OUT"
node_stop "$N"
done_testing
