#!/usr/bin/env python3
"""Client of the Postfix SMTPD access policy delegation protocol for the
rampart-policyd integration tests.

Endpoints are written as in rampart.conf: unix:/path, inet:HOST:PORT or
inet:[V6]:PORT.  Each mode prints one result per line for the shell test
to check; a failure to connect or a timeout ends with status 1.

  session EP      Send the requests on stdin (name=value lines, requests
                  separated by an empty line) on one connection and print
                  each reply line ("action=...").  Options change how:
                  --pipeline writes all requests at once before reading,
                  --split writes one byte at a time, --half-close shuts
                  down the write side after the last request and reads
                  until EOF (Exim's ${readsocket}), --no-final-empty leaves
                  out the empty line after the last request.  The last
                  line is "closed" when the server closed the connection
                  (always checked after --half-close, and after
                  --check-open waits 0.5 s for it) or "open".  With
                  --timing each reply line ends in " ms=N", the
                  milliseconds from sending the request to its reply.
  exim EP         Send each request on stdin on a connection of its own,
                  half-close it and read the reply until the server
                  closes, as Exim's ${readsocket} does; print each reply
                  line, or "none" for a request that got no reply.
  raw EP          Write stdin as it is, then read until the server closes
                  or --timeout passes.  Prints "replies=N" and
                  "closed_ms=MS" or "closed_ms=none".
  idle EP         Connect, send nothing, and print "closed_ms=MS" when the
                  server closes the connection (or "closed_ms=none").
  keepalive EP    Send a CONNECT request every --interval seconds,
                  --count times, on one connection; print "replies=N" and
                  "open" or "closed" at the end.
  maxconn EP N    Open N connections, each sent one request and its reply read, then
                  one more.  Prints "served=K" (of the N), "extra=closed"
                  or "extra=served", and after closing one of the N,
                  "after_close=served" or "after_close=closed".
  noread EP       Pipeline CONNECT requests for up to --timeout seconds
                  and never read a reply, then wait --wait seconds and
                  read what is left.  Prints "sent=N" (requests written),
                  "stalled" when the server stopped taking requests for a
                  second or "flowing", with --pid the server's resident
                  memory at that moment ("rss_kb=N"), and "closed" when
                  the server had closed the connection by then, or "open".
  lateread EP N   Write N CONNECT requests from a second thread, and
                  half-close after them with --half-close; start reading
                  only after --wait seconds.  Prints "replies=K" (DUNNO
                  replies read) and "closed" or "open".  With --overlong
                  a line of 40 000 bytes follows the requests, and the
                  last line is "reset" when the connection ended in a
                  reset (replies lost) instead of an orderly close.
  garbage EP N    Send malformed input on N connections (random
                  bytes, NUL bytes, lines without "=", overlong lines) and
                  print "connections=N closed_without_reply=K".
"""

import argparse
import random
import socket
import sys
import threading
import time


def connect(endpoint, timeout):
    """Connect to a unix:/path or inet:HOST:PORT endpoint."""
    if endpoint.startswith("unix:"):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        address = endpoint[5:]
    elif endpoint.startswith("inet:"):
        rest = endpoint[5:]
        host, _, port = rest.rpartition(":")
        if host.startswith("["):
            sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            host = host[1:-1]
        else:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        address = (host, int(port))
    else:
        raise SystemExit(f"invalid endpoint {endpoint!r}: use unix:/path or inet:HOST:PORT")
    sock.settimeout(timeout)
    sock.connect(address)
    return sock


def parse_requests(text):
    """Split stdin into requests: blocks of lines separated by empty lines."""
    requests = []
    for block in text.split("\n\n"):
        lines = [line for line in block.split("\n") if line != ""]
        if lines:
            requests.append("\n".join(lines) + "\n\n")
    return requests


class Reader:
    """Reads reply lines ("action=...") ended by an empty line."""

    def __init__(self, sock):
        self.sock = sock
        self.buffer = b""
        self.eof = False

    def fill(self):
        data = self.sock.recv(65536)
        if not data:
            self.eof = True
        self.buffer += data

    def reply(self):
        """Return the next reply's first line, or None at EOF."""
        while b"\n\n" not in self.buffer:
            if self.eof:
                return None
            self.fill()
        block, self.buffer = self.buffer.split(b"\n\n", 1)
        return block.split(b"\n")[0].decode("utf-8", "replace")

    def wait_closed(self, seconds):
        """Return True when the server closes within "seconds"."""
        deadline = time.monotonic() + seconds
        while not self.eof:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.sock.settimeout(left)
            try:
                self.fill()
            except socket.timeout:
                return False
            except ConnectionResetError:
                self.eof = True
        return True


