#!/usr/bin/env python3
"""mkcorpus.py - (re)generate the seed corpus in tests/fuzz/corpus/.

  python3 tests/fuzz/mkcorpus.py [TCPDUMP_TESTS_DIR]

Writes small synthetic seeds for every harness; with the tcpdump test
directory given, copies a few small captures of it (pcap, pcapng, big- and
little-endian) into the recover and input corpora too.  Deterministic:
running it again gives the same files.
"""
import bz2
import gzip
import lzma
import os
import shutil
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
C = os.path.join(HERE, "corpus")


def put(target, name, data):
    d = os.path.join(C, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def frame(n, seq):
    # Ethernet/IPv4/UDP between 198.18.0.0/15 addresses, n bytes
    n = max(n, 42)
    eth = bytes([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1]) + b"\x08\x00"
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, n - 14, seq, 0, 64, 17, 0,
                     bytes([198, 18, 0, 1]), bytes([198, 19, 0, 2]))
    udp = struct.pack("!HHHH", 40000, 9, n - 34, 0)
    return (eth + ip + udp + bytes(range(256)) * 8)[:n]


def pcap(nrec, big=False, nsec=False, snap=65535, linktype=1, sizes=None):
    e = ">" if big else "<"
    magic = 0xA1B23C4D if nsec else 0xA1B2C3D4
    out = struct.pack(e + "IHHiIII", magic, 2, 4, 0, 0, snap, linktype)
    for i in range(nrec):
        n = sizes[i % len(sizes)] if sizes else 60 + 7 * i
        data = frame(n, i)
        out += struct.pack(e + "IIII", 1700000000 + i, (i * 1000) % 1000000,
                           len(data), len(data) + 4 * (i % 2)) + data
    return out


def pcapng_block(e, btype, body):
    body += b"\0" * (-len(body) % 4)
    n = len(body) + 12
    return struct.pack(e + "II", btype, n) + body + struct.pack(e + "I", n)


def pcapng_opt(e, code, value):
    return (struct.pack(e + "HH", code, len(value)) + value +
            b"\0" * (-len(value) % 4))


def pcapng(big=False, sections=2):
    # sections in alternating byte orders; in each, an Ethernet and a raw
    # IP interface (if_name, if_tsresol 9 / 2^-20, if_tsoffset), EPBs with
    # epb_flags, an SPB and an ISB
    out = b""
    for s in range(sections):
        e = ">" if (big ^ (s % 2 == 1)) else "<"
        out += pcapng_block(e, 0x0A0D0D0A, struct.pack(
            e + "IHHq", 0x1A2B3C4D, 1, 0, -1))
        out += pcapng_block(e, 1, struct.pack(e + "HHI", 1, 0, 0) +
                            pcapng_opt(e, 2, b"eth%d" % s) +
                            pcapng_opt(e, 9, b"\x09") +
                            pcapng_opt(e, 0, b""))
        out += pcapng_block(e, 1, struct.pack(e + "HHI", 101, 0, 1500) +
                            pcapng_opt(e, 9, b"\x94") +
                            pcapng_opt(e, 14, struct.pack(e + "q", 10)) +
                            pcapng_opt(e, 0, b""))
        for i in range(3):
            data = frame(60 + i, i)
            ts = 1700000000 * 10 ** 9 + i * 1000
            out += pcapng_block(e, 6, struct.pack(
                e + "IIIII", i % 2, ts >> 32, ts & 0xFFFFFFFF, len(data),
                len(data)) + data + b"\0" * (-len(data) % 4) +
                pcapng_opt(e, 2, struct.pack(e + "I", 1 + i % 2)) +
                pcapng_opt(e, 0, b""))
        out += pcapng_block(e, 3, struct.pack(e + "I", 42) + frame(42, 9))
        out += pcapng_block(e, 5, struct.pack(e + "III", 0, 0, 0))
    return out


