#!/usr/bin/env python3
"""mkanon.py - pcap files for the address anonymisation tests.

Every frame has correct IP, TCP, UDP, ICMP, ICMPv6 and GRE checksums, and
addresses from the benchmarking ranges 198.18.0.0/15 and 2001:2::/48.

  mkanon.py OUT --kinds all [--count N] [--seed S] [--addrs FILE]
      one frame of each kind below per round (N rounds, default 1):
      IPv4 TCP with options, UDP, UDP without checksum, ICMP echo, ICMP
      errors quoting UDP and TCP, IPv4 options, first and later
      fragments, 802.1Q, QinQ, MPLS, GRE with and without checksum,
      IP-in-IP, 6in4, IPv6 TCP, UDP, ICMPv6 echo, hop-by-hop, ICMPv6
      error, 4in6, ARP request and reply
  mkanon.py OUT --kinds plain --count N ...
      IPv4 only, what traceanon rewrites: TCP, UDP, ICMP echo and errors
      (types 3, 11) quoting UDP
  mkanon.py OUT --kinds v6ext --count N ...
      IPv6 with a 40-byte routing header, then TCP (cut by -s 64)

--addrs FILE writes every address used, in hex, one per line.
"""
import argparse
import os
import random
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mkpcap import checksum as cks  # noqa: E402  (the same sum)

ADDRS = set()


def a4(rnd):
    a = bytes([198, 18 + rnd.randrange(2), rnd.randrange(256),
               rnd.randrange(1, 255)])
    ADDRS.add(a)
    return a


def a6(rnd):
    a = bytes([0x20, 0x01, 0, 2, 0, 0]) + bytes(rnd.randrange(256)
                                              for _ in range(10))
    ADDRS.add(a)
    return a


def ipv4(src, dst, proto, payload, opts=b"", frag=0, ident=1):
    hl = 5 + len(opts) // 4
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | hl, 0, hl * 4 + len(payload),
                    ident, frag, 64, proto, 0, src, dst) + opts
    return h[:10] + struct.pack("!H", cks(h)) + h[12:] + payload


def pseudo(src, dst, proto, length):
    if len(src) == 4:
        return src + dst + struct.pack("!BBH", 0, proto, length)
    return src + dst + struct.pack("!IxxxB", length, proto)


def l4sum(src, dst, proto, seg, at, udp=False):
    c = cks(pseudo(src, dst, proto, len(seg)) + seg)
    if udp and c == 0:
        c = 0xFFFF
    return seg[:at] + struct.pack("!H", c) + seg[at + 2:]


def tcp(src, dst, payload, opts=b""):
    off = (20 + len(opts)) // 4
    seg = struct.pack("!HHIIBBHHH", 40000, 80, 1000, 2000, off << 4, 0x18,
                      65535, 0, 0) + opts + payload
    return l4sum(src, dst, 6, seg, 16)


def udp(src, dst, payload, nosum=False):
    seg = struct.pack("!HHHH", 40001, 53, 8 + len(payload), 0) + payload
    return seg if nosum else l4sum(src, dst, 17, seg, 6, udp=True)


def icmp(typ, code, body):
    m = struct.pack("!BBHI", typ, code, 0, 0x00010002 if typ == 8 else 0)
    m += body
    return m[:2] + struct.pack("!H", cks(m)) + m[4:]


def icmp6(src, dst, typ, code, body):
    m = struct.pack("!BBHI", typ, code, 0, 0x00010002 if typ == 128 else 0)
    return l4sum(src, dst, 58, m + body, 2)


def ipv6(src, dst, nh, payload, ext=b"", first_nh=None):
    return struct.pack("!IHBB16s16s", 0x60000000, len(ext) + len(payload),
                       nh if first_nh is None else first_nh, 64, src,
                       dst) + ext + payload


def eth(etype, payload, tags=()):
    h = bytes([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1])
    for tpid, vid in tags:
        h += struct.pack("!HH", tpid, vid)
    return h + struct.pack("!H", etype) + payload


def gre(proto, payload, csum):
    if not csum:
        return struct.pack("!HH", 0, proto) + payload
    m = struct.pack("!HHHH", 0x8000, proto, 0, 0) + payload
    return m[:4] + struct.pack("!H", cks(m)) + m[6:]


def arp(op, spa, tpa):
    return struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op,
                       bytes([2, 0, 0, 0, 0, 1]), spa, bytes(6), tpa)


TS_OPTS = bytes([1, 1, 8, 10]) + bytes(8)   # NOP NOP timestamps


