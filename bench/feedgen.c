/*
 * feedgen — the feed-import benchmark's input files (see bench/README.md, issue "feeds").
 *
 *   feedgen --format jsonl|stix|misp|urlhaus --out FILE [--count N] [--seed S]
 *
 * Writes a file of N records (100,000) in the layout the feed publishes, shaped like the
 * samples in deploy/samples/feeds/ and accepted by the readers in common/acc_feed*.c.
 * "Record" means one report: every record gives exactly one report, and objects that give
 * none (STIX identities, marking definitions and the url objects that observed-data points
 * at, MISP sha256 attributes) come on top and are counted by the reader as skipped. The
 * same seed gives the same bytes.
 *
 * Of the records, 8% name the URL of an earlier record of the file in an equivalent
 * spelling (upper-case host, an added utm_source): they attach to its case, as re-listed
 * URLs do in real feeds. The rest are distinct URLs on about 20,000 hosts.
 *
 *   jsonl    the native JSON Lines: id (UUIDv7 layout), url, category, description,
 *            observed_at (+07:00), source_record_id, confidence
 *   stix     one STIX 2.1 bundle: an identity and a TLP marking, then 85% indicators with
 *            [url:value = '...'], 8% with [domain-name:value = '...'], 7% observed-data
 *            referencing a url object in the bundle
 *   misp     {"response": [...]} of 100 events (MISP's REST search answer), each with the
 *            event tag "phishing" and its attributes: url 80%, domain 8%, hostname 4%, and 8%
 *            inside "url" objects; one sha256 attribute per 50 records besides
 *   urlhaus  URLhaus's csv.txt: the banner, then rows with quoted fields, threat
 *            malware_download and comma-separated tags; 20% of the URLs are on IP addresses
 *            with a port, as in the real dump (one address per URL: the canonical form
 *            drops the port)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* 2026-11-01T00:00:00Z: the first record's time; each next one 17 s later. */
#define BASE_S 1793491200LL
#define STEP_S 17
#define ATTACH_PCT 8
#define MISP_EVENTS 100

typedef struct {
    uint64_t st;
    FILE *f;
    size_t count;
    size_t *origin; /* case of record i */
    size_t ncases;
} s_gen;

static uint64_t
s_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL); /* splitmix64 */
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* The text form of @b. */
static void
s_uuid_text(const unsigned char b[16], char out[37])
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (int k = 0; k < 16; k++) {
        if (k == 4 || k == 6 || k == 8 || k == 10)
            out[o++] = '-';
        out[o++] = hex[b[k] >> 4];
        out[o++] = hex[b[k] & 15];
    }
    out[o] = '\0';
}

/* A random (version 4) UUID from the seed. */
static void
s_uuid4(uint64_t *st, char out[37])
{
    unsigned char b[16];
    uint64_t x = s_rand(st), y = s_rand(st);
    for (int k = 0; k < 8; k++) {
        b[k] = (unsigned char)(x >> (8 * k));
        b[8 + k] = (unsigned char)(y >> (8 * k));
    }
    b[6] = (unsigned char)(0x40 | (b[6] & 0x0f));
    b[8] = (unsigned char)(0x80 | (b[8] & 0x3f));
    s_uuid_text(b, out);
}

/* A UUIDv7-shaped id: the record's time in ms, then random bits from the seed. */
static void
s_uuid7(uint64_t *st, size_t i, char out[37])
{
    unsigned char b[16];
    uint64_t ms = (uint64_t)(BASE_S + (int64_t)i * STEP_S) * 1000, y = s_rand(st);
    for (int k = 0; k < 6; k++)
        b[k] = (unsigned char)(ms >> (40 - 8 * k));
    b[6] = (unsigned char)(0x70 | ((i >> 8) & 0x0f));
    b[7] = (unsigned char)i;
    for (int k = 0; k < 8; k++)
        b[8 + k] = (unsigned char)(y >> (8 * k));
    b[8] = (unsigned char)(0x80 | (b[8] & 0x3f));
    s_uuid_text(b, out);
}