def pktparse_seeds():
    """frames of each kind the header parser follows"""
    pay = bytes(range(0xa0, 0xb7))
    src6 = bytes.fromhex("20010db8000000000000000000000001")

    def ip4(proto, body, frag=0):
        return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(body), 1,
                           frag, 64, proto, 0, bytes([198, 18, 0, 1]),
                           bytes([198, 19, 0, 2])) + body

    def ip6(nh, body):
        return struct.pack("!IHBB", 0x60000000, len(body), nh, 64) + \
            src6 * 2 + body

    tcp = struct.pack("!HHIIBBHHH", 40000, 9, 1, 0, 0x70, 2, 1024, 0, 0) + \
        b"\x02\x04\x05\xb4\x01\x01\x01\x00" + pay
    udp = struct.pack("!HHHH", 40000, 9, 8 + len(pay), 0) + pay
    eth = bytes([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1])
    seeds = {
        "eth-ip4-tcp": (0, eth + b"\x08\x00" + ip4(6, tcp)),
        "eth-vlan-ip6-udp": (0, eth + b"\x81\x00\x00\x0a\x86\xdd" +
                             ip6(17, udp)),
        "eth-qinq-ip4-udp": (0, eth + b"\x88\xa8\x00\x01\x81\x00\x00\x02"
                             b"\x08\x00" + ip4(17, udp)),
        "eth-mpls-ip4": (0, eth + b"\x88\x47" + struct.pack(
            "!II", 100 << 12 | 64, 200 << 12 | 1 << 8 | 64) + ip4(6, tcp)),
        "eth-ip6-ext-frag": (0, eth + b"\x86\xdd" + ip6(0, b"\x2c\x00" +
                             b"\0" * 6 + b"\x11\x00\x00\x01" + b"\0" * 4 +
                             udp)),
        "eth-icmp-err": (0, eth + b"\x08\x00" + ip4(1, b"\x03\x03" +
                         b"\0" * 6 + ip4(17, udp))),
        "eth-icmp6-err": (0, eth + b"\x86\xdd" + ip6(58, b"\x01\x04" +
                          b"\0" * 6 + ip6(6, tcp))),
        "eth-gre-teb": (0, eth + b"\x08\x00" + ip4(47, b"\x20\x00\x65\x58"
                        + b"\0" * 4 + eth + b"\x08\x00" + ip4(17, udp))),
        "eth-ipip-6in4": (0, eth + b"\x08\x00" + ip4(4, ip4(41, ip6(17,
                          udp)))),
        "eth-frag": (0, eth + b"\x08\x00" + ip4(17, pay, frag=185)),
        "eth-arp": (0, eth + b"\x08\x06" + struct.pack("!HHBBH", 1, 0x800,
                    6, 4, 1) + b"\0" * 20),
        "sll": (1, b"\0\0\0\x01\0\x06" + eth[:8] + b"\x08\x00" +
                ip4(17, udp)),
        "sll2": (2, b"\x86\xdd\0\0\0\0\0\x02\0\x01\0\x06" + eth[:8] +
                 ip6(6, tcp)),
        "raw": (5, ip6(4, ip4(6, tcp))),
        "null": (8, b"\x02\0\0\0" + ip4(17, udp)),
    }
    return {n: bytes([lt, 0, 4]) + f for n, (lt, f) in seeds.items()}


