#!/usr/bin/env python3
"""A TCP/TLS echo server and a streaming client, for the relay benchmark.

  tls_echo.py server --port P [--cert C --key K] [--max-seconds S]
  tls_echo.py client --port P [--tls] --bytes N [--chunk B] [--timeout S]
  tls_echo.py down --port P [--tls] --bytes N [--timeout S]

`down` measures one direction: it sends "source N" (the simulator's bulk
service on 9999, or this server) and times reading N bytes.

The client sends N bytes from memory and reads the echo in one
non-blocking loop; it prints one JSON line: {"bytes": N, "seconds": T, "mb_per_s": ...} where
T runs from the first byte sent to the last byte echoed.  The same client
measures the plain TLS baseline (--tls against this server) and the
forwarded stream (plain TCP to the daemon's forward listener, echoed by the
simulated device), so both figures come from one method.  The server stops
by itself after --max-seconds.  Python's ssl releases the GIL inside
SSL_read/SSL_write, so the work is OpenSSL's, not the interpreter's.
"""

import argparse
import json
import select
import socket
import ssl
import sys
import threading
import time


def serve_source(conn, n):
    """The simulator's bulk "source N", as a baseline: N bytes out."""
    block = memoryview(bytes(1 << 20))
    while n > 0:
        k = min(n, len(block))
        conn.sendall(block[:k])
        n -= k


def serve_conn(conn):
    buf = bytearray(1 << 20)
    mv = memoryview(buf)
    try:
        first = True
        while True:
            n = conn.recv_into(buf)
            if n == 0:
                break
            if first and bytes(mv[:7]) == b"source ":
                serve_source(conn, int(bytes(mv[7:n]).split(b"\n")[0]))
                break
            first = False
            conn.sendall(mv[:n])
    except (OSError, ssl.SSLError) as e:
        sys.stderr.write("echo: %s\n" % e)
    finally:
        try:
            conn.close()
        except OSError:
            pass


def server(args):
    ctx = None
    if args.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
        ctx.options |= ssl.OP_NO_TICKET
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", args.port))
    ls.listen(16)
    ls.settimeout(1.0)
    deadline = time.monotonic() + args.max_seconds
    print("listening", flush=True)
    while time.monotonic() < deadline:
        try:
            c, _ = ls.accept()
        except socket.timeout:
            continue
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if ctx is not None:
            try:
                c = ctx.wrap_socket(c, server_side=True)
            except (OSError, ssl.SSLError):
                c.close()
                continue
        threading.Thread(target=serve_conn, args=(c,), daemon=True).start()
    return 0


def client(args):
    """One thread, non-blocking, full duplex: an SSL object must not be
    used by two threads at once, so writes and reads share one loop."""
    s = socket.create_connection(("127.0.0.1", args.port),
                                 timeout=args.timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    proto = None
    if args.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s = ctx.wrap_socket(s)
        proto = "%s %s" % (s.version(), s.cipher()[0])
    s.setblocking(False)
    total = args.bytes
    chunk = bytes(args.chunk)
    want = (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError)
    err = []
    left = total
    got = 0
    buf = bytearray(1 << 20)
    t0 = time.monotonic()
    deadline = t0 + args.timeout
    try:
        while got < total:
            if time.monotonic() > deadline:
                err.append("timeout after %d bytes" % got)
                break
            progress = False
            if left > 0:
                try:
                    n = s.send(chunk if left >= len(chunk) else
                               chunk[:left])
                    left -= n
                    progress = n > 0
                except want:
                    pass
            while got < total:
                try:
                    n = s.recv_into(buf)
                except want:
                    break
                if n == 0:
                    raise EOFError("closed after %d bytes" % got)
                got += n
                progress = True
            if not progress:
                select.select([s], [s] if left > 0 else [], [], 1.0)
    except (OSError, ssl.SSLError, EOFError) as e:
        err.append(str(e))
    t1 = time.monotonic()
    try:
        s.close()
    except OSError:
        pass
    secs = t1 - t0
    out = {"bytes": got, "seconds": round(secs, 4),
           "mb_per_s": round(got / secs / 1e6, 1) if secs > 0 else None,
           "tls": proto, "errors": err}
    print(json.dumps(out), flush=True)
    return 0 if got >= total else 1


def down(args):
    """One direction: ask for N bytes with "source N", time reading them."""
    s = socket.create_connection(("127.0.0.1", args.port),
                                 timeout=args.timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    proto = None
    if args.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s = ctx.wrap_socket(s)
        proto = "%s %s" % (s.version(), s.cipher()[0])
    buf = bytearray(1 << 20)
    got, err = 0, []
    t0 = time.monotonic()
    try:
        s.sendall(b"source %d\n" % args.bytes)
        while got < args.bytes:
            n = s.recv_into(buf)
            if n == 0:
                raise EOFError("closed after %d bytes" % got)
            got += n
    except (OSError, ssl.SSLError, EOFError) as e:
        err.append(str(e))
    secs = time.monotonic() - t0
    s.close()
    print(json.dumps({"bytes": got, "seconds": round(secs, 4),
                      "mb_per_s": round(got / secs / 1e6, 1)
                      if secs > 0 else None, "tls": proto,
                      "errors": err}), flush=True)
    return 0 if got >= args.bytes else 1


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="mode", required=True)
    a = sub.add_parser("server")
    a.add_argument("--port", type=int, required=True)
    a.add_argument("--cert")
    a.add_argument("--key")
    a.add_argument("--max-seconds", type=float, default=300)
    b = sub.add_parser("client")
    b.add_argument("--port", type=int, required=True)
    b.add_argument("--tls", action="store_true")
    b.add_argument("--bytes", type=int, required=True)
    b.add_argument("--chunk", type=int, default=256 * 1024)
    b.add_argument("--timeout", type=float, default=60)
    d = sub.add_parser("down")
    d.add_argument("--port", type=int, required=True)
    d.add_argument("--tls", action="store_true")
    d.add_argument("--bytes", type=int, required=True)
    d.add_argument("--timeout", type=float, default=60)
    args = ap.parse_args()
    return {"server": server, "client": client, "down": down}[args.mode](args)


if __name__ == "__main__":
    sys.exit(main())