/* The record's time: "2026-11-20T08:15:04" (@sep 'T') or "2026-11-20 08:15:04", UTC. */
static void
s_time(size_t i, char sep, char out[32])
{
    time_t t = (time_t)(BASE_S + (int64_t)i * STEP_S);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, sep == 'T' ? "%Y-%m-%dT%H:%M:%S" : "%Y-%m-%d %H:%M:%S", &tm);
}

static const char *const s_words[] = {"khuyen-mai", "qua-tang",     "vay-nhanh", "dau-tu",
                                      "viec-lam",   "trung-thuong", "hoan-tien", "xac-thuc"};
static const char *const s_tlds[] = {"vn", "com.vn", "com", "net", "online", "top"};
static const char *const s_brands[] = {"vietcombank", "evn", "vneid", "bhxh", "shopee", "zalo"};
static const char *const s_names[] = {
    "Trang đăng nhập giả mạo ngân hàng",           "Giả danh EVN tặng quà tri ân khách hàng",
    "Lừa đảo việc làm online nhận hoa hồng",       "Ứng dụng VNeID giả mạo chứa mã độc",
    "Cho vay nhanh không thế chấp, thu phí trước", "Khuyến mãi giả danh sàn thương mại điện tử",
};

/* Pick the case of record @i: a new one, or (ATTACH_PCT) an earlier one. */
static size_t
s_case(s_gen *g, size_t i, int *attach)
{
    *attach = g->ncases > 0 && s_rand(&g->st) % 100 < ATTACH_PCT;
    size_t c = *attach ? g->origin[s_rand(&g->st) % i] : g->ncases++;
    g->origin[i] = c;
    return c;
}

/* The host of case @c (lower case) into @out. */
static void
s_host(size_t c, char *out, size_t len)
{
    size_t h = (c * 2654435761u) % 20011;
    snprintf(out, len, "%s-%s-%zu.%s", s_brands[h % 6], s_words[(h / 6) % 8], h, s_tlds[h % 6]);
}

/* The URL of record @i (case @c; an equivalent spelling when @attach). */
static void
s_url(size_t c, int attach, size_t i, char *out, size_t len)
{
    char host[96];
    s_host(c, host, sizeof host);
    if (attach && i % 2) {
        for (char *p = host; *p; p++)
            if (*p >= 'a' && *p <= 'z')
                *p = (char)(*p - 32);
    }
    snprintf(out, len, "https://%s/%s/f-%zu?ref=%zu%s", host, s_words[c % 8], c, c % 997,
             attach && !(i % 2) ? "&utm_source=sms" : "");
}

/* --- jsonl ---------------------------------------------------------------------------- */

static void
s_jsonl(s_gen *g)
{
    static const char *const cats[] = {"scam", "phishing-malware", "impersonation", "gambling"};
    for (size_t i = 0; i < g->count; i++) {
        int attach;
        size_t c = s_case(g, i, &attach);
        char id[37], url[256], t[32];
        s_uuid7(&g->st, i, id);
        s_url(c, attach, i, url, sizeof url);
        s_time(i, 'T', t);
        fprintf(g->f,
                "{\"id\":\"%s\",\"url\":\"%s\",\"category\":\"%s\",\"description\":\"%s "
                "(bản ghi %zu)\",\"observed_at\":\"%s+00:00\",\"source_record_id\":\"rec-%zu\","
                "\"confidence\":%u}\n",
                id, url, cats[c % 4], s_names[c % 6], i, t, i + 1,
                (unsigned)(60 + s_rand(&g->st) % 41));
    }
}

/* --- stix ----------------------------------------------------------------------------- */

