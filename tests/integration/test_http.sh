#!/usr/bin/env bash
#
# test_http.sh — HTTP ingest and the citizen form against a real accord-node on loopback,
# driven with curl: POST /v1/reports (accepted, partly rejected, unauthorised, too large,
# rate-limited, malformed), POST /v1/feeds/{source} in two formats, wrong methods and
# paths, GET/POST /report (languages, receipt, contact details kept out of reports,
# validation errors echoed HTML-escaped, the per-address limit) and HTTPS.

source "$(dirname "$0")/lib.sh"

command -v curl >/dev/null 2>&1 || {
    echo "not ok - curl is installed"
    exit 1
}

N=$T_TMP/h1
TOK=tok-vncert-0123456789abcdef
SLOW_TOK=tok-slowfeed-0123456789abcdef
PHONE=0912345678987
EMAIL=reporter-secret@example.vn

# http_port DIR — the port of http.bind in DIR/node.cfg.
http_port() {
    sed -n 's/^ *bind = "127\.0\.0\.1:\([0-9]*\)";.*/\1/p' "$1/node.cfg" | head -1
}

# make_node DIR — node_init with a free HTTP port (base + 8 is not checked by lib.sh), plus
# two sources, a small body cap and a small citizen rate.
make_node() {
    local dir=$1 try
    for ((try = 0; try < 10; try++)); do
        rm -rf "$dir"
        node_init "$dir" || return 1
        _port_free "$(http_port "$dir")" && break
    done
    sed -i -e 's/body_max_bytes = [0-9]*;/body_max_bytes = 65536;/' \
        -e 's/citizen_rate_per_minute = [0-9]*;/citizen_rate_per_minute = 3;/' "$dir/node.cfg"
    cat >>"$dir/node.cfg" <<EOF
sources = (
    { name = "vncert"; token = "$TOK"; trust = "high"; confidence = 80; rate_per_minute = 6000; },
    { name = "slowfeed"; token = "$SLOW_TOK"; trust = "low"; rate_per_minute = 3; }
);
EOF
}

# req METHOD PATH CURL_ARGS... — sets CODE, BODY (response body) and HDRS (headers).
req() {
    local m=$1 p=$2
    shift 2
    CODE=$(curl -sS -o "$T_TMP/.body" -D "$T_TMP/.hdrs" -w '%{http_code}' -X "$m" \
        "$BASE$p" "$@" 2>"$T_TMP/.curlerr")
    BODY=$(cat "$T_TMP/.body" 2>/dev/null)
    HDRS=$(tr -d '\r' <"$T_TMP/.hdrs" 2>/dev/null)
    T_LAST_CMD="curl -X $m $BASE$p $*"
    OUT=$BODY
    ERR=$(cat "$T_TMP/.curlerr")
    RC=$CODE
}

# case_urls — every case's url, one per line; fails (and prints nothing) when accordctl
# or the JSON fails, so that "not stored" can never be judged from an error.
case_urls() {
    local j
    j=$(ctl "$N" case list --json 2>/dev/null) || return 1
    printf '%s' "$j" | jq -e 'type == "array"' >/dev/null 2>&1 || return 1
    jget "$j" '.[].url'
}

# check_no_case NAME ERE — the case list answers and no case url matches ERE.
check_no_case() {
    local urls
    if ! urls=$(case_urls); then
        fail "$1"
        diag "accordctl case list --json failed or did not answer with a list"
        return 1
    fi
    check_eq "$1" "" "$(printf '%s\n' "$urls" | grep -E -- "$2")"
}

# check_case_count NAME N ERE — the case list answers and exactly N case urls match ERE.
check_case_count() {
    local urls
    if ! urls=$(case_urls); then
        fail "$1"
        diag "accordctl case list --json failed or did not answer with a list"
        return 1
    fi
    check_eq "$1" "$2" "$(printf '%s\n' "$urls" | grep -cE -- "$3")"
}

check "node init" make_node "$N"
check "node start" node_start "$N" || done_testing
BASE=http://127.0.0.1:$(http_port "$N")
check_match "log names the http url" "http ingest on http://127\.0\.0\.1:" "$(cat "$N/node.log")"

