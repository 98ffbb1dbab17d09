#!/usr/bin/python3
"""Real UDP and TCP traffic with fixed source ports, for the routed tests.

Usage:
  sendflows.py udp DST DPORT SPORT COUNT SIZE   COUNT datagrams of SIZE payload bytes
  sendflows.py udp-from SRC DST DPORT SPORT COUNT SIZE   the same from address SRC
  sendflows.py tcp DST DPORT SPORT BYTES        one connection, BYTES sent, then closed
  sendflows.py tcp-server PORT                  accept forever, read to EOF, close
  sendflows.py udp-echo PORT                    answer every datagram with itself, forever
  sendflows.py udp-many DST DPORT SPORT N       one datagram from each of N source ports
Addresses may be IPv4 or IPv6.
"""
import socket
import sys
import time


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def udp(dst, dport, sport, count, size, src=""):
    s = socket.socket(family(dst), socket.SOCK_DGRAM)
    s.bind((src, sport))
    for _ in range(count):
        s.sendto(b"u" * size, (dst, dport))
        time.sleep(0.02)
    s.close()


def tcp(dst, dport, sport, nbytes):
    s = socket.socket(family(dst), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("", sport))
    s.connect((dst, dport))
    s.sendall(b"t" * nbytes)
    s.shutdown(socket.SHUT_WR)
    while s.recv(65536):
        pass
    s.close()


def tcp_server(port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    s.listen(8)
    while True:
        c, _ = s.accept()
        while c.recv(65536):
            pass
        c.close()


def udp_echo(port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    while True:
        data, peer = s.recvfrom(65536)
        s.sendto(data, peer)


def udp_many(dst, dport, sport, n):
    """N sessions as fast as one process makes them (the NAT event burst)."""
    socks = []
    for i in range(n):
        s = socket.socket(family(dst), socket.SOCK_DGRAM)
        s.bind(("", sport + i))
        socks.append(s)
    for s in socks:
        s.sendto(b"m", (dst, dport))
    for s in socks:
        s.close()


def main():
    cmd = sys.argv[1]
    if cmd == "udp":
        udp(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]))
    elif cmd == "udp-from":
        udp(sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7]),
            sys.argv[2])
    elif cmd == "tcp":
        tcp(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    elif cmd == "tcp-server":
        tcp_server(int(sys.argv[2]))
    elif cmd == "udp-echo":
        udp_echo(int(sys.argv[2]))
    elif cmd == "udp-many":
        udp_many(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