def run_session(args):
    text = sys.stdin.read()
    requests = parse_requests(text)
    if args.no_final_empty and requests:
        requests[-1] = requests[-1][:-1]
    sock = connect(args.endpoint, args.timeout)
    reader = Reader(sock)
    replies = []

    def send(data):
        data = data.encode("utf-8")
        if args.split:
            for i in range(len(data)):
                sock.sendall(data[i : i + 1])
                time.sleep(0.001)
        else:
            sock.sendall(data)

    if args.pipeline or args.half_close:
        send("".join(requests))
        if args.half_close:
            sock.shutdown(socket.SHUT_WR)
        for _ in requests:
            reply = reader.reply()
            if reply is None:
                break
            replies.append(reply)
    else:
        for request in requests:
            start = time.monotonic()
            send(request)
            reply = reader.reply()
            if reply is None:
                break
            if args.timing:
                reply += f" ms={int((time.monotonic() - start) * 1000)}"
            replies.append(reply)
    for reply in replies:
        print(reply)
    if args.half_close:
        closed = reader.wait_closed(args.timeout)
        if reader.buffer:
            print(f"extra={reader.buffer!r}")
    elif args.check_open:
        closed = reader.wait_closed(0.5)
    else:
        closed = reader.eof
    print("closed" if closed else "open")
    sock.close()


def run_exim(args):
    for request in parse_requests(sys.stdin.read()):
        sock = connect(args.endpoint, args.timeout)
        sock.sendall(request.encode("utf-8"))
        sock.shutdown(socket.SHUT_WR)
        reply = Reader(sock).reply()
        print(reply if reply is not None else "none")
        sock.close()


def run_raw(args):
    data = sys.stdin.buffer.read()
    sock = connect(args.endpoint, args.timeout)
    start = time.monotonic()
    try:
        sock.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass
    reader = Reader(sock)
    closed = reader.wait_closed(args.timeout)
    replies = reader.buffer.count(b"\n\n")
    print(f"replies={replies}")
    if closed:
        print(f"closed_ms={int((time.monotonic() - start) * 1000)}")
    else:
        print("closed_ms=none")
    sock.close()


def run_idle(args):
    sock = connect(args.endpoint, args.timeout)
    start = time.monotonic()
    reader = Reader(sock)
    if reader.wait_closed(args.timeout):
        print(f"closed_ms={int((time.monotonic() - start) * 1000)}")
    else:
        print("closed_ms=none")
    sock.close()


CONNECT_REQUEST = (
    "request=smtpd_access_policy\nprotocol_state=CONNECT\n"
    "client_address=127.0.0.1\n\n"
)


