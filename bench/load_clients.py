#!/usr/bin/python3
"""Failing TLS clients for bench/bench_load.sh, run inside tlsn-cli: a bounded, paced loop.

  load_clients.py DST PORT SECONDS KIND:SRC:COUNT [KIND:SRC:COUNT ...]

Opens COUNT connections of each KIND from source address SRC to DST:PORT, spread evenly
over SECONDS (each kind in its own process), one at a time per kind, each bounded by a 5 s
socket timeout. Kinds, each a failure nginx logs distinctly:

  tls11       a TLS 1.1-only ClientHello (ciphers DEFAULT:@SECLEVEL=0); the server (TLS 1.2
              and 1.3 only) answers with a protocol_version alert
  no_cipher   TLS 1.2 offering only AES128-SHA (RSA key exchange, not in the server's list);
              the server answers with a handshake_failure alert
  plain_http  "GET / HTTP/1.0" in clear to the TLS port; nginx answers 400

Prints one JSON object on stdout: for each kind, the count of connections that failed as
expected ("expected") and of those that did something else ("unexpected", with the first
few messages). Exit status 0 when every connection failed as expected.
"""
import json
import multiprocessing
import socket
import ssl
import sys
import time

TIMEOUT_S = 5.0


def context(kind):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if kind == "tls11":
        ctx.minimum_version = ssl.TLSVersion.TLSv1_1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    elif kind == "no_cipher":
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers("AES128-SHA")
    return ctx


def one(kind, ctx, src, dst, port):
    """One connection; returns None when it failed as expected, else a message."""
    s = socket.socket(socket.AF_INET6 if ":" in dst else socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(TIMEOUT_S)
    try:
        s.bind((src, 0))
        s.connect((dst, port))
        if kind == "plain_http":
            s.sendall(b"GET / HTTP/1.0\r\nHost: lab.test\r\n\r\n")
            buf = b""
            while len(buf) < 65536:
                d = s.recv(65536)
                if not d:
                    break
                buf += d
            return None if buf.startswith(b"HTTP/1.1 400") else "reply %r" % buf[:40]
        try:
            t = ctx.wrap_socket(s, do_handshake_on_connect=False)
            t.do_handshake()
        except ssl.SSLError as e:
            want = {"tls11": "PROTOCOL_VERSION", "no_cipher": "HANDSHAKE_FAILURE"}[kind]
            return None if want in str(e).upper() else "ssl error %s" % e
        return "handshake succeeded"
    except OSError as e:
        return "%s: %s" % (type(e).__name__, e)
    finally:
        s.close()


def run(kind, src, count, dst, port, seconds, q):
    ctx = context(kind)
    expected = 0
    unexpected = []
    t0 = time.monotonic()
    for i in range(count):
        # Paced: connection i starts no earlier than i/count of the way through SECONDS.
        delay = t0 + seconds * i / count - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        err = one(kind, ctx, src, dst, port)
        if err is None:
            expected += 1
        else:
            unexpected.append(err)
    q.put((kind, {"expected": expected, "unexpected": len(unexpected),
                  "messages": sorted(set(unexpected))[:5],
                  "seconds": round(time.monotonic() - t0, 2)}))


def main(argv):
    if len(argv) < 5:
        sys.exit(__doc__)
    dst, port, seconds = argv[1], int(argv[2]), float(argv[3])
    jobs = []
    for spec in argv[4:]:
        kind, src, count = spec.split(":")
        if kind not in ("tls11", "no_cipher", "plain_http"):
            sys.exit("load_clients: unknown kind %r" % kind)
        if any(kind == j[0] for j in jobs):
            sys.exit("load_clients: kind %r given twice" % kind)
        jobs.append((kind, src, int(count)))
    q = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=run, args=(k, s, c, dst, port, seconds, q))
             for k, s, c in jobs]
    for p in procs:
        p.start()
    out = dict(q.get() for _ in procs)
    for p in procs:
        p.join()
    print(json.dumps(out, sort_keys=True))
    return 0 if all(v["unexpected"] == 0 for v in out.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
