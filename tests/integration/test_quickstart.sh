#!/usr/bin/env bash
#
# test_quickstart.sh — what the README tells a newcomer to do works: `make run`'s script
# creates a demo node, imports every sample (reports and each feed format), runs in the
# foreground and prints how to use accordctl; those commands work; Ctrl-C stops it
# cleanly. And `make demo` walks one report across three nodes to the end.

source "$(dirname "$0")/lib.sh"
plan 14 # every check below runs on a passing run; a changed path fails

D=$T_TMP/demo
BASE=$(free_port_base)
( cd "$ACC_ROOT" && BUILD=${ACC_BUILD#"$ACC_ROOT"/} ACCORD_DEMO_DIR=$D ACCORD_DEMO_PORT=$BASE \
    exec scripts/run-demo.sh ) >"$T_TMP/run.out" 2>&1 &
RUN=$!
for _ in $(seq 1 6000); do # hang guard, not a time limit
    grep -q "Ctrl-C stops the node" "$T_TMP/run.out" && break
    kill -0 "$RUN" 2>/dev/null || break
    sleep 0.1
done
check_match "make run: says where the node listens" "intake: ipc://.*tcp://127.0.0.1:$BASE" "$(cat "$T_TMP/run.out")"
check_match "make run: imported the sample reports" "records read: 10" "$(cat "$T_TMP/run.out")"
check_match "make run: imported the STIX sample feed" "importing feed stix-bundle.json" "$(cat "$T_TMP/run.out")"
check_match "make run: prints the citizen form address" "http://127.0.0.1:$((BASE + 8))/report" "$(cat "$T_TMP/run.out")"
run "$CTL" -c "$D/node.cfg" case list --json
check_rc "the README's 'case list' works against the demo node" 0
check "the demo node holds cases from the samples" test "$(jget "$OUT" length)" -gt 20
FIRST=$(jget "$OUT" '.[0].number')
run "$CTL" -c "$D/node.cfg" case show "$FIRST"
check_rc "the README's 'case show' works" 0
run "$CTL" -c "$D/node.cfg" report submit --url 'https://example.vn/lua-dao' --category scam
check_rc "the README's 'report submit' works" 0
if command -v curl >/dev/null; then
    run curl -fsS "http://127.0.0.1:$((BASE + 8))/report"
    check_match "the citizen form is served" "<form" "$OUT"
else
    skip "the citizen form is served" "curl is not installed"
fi
kill -INT "$RUN"
wait "$RUN"
check_eq "Ctrl-C stops make run cleanly" 0 "$?"

# make demo
run env BUILD="${ACC_BUILD#"$ACC_ROOT"/}" DEMO_PORT=$((BASE + 20)) bash -c "cd '$ACC_ROOT' && scripts/demo.sh"
check_rc "make demo: exit 0" 0
check_match "make demo: every step happened" "DEMO OK" "$OUT"
check_match "make demo: the lead's timeline shows the verdict with its basis" "verdict violating .*basis" "$OUT"
check_match "make demo: and the police's update" "measure-update" "$OUT"
done_testing
