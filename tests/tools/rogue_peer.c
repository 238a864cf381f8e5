/*
 * rogue_peer — a test tool that plays a (possibly hostile) peer node against a real node's
 * intake TCP endpoint, for tests/integration/test_security.sh.
 *
 * It connects one DEALER to the endpoint — as a CURVE client with the key pair it is
 * given, with a fresh key pair nobody listed, or in plain TCP without CURVE — sends one
 * Request{deliver} holding one envelope whose origin, sequence, schema version and body
 * the flags choose, waits for the answer (2 s by default) and prints one line:
 *
 *   answer: OK | DUPLICATE | REJECTED <reason> | RETRY <reason>
 *   answer: ERROR <code> <field>: <message>       (the request itself was refused)
 *   no answer
 *
 * Exit status: 0 when an answer came, 1 when none came, 2 for bad arguments or a local
 * failure. The tool trusts nothing it receives: the answer is decoded with acc_codec.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "acc_codec.h"
#include "acc_curve.h"
#include "acc_ids.h"
#include "accord/v1/control.pb-c.h"

#define S_TIMEOUT_DEFAULT_MS 2000L

typedef struct {
    const char *endpoint;
    const char *server_key; /* the node's public key (Z85) */
    const char *keys_dir;   /* node.pub / node.key of the identity we borrow */
    int random_key;         /* a fresh key pair no node knows */
    int plain;              /* no CURVE at all */
    const char *origin;
    unsigned long long sequence;
    unsigned schema;
    const char *body; /* report | measure | measure_update | empty | garbage */
    const char *url;
    const char *case_number;
    const char *owner;
    long timeout_ms;
} s_opts;

static void
s_usage(FILE *f)
{
    fprintf(f,
            "usage: rogue_peer --endpoint tcp://HOST:PORT --server-key Z85\n"
            "                  (--keys DIR | --random-key | --plain)\n"
            "                  --origin AGENCY [--seq N] [--schema V]\n"
            "                  [--body report|measure|measure_update|empty|garbage]\n"
            "                  [--url URL] [--case NUMBER] [--owner AGENCY] [--timeout-ms MS]\n");
}

/* Read a one-line Z85 key file into @out (41 bytes). Returns 0 on success. */
static int
s_read_key(const char *dir, const char *name, char out[ACC_CURVE_KEY_LEN + 1])
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "rogue_peer: cannot open '%s'\n", path);
        return -1;
    }
    char line[128] = {0};
    int ok = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    line[strcspn(line, "\r\n")] = '\0';
    if (!ok || !acc_curve_key_valid(line)) {
        fprintf(stderr, "rogue_peer: '%s' does not hold a Z85 key\n", path);
        return -1;
    }
    memcpy(out, line, ACC_CURVE_KEY_LEN + 1);
    return 0;
}

static int
s_parse(int argc, char **argv, s_opts *o)
{
    memset(o, 0, sizeof *o);
    o->sequence = 1;
    o->schema = 1;
    o->body = "report";
    o->url = "https://rogue-peer.example/login";
    o->case_number = "stttt-hn/2026/000001";
    o->owner = "stttt-hn";
    o->timeout_ms = S_TIMEOUT_DEFAULT_MS;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--random-key") == 0) {
            o->random_key = 1;
            continue;
        }
        if (strcmp(a, "--plain") == 0) {
            o->plain = 1;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "rogue_peer: '%s' needs a value or is unknown\n", a);
            return -1;
        }
        const char *v = argv[++i];
        char *end = NULL;
        if (strcmp(a, "--endpoint") == 0)
            o->endpoint = v;
        else if (strcmp(a, "--server-key") == 0)
            o->server_key = v;
        else if (strcmp(a, "--keys") == 0)
            o->keys_dir = v;
        else if (strcmp(a, "--origin") == 0)
            o->origin = v;
        else if (strcmp(a, "--body") == 0)
            o->body = v;
        else if (strcmp(a, "--url") == 0)
            o->url = v;
        else if (strcmp(a, "--case") == 0)
            o->case_number = v;
        else if (strcmp(a, "--owner") == 0)
            o->owner = v;
        else if (strcmp(a, "--seq") == 0) {
            o->sequence = strtoull(v, &end, 10);
            if (!*v || *end) {
                fprintf(stderr, "rogue_peer: '--seq' is not a number\n");
                return -1;
            }
        } else if (strcmp(a, "--schema") == 0) {
            unsigned long s = strtoul(v, &end, 10);
            if (!*v || *end || s > 0xffffffffUL) {
                fprintf(stderr, "rogue_peer: '--schema' is not a number\n");
                return -1;
            }
            o->schema = (unsigned)s;
        } else if (strcmp(a, "--timeout-ms") == 0) {
            o->timeout_ms = strtol(v, &end, 10);
            if (!*v || *end || o->timeout_ms <= 0) {
                fprintf(stderr, "rogue_peer: '--timeout-ms' is not a positive number\n");
                return -1;
            }
        } else {
            fprintf(stderr, "rogue_peer: unknown option '%s'\n", a);
            return -1;
        }
    }
    if (!o->endpoint || !o->origin || (!o->plain && !o->server_key) ||
        o->plain + o->random_key + (o->keys_dir != NULL) != 1) {
        s_usage(stderr);
        return -1;
    }
    if (strcmp(o->body, "report") && strcmp(o->body, "measure") &&
        strcmp(o->body, "measure_update") && strcmp(o->body, "empty") &&
        strcmp(o->body, "garbage")) {
        fprintf(stderr, "rogue_peer: unknown body '%s'\n", o->body);
        return -1;
    }
    return 0;
}

