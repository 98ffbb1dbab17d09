#!/usr/bin/python3
"""A UDP collector that reads slowly but steadily: RATE datagrams a second
from ADDR:PORT (receive buffer BYTES). On SIGTERM it reads what its socket
still holds at full speed, writes the number of datagrams it read to OUT
and exits.

Usage: slow_udp_collector.py ADDR PORT RATE BYTES OUT
"""
import signal
import socket
import sys
import time

addr, port, rate, rcvbuf, out = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), \
    int(sys.argv[4]), sys.argv[5]
s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
s.bind((addr, port))
stop = False


def on_term(sig, frame):
    global stop
    stop = True


signal.signal(signal.SIGTERM, on_term)
n = 0
s.settimeout(0.2)
while not stop:
    try:
        s.recv(65536)
        n += 1
    except (socket.timeout, InterruptedError):
        continue
    time.sleep(1.0 / rate)
s.setblocking(False)
while True:
    try:
        s.recv(65536)
        n += 1
    except BlockingIOError:
        break
with open(out, "w") as f:
    f.write(f"{n}\n")