req GET /healthz
check_eq "healthz: 200" 200 "$CODE"
check_eq "healthz: ok" ok "$BODY"

# --- POST /v1/reports ----------------------------------------------------------------------

req POST /v1/reports -H "Authorization: Bearer $TOK" -H 'Content-Type: application/json' \
    --data-binary '{"url":"http://http-one.example/login","category":"phishing-malware","description":"fake bank"}'
check_eq "reports: one object accepted (202)" 202 "$CODE"
check_eq "reports: accepted 1" 1 "$(jget "$BODY" .accepted)"
check_eq "reports: outcome new_case" new_case "$(jget "$BODY" '.results[0].outcome')"
CASE1=$(jget "$BODY" '.results[0].case_number')
check_match "reports: case number in the answer" '^stttt-hn/20[0-9]{2}/[0-9]{6}$' "$CASE1"
check_match "reports: committed, case list shows it" '^http://http-one\.example/login$' "$(case_urls)"
SHOW=$(ctl "$N" case show "$CASE1" --json 2>/dev/null)
check_eq "reports: source from the token" vncert "$(jget "$SHOW" '.reports_list[0].source')"
check_eq "reports: default confidence from the source" 80 "$(jget "$SHOW" '.reports_list[0].confidence')"

req POST /v1/reports -H "Authorization: Bearer $TOK" \
    --data-binary '{"url":"http://http-one.example/login","category":"phishing-malware","description":"fake bank"}'
check_eq "reports: same report again is already_present (derived id)" already_present \
    "$(jget "$BODY" '.results[0].outcome')"

req POST /v1/reports -H "Authorization: Bearer $TOK" --data-binary '[
  {"url":"http://http-two.example/","category":"scam"},
  {"url":"ht!tp:// not a url","category":"scam"},
  {"url":42,"category":"scam"},
  {"text":"Trúng thưởng 100 triệu, gọi ngay","category":"scam","observed_at":"2026-01-02T03:04:05+07:00"},
  {"url":"http://http-three.example/","category":"scam","colour":"red"}
]'
check_eq "reports: array with bad records still 202" 202 "$CODE"
check_eq "reports: array accepted 2" 2 "$(jget "$BODY" .accepted)"
check_eq "reports: rejected paths in body order" '$[1].url $[2].url $[4].colour' \
    "$(jget "$BODY" '[.rejected[].path] | join(" ")')"
check_eq "reports: results carry body indexes" '0 3' "$(jget "$BODY" '[.results[].index] | join(" ")')"
check_ne "reports: text-only report stored" "" \
    "$(jget "$(ctl "$N" case list --json)" '.[] | select(.content_key | startswith("sha256:")) | .number')"

req POST /v1/reports -H "Authorization: Bearer $TOK" --data-binary '[{"url":5},{"bogus":1}]'
check_eq "reports: every record rejected is 400" 400 "$CODE"
check_eq "reports: 400 keeps the same shape" '0 2' "$(jget "$BODY" '"\(.accepted) \(.rejected | length)"')"

req POST /v1/reports -H "Authorization: Bearer $TOK" \
    --data-binary '{"url":"http://src.example/","category":"scam","source":"someone-else"}'
check_eq "reports: a foreign source field is rejected" '$.source' "$(jget "$BODY" '.rejected[0].path')"

req POST /v1/reports --data-binary '{"url":"http://noauth.example/","category":"scam"}'
check_eq "unauthorised: no token is 401" 401 "$CODE"
check_match "unauthorised: WWW-Authenticate: Bearer" '^WWW-Authenticate: Bearer' "$HDRS"
check_eq "unauthorised: json error path" Authorization "$(jget "$BODY" .path)"
req POST /v1/reports -H 'Authorization: Bearer not-a-valid-token-at-all' \
    --data-binary '{"url":"http://noauth.example/","category":"scam"}'
check_eq "unauthorised: wrong token is 401" 401 "$CODE"
check_no_case "unauthorised: nothing stored" noauth

