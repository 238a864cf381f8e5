#!/usr/bin/env bash
#
# test_peers.sh — the node's identity and its federation peers through accordctl, on
# files only (no node needs to run): `key show` prints the node's public key as its last
# line; `peer add/list/remove` keep peers.cfg beside node.cfg, which the config loader
# reads; bad peers exit 2 naming the field and leave peers.cfg as it was; `config check`
# lists every problem as FILE:LINE: message (exit 2) or says ok (exit 0).

source "$(dirname "$0")/lib.sh"
plan 100 # every check below runs on a passing run; a changed path fails

N=$T_TMP/n1
check "node init" node_init "$N" || done_testing
PEERS=$N/peers.cfg

# Three more node directories, only for their key pairs (keys of real peers).
for a in ca-hn bo-tttt ca-hp; do
    "$CTL" init "$T_TMP/$a" --agency "$a" >/dev/null 2>&1 || fail "init $a"
done
key_of() { "$CTL" -c "$T_TMP/$1/node.cfg" key show 2>/dev/null | tail -n 1; }
K_HN=$(key_of ca-hn)
K_BO=$(key_of bo-tttt)
K_HP=$(key_of ca-hp)

# --- key show -------------------------------------------------------------------------------

run ctl "$N" key show
check_rc "key show: exit 0" 0
LAST=$(printf '%s\n' "$OUT" | tail -n 1)
check_match "key show: last line is a 40-character key" '^.{40}$' "$LAST"
check_eq "key show: the key of keys/node.pub" "$(head -n 1 "$N/keys/node.pub")" "$LAST"
check_ne "key show: keys differ between nodes" "$LAST" "$K_HN"

chmod 0644 "$N/keys/node.key"
run ctl "$N" key show
check_rc "key show: secret key readable by others: exit 2" 2
check_match "key show: names the secret key file and its mode" "node\.key.*0644" "$ERR"
chmod 0600 "$N/keys/node.key"

run ctl "$N" key
check_rc "key without show: exit 2" 2

# --- peer add / list / remove ------------------------------------------------------------------

run ctl "$N" peer list --json
check_rc "peer list: no peers yet" 0
check_eq "peer list --json: empty array" "[]" "$OUT"
check_eq "no peers.cfg before the first add" "no" "$([ -e "$PEERS" ] && echo yes || echo no)"

NAME_HN='Công an "Hà Nội" \ phòng A05'
run ctl "$N" peer add --agency ca-hn --role lead --endpoint tcp://10.0.0.5:7400 \
    --public-key "$K_HN" --name "$NAME_HN"
check_rc "peer add lead: exit 0" 0
check_match "peer add: says restart" "restart" "$ERR"
check_match "peer add: peers.cfg says who writes it" "accordctl peer add" "$(cat "$PEERS" 2>/dev/null)"
run ctl "$N" peer add --agency bo-tttt --role parent --endpoint tcp://bo.example.vn:7400 \
    --public-key "$K_BO"
check_rc "peer add parent: exit 0" 0

run ctl "$N" peer list --json
check_rc "peer list --json: exit 0" 0
check_eq "peer list: two peers" "2" "$(jget "$OUT" 'length')"
check_eq "peer list: agency" "ca-hn" "$(jget "$OUT" '.[0].agency')"
check_eq "peer list: role" "lead" "$(jget "$OUT" '.[0].role')"
check_eq "peer list: endpoint" "tcp://10.0.0.5:7400" "$(jget "$OUT" '.[0].endpoint')"
check_eq "peer list: public_key" "$K_HN" "$(jget "$OUT" '.[0].public_key')"
check_eq "peer list: name with quotes and backslash" "$NAME_HN" "$(jget "$OUT" '.[0].name')"
check_eq "peer list: no name is null" "null" "$(jget "$OUT" '.[1].name')"
check_eq "peer list: second role" "parent" "$(jget "$OUT" '.[1].role')"

run ctl "$N" peer list
check_rc "peer list (text): exit 0" 0
check_match "peer list (text): a line per peer" "bo-tttt +parent +tcp://bo.example.vn:7400" "$OUT"

run ctl "$N" config check
check_rc "config check with peers.cfg: exit 0" 0

# --- bad peers: exit 2 naming the field, peers.cfg unchanged ------------------------------------

cp "$PEERS" "$T_TMP/peers.before"
# expect_bad NAME ERE ARGS... — `peer add ARGS` exits 2, stderr matches ERE, peers.cfg is
# byte for byte what it was and no temporary file is left beside it.
expect_bad() {
    local name=$1 re=$2
    shift 2
    run ctl "$N" peer add "$@"
    check_rc "$name: exit 2" 2
    check_match "$name: names the field" "$re" "$ERR"
    check "$name: peers.cfg unchanged" cmp -s "$PEERS" "$T_TMP/peers.before"
    check_eq "$name: no temporary file" "" "$(find "$N" -maxdepth 1 -name '.peers.cfg.*')"
}
expect_bad "bad role" "--role: 'boss' must be one of lead, coordinating, parent, child" \
    --agency ca-hp --role boss --endpoint tcp://10.0.0.7:7400 --public-key "$K_HP"
expect_bad "bad key" "--public-key: .*public_key.* must be a CURVE public key" \
    --agency ca-hp --role child --endpoint tcp://10.0.0.7:7400 --public-key "not-a-key"
expect_bad "own agency" "--agency: 'stttt-hn' is this node's own agency" \
    --agency stttt-hn --role child --endpoint tcp://10.0.0.7:7400 --public-key "$K_HP"
expect_bad "second lead" "--role: 'ca-hp' would be a second peer with role lead \('ca-hn'" \
    --agency ca-hp --role lead --endpoint tcp://10.0.0.7:7400 --public-key "$K_HP"