/* Pack the Request{deliver} the options describe into *@out (malloc'd). */
static int
s_build(const s_opts *o, uint8_t **out, size_t *out_len)
{
    if (strcmp(o->body, "garbage") == 0) {
        /* Not a protobuf: field 15 (deliver) with a length running past the end. */
        static const uint8_t junk[] = {0x08, 0x01, 0x7a, 0xff, 0xff, 0x03, 0x00, 0x01};
        *out = malloc(sizeof junk);
        if (!*out)
            return -1;
        memcpy(*out, junk, sizeof junk);
        *out_len = sizeof junk;
        return 0;
    }
    acc_uuid_gen_t gen = {0};
    acc_uuid_t u;
    char env_id[ACC_UUID_TEXT_LEN + 1], obj_id[ACC_UUID_TEXT_LEN + 1];
    acc_uuid_v7(&gen, &u);
    acc_uuid_format(&u, env_id);
    acc_uuid_v7(&gen, &u);
    acc_uuid_format(&u, obj_id);
    int64_t now = acc_ids_now_ms();

    Accord__V1__Report rep = ACCORD__V1__REPORT__INIT;
    Accord__V1__Measure m = ACCORD__V1__MEASURE__INIT;
    Accord__V1__MeasureUpdate mu = ACCORD__V1__MEASURE_UPDATE__INIT;
    Accord__V1__Envelope env = ACCORD__V1__ENVELOPE__INIT;
    env.id = env_id;
    env.origin = (char *)o->origin;
    env.sequence = o->sequence;
    env.schema_version = o->schema;
    env.time_ms = now;
    if (strcmp(o->body, "report") == 0) {
        rep.id = obj_id;
        rep.url = (char *)o->url;
        rep.category = "scam";
        rep.description = "sent by rogue_peer";
        rep.source = "officer";
        env.body_case = ACCORD__V1__ENVELOPE__BODY_REPORT;
        env.report = &rep;
    } else if (strcmp(o->body, "measure") == 0) {
        m.id = obj_id;
        m.case_number = (char *)o->case_number;
        m.lead_agency = (char *)o->origin;
        m.owner_agency = (char *)o->owner;
        m.action = "request-removal";
        m.deadline_ms = now + 86400000;
        m.status = ACCORD__V1__MEASURE_STATUS__MEASURE_STATUS_ASSIGNED;
        m.category = "scam";
        m.legal_basis = "rogue basis";
        m.reasons = "rogue reasons";
        m.url = (char *)o->url;
        m.created_ms = now;
        env.body_case = ACCORD__V1__ENVELOPE__BODY_MEASURE;
        env.measure = &m;
    } else if (strcmp(o->body, "measure_update") == 0) {
        mu.measure_id = obj_id;
        mu.case_number = (char *)o->case_number;
        mu.lead_agency = (char *)o->owner;
        mu.owner_agency = (char *)o->origin;
        mu.status = ACCORD__V1__MEASURE_STATUS__MEASURE_STATUS_DONE;
        mu.result = "rogue result";
        mu.updated_by = "rogue";
        mu.updated_ms = now;
        env.body_case = ACCORD__V1__ENVELOPE__BODY_MEASURE_UPDATE;
        env.measure_update = &mu;
    } /* "empty": no body at all */

    Accord__V1__Envelope *envs[1] = {&env};
    Accord__V1__Deliver dv = ACCORD__V1__DELIVER__INIT;
    dv.envelopes = envs;
    dv.n_envelopes = 1;
    Accord__V1__Request req = ACCORD__V1__REQUEST__INIT;
    req.request_id = 7;
    req.body_case = ACCORD__V1__REQUEST__BODY_DELIVER;
    req.deliver = &dv;
    if (acc_codec_pack(&req.base, 1024u * 1024u, out, out_len) != ACC_OK) {
        fprintf(stderr, "rogue_peer: cannot encode the request\n");
        return -1;
    }
    return 0;
}

