#!/usr/bin/env python3
"""Send malformed milter protocol data to a milter's unix socket.

Usage: milter_noise.py SOCKET KIND

KIND is one of:
  random      4 KiB of random bytes
  truncated   a packet header announcing 100 bytes, then 10 bytes, then EOF
  huge        a packet header announcing 2 GiB - 1 bytes
  empty       a packet of length 0 (no command byte)
  unknown     a valid option negotiation, then an unknown command 'Z'
  early-rcpt  a valid option negotiation, then RCPT with no MAIL or connect
  silent      connect and close without sending anything

Each kind uses one connection.  The script waits up to 5 s for the milter
to reply or to close the connection, prints what it got and exits 0; it
fails only when it cannot connect.  Milter packets are a 4-byte
big-endian length followed by a command byte and its data (the libmilter
protocol of Sendmail 8.14 and later).
"""

import os
import socket
import struct
import sys

SMFI_VERSION = 6
ALL_ACTIONS = 0x1FF
ALL_STEPS = 0x1FFFFF


def packet(command: bytes, data: bytes = b"") -> bytes:
    return struct.pack(">I", len(command) + len(data)) + command + data


def negotiation() -> bytes:
    return packet(b"O", struct.pack(">III", SMFI_VERSION, ALL_ACTIONS, ALL_STEPS))


PAYLOADS = {
    "random": lambda: os.urandom(4096),
    "truncated": lambda: struct.pack(">I", 100) + b"O" + os.urandom(9),
    "huge": lambda: struct.pack(">I", 0x7FFFFFFF) + b"O" + b"\0" * 12,
    "empty": lambda: struct.pack(">I", 0),
    "unknown": lambda: negotiation() + packet(b"Z", b"garbage\0"),
    "early-rcpt": lambda: negotiation() + packet(b"R", b"<x@example.net>\0"),
    "silent": lambda: b"",
}


def main(argv: list) -> int:
    if len(argv) != 3 or argv[2] not in PAYLOADS:
        print(__doc__, file=sys.stderr)
        return 2
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(5)
    sock.connect(argv[1])
    try:
        sock.sendall(PAYLOADS[argv[2]]())
        sock.shutdown(socket.SHUT_WR)
        reply = sock.recv(65536)
        print(f"{argv[2]}: milter replied {len(reply)} bytes: {reply[:40]!r}")
    except OSError as error:
        print(f"{argv[2]}: {error}")
    finally:
        sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