head -c 70000 /dev/zero | tr '\0' ' ' >"$T_TMP/big.json"
req POST /v1/reports -H "Authorization: Bearer $TOK" --data-binary @"$T_TMP/big.json"
check_eq "oversized: Content-Length over the cap is 413" 413 "$CODE"
check_eq "oversized: json error" Content-Length "$(jget "$BODY" .path)"
req POST /v1/reports -H "Authorization: Bearer $TOK" -H 'Transfer-Encoding: chunked' \
    --data-binary @"$T_TMP/big.json"
check_eq "oversized: chunked body over the cap is 413" 413 "$CODE"
head -c 3000000 /dev/zero | tr '\0' ' ' >"$T_TMP/huge.json"
req POST /v1/reports -H "Authorization: Bearer $TOK" -H 'Expect: 100-continue' \
    --data-binary @"$T_TMP/huge.json"
check_eq "oversized: 3 MB with Expect: 100-continue is 413 before the upload" 413 "$CODE"

req POST /v1/reports -H "Authorization: Bearer $TOK" --data-binary $'{\n  "url": "http://x.example/",\n  "category": "scam",\n}'
check_eq "malformed: 400" 400 "$CODE"
check_eq "malformed: path, line and column" '$ 4 1' "$(jget "$BODY" '"\(.path) \(.line) \(.column)"')"
check_match "malformed: message names the position" 'line 4, column 1' "$(jget "$BODY" .error)"
req POST /v1/reports -H "Authorization: Bearer $TOK" --data-binary '"just a string"'
check_eq "malformed: a json string is 400" 400 "$CODE"

# The source "slowfeed" may send 3 reports a minute (a token bucket, full at the start,
# refilled continuously). No check here depends on how long the requests take: the first
# request finds the bucket full whatever the time; then requests of 2 reports are sent
# until one is refused (a stall only refills the bucket and delays the refusal: 20
# requests, 40 reports, cannot all pass unless about 13 minutes go by); and a request of
# more reports than the limit is refused at any time.
req POST /v1/reports -H "Authorization: Bearer $SLOW_TOK" \
    --data-binary '[{"url":"http://slow-1.example/","category":"scam"},{"url":"http://slow-2.example/","category":"scam"}]'
check_eq "rate limit: within the limit 202" 202 "$CODE"
ACCEPTED=2
REFUSED=""
for ((k = 3; k < 43; k += 2)); do
    req POST /v1/reports -H "Authorization: Bearer $SLOW_TOK" \
        --data-binary "[{\"url\":\"http://slow-$k.example/\",\"category\":\"scam\"},{\"url\":\"http://slow-$((k + 1)).example/\",\"category\":\"scam\"}]"
    if [ "$CODE" = 429 ]; then
        REFUSED="slow-$k\\.|slow-$((k + 1))\\."
        break
    fi
    [ "$CODE" = 202 ] || break
    ACCEPTED=$((ACCEPTED + 2))
done
check_eq "rate limit: over the limit 429" 429 "$CODE"
check_match "rate limit: Retry-After" '^Retry-After: [0-9]+$' "$HDRS"
check_match "rate limit: the answer says nothing was stored" 'nothing was stored' "$(jget "$BODY" .error)"
check_no_case "rate limit: nothing of the refused request stored" "${REFUSED:-^$}"
check_case_count "rate limit: the accepted ones are" "$ACCEPTED" 'slow-'
req POST /v1/reports -H "Authorization: Bearer $SLOW_TOK" \
    --data-binary '[{"url":"http://big-1.example/","category":"scam"},{"url":"http://big-2.example/","category":"scam"},{"url":"http://big-3.example/","category":"scam"},{"url":"http://big-4.example/","category":"scam"}]'
check_eq "rate limit: more reports in one request than the limit: 429" 429 "$CODE"
check_match "rate limit: ... saying to send fewer" 'exceed the limit of 3 per minute.*send fewer' \
    "$(jget "$BODY" .error)"
check_no_case "rate limit: nothing of it stored" 'big-'

# --- POST /v1/feeds/{source} -----------------------------------------------------------------

printf 'http://feed-a.example/login\nhttp://feed-b.example/x\n\nhttp://http-two.example/\n' >"$T_TMP/op.txt"
req POST "/v1/feeds/vncert?format=openphish&category=phishing-malware" \
    -H "Authorization: Bearer $TOK" --data-binary @"$T_TMP/op.txt"
