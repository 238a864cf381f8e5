#!/usr/bin/env bash
#
# test_crash.sh — a node killed with SIGKILL in the middle of a large import loses nothing
# it confirmed and duplicates nothing when the operator simply runs the same import again.
#
# A generated JSONL file of 100,000 lines: 70,000 distinct content keys (68,000 URLs,
# 2,000 texts), ~30% of the URL records are repeats of an earlier URL in another but
# equivalent spelling (case, port, dot segments, tracking parameters, fragment, percent
# escapes, trailing dot, IDN in Unicode or punycode), text repeats differ in white space,
# 1,000 lines are exact copies of other lines, half of the records carry an id and half
# do not (accordctl derives one from the content). So by construction the file holds
# 99,000 distinct reports and 70,000 distinct cases.
#
# Round A: import, kill -9 the node while the import is in flight, restart, import again
# to completion, check. Round B: the same with two crashes at different times.

source "$(dirname "$0")/lib.sh"

LINES=100000
REPORTS=99000 # distinct records: LINES minus the exact copies
CASES=70000   # distinct content keys
SEED=${CRASH_SEED:-$RANDOM}
echo "# seed $SEED (set CRASH_SEED to repeat)"
RANDOM=$SEED

if ! command -v python3 >/dev/null 2>&1; then
    echo "not ok - python3 is installed (needed to generate the import file)"
    exit 1
fi

# --- the input file -----------------------------------------------------------------------

cat >"$T_TMP/gen.py" <<'EOF'
# gen.py OUT SEED SAMPLE_OUT — writes the import file and a sample of (spelling, expected
# canonical URL) pairs; prints "lines distinct_records distinct_keys".
import json, random, sys

out, seed, sample_out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rnd = random.Random(seed)
U_URL, R_URL, U_TXT, R_TXT, COPIES = 68000, 28000, 2000, 1000, 1000
CATS = ["scam", "phishing-malware", "gambling", "impersonation"]

def host(j, unicode_form):
    # 499 hosts, every tenth URL on an internationalised host
    h = j % 499
    if j % 10 == 0:
        label = "bücher%d" % h
        return label if unicode_form else label.encode("idna").decode()
    return "s%d" % h

def canonical(j):
    return "http://%s.example/p/%d" % (host(j, False), j)

def variant(j, i):
    """An equivalent spelling of canonical(j); i makes query and fragment unique."""
    hst = host(j, rnd.random() < 0.5) + ".example"
    scheme, path, port, query, frag = "http", "/p/%d" % j, "", "", ""
    for op in rnd.sample(range(8), rnd.randint(1, 3)):
        if op == 0:
            scheme, hst = "HTTP", hst.upper()
        elif op == 1:
            port = ":80"
        elif op == 2:
            path = "/p/x/../%d" % j
        elif op == 3:
            path = "/p/./%d" % j
        elif op == 4:
            query = "?utm_source=feed%d&fbclid=f%d" % (i, i)
        elif op == 5:
            frag = "#s%d" % i
        elif op == 6:
            path = "/%%70/%d" % j
        elif op == 7:
            hst = hst + "."
    return "%s://%s%s%s%s%s" % (scheme, hst, port, path, query, frag)

WORDS = ["chuyển", "khoản", "ngay", "nhận", "quà", "trúng", "thưởng", "xe", "máy", "vay", "tiền"]

def text(t):
    return "tin số %d %s %s" % (t, WORDS[t % 11], WORDS[(t * 7) % 11])

def text_variant(t):
    ws = [" ", "  ", "\t", "\n", " \u00a0"]
    return rnd.choice(ws) + text(t).replace(" ", rnd.choice(ws)) + rnd.choice(ws)

recs = []
for j in range(U_URL):  # first sighting of each URL, 30% already in a variant spelling
    recs.append({"url": variant(j, j) if rnd.random() < 0.3 else canonical(j), "_j": j})
for k in range(R_URL):  # repeats in equivalent spellings
    j = rnd.randrange(U_URL)
    recs.append({"url": variant(j, U_URL + k), "_j": j})
for t in range(U_TXT):
    recs.append({"text": text(t), "_j": t})
for k in range(R_TXT):
    t = rnd.randrange(U_TXT)
    recs.append({"text": text_variant(t), "_j": t})
rnd.shuffle(recs)