static void
s_stix(s_gen *g)
{
    char bundle[37], ident[37];
    s_uuid4(&g->st, bundle);
    s_uuid4(&g->st, ident);
    fprintf(
        g->f,
        "{\n  \"type\": \"bundle\",\n  \"id\": \"bundle--%s\",\n  \"objects\": [\n"
        "    {\"type\": \"identity\", \"spec_version\": \"2.1\", \"id\": \"identity--%s\", "
        "\"created\": \"2026-11-01T00:00:00.000Z\", \"modified\": \"2026-11-01T00:00:00.000Z\", "
        "\"name\": \"Nhóm phân tích mối đe dọa (bench)\", \"identity_class\": "
        "\"organization\"},\n"
        "    {\"type\": \"marking-definition\", \"spec_version\": \"2.1\", \"id\": "
        "\"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da\", \"created\": "
        "\"2017-01-20T00:00:00.000Z\", \"definition_type\": \"tlp\", \"name\": "
        "\"TLP:GREEN\", \"definition\": {\"tlp\": \"green\"}}",
        bundle, ident);
    for (size_t i = 0; i < g->count; i++) {
        int attach;
        size_t c = s_case(g, i, &attach);
        char id[37], url[256], t[32];
        s_uuid4(&g->st, id);
        s_url(c, attach, i, url, sizeof url);
        s_time(i, 'T', t);
        unsigned kind = (unsigned)(s_rand(&g->st) % 100);
        if (kind < 93) {
            char pattern[300];
            if (kind < 85 || attach) {
                snprintf(pattern, sizeof pattern, "[url:value = '%s']", url);
            } else {
                char host[96];
                s_host(c, host, sizeof host);
                snprintf(pattern, sizeof pattern, "[domain-name:value = '%s']", host);
            }
            fprintf(g->f,
                    ",\n    {\"type\": \"indicator\", \"spec_version\": \"2.1\", \"id\": "
                    "\"indicator--%s\", \"created_by_ref\": \"identity--%s\", \"created\": "
                    "\"%s.000Z\", \"modified\": \"%s.000Z\", \"name\": \"%s\", "
                    "\"description\": \"Đường link phát tán qua SMS và mạng xã hội (bản ghi "
                    "%zu).\", \"indicator_types\": [\"%s\"], \"pattern\": \"%s\", "
                    "\"pattern_type\": \"stix\", \"valid_from\": \"%s.000Z\", \"confidence\": %u, "
                    "\"object_marking_refs\": "
                    "[\"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da\"]}",
                    id, ident, t, t, s_names[c % 6], i, c % 3 ? "phishing" : "malicious-activity",
                    pattern, t, (unsigned)(50 + s_rand(&g->st) % 51));
        } else {
            char sco[37];
            s_uuid4(&g->st, sco);
            fprintf(g->f,
                    ",\n    {\"type\": \"url\", \"spec_version\": \"2.1\", \"id\": \"url--%s\", "
                    "\"value\": \"%s\"},\n"
                    "    {\"type\": \"observed-data\", \"spec_version\": \"2.1\", \"id\": "
                    "\"observed-data--%s\", \"created_by_ref\": \"identity--%s\", \"created\": "
                    "\"%s.000Z\", \"modified\": \"%s.000Z\", \"first_observed\": \"%s.000Z\", "
                    "\"last_observed\": \"%s.000Z\", \"number_observed\": %u, \"object_refs\": "
                    "[\"url--%s\"]}",
                    sco, url, id, ident, t, t, t, t, (unsigned)(1 + i % 7), sco);
        }
    }
    fprintf(g->f, "\n  ]\n}\n");
}

/* --- misp ----------------------------------------------------------------------------- */

static void
s_misp_attr(s_gen *g, const char *type, const char *category, const char *value, size_t i,
            size_t ev, int first_seen, int deleted)
{
    char uuid[37], t[32];
    s_uuid4(&g->st, uuid);
    s_time(i, 'T', t);
    fprintf(g->f,
            "{\"id\": \"%zu\", \"type\": \"%s\", \"category\": \"%s\", \"to_ids\": true, "
            "\"uuid\": \"%s\", \"event_id\": \"%zu\", \"distribution\": \"5\", "
            "\"timestamp\": \"%lld\", \"comment\": \"%s\", \"deleted\": %s, ",
            900000 + i, type, category, uuid, 4000 + ev, (long long)(BASE_S + (int64_t)i * STEP_S),
            s_names[i % 6], deleted ? "true" : "false");
    if (first_seen)
        fprintf(g->f, "\"first_seen\": \"%s.000000+00:00\", \"last_seen\": null, ", t);
    fprintf(g->f, "\"value\": \"%s\"}", value);
}