static const char *
s_status_name(Accord__V1__DeliveryStatus s)
{
    switch (s) {
    case ACCORD__V1__DELIVERY_STATUS__DELIVERY_STATUS_OK:
        return "OK";
    case ACCORD__V1__DELIVERY_STATUS__DELIVERY_STATUS_DUPLICATE:
        return "DUPLICATE";
    case ACCORD__V1__DELIVERY_STATUS__DELIVERY_STATUS_REJECTED:
        return "REJECTED";
    case ACCORD__V1__DELIVERY_STATUS__DELIVERY_STATUS_RETRY:
        return "RETRY";
    default:
        return "UNSPECIFIED";
    }
}

/* Print the answer in @buf[0..@len); returns 0 when it decoded. */
static int
s_print_answer(const void *buf, size_t len)
{
    ProtobufCMessage *pm = NULL;
    acc_errinfo_t ei;
    acc_errinfo_clear(&ei);
    if (acc_codec_unpack(&accord__v1__response__descriptor, buf, len, 1024u * 1024u, &pm, &ei) !=
        ACC_OK) {
        printf("answer: UNDECODABLE %s: %s\n", ei.field, ei.msg);
        return -1;
    }
    Accord__V1__Response *r = (Accord__V1__Response *)pm;
    if (r->status && r->status->code != ACCORD__V1__CODE__CODE_OK) {
        printf("answer: ERROR %d %s: %s\n", (int)r->status->code, r->status->field,
               r->status->message);
    } else if (r->body_case != ACCORD__V1__RESPONSE__BODY_DELIVERED || !r->delivered ||
               r->delivered->n_acks != 1) {
        printf("answer: UNEXPECTED (body %d)\n", (int)r->body_case);
    } else {
        const Accord__V1__DeliveryAck *a = r->delivered->acks[0];
        if (a->reason[0])
            printf("answer: %s %s\n", s_status_name(a->status), a->reason);
        else
            printf("answer: %s\n", s_status_name(a->status));
    }
    accord__v1__response__free_unpacked(r, NULL);
    return 0;
}

int
main(int argc, char **argv)
{
    s_opts o;
    if (s_parse(argc, argv, &o) != 0)
        return 2;
    int rc = 2;
    uint8_t *payload = NULL;
    size_t payload_len = 0;
    void *ctx = zmq_ctx_new();
    void *sock = ctx ? zmq_socket(ctx, ZMQ_DEALER) : NULL;
    if (!sock) {
        fprintf(stderr, "rogue_peer: cannot make a socket: %s\n", zmq_strerror(zmq_errno()));
        goto out;
    }
    int linger = 0;
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    if (!o.plain) {
        char pub[ACC_CURVE_KEY_LEN + 1], sec[ACC_CURVE_KEY_LEN + 1];
        if (o.random_key) {
            if (zmq_curve_keypair(pub, sec) != 0) {
                fprintf(stderr, "rogue_peer: cannot make a key pair\n");
                goto out;
            }
        } else if (s_read_key(o.keys_dir, "node.pub", pub) != 0 ||
                   s_read_key(o.keys_dir, "node.key", sec) != 0) {
            goto out;
        }
        if (acc_curve_client(sock, pub, sec, o.server_key) != ACC_OK) {
            fprintf(stderr, "rogue_peer: bad keys for a CURVE client\n");
            goto out;
        }
    }
    if (zmq_connect(sock, o.endpoint) != 0) {
        fprintf(stderr, "rogue_peer: cannot connect to '%s': %s\n", o.endpoint,
                zmq_strerror(zmq_errno()));
        goto out;
    }
    if (s_build(&o, &payload, &payload_len) != 0)
        goto out;
    /* Queued locally until the handshake completes; a refused handshake keeps it queued. */
    if (zmq_send(sock, payload, payload_len, 0) < 0) {
        fprintf(stderr, "rogue_peer: cannot send: %s\n", zmq_strerror(zmq_errno()));
        goto out;
    }
    zmq_pollitem_t it = {.socket = sock, .events = ZMQ_POLLIN};
    int n = zmq_poll(&it, 1, o.timeout_ms);
    if (n <= 0) {
        printf("no answer\n");
        rc = 1;
        goto out;
    }
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    if (zmq_msg_recv(&msg, sock, 0) < 0) {
        zmq_msg_close(&msg);
        printf("no answer\n");
        rc = 1;
        goto out;
    }
    s_print_answer(zmq_msg_data(&msg), zmq_msg_size(&msg));
    zmq_msg_close(&msg);
    rc = 0;
out:
    fflush(stdout);
    free(payload);
    if (sock)
        zmq_close(sock);
    if (ctx)
        zmq_ctx_term(ctx);
    return rc;
}
