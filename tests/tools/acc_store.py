#!/usr/bin/env python3
"""acc_store.py — read a node's LMDB stores for the integration tests, without the node.

Reads the stores under a node's data directory with `mdb_dump` (lmdb-utils; its plain
"bytevalue" format: one hex line per key and per value) and decodes the few protobuf
fields the tests need with a minimal wire-format reader (no protobuf library is needed).
Safe while the node runs: mdb_dump opens the environment read-only, as one more reader.

usage: acc_store.py summary DATA_DIR      one JSON object on stdout:

  heads     {producer: last sequence of its stream}   intake: table "events" of
            data/intake; every other service: table "log" of data/<service>
  cursors   {service: {input: cursor}}   table "cursors" of each service's store
  reports   [[report id, case number, intake seq], ...]   StoredReport events of intake
  envelopes [[origin, sequence, body, measure id], ...]    ReceivedEnvelope events of intake
            (body "measure", "measure_update" or "other")
  fed_in    {origin agency: last inbound sequence committed}  intake's fed_in table
  decisions [[case number, verdict, automated], ...]       Decision events of verification
  measure_events [[measure id, case number, owner], ...]   Measure events of assignment
  measures  [[measure id, case number, owner], ...]        assignment's measures table
  notices   {notice id: [destination, kind, measure id, link sequence, status]}  the latest
            event of each notice in notification's log
  link      {peer: {"enqueued": n, "acked": n, "parked": n}}  notification's link_state
  link_queue {peer: [[seq, measure id], ...]}              envelopes still queued
A store or table that does not exist reads as empty.
"""
import json
import os
import subprocess
import sys

SERVICES = ["intake", "verification", "assignment", "notification", "reporting"]


def dump(store, table):
    """[(key bytes, value bytes)] of TABLE in the environment directory STORE."""
    if not os.path.exists(os.path.join(store, "data.mdb")):
        return []
    p = subprocess.run(["mdb_dump", "-s", table, store], capture_output=True, text=True)
    if p.returncode != 0:
        if "MDB_NOTFOUND" in p.stderr:
            return []
        raise SystemExit("mdb_dump -s %s %s: %s" % (table, store, p.stderr.strip()))
    lines = p.stdout.split("\n")
    i = lines.index("HEADER=END") + 1
    out = []
    while i < len(lines) and lines[i] != "DATA=END":
        out.append((bytes.fromhex(lines[i][1:]), bytes.fromhex(lines[i + 1][1:])))
        i += 2
    return out


def u64(b):
    return int.from_bytes(b[:8], "big")


def varint(b, i):
    v = s = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << s
        s += 7
        if c < 0x80:
            return v, i


def fields(b):
    """{field number: [value, ...]}: ints for varints, bytes for length-delimited."""
    out, i = {}, 0
    while i < len(b):
        tag, i = varint(b, i)
        num, wt = tag >> 3, tag & 7
        if wt == 0:
            v, i = varint(b, i)
        elif wt == 2:
            n, i = varint(b, i)
            v, i = b[i:i + n], i + n
        elif wt == 1:
            v, i = b[i:i + 8], i + 8
        elif wt == 5:
            v, i = b[i:i + 4], i + 4
        else:
            raise ValueError("wire type %d" % wt)
        out.setdefault(num, []).append(v)
    return out


def one(f, n, default=None):
    v = f.get(n)
    return v[-1] if v else default


def s(f, n):
    v = one(f, n, b"")
    return v.decode("utf-8", "replace")


def summary(data):
    st = lambda name: os.path.join(data, name)
    r = {"heads": {}, "cursors": {}}
    events = dump(st("intake"), "events")
    r["heads"]["intake"] = u64(events[-1][0]) if events else 0
    for svc in SERVICES[1:]:
        log = dump(st(svc), "log")
        r["heads"][svc] = u64(log[-1][0]) if log else 0
    for svc in SERVICES[1:]:
        r["cursors"][svc] = {k.decode(): u64(v) for k, v in dump(st(svc), "cursors")}

    r["reports"], r["envelopes"] = [], []
    for k, v in events:
        ev = fields(v)
        if 1 in ev:
            sr = fields(one(ev, 1))
            rep = fields(one(sr, 2, b""))
            r["reports"].append([s(rep, 1), s(sr, 3), u64(k)])
        elif 2 in ev:
            env = fields(one(fields(one(ev, 2)), 1, b""))
            body, mid = "other", ""
            if 11 in env:
                body, mid = "measure", s(fields(one(env, 11)), 1)
            elif 12 in env:
                body, mid = "measure_update", s(fields(one(env, 12)), 1)
            r["envelopes"].append([s(env, 2), one(env, 3, 0), body, mid])
    r["fed_in"] = {k.decode(): u64(v) for k, v in dump(st("intake"), "fed_in")}

    r["decisions"] = []
    for _, v in dump(st("verification"), "log"):
        ev = fields(v)
        if 1 in ev:
            d = fields(one(ev, 1))
            r["decisions"].append([s(d, 1), one(d, 2, 0), bool(one(d, 8, 0))])

    r["measure_events"] = []
    for _, v in dump(st("assignment"), "log"):
        ev = fields(v)
        if 1 in ev:
            m = fields(one(ev, 1))
            r["measure_events"].append([s(m, 1), s(m, 2), s(m, 4)])
    r["measures"] = []
    for _, v in dump(st("assignment"), "measures"):
        m = fields(v)
        r["measures"].append([s(m, 1), s(m, 2), s(m, 4)])

    r["notices"] = {}
    for _, v in dump(st("notification"), "log"):
        ev = fields(v)
        if 1 in ev:
            n = fields(one(ev, 1))
            r["notices"][s(n, 1)] = [s(n, 2), s(n, 3), s(n, 5), one(n, 6, 0), one(n, 7, 0)]
    r["link"] = {}
    for k, v in dump(st("notification"), "link_state"):
        r["link"][k.decode()] = {"enqueued": u64(v[0:8]), "acked": u64(v[8:16]),
                                 "parked": u64(v[16:24])}
    r["link_queue"] = {}
    for k, v in dump(st("notification"), "link_queue"):
        peer, seq = k[:-9].decode(), u64(k[-8:])
        env = fields(v)
        mid = s(fields(one(env, 11)), 1) if 11 in env else ""
        r["link_queue"].setdefault(peer, []).append([seq, mid])
    return r


def main():
    if len(sys.argv) != 3 or sys.argv[1] != "summary":
        sys.stderr.write("usage: acc_store.py summary DATA_DIR\n")
        return 2
    json.dump(summary(sys.argv[2]), sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
