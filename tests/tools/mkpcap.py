#!/usr/bin/env python3
"""mkpcap.py - write a synthetic pcap file for tests and benchmarks.

Frames are Ethernet/IPv4/UDP between addresses of 198.18.0.0/15 (the
benchmarking range), each carrying its input id and sequence number, so a
merged output can be checked packet by packet.

  mkpcap.py OUT --count N [--start SEC] [--step-us US] [--jitter-us US]
            [--tie-every K] [--size BYTES] [--id ID] [--seed S] [--nsec]
"""
import argparse
import random
import struct
import sys


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(size, ident, seq):
    size = max(size, 60)
    payload_len = size - 14 - 20 - 8
    src = bytes([198, 18, ident & 0xFF, 1])
    dst = bytes([198, 19, ident & 0xFF, 2])
    payload = struct.pack("!HI", ident, seq)
    payload = (payload * (payload_len // len(payload) + 1))[:payload_len]
    udp = struct.pack("!HHHH", 40000 + ident, 9, 8 + payload_len, 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), seq & 0xFFFF,
                     0, 64, 17, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    eth = bytes([0x02, 0, 0, 0, 0x02, ident & 0xFF,
                 0x02, 0, 0, 0, 0x01, ident & 0xFF]) + b"\x08\x00"
    return eth + ip + udp


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--start", type=float, default=1700000000.0)
    ap.add_argument("--step-us", type=int, default=1000)
    ap.add_argument("--jitter-us", type=int, default=0)
    ap.add_argument("--tie-every", type=int, default=0,
                    help="every K-th packet repeats the previous timestamp")
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--id", type=int, default=0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--nsec", action="store_true")
    a = ap.parse_args()

    rnd = random.Random(a.seed)
    magic = 0xA1B23C4D if a.nsec else 0xA1B2C3D4
    scale = 1000 if a.nsec else 1
    out = open(a.out, "wb") if a.out != "-" else sys.stdout.buffer
    out.write(struct.pack("<IHHiIII", magic, 2, 4, 0, 0, 262144, 1))
    t_us = int(a.start * 1e6)
    prev = t_us
    # a pool of frames: building each one in Python is the slow part
    pool = [frame(a.size, a.id, s) for s in range(min(a.count, 4096))]
    buf = []
    for seq in range(a.count):
        if a.tie_every and seq and seq % a.tie_every == 0:
            ts = prev
        else:
            t_us += a.step_us
            ts = t_us + (rnd.randint(0, a.jitter_us) if a.jitter_us else 0)
            ts = max(ts, prev)
        prev = ts
        f = pool[seq % len(pool)] if a.count > 4096 else pool[seq]
        sec, frac = divmod(ts, 1000000)
        buf.append(struct.pack("<IIII", sec, frac * scale, len(f), len(f)))
        buf.append(f)
        if len(buf) >= 8192:
            out.write(b"".join(buf))
            buf = []
    out.write(b"".join(buf))
    out.close()


if __name__ == "__main__":
    main()
