#!/usr/bin/python3
"""TLS test clients that curl and openssl s_client cannot play, run inside tlsn-cli.

  pyclient.py connect-close SRC DST PORT
      TCP connect from SRC, close without sending a byte (no ClientHello).
  pyclient.py split-hello SRC DST PORT CAFILE SERVER_NAME CHUNKS
      Build a real ClientHello with ssl.SSLObject, send it over a plain TCP socket
      (TCP_NODELAY) in CHUNKS (2 or 3) writes 50 ms apart, cut so that the
      server_name bytes are all in the last write, then finish the handshake and
      an HTTP/1.1 GET through the SSLObject.

Prints one JSON line on stdout: {"local_port": N, ...} plus what happened.
Every step is bounded by a 5 s deadline. Exit status 0 on the expected outcome.
"""
import json
import socket
import ssl
import sys
import time

DEADLINE_S = 5.0


def connect(src, dst, port):
    family = socket.AF_INET6 if ":" in dst else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(DEADLINE_S)
    s.bind((src, 0))
    s.connect((dst, port))
    return s


def connect_close(src, dst, port):
    s = connect(src, dst, port)
    out = {"local_port": s.getsockname()[1]}
    time.sleep(0.05)
    s.close()
    print(json.dumps(out))
    return 0


def hello_cuts(hello, server_name, chunks):
    """Offsets where to cut the ClientHello record so the SNI lands in the last chunk."""
    # Walk the ClientHello to the server_name extension (type 0).
    p = 5 + 4 + 2 + 32                      # record hdr, handshake hdr, version, random
    p += 1 + hello[p]                        # session id
    p += 2 + int.from_bytes(hello[p:p + 2], "big")   # cipher suites
    p += 1 + hello[p]                        # compression methods
    end = p + 2 + int.from_bytes(hello[p:p + 2], "big")
    p += 2
    sni_ext = None
    while p + 4 <= end:
        etype = int.from_bytes(hello[p:p + 2], "big")
        if etype == 0:
            sni_ext = p
            break
        p += 4 + int.from_bytes(hello[p + 2:p + 4], "big")
    name_at = hello.find(server_name.encode())
    if sni_ext is None or name_at < 0:
        raise SystemExit("pyclient: no server_name extension in the ClientHello")
    if chunks == 2:
        # The whole server_name extension, header included, is in the 2nd segment.
        return [sni_ext]
    # 1st cut in the middle of the cipher suites, 2nd inside the server_name
    # extension: its headers in the 2nd segment, the host name's length and
    # bytes in the 3rd.
    return [(5 + 4 + 2 + 32 + 1 + hello[43] + sni_ext) // 2, name_at - 2]


def split_hello(src, dst, port, cafile, server_name, chunks):
    deadline = time.monotonic() + DEADLINE_S
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    inc, outg = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, outg, server_side=False, server_hostname=server_name)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = outg.read()
    cuts = hello_cuts(hello, server_name, chunks)
    bounds = [0] + cuts + [len(hello)]
    pieces = [hello[a:b] for a, b in zip(bounds, bounds[1:])]

    s = connect(src, dst, port)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    out = {"local_port": s.getsockname()[1], "hello_len": len(hello),
           "chunks": [len(p) for p in pieces]}
    for i, piece in enumerate(pieces):
        if i:
            time.sleep(0.05)
        s.sendall(piece)

    def pump():
        """Move TLS bytes: our pending output to the socket, socket input to the SSLObject."""
        pending = outg.read()
        if pending:
            s.sendall(pending)
        s.settimeout(max(0.05, deadline - time.monotonic()))
        data = s.recv(65536)
        if not data:
            inc.write_eof()
            return False
        inc.write(data)
        return True

    while True:
        if time.monotonic() > deadline:
            raise SystemExit("pyclient: handshake timed out")
        try:
            obj.do_handshake()
            break
        except ssl.SSLWantReadError:
            if not pump():
                raise SystemExit("pyclient: server closed during the handshake")
    out["version"] = obj.version()
    out["cipher"] = obj.cipher()[0]
    obj.write(("GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % server_name).encode())
    s.sendall(outg.read())
    body = b""
    while time.monotonic() < deadline:
        try:
            chunk = obj.read(65536)
            if not chunk:
                break
            body += chunk
        except ssl.SSLWantReadError:
            if not pump():
                break
        except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
            break
    try:
        obj.unwrap()
        s.sendall(outg.read())
    except (ssl.SSLError, OSError):
        pass
    s.close()
    out["response"] = body.decode(errors="replace").split("\r\n", 1)[0]
    print(json.dumps(out))
    return 0 if out["response"].startswith("HTTP/1.1 200") else 1


def main(argv):
    if len(argv) >= 4 and argv[0] == "connect-close":
        return connect_close(argv[1], argv[2], int(argv[3]))
    if len(argv) == 7 and argv[0] == "split-hello":
        return split_hello(argv[1], argv[2], int(argv[3]), argv[4], argv[5], int(argv[6]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