check_eq "feed openphish: 202" 202 "$CODE"
check_eq "feed openphish: 2 new cases, 1 attached" '2 1 0' \
    "$(jget "$BODY" '"\(.new_cases) \(.attached) \(.already_present)"')"
req POST "/v1/feeds/vncert?format=openphish&category=phishing-malware" \
    -H "Authorization: Bearer $TOK" --data-binary @"$T_TMP/op.txt"
check_eq "feed openphish: sent again, all already present" '0 0 3' \
    "$(jget "$BODY" '"\(.new_cases) \(.attached) \(.already_present)"')"

printf '%s\n' '{"url":"http://feed-c.example/","category":"scam","source_record_id":"r-1"}' \
    '{"url":"http://feed-d.example/"}' 'not json' >"$T_TMP/feed.jsonl"
req POST "/v1/feeds/vncert?format=jsonl" -H "Authorization: Bearer $TOK" \
    --data-binary @"$T_TMP/feed.jsonl"
check_eq "feed jsonl: 202" 202 "$CODE"
check_eq "feed jsonl: counts" '1 2' "$(jget "$BODY" '"\(.new_cases) \(.rejected_count)"')"
check_eq "feed jsonl: rejects say where" 'line 2 line 3' "$(jget "$BODY" '[.rejected[].where] | join(" ")')"

req POST "/v1/feeds/slowfeed?format=jsonl" -H "Authorization: Bearer $TOK" --data-binary @"$T_TMP/feed.jsonl"
check_eq "feed: a token of another source is 403" 403 "$CODE"
req POST "/v1/feeds/vncert?format=rss" -H "Authorization: Bearer $TOK" --data-binary @"$T_TMP/feed.jsonl"
check_eq "feed: unknown format is 400 naming it" '400 format' "$CODE $(jget "$BODY" .path)"
req POST "/v1/feeds/vncert?format=jsonl" --data-binary @"$T_TMP/feed.jsonl"
check_eq "feed: no token is 401" 401 "$CODE"

# --- methods and paths --------------------------------------------------------------------

req GET /v1/reports
check_eq "wrong method: 405" 405 "$CODE"
check_match "wrong method: Allow: POST" '^Allow: POST$' "$HDRS"
req DELETE /report
check_match "wrong method on /report: Allow lists GET and POST" '^Allow: GET, HEAD, POST$' "$HDRS"
req GET /nowhere
check_eq "unknown path: 404 json" '404 url' "$CODE $(jget "$BODY" .path)"

# --- the citizen form -----------------------------------------------------------------------

req GET /report
check_eq "form: 200" 200 "$CODE"
check_match "form: Vietnamese by default" '<html lang="vi">' "$BODY"
check_match "form: categories with Vietnamese labels" '<option value="scam">Lừa đảo' "$BODY"
check_match "form: labels tied to fields" '<label for="url">' "$BODY"
check_match "form: contact note" 'không bao giờ được chia sẻ với cơ quan khác' "$BODY"
check_eq "form: no script" "" "$(printf '%s' "$BODY" | grep -i '<script')"
req GET /report -H 'Accept-Language: en-GB,en;q=0.8'
check_match "form: English with Accept-Language: en" '<html lang="en">' "$BODY"
check_match "form: English category labels" '<option value="scam">Scam or fraud' "$BODY"
req GET '/report?lang=en' -H 'Accept-Language: vi'
check_match "form: ?lang=en overrides the browser" '<html lang="en">' "$BODY"

req POST /report --data-urlencode 'url=http://citizen-report.example/pay' \
    --data-urlencode 'category=scam' --data-urlencode 'description=asks for a deposit' \
    --data-urlencode 'name=Nguyễn Văn A' --data-urlencode "phone=$PHONE" \
    --data-urlencode "email=$EMAIL" --data-urlencode 'lang=vi'
