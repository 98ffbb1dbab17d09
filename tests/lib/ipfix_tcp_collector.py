#!/usr/bin/python3
"""A minimal IPFIX-over-TCP collector for tests: accepts connections and
writes each connection's byte stream to its own file, for ipfixDump.

Usage: ipfix_tcp_collector.py HOST PORT DIR

Files: DIR/conn-<start ns>-<n>.ipfix, whole messages only. The stream is
framed by the IPFIX header's length; a stream that is not IPFIX (wrong
version, length below 16) is an error (exit 1). A message cut by the end of
a connection is what a collector discards: it is left out of the file and
reported. Prints one line per connection when it ends:
  conn FILE: N messages, B bytes, partial tail T bytes, closed by exporter|collector

SIGTERM stops it the way that loses nothing the exporter's TCP saw
acknowledged: stop listening, half-close each connection (FIN) and read on
until the exporter closes (at most 5 s), then exit 0.
"""
import os
import selectors
import signal
import socket
import struct
import sys
import time


class Conn:
    def __init__(self, sock, path):
        self.sock = sock
        self.path = path
        self.f = open(path, "wb")
        self.buf = b""
        self.messages = 0
        self.bytes = 0

    def feed(self, data):
        self.buf += data
        while len(self.buf) >= 4:
            version, length = struct.unpack("!HH", self.buf[:4])
            if version != 10 or length < 16:
                raise SystemExit(f"collector: {self.path}: not an IPFIX stream "
                                 f"(version {version}, length {length})")
            if len(self.buf) < length:
                break
            self.f.write(self.buf[:length])
            self.bytes += length
            self.messages += 1
            self.buf = self.buf[length:]

    def close(self, who):
        self.f.close()
        self.sock.close()
        print(f"conn {self.path}: {self.messages} messages, {self.bytes} bytes, "
              f"partial tail {len(self.buf)} bytes, closed by {who}", flush=True)


def main():
    host, port, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    lsock = socket.socket(fam, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind((host, port))
    lsock.listen(8)
    lsock.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(lsock, selectors.EVENT_READ)
    conns = {}
    stopping = {"t": None}
    n = 0

    def on_term(*_):
        stopping["t"] = time.monotonic()

    signal.signal(signal.SIGTERM, on_term)
    print(f"listening on {host}:{port}", flush=True)
    while True:
        if stopping["t"] is not None:
            if lsock is not None:
                sel.unregister(lsock)
                lsock.close()
                lsock = None
                for c in conns.values():
                    c.sock.shutdown(socket.SHUT_WR)   # FIN: "I am going away"
            if not conns or time.monotonic() - stopping["t"] > 5:
                for c in list(conns.values()):
                    c.close("collector")
                return 0
        for key, _ in sel.select(timeout=0.05):
            s = key.fileobj
            if s is lsock:
                cs, _ = lsock.accept()
                n += 1
                path = os.path.join(out, f"conn-{time.time_ns()}-{n}.ipfix")
                conns[cs] = Conn(cs, path)
                sel.register(cs, selectors.EVENT_READ)
                if stopping["t"] is not None:
                    cs.shutdown(socket.SHUT_WR)
                continue
            c = conns[s]
            try:
                data = s.recv(65536)
            except ConnectionResetError:
                data = b""
            if data:
                c.feed(data)
            else:
                sel.unregister(s)
                del conns[s]
                c.close("exporter")


if __name__ == "__main__":
    sys.exit(main())