def main():
    # --- options: NUL-separated argument vectors (argv[0] is implicit)
    lines = [
        ["-B", "pcapfile:/data", "-G", "300", "ring:eth0", "ring:eth1"],
        ["-B", "pcapfile:/data", "-G", "300", "-s", "0", "-U", "-N",
         "/data/.seq", "-Z", "gz", "-z", "1", "--file-ext=.pcap.gz",
         "--post-rotate=/usr/local/bin/ship",
         "--relinquish-privileges=capture", "ring:eth0", "ring:eth1"],
        ["-B", "pcapfile:/data", "-G", "300", "--pipeout=zstd -3 -q",
         "--file-ext=.pcap.zst", "pcapint:eth0"],
        ["pcapfile:-", "pcapint:eth0", "pcapint:eth1"],
        ["-s", "0", "pcapfile:merged.pcap", "a.pcap", "b.pcapng", "c.pcap.gz"],
        ["-S", "100", "-B", "/tmp/x", "-W", "/run/go", "-w", "10",
         "-F", "udp port 53", "-vv", "--queue-size", "16",
         "--capture-buffer=64", "--libtrace-live", "int:lo"],
        ["-z", "0", "out.pcap", "in.pcap"],
        ["-Z", "none", "-z", "3", "out", "in"],
        ["--rotate-seconds=18446744073709551616", "-B", "d", "i"],
        ["-h"], ["--version"], ["-H"], ["--snaplen"], ["-x", "o", "i"],
        ["--use-utc=1", "o", "i"], ["--pipeout", "'unbalanced", "o", "i"],
        ["-B", "pcap:-", "i"], ["-B", "erf:/x", "i"], ["--", "-o", "i"],
    ]
    for i, argv in enumerate(lines):
        put("options", "argv-%02d" % i, "\0".join(argv))

    # --- words: one command line each
    words = [
        "gzip -1", "zstd -3 -q", "  lead and trail  ", "'a b' \"c\\\"d\" e\\ f",
        "\"\\\\\" '\\' x", "''", "a''b\"\"c", "'unbalanced", "trailing\\",
        "tab\there\nnewline", "pcapfile:/data", "pcap:-", "/a/b:c",
        "erf:/x", "pcapfile:", "x:y/z", "\"", "",
    ]
    for i, w in enumerate(words):
        put("words", "cmd-%02d" % i, w)

    # --- naming: time, seq, pid, flags, buffer length, dir NUL ext
    def nm(t, seq, pid, flags, blen, d, ext):
        return (struct.pack("<qIiBH", t, seq, pid, flags, blen) +
                d.encode() + b"\0" + ext.encode())
    put("naming", "plain", nm(1700000000, 1, 1234, 0, 4096, "/data", ".pcap"))
    put("naming", "utc", nm(1700000000, 99999999, 1, 1, 4096, "/data/", ""))
    put("naming", "noext", nm(0, 100000000, 99999, 3, 40, "d", ""))
    put("naming", "exact", nm(1711846800, 7, 42, 0, 30, "/a", ".x"))
    put("naming", "nodir", nm(-1, 0xFFFFFFFF, -1, 0, 64, "", ".gz"))
    put("naming", "dst", nm(1729990800, 5, 5, 0, 4096, "a/b/c", ".pcap.gz"))
    put("naming", "hugeyear", nm(2 ** 55, 3, 3, 1, 4096, "/d", ""))

    # --- seqfile
    for i, s in enumerate(["0\n", "12\n", "99999999\n", "100000000\n", "",
                           "\n", "12", "00000000000000000000000000000001\n",
                           "-1\n", "1\n\n", "12 \n", "4294967296\n"]):
        put("seqfile", "seq-%02d" % i, s)

    # --- pcaps for recover and input
    full = pcap(5)
    samples = {
        "le-5.pcap": full,
        "be-5.pcap": pcap(5, big=True),
        "ns-3.pcap": pcap(3, nsec=True),
        "be-ns-2.pcap": pcap(2, big=True, nsec=True),
        "header-only.pcap": pcap(0),
        "cut-in-record.pcap": full[:len(full) - 9],
        "cut-in-rechdr.pcap": full[:24 + 16 + 60 + 5],
        "cut-in-header.pcap": full[:13],
        "snap64.pcap": pcap(4, snap=64, sizes=[64, 1500]),
        "raw-linktype.pcap": pcap(2, linktype=101),
        "huge-caplen.pcap": full[:24] + struct.pack("<IIII", 1, 0, 0x7fffffff,
                                                    60) + frame(60, 0),
        "zero-caplen.pcap": full[:24] + struct.pack("<IIII", 1, 0, 0, 0) * 3,
        "garbage.bin": b"not a capture file at all\n",
        "gz-5.pcap.gz": gzip.compress(full, 6, mtime=0),
        "gz-cut.pcap.gz": gzip.compress(full, 6, mtime=0)[:-20],
        "bz2-3.pcap.bz2": bz2.compress(pcap(3)),
        "xz-3.pcap.xz": lzma.compress(pcap(3)),
    }
    for name, data in samples.items():
        put("recover", name, data)
        put("input", name, data)

    # --- pcapng: the block parser, and the reader behind pcapfile:
    ng = {
        "two-sections.pcapng": pcapng(),
        "be-one-section.pcapng": pcapng(big=True, sections=1),
        "cut.pcapng": pcapng()[:-30],
    }
    for name, data in ng.items():
        put("pcapng", name, data)
        put("input", name, data)

    # --- pktparse: link type index (fuzz_pktparse.c's table), EXTRA, frame
    for name, data in pktparse_seeds().items():
        put("pktparse", name, data)

    if len(sys.argv) > 1:
        src = sys.argv[1]
        for name in ["dns_udp.pcap", "lisp_ipv6.pcap", "tftp.pcap",
                     "bgp-orf.pcapng", "isis_sr.pcapng",
                     "icmp-rfc8335-missing-bytes.pcap"]:
            p = os.path.join(src, name)
            if os.path.exists(p) and os.path.getsize(p) < 4096:
                shutil.copy(p, os.path.join(C, "input", name))
                shutil.copy(p, os.path.join(C, "recover", name))


if __name__ == "__main__":
    main()