lines, noid = [], []
for n, r in enumerate(recs):
    j = r.pop("_j")
    r["category"] = CATS[j % 4]
    r["description"] = "record %d" % n  # every record distinct
    r["source"] = "crash-test"
    if n % 3 == 0:
        r["observed_at"] = "2025-%02d-%02dT%02d:%02d:00+07:00" % (n % 12 + 1, n % 28 + 1, n % 24, n % 60)
    if n % 2 == 0:
        r["id"] = "0192d9a0-%04x-7%03x-8%03x-%012x" % (n >> 16 & 0xffff, n >> 4 & 0xfff, n & 0xfff, n)
    else:
        noid.append(n)
    lines.append(json.dumps(r, ensure_ascii=False))
# Exact copies of records without an id: same content, hence the same derived id.
for copy in [lines[i] for i in rnd.sample(noid, COPIES)]:
    lines.insert(rnd.randrange(len(lines) + 1), copy)
with open(out, "w", encoding="utf-8") as f:
    f.write("\n".join(lines) + "\n")
with open(sample_out, "w", encoding="utf-8") as f:
    for j in rnd.sample(range(U_URL), 100):
        for _ in range(2):
            f.write("%s\t%s\n" % (variant(j, 10**7 + j), canonical(j)))
print(len(lines), len(lines) - COPIES, U_URL + U_TXT)
EOF

FILE=$T_TMP/reports.jsonl
run python3 "$T_TMP/gen.py" "$FILE" "$SEED" "$T_TMP/sample.tsv"
check_rc "generate $LINES records" 0
check_eq "generator: lines, distinct records, distinct keys" "$LINES $REPORTS $CASES" "$OUT"

# The construction relies on these spellings being equivalent: check a sample.
bad=0
while IFS=$'\t' read -r spelling want; do
    got=$("$CTL" url canonical "$spelling" 2>&1)
    if [ "$got" != "$want" ]; then
        bad=$((bad + 1))
        [ "$bad" -le 5 ] && diag "url canonical '$spelling' = '$got', expected '$want'"
    fi
done <"$T_TMP/sample.tsv"
check_eq "generator: sampled spellings canonicalise as constructed" 0 "$bad"

# --- helpers --------------------------------------------------------------------------------