expect_bad "second parent" "--role: 'ca-hp' would be a second peer with role parent" \
    --agency ca-hp --role parent --endpoint tcp://10.0.0.7:7400 --public-key "$K_HP"
expect_bad "duplicate key" "--public-key: duplicate public key" \
    --agency ca-hp --role child --endpoint tcp://10.0.0.7:7400 --public-key "$K_HN"
expect_bad "existing agency" "--agency: 'ca-hn' is a peer already" \
    --agency ca-hn --role child --endpoint tcp://10.0.0.7:7400 --public-key "$K_HP"
expect_bad "bad agency id" "--agency: .*must match" \
    --agency CA_HP --role child --endpoint tcp://10.0.0.7:7400 --public-key "$K_HP"
expect_bad "endpoint not tcp" "--endpoint: .*must be \"tcp://HOST:PORT\"" \
    --agency ca-hp --role child --endpoint udp://10.0.0.7:7400 --public-key "$K_HP"
expect_bad "endpoint without port" "--endpoint: " \
    --agency ca-hp --role child --endpoint tcp://10.0.0.7 --public-key "$K_HP"
expect_bad "missing public key" "--public-key: is required" \
    --agency ca-hp --role child --endpoint tcp://10.0.0.7:7400
expect_bad "name with a control character" "--name: .*control characters" \
    --agency ca-hp --role child --endpoint tcp://10.0.0.7:7400 --public-key "$K_HP" \
    --name "$(printf 'a\tb')"

# Vietnamese messages keep the field name.
run env LC_ALL=vi_VN.UTF-8 "$CTL" -c "$N/node.cfg" peer add --agency ca-hp --role boss \
    --endpoint tcp://10.0.0.7:7400 --public-key "$K_HP"
check_rc "bad role (vi): exit 2" 2
check_match "bad role (vi): Vietnamese, names --role" "--role: 'boss' phải là một trong" "$ERR"

# A coordinating peer after all that.
run ctl "$N" peer add --agency ca-hp --role coordinating --endpoint tcp://10.0.0.7:7400 \
    --public-key "$K_HP"
check_rc "peer add coordinating: exit 0" 0
run ctl "$N" peer list --json
check_eq "three peers" "ca-hn bo-tttt ca-hp" "$(jget "$OUT" '[.[].agency] | join(" ")')"

run ctl "$N" peer remove --agency ca-hn
check_rc "peer remove --agency: exit 0" 0
check_match "peer remove: says restart" "restart" "$ERR"
run ctl "$N" peer remove bo-tttt
check_rc "peer remove ID: exit 0" 0
run ctl "$N" peer list --json
check_eq "one peer left" "ca-hp" "$(jget "$OUT" '[.[].agency] | join(" ")')"
run ctl "$N" peer remove ca-hn
check_rc "peer remove of a non-peer: exit 2" 2
check_match "peer remove of a non-peer: names the agency" "--agency: 'ca-hn' is not a peer" "$ERR"
# With the lead gone, another lead is fine.
run ctl "$N" peer add --agency ca-hn --role lead --endpoint tcp://10.0.0.5:7400 --public-key "$K_HN"
check_rc "a new lead after the old one was removed" 0

# --- config check ---------------------------------------------------------------------------------

run ctl "$N" config check
check_rc "config check good: exit 0" 0
check_eq "config check good: ok" "ok" "$OUT"
run env LC_ALL=vi_VN.UTF-8 "$CTL" -c "$N/node.cfg" config check
check_eq "config check good (vi)" "hợp lệ" "$OUT"

cp "$N/node.cfg" "$T_TMP/node.cfg.good"
cp "$PEERS" "$T_TMP/peers.cfg.good"
sed -i 's/batch_max = 1000;/batch_max = 0;/' "$N/node.cfg"
LINE_BATCH=$(grep -n 'batch_max = 0;' "$N/node.cfg" | cut -d: -f1)
printf 'colour = "blue";\n' >>"$N/node.cfg"
printf 'shape = 1;\n' >>"$PEERS"
LINES_NODE=$(wc -l <"$N/node.cfg")
LINES_PEERS=$(wc -l <"$PEERS")
run ctl "$N" config check
check_rc "config check broken: exit 2" 2
check_match "config check: range with file:line" \
    "^$N/node.cfg:$LINE_BATCH: 'intake.batch_max' must be between 1 and 100000" "$OUT"
check_match "config check: unknown key with file:line" \
    "^$N/node.cfg:$LINES_NODE: unknown key 'colour'$" "$OUT"
check_match "config check: peers.cfg problem with its own file:line" \
    "$N/peers.cfg:$LINES_PEERS: unknown key 'shape'" "$OUT"
check_eq "config check: one line per problem" "3" "$(printf '%s\n' "$OUT" | grep -c ':[0-9]*: ')"
# Other commands refuse the broken config too.
run ctl "$N" peer list
check_rc "peer list on a broken config: exit 2" 2

# Peers in node.cfg and peers.cfg at once: an error naming both files.
cp "$T_TMP/node.cfg.good" "$N/node.cfg"
cp "$T_TMP/peers.cfg.good" "$PEERS"
printf 'peers = ( );\n' >>"$N/node.cfg"
run ctl "$N" config check
check_rc "peers in both files: exit 2" 2
check_match "peers in both files: names both" "node\.cfg:[0-9]+: 'peers' is set in both '.*node\.cfg' and '.*peers\.cfg'" "$OUT"

cp "$T_TMP/node.cfg.good" "$N/node.cfg"
run ctl "$N" config check
check_rc "config check after repair: exit 0" 0

run "$CTL" -c "$T_TMP/absent.cfg" config check
check_rc "config check of a missing file: exit 2" 2
check_match "config check of a missing file: says so" "cannot open" "$OUT"

done_testing