def run_noread(args):
    sock = connect(args.endpoint, args.timeout)
    sock.setblocking(False)
    data = CONNECT_REQUEST.encode() * 1000
    sent = 0
    stalled = False
    stalled_since = None
    start = time.monotonic()

    # Write until the server stops taking requests for a second.
    while time.monotonic() - start < args.timeout:
        try:
            # Go on where the last write stopped, so requests stay whole.
            sent += sock.send(data[sent % len(data) :])
            stalled_since = None
        except BlockingIOError:
            stalled_since = stalled_since or time.monotonic()
            if time.monotonic() - stalled_since > 1.0:
                stalled = True
                break
            time.sleep(0.01)
        except OSError:
            break
    print(f"sent={sent // len(CONNECT_REQUEST)}")
    print("stalled" if stalled else "flowing")

    if args.pid:
        with open(f"/proc/{args.pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    print(f"rss_kb={line.split()[1]}")

    time.sleep(args.wait)
    sock.setblocking(True)
    reader = Reader(sock)
    # A server that kept the connection replies to the rest and keeps it open.
    print("closed" if reader.wait_closed(2.0) else "open")
    sock.close()


def run_lateread(args):
    sock = connect(args.endpoint, args.timeout)
    data = "".join(
        CONNECT_REQUEST.replace("\n\n", f"\ninstance=late-{i}\n\n") for i in range(args.count)
    ).encode()
    if args.overlong:
        data += b"request=smtpd_access_policy\nfiller=" + b"x" * 40000 + b"\n\n"

    def write():
        try:
            sock.sendall(data)
            if args.half_close:
                sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the reader reports how the connection ended

    writer = threading.Thread(target=write)
    writer.start()
    time.sleep(args.wait)
    reader = Reader(sock)
    replies = 0
    reset = False
    try:
        while replies < args.count:
            reply = reader.reply()
            if reply != "action=DUNNO":
                break
            replies += 1
        closed = reader.wait_closed(1.0)
    except ConnectionResetError:
        reset = closed = True
    writer.join()
    print(f"replies={replies}")
    if reset:
        print("reset")
    elif closed:
        print("closed")
    else:
        print("open")
    sock.close()


def ask_connect(sock, reader):
    """Send one CONNECT request; return its reply or None."""
    try:
        sock.sendall(CONNECT_REQUEST.encode())
        return reader.reply()
    except (OSError, socket.timeout):
        return None


def run_keepalive(args):
    sock = connect(args.endpoint, args.timeout)
    reader = Reader(sock)
    replies = 0
    for i in range(args.count):
        if i > 0:
            time.sleep(args.interval)
        if ask_connect(sock, reader) is not None:
            replies += 1
    print(f"replies={replies}")
    print("closed" if reader.wait_closed(0.2) else "open")
    sock.close()


def run_maxconn(args):
    held = []
    served = 0
    for _ in range(args.count):
        sock = connect(args.endpoint, args.timeout)
        reader = Reader(sock)
        if ask_connect(sock, reader) is not None:
            served += 1
        held.append(sock)
    print(f"served={served}")

    extra = connect(args.endpoint, args.timeout)
    extra.settimeout(2)
    print("extra=served" if ask_connect(extra, Reader(extra)) else "extra=closed")
    extra.close()

    held.pop().close()
    # The server lowers its connection count when it reads the EOF.
    time.sleep(0.3)
    again = connect(args.endpoint, args.timeout)
    print("after_close=served" if ask_connect(again, Reader(again)) else "after_close=closed")
    again.close()
    for sock in held:
        sock.close()


def garbage_inputs(count):
    """Malformed inputs, the same on every run (fixed seed)."""
    rng = random.Random(20261204)
    inputs = [
        b"\x00\x01\x02\xff\xfe\n\n",
        b"no equals sign here\n\n",
        b"=value without a name\n\n",
        b"request=smtpd_access_policy\nprotocol_state=RCPT\nrecipient=a\x00b@example.com\n\n",
        b"request=something_else\n\n",
        b"protocol_state=RCPT\n\n",
        b"x=" + b"A" * 5000 + b"\n\n",
        b"request=smtpd_access_policy\nrecipient_count=-3\nprotocol_state=END-OF-MESSAGE\n\n",
        b"request=smtpd_access_policy\nrecipient_count=12abc\nprotocol_state=END-OF-MESSAGE\n\n",
    ]
    while len(inputs) < count:
        size = rng.randint(1, 3000)
        inputs.append(bytes(rng.randrange(256) for _ in range(size)) + b"\n\n")
    return inputs[:count]


def run_garbage(args):
    closed_without_reply = 0
    inputs = garbage_inputs(args.count)
    for data in inputs:
        sock = connect(args.endpoint, args.timeout)
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        reader = Reader(sock)
        if reader.wait_closed(2) and b"\n\n" not in reader.buffer:
            closed_without_reply += 1
        sock.close()
    print(f"connections={len(inputs)} closed_without_reply={closed_without_reply}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "mode", choices=["session", "raw", "idle", "keepalive", "maxconn", "garbage", "noread", "exim", "lateread"]
    )
    parser.add_argument("endpoint")
    parser.add_argument("count", nargs="?", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for a reply")
    parser.add_argument("--pipeline", action="store_true")
    parser.add_argument("--split", action="store_true")
    parser.add_argument("--half-close", action="store_true")
    parser.add_argument("--no-final-empty", action="store_true")
    parser.add_argument("--check-open", action="store_true")
    parser.add_argument("--timing", action="store_true")
    parser.add_argument("--overlong", action="store_true", help="lateread: end with an overlong line")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between keepalive requests")
    parser.add_argument("--wait", type=float, default=3.0, help="seconds noread waits before reading")
    parser.add_argument("--pid", type=int, default=0, help="server process whose memory noread reports")
    args = parser.parse_args()
    try:
        {
            "session": run_session,
            "raw": run_raw,
            "idle": run_idle,
            "keepalive": run_keepalive,
            "maxconn": run_maxconn,
            "garbage": run_garbage,
            "noread": run_noread,
            "exim": run_exim,
            "lateread": run_lateread,
        }[args.mode](args)
    except (OSError, socket.timeout) as e:
        print(f"error: {args.mode} on {args.endpoint} failed: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