# consistent DIR LABEL — the node's counts agree with its case list: one entry per case,
# distinct numbers and content keys, report counts summing to the status count.
consistent() {
    local dir=$1 label=$2 r c facts
    read -r r c <<<"$(node_counts "$dir")"
    # One pass of jq over the (large) list: length, distinct numbers, distinct keys, sum of
    # report counts, numbers skipped.
    facts=$(ctl "$dir" case list --json | jq -r '
        [length, ([.[].number] | unique | length), ([.[].content_key] | unique | length),
         ([.[].reports] | add // 0),
         (([.[].number | split("/")[2] | tonumber] | max // 0) - length)] | map(tostring) | join(" ")')
    local n un uk sum gaps
    read -r n un uk sum gaps <<<"$facts"
    check_eq "$label: case list length == status cases" "$c" "${n:-}"
    check_eq "$label: case numbers distinct" "$c" "${un:-}"
    check_eq "$label: content keys distinct" "$c" "${uk:-}"
    check_eq "$label: case report counts sum to status reports" "$r" "${sum:-}"
    [ "${gaps:-0}" = 0 ] || diag "$label: $gaps case numbers skipped (allowed, never reused)"
}

# kill_delay_ms DIR — a kill delay in ms: random in 500..3000 ms, but inside the import's
# duration as measured on this machine (so the kill lands while the import is in flight
# even when the import takes less than 3 s here).
kill_delay_ms() {
    local r c d lo=500 hi=3000
    # A later import first skips what is stored already: count only what is left to do.
    read -r r c <<<"$(node_counts "$1")"
    d=$((IMPORT_MS * (REPORTS - ${r:-0}) / REPORTS))
    ((hi > d * 7 / 10)) && hi=$((d * 7 / 10))
    ((lo >= hi)) && lo=$((d * 15 / 100))
    ((hi <= lo)) && hi=$((lo + 1))
    echo $((lo + (RANDOM * 32768 + RANDOM) % (hi - lo)))
}

# crash_import DIR LABEL — import FILE in the background, kill -9 the node after a random
# delay while the import is still running, wait for the import to give up, restart the
# node. Sets CRASH_HIT=1 when the import was in flight at the kill.
crash_import() {
    local dir=$1 label=$2 ms ipid rc
    ms=$(kill_delay_ms "$dir")
    # The client waits this long for an answer before giving up on the dead node.
    ACCORDCTL_TIMEOUT_MS=4000 "$CTL" -c "$dir/node.cfg" report import "$FILE" \
        >"$T_TMP/crash.out" 2>"$T_TMP/crash.err" &
    ipid=$!
    T_EXTRA_PIDS="${T_EXTRA_PIDS:-} $ipid"
    sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
    CRASH_HIT=0
    kill -0 "$ipid" 2>/dev/null && CRASH_HIT=1
    node_kill9 "$dir"
    wait "$ipid"
    rc=$?
    echo "# $label: node killed after $ms ms (import ~${IMPORT_MS} ms uninterrupted)"
    if [ "$CRASH_HIT" -eq 1 ]; then
        check_eq "$label: interrupted import exits 1" 1 "$rc"
        check_match "$label: interrupted import says to run it again" "stopped answering" \
            "$(cat "$T_TMP/crash.err")"
    fi
    check "$label: restart after kill -9" node_start "$dir"
}

# finish_import DIR LABEL — run the import to completion after crashes and check that
# everything is present exactly once.
finish_import() {
    local dir=$1 label=$2 r0 c0
    read -r r0 c0 <<<"$(node_counts "$dir")"
    echo "# $label: before the final import: $r0 reports, $c0 cases stored"
    run ctl "$dir" report import "$FILE"
    check_rc "$label: import again: exit 0" 0
    check_match "$label: import again: all records read" "^records read: $LINES\$" "$OUT"
    check_match "$label: import again: nothing rejected" '^rejected: 0$' "$OUT"
    # What was stored before is recognised (plus the exact copies inside the file).
    check_match "$label: import again: stored records already present" \
        "^already present: $((r0 + LINES - REPORTS))\$" "$OUT"
    check_match "$label: import again: only the missing cases opened" \
        "^new cases: $((CASES - c0))\$" "$OUT"
    check_eq "$label: status: every report exactly once, one case per key" \
        "$REPORTS $CASES" "$(node_counts "$dir")"
    check_eq "$label: case list --json | jq length" "$CASES" \
        "$(ctl "$dir" case list --json | jq length)"
    consistent "$dir" "$label: final"
}

# --- calibration: how long does the whole import take here? --------------------------------

CAL=$T_TMP/cal
node_init "$CAL" && node_start "$CAL" || { fail "calibration node starts"; done_testing; }
t0=$(date +%s%N)
run ctl "$CAL" report import "$FILE"
IMPORT_MS=$((($(date +%s%N) - t0) / 1000000))
check_rc "uninterrupted import: exit 0" 0
check_match "uninterrupted import: new cases" "^new cases: $CASES\$" "$OUT"
check_match "uninterrupted import: attached" "^attached to existing cases: $((REPORTS - CASES))\$" "$OUT"
check_match "uninterrupted import: already present (the copies)" "^already present: $((LINES - REPORTS))\$" "$OUT"
check_eq "uninterrupted import: status" "$REPORTS $CASES" "$(node_counts "$CAL")"
echo "# uninterrupted import of $LINES records: $IMPORT_MS ms"
node_stop "$CAL"
rm -rf "$CAL"

# --- round A: one crash -------------------------------------------------------------------

# round DIR LABEL CRASHES — fresh node, CRASHES crashes during imports, then completion.
# A crash that missed the import (it had already finished) is retried with a fresh node.
round() {
    local dir=$1 label=$2 crashes=$3 attempt k hits
    for ((attempt = 1; attempt <= 3; attempt++)); do
        rm -rf "$dir"
        node_init "$dir" && node_start "$dir" || { fail "$label: node starts"; return; }
        hits=0
        for ((k = 1; k <= crashes; k++)); do
            crash_import "$dir" "$label crash $k"
            hits=$((hits + CRASH_HIT))
            consistent "$dir" "$label after crash $k"
        done
        [ "$hits" -eq "$crashes" ] && break
        echo "# $label: an import finished before its kill; trying again (attempt $attempt)"
        IMPORT_MS=$((IMPORT_MS * 2 / 3))
        node_stop "$dir"
    done
    check_eq "$label: every kill landed while the import was in flight" "$crashes" "$hits"
    finish_import "$dir" "$label"
    node_stop "$dir"
    check_eq "$label: clean stop" 0 "$?"
    rm -rf "$dir"
}

round "$T_TMP/a" "round A" 1
round "$T_TMP/b" "round B" 2

done_testing