check_eq "form post: 200" 200 "$CODE"
check_match "form post: receipt with the report id" '<code>[0-9a-f-]{36}</code>' "$BODY"
check_eq "form post: no case number shown" "" "$(printf '%s' "$BODY" | grep -E 'stttt-hn/20')"
CIT=$(jget "$(ctl "$N" case list --json)" '.[] | select(.url == "http://citizen-report.example/pay") | .number')
check_ne "form post: stored" "" "$CIT"
SHOW=$(ctl "$N" case show "$CIT" --json 2>/dev/null)
# The absence checks below grep this answer: it must be the case, not an error.
check_eq "form post: case show answers with the case" "$CIT" "$(jget "$SHOW" .number)"
check_eq "form post: source citizen" citizen "$(jget "$SHOW" '.reports_list[0].source')"
check_eq "form post: the phone number is not in the case" "" "$(printf '%s' "$SHOW" | grep -F "$PHONE")"
check_eq "form post: the email is not in the case" "" "$(printf '%s' "$SHOW" | grep -F "$EMAIL")"
check_eq "form post: the name is not in the case" "" "$(printf '%s' "$SHOW" | grep -F 'Nguyễn Văn A')"
check_eq "form post: has_contact flag set" true "$(jget "$SHOW" '.reports_list[0].has_contact')"

req POST /report --data-urlencode 'url=ht!tp:// <b>bad' --data-urlencode 'category=scam' \
    --data-urlencode 'description=<script>alert("x")</script> & more' --data-urlencode 'lang=en'
check_eq "form invalid url: 400" 400 "$CODE"
check_match "form invalid url: the error is shown" 'This web address is not valid' "$BODY"
check_match "form invalid url: description kept, escaped" \
    '&lt;script&gt;alert\(&quot;x&quot;\)&lt;/script&gt; &amp; more</textarea>' "$BODY"
check_match "form invalid url: url kept, escaped" 'value="ht!tp:// &lt;b&gt;bad"' "$BODY"
check_eq "form invalid url: nothing unescaped" "" "$(printf '%s' "$BODY" | grep -F '<script>alert')"
check_match "form invalid url: category kept" '<option value="scam" selected>' "$BODY"

req POST /report -F 'url=http://citizen-multipart.example/' -F 'category=other' -F 'lang=en'
check_eq "form post: multipart/form-data accepted" 200 "$CODE"
# The citizen limit (3 a minute per address, a token bucket as above): the two reports
# above took two; send more until one is refused (a stall only delays the refusal).
CIT_OK=0
for ((k = 3; k < 23; k++)); do
    req POST /report --data-urlencode "url=http://citizen-$k.example/" --data-urlencode 'category=scam'
    [ "$CODE" = 200 ] || break
    CIT_OK=$((CIT_OK + 1))
done
check_eq "citizen limit: a report over the limit is 429" 429 "$CODE"
check_match "citizen limit: Retry-After" '^Retry-After: [0-9]+$' "$HDRS"
check_no_case "citizen limit: the refused one is not stored" "citizen-$k\\.example"
check_case_count "citizen limit: the accepted ones are" "$CIT_OK" 'citizen-[0-9]+\.example'

check "node stops cleanly" node_stop "$N"

# --- HTTPS ------------------------------------------------------------------------------------

if command -v openssl >/dev/null 2>&1; then
    S=$T_TMP/h2
    check "tls: node init" make_node "$S"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
        -keyout "$S/key.pem" -out "$S/cert.pem" >/dev/null 2>&1
    sed -i -e 's|tls_cert = "";|tls_cert = "cert.pem";|' -e 's|tls_key = "";|tls_key = "key.pem";|' \
        "$S/node.cfg"
    if check "tls: node start" node_start "$S"; then
        P=$(http_port "$S")
        check_eq "tls: https answers" ok "$(curl -sS --cacert "$S/cert.pem" --resolve "localhost:$P:127.0.0.1" "https://localhost:$P/healthz")"
        check_ne "tls: plain http is refused" ok "$(curl -s --max-time 5 "http://127.0.0.1:$P/healthz")"
        check_match "tls: log says https" "http ingest on https://" "$(cat "$S/node.log")"
        node_stop "$S"
        check_eq "tls: node stops cleanly" 0 "$?"
    fi
else
    skip "tls: HTTPS ingest" "openssl is not installed (needed to make a certificate)"
fi

done_testing