static void
s_misp(s_gen *g)
{
    size_t per = (g->count + MISP_EVENTS - 1) / MISP_EVENTS, i = 0;
    fprintf(g->f, "{\"response\": [");
    for (size_t ev = 0; i < g->count; ev++) {
        char uuid[37], t[32];
        s_uuid4(&g->st, uuid);
        s_time(i, 'T', t);
        fprintf(g->f,
                "%s\n{\"Event\": {\"id\": \"%zu\", \"orgc_id\": \"3\", \"org_id\": \"3\", "
                "\"date\": \"%.10s\", \"threat_level_id\": \"2\", \"info\": \"Chiến dịch lừa "
                "đảo trực tuyến nhắm vào người dùng tại Việt Nam, đợt %zu\", \"published\": "
                "true, \"uuid\": \"%s\", \"analysis\": \"2\", \"timestamp\": \"%lld\", "
                "\"distribution\": \"1\", \"Orgc\": {\"id\": \"3\", \"name\": \"VNCERT-bench\"}, "
                "\"Tag\": [{\"id\": \"11\", \"name\": \"tlp:green\"}, {\"id\": \"27\", \"name\": "
                "\"phishing\"}],\n \"Attribute\": [",
                ev ? "," : "", 4000 + ev, t, ev + 1, uuid,
                (long long)(BASE_S + (int64_t)i * STEP_S));
        size_t end = i + per < g->count ? i + per : g->count, first = i;
        int any = 0;
        size_t in_objects[1024], n_obj = 0;
        for (; i < end; i++) {
            int attach;
            size_t c = s_case(g, i, &attach);
            char url[256], host[96];
            s_url(c, attach, i, url, sizeof url);
            s_host(c, host, sizeof host);
            unsigned kind = (unsigned)(s_rand(&g->st) % 100);
            if (kind >= 92 && n_obj < sizeof in_objects / sizeof *in_objects && !attach) {
                in_objects[n_obj++] = i; /* written below, inside an object */
                continue;
            }
            fprintf(g->f, "%s\n  ", any ? "," : "");
            any = 1;
            if (kind < 80 || attach || kind >= 92)
                s_misp_attr(g, "url", "Network activity", url, i, ev, kind % 2, 0);
            else if (kind < 88)
                s_misp_attr(g, "domain", "Network activity", host, i, ev, 0, 0);
            else
                s_misp_attr(g, "hostname", "Network activity", host, i, ev, 0, 0);
            if ((i - first) % 50 == 49) {
                char hash[65];
                snprintf(hash, sizeof hash, "%016" PRIx64 "%016" PRIx64 "%016" PRIx64 "%016" PRIx64,
                         s_rand(&g->st), s_rand(&g->st), s_rand(&g->st), s_rand(&g->st));
                fprintf(g->f, ",\n  ");
                s_misp_attr(g, "sha256", "Payload delivery", hash, i, ev, 0, 0);
            }
        }
        fprintf(g->f, "],\n \"Object\": [");
        for (size_t k = 0; k < n_obj; k++) {
            size_t r = in_objects[k];
            char url[256], ouuid[37];
            s_url(g->origin[r], 0, r, url, sizeof url);
            s_uuid4(&g->st, ouuid);
            fprintf(g->f,
                    "%s\n  {\"id\": \"%zu\", \"name\": \"url\", \"meta-category\": \"network\", "
                    "\"template_version\": \"9\", \"uuid\": \"%s\", \"event_id\": \"%zu\", "
                    "\"distribution\": \"5\", \"comment\": \"Trang tải ứng dụng giả mạo\", "
                    "\"deleted\": false, \"Attribute\": [",
                    k ? "," : "", 5000 + r, ouuid, 4000 + ev);
            s_misp_attr(g, "url", "Payload delivery", url, r, ev, 1, 0);
            fprintf(g->f, "]}");
        }
        fprintf(g->f, "]}}");
    }
    fprintf(g->f, "\n]}\n");
}

/* --- urlhaus -------------------------------------------------------------------------- */