def kinds_plain(rnd):
    s, d = a4(rnd), a4(rnd)
    q = udp(d, s, b"quoted!!")
    yield eth(0x0800, ipv4(s, d, 6, tcp(s, d, b"hello tcp", TS_OPTS)))
    yield eth(0x0800, ipv4(s, d, 17, udp(s, d, b"hello udp")))
    yield eth(0x0800, ipv4(s, d, 1, icmp(8, 0, b"ping" * 8)))
    yield eth(0x0800, ipv4(s, d, 1, icmp(3, 3, ipv4(d, s, 17, q))))
    yield eth(0x0800, ipv4(s, d, 1, icmp(11, 0, ipv4(d, s, 17, q))))


def kinds_all(rnd):
    yield from kinds_plain(rnd)
    s, d, x, y = a4(rnd), a4(rnd), a4(rnd), a4(rnd)
    s6, d6, x6, y6 = a6(rnd), a6(rnd), a6(rnd), a6(rnd)
    pay = b"payload." * 4
    yield eth(0x0800, ipv4(s, d, 17, udp(s, d, pay, nosum=True)))
    t = tcp(d, s, pay)
    yield eth(0x0800, ipv4(s, d, 1, icmp(3, 1, ipv4(d, s, 6, t)[:28])))
    yield eth(0x0800, ipv4(s, d, 17, udp(s, d, pay), opts=bytes([1] * 4)))
    whole = udp(s, d, pay * 4)
    yield eth(0x0800, ipv4(s, d, 17, whole[:48], frag=0x2000, ident=7))
    yield eth(0x0800, ipv4(s, d, 17, whole[48:], frag=6, ident=7))
    yield eth(0x0800, ipv4(s, d, 6, tcp(s, d, pay)), tags=[(0x8100, 5)])
    yield eth(0x0800, ipv4(s, d, 17, udp(s, d, pay)),
              tags=[(0x88a8, 10), (0x8100, 20)])
    yield eth(0x8847, struct.pack("!II", 0x00010040, 0x00011140) +
              ipv4(s, d, 17, udp(s, d, pay)))
    yield eth(0x0800, ipv4(x, y, 47, gre(0x0800, ipv4(s, d, 17,
                                                     udp(s, d, pay)), True)))
    yield eth(0x0800, ipv4(x, y, 47, gre(0x86dd, ipv6(s6, d6, 6,
                                                     tcp(s6, d6, pay)),
                                         False)))
    yield eth(0x0800, ipv4(x, y, 4, ipv4(s, d, 17, udp(s, d, pay))))
    yield eth(0x0800, ipv4(x, y, 41, ipv6(s6, d6, 6, tcp(s6, d6, pay))))
    yield eth(0x86dd, ipv6(s6, d6, 6, tcp(s6, d6, pay, TS_OPTS)))
    yield eth(0x86dd, ipv6(s6, d6, 17, udp(s6, d6, pay)))
    yield eth(0x86dd, ipv6(s6, d6, 58, icmp6(s6, d6, 128, 0, pay)))
    hbh = bytes([17, 0, 1, 4, 0, 0, 0, 0])      # PadN
    yield eth(0x86dd, ipv6(s6, d6, 17, udp(s6, d6, pay), ext=hbh,
                           first_nh=0))
    q6 = ipv6(d6, s6, 17, udp(d6, s6, pay))
    yield eth(0x86dd, ipv6(x6, d6, 58, icmp6(x6, d6, 1, 4, q6)))
    yield eth(0x86dd, ipv6(x6, y6, 4, ipv4(s, d, 17, udp(s, d, pay))))
    yield eth(0x0806, arp(1, s, d))
    yield eth(0x0806, arp(2, d, s))


def kinds_v6ext(rnd):
    s6, d6 = a6(rnd), a6(rnd)
    # a routing header of type 253 (experimental): 40 bytes of nothing
    rh = bytes([6, 4, 253, 0]) + bytes(36)
    yield eth(0x86dd, ipv6(s6, d6, 6, tcp(s6, d6, b"x" * 20), ext=rh,
                           first_nh=43))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--kinds", choices=["all", "plain", "v6ext"],
                    required=True)
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--seed", type=int, default=18)
    ap.add_argument("--addrs")
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    gen = {"all": kinds_all, "plain": kinds_plain, "v6ext": kinds_v6ext}
    with open(a.out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        t = 1700000000 * 1000000
        for _ in range(a.count):
            for fr in gen[a.kinds](rnd):
                f.write(struct.pack("<IIII", t // 1000000, t % 1000000,
                                    len(fr), len(fr)) + fr)
                t += 1000
    if a.addrs:
        with open(a.addrs, "w") as f:
            for x in sorted(ADDRS):
                f.write(x.hex() + "\n")


if __name__ == "__main__":
    main()
