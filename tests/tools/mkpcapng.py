#!/usr/bin/env python3
"""mkpcapng.py - write a synthetic pcapng file for tests.

One section with one Interface Description Block per interface, then
Enhanced Packet Blocks whose interfaces take turns (round robin), each
frame Ethernet/IPv4/UDP between addresses of 198.18.0.0/15 that carry the
interface's id (mkpcap.py's frames with --id BASE + interface), so a
merged output can be traced back packet by packet.

  mkpcapng.py OUT --count N [--ifaces K] [--id BASE] [--start SEC]
              [--step-ns NS] [--tsresol R] [--size BYTES] [--linktype LT]
              [--names a,b] [--flags] [--mtracecap] [--isb]
              [--classic] [--stamps]

--tsresol is if_tsresol's byte (6: microseconds, 9: nanoseconds; the
stamps keep odd digits down to that resolution); --flags puts an
epb_flags option (direction inbound/outbound alternating) on every EPB;
--mtracecap writes the SHB and IDB options mtracecap writes and, with
--isb, one ISB per interface at the end: a file that pcapng_check.py
accepts, for its self-test.  --linktype 101 (raw IPv4) drops the
Ethernet header.  --classic writes the same packets as classic pcap
instead (one interface; --tsresol 9: nanosecond magic, 6: microsecond);
--stamps prints every packet's stamp, "SEC.NNNNNNNNN" a line, in file
order (what a reader must show with 9 digits).
"""
import argparse
import os
import struct
import sys

sys.dont_write_bytecode = True	# no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mkpcap import frame  # noqa: E402


def opt(code, value):
    return struct.pack("<HH", code, len(value)) + value + \
        bytes(-len(value) % 4)


def opts(pairs):
    if not pairs:
        return b""
    return b"".join(opt(c, v) for c, v in pairs) + struct.pack("<HH", 0, 0)


def block(btype, body):
    body += bytes(-len(body) % 4)
    n = 12 + len(body)
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


def stamps(a):
    """(ns, iface, seq) of every packet, in file order"""
    out = []
    unit = 10 ** (9 - a.tsresol)
    t = int(a.start) * 10**9
    for k in range(a.count):
        t += a.step_ns + (k * 7919) % 997
        ns = t - t % unit
        out.append((ns, k % a.ifaces, k // a.ifaces))
    return out


def pkt(a, ident, seq):
    f = frame(a.size, ident, seq)
    return f[14:] if a.linktype == 101 else f


def classic(a):
    nsec = a.tsresol == 9
    out = [struct.pack("<IHHiIII", 0xA1B23C4D if nsec else 0xA1B2C3D4,
                       2, 4, 0, 0, 262144, a.linktype)]
    for ns, i, k in stamps(a):
        f = pkt(a, a.id + i, k)
        sec, frac = divmod(ns, 10**9)
        out.append(struct.pack("<IIII", sec, frac if nsec else frac // 1000,
                               len(f), len(f)) + f)
    write(a.out, b"".join(out))


def write(path, data):
    if path == "-":
        sys.stdout.buffer.write(data)
    else:
        with open(path, "wb") as fh:
            fh.write(data)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--ifaces", type=int, default=1)
    ap.add_argument("--id", type=int, default=0)
    ap.add_argument("--start", type=float, default=1700000000.0)
    ap.add_argument("--step-ns", type=int, default=1000003)
    ap.add_argument("--tsresol", type=int, default=9, choices=range(0, 10))
    ap.add_argument("--size", type=int, default=100)
    ap.add_argument("--linktype", type=int, default=1)
    ap.add_argument("--names", default="")
    ap.add_argument("--flags", action="store_true")
    ap.add_argument("--mtracecap", action="store_true")
    ap.add_argument("--isb", action="store_true")
    ap.add_argument("--classic", action="store_true")
    ap.add_argument("--stamps", action="store_true")
    a = ap.parse_args()
    if a.classic and (a.ifaces != 1 or a.tsresol not in (6, 9)):
        ap.error("--classic: one interface, --tsresol 6 or 9")
    if a.stamps:
        for ns, _, _ in stamps(a):
            print("%d.%09d" % divmod(ns, 10**9))
        return
    if a.classic:
        classic(a)
        return

    names = a.names.split(",") if a.names else \
        ["syn%d" % (a.id + i) for i in range(a.ifaces)]
    shb_opts = []
    if a.mtracecap:
        shb_opts = [(2, b"test hardware"), (3, b"Linux test"),
                    (4, b"mtracecap 0.0-test")]
    out = [block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1) +
                 opts(shb_opts))]
    for i in range(a.ifaces):
        o = [(2, names[i].encode())]
        if a.mtracecap:
            o += [(3, b"pcapfile:" + names[i].encode()), (12, b"Linux test")]
        o.append((9, bytes([a.tsresol])))
        out.append(block(1, struct.pack("<HHI", a.linktype, 0, 262144) +
                         opts(o)))
    unit = 10 ** (9 - a.tsresol)
    per_if = [0] * a.ifaces
    for ns, i, k in stamps(a):
        f = pkt(a, a.id + i, k)
        t = ns // unit
        o = [(2, struct.pack("<I", 1 + k % 2))] if a.flags else []
        body = struct.pack("<IIIII", i, t >> 32, t & 0xFFFFFFFF, len(f),
                           len(f)) + f + bytes(-len(f) % 4) + opts(o)
        out.append(block(6, body))
        per_if[i] += 1
    if a.isb:
        st = stamps(a)
        first = st[0][0] // unit if st else 0
        last = st[-1][0] // unit if st else 0
        for i in range(a.ifaces):
            o = [(2, struct.pack("<II", first >> 32, first & 0xFFFFFFFF)),
                 (3, struct.pack("<II", last >> 32, last & 0xFFFFFFFF)),
                 (4, struct.pack("<Q", per_if[i])),
                 (5, struct.pack("<Q", 0)), (7, struct.pack("<Q", 0)),
                 (8, struct.pack("<Q", per_if[i]))]
            out.append(block(5, struct.pack("<III", i, last >> 32,
                                            last & 0xFFFFFFFF) + opts(o)))
    write(a.out, b"".join(out))


if __name__ == "__main__":
    main()