static void
s_urlhaus(s_gen *g)
{
    static const char *const tags[] = {"apk,android,SpyNote", "elf,Mozi",
                                       "apk,android,BankBot", "32-bit,elf,mips,Mirai",
                                       "exe,AgentTesla",      "apk,android"};
    static const char *const reporters[] = {"vn_hunter", "abuse_vn", "geenensp", "bench_feed"};
    fprintf(g->f, "################################################################\n"
                  "# abuse.ch URLhaus Database Dump (CSV)                         #\n"
                  "# Last updated: 2026-11-22 06:00:12 (UTC)                      #\n"
                  "#                                                              #\n"
                  "# accord bench: the layout of URLhaus's csv.txt, records       #\n"
                  "# generated by bench/feedgen.                                  #\n"
                  "################################################################\n"
                  "#\n"
                  "# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter\n");
    for (size_t i = 0; i < g->count; i++) {
        int attach;
        size_t c = s_case(g, i, &attach);
        char url[256], t[32];
        if (c % 5 == 0) {
            /* IP URLs, one address per case (in 100.64.0.0/10: canonical forms drop the
             * port, so distinct ports on one address would be one case); a re-listing
             * repeats the URL as it was. */
            size_t a = c + 1;
            snprintf(url, sizeof url, "http://100.%zu.%zu.%zu:%zu/%s", 64 + (a >> 16) % 64,
                     (a >> 8) & 255, a & 255, 1024 + (c * 7919) % 60000, c % 3 ? "i" : "bins/x86");
        } else {
            char host[96];
            s_host(c, host, sizeof host);
            if (attach)
                for (char *p = host; *p; p++)
                    if (*p >= 'a' && *p <= 'z')
                        *p = (char)(*p - 32);
            snprintf(url, sizeof url, "http://%s/tai-ve/app-%zu.apk", host, c);
        }
        s_time(i, ' ', t);
        size_t id = 3300000 + i;
        int online = i % 3 != 0;
        fprintf(g->f,
                "\"%zu\",\"%s\",\"%s\",\"%s\",\"%s\",\"malware_download\",\"%s\","
                "\"https://urlhaus.abuse.ch/url/%zu/\",\"%s\"\n",
                id, t, url, online ? "online" : "offline", t, tags[c % 6], id, reporters[i % 4]);
    }
}

/* --- main ----------------------------------------------------------------------------- */

static int
s_usage(void)
{
    fprintf(stderr, "usage: feedgen --format jsonl|stix|misp|urlhaus --out FILE [--count N] "
                    "[--seed S]\n");
    return 2;
}

int
main(int argc, char **argv)
{
    const char *fmt = NULL, *out = NULL;
    s_gen g = {.st = 20240603, .count = 100000};
    for (int i = 1; i + 1 < argc; i += 2) {
        char *end;
        if (strcmp(argv[i], "--format") == 0) {
            fmt = argv[i + 1];
        } else if (strcmp(argv[i], "--out") == 0) {
            out = argv[i + 1];
        } else if (strcmp(argv[i], "--count") == 0) {
            unsigned long long v = strtoull(argv[i + 1], &end, 10);
            if (*end || v < 1 || v > 100000000ULL)
                return s_usage();
            g.count = (size_t)v;
        } else if (strcmp(argv[i], "--seed") == 0) {
            g.st = strtoull(argv[i + 1], &end, 10);
            if (*end)
                return s_usage();
        } else {
            return s_usage();
        }
    }
    if (argc % 2 == 0 || !fmt || !out)
        return s_usage();
    void (*gen)(s_gen *) = !strcmp(fmt, "jsonl")     ? s_jsonl
                           : !strcmp(fmt, "stix")    ? s_stix
                           : !strcmp(fmt, "misp")    ? s_misp
                           : !strcmp(fmt, "urlhaus") ? s_urlhaus
                                                     : NULL;
    if (!gen)
        return s_usage();
    if (!(g.origin = calloc(g.count, sizeof *g.origin))) {
        fprintf(stderr, "feedgen: out of memory\n");
        return 1;
    }
    if (!(g.f = fopen(out, "w"))) {
        fprintf(stderr, "feedgen: cannot create '%s': %s\n", out, strerror(errno));
        free(g.origin);
        return 1;
    }
    gen(&g);
    int bad = ferror(g.f);
    if (fclose(g.f) != 0 || bad) {
        fprintf(stderr, "feedgen: cannot write '%s': %s\n", out, strerror(errno));
        free(g.origin);
        return 1;
    }
    fprintf(stderr, "feedgen: wrote %zu %s records to %s: %zu URLs, %zu repeating one of them\n",
            g.count, fmt, out, g.ncases, g.count - g.ncases);
    free(g.origin);
    return 0;
}
