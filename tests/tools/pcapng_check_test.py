#!/usr/bin/env python3
"""pcapng_check_test.py - pcapng_check.py must reject every defect.

  pcapng_check_test.py GOOD [CHECKER_ARGS...]

GOOD is a pcapng file that pcapng_check.py accepts with CHECKER_ARGS (a
file mtracecap wrote, or mkpcapng.py --mtracecap --isb).  Each case
breaks one thing in a copy of it (a length, a padding byte, an option
list, the section header, an interface, a packet, a statistics block) or
asks for something the file does not hold, and the checker must then
exit 1 with one line that names an offset and a block (or the end) and
the defect.  Prints one line per case; exits 1 if the good file fails or
any case passes, 0 otherwise.  Cases that GOOD gives no material for
(e.g. no packet whose length leaves padding) say "n/a".
"""
import os
import re
import struct
import subprocess
import sys
import tempfile

CHECK = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                     "pcapng_check.py")
SHB, IDB, EPB, ISB = 0x0A0D0D0A, 1, 6, 5
LINE = re.compile(r"^pcapng_check: .*: offset \d+, (block \d+ \([^)]+\)|end "
                  r"of file): \S.*\n$")


def split(d):
    out, o = [], 0
    while o < len(d):
        n = struct.unpack("<I", d[o + 4:o + 8])[0]
        out.append([struct.unpack("<I", d[o:o + 4])[0], d[o + 8:o + n - 4]])
        o += n
    return out


def join(bl):
    return b"".join(struct.pack("<II", t, 12 + len(b)) + b +
                    struct.pack("<I", 12 + len(b)) for t, b in bl)


FIXED = {SHB: 16, IDB: 8, ISB: 12}


def fixed_len(t, body):
    if t == EPB:
        cap = struct.unpack("<I", body[12:16])[0]
        return 20 + cap + (-cap % 4)
    return FIXED[t]


def opts_of(t, body):
    """[(code, value)] of a block's options, end of option excluded"""
    o, out = fixed_len(t, body), []
    while o + 4 <= len(body):
        c, n = struct.unpack("<HH", body[o:o + 4])
        if c == 0:
            break
        out.append((c, body[o + 4:o + 4 + n]))
        o += 4 + n + (-n % 4)
    return out


def enc(opts, end=True, pad=0):
    b = b"".join(struct.pack("<HH", c, len(v)) + v +
                 bytes([pad] * (-len(v) % 4)) for c, v in opts)
    return b + (struct.pack("<HH", 0, 0) if end else b"")


def with_opts(t, body, opts, **kw):
    return body[:fixed_len(t, body)] + enc(opts, **kw)


def first(bl, t, last=False):
    idx = [i for i, (bt, _) in enumerate(bl) if bt == t]
    if not idx:
        return None
    return idx[-1] if last else idx[0]


def put(body, off, fmt, *v):
    return body[:off] + struct.pack(fmt, *v) + body[off + struct.calcsize(fmt):]


def cases(d):
    """(name, expected message part, bytes or None, extra args)"""
    bl = split(d)
    nif = sum(1 for t, _ in bl if t == IDB)
    ii, ei, si = first(bl, IDB), first(bl, EPB), first(bl, ISB)
    le = first(bl, EPB, last=True)
    out = []

    def case(name, want, fn, args=()):
        try:
            c = [list(x) for x in bl]
            r = fn(c)
            out.append((name, want, r if isinstance(r, bytes) else join(c),
                        list(args)))
        except (TypeError, IndexError, ValueError):
            out.append((name, want, None, []))

    def mod(i, fn):
        def f(c):
            c[i][1] = fn(c[i][0], c[i][1])
        return f

    def opt_mod(i, fn, **kw):
        return mod(i, lambda t, b: with_opts(t, b, fn(opts_of(t, b)), **kw))

    # lengths and the block stream
    n_i = 12 + len(bl[ii][1])
    o_i = len(join(bl[:ii]))
    case("trailing length", "trailing total length",
         lambda c: d[:o_i + n_i - 4] + struct.pack("<I", n_i + 4) +
         d[o_i + n_i:])
    case("length not a multiple of 4", "not a multiple of 4",
         lambda c: d[:o_i + 4] + struct.pack("<I", n_i + 2) + d[o_i + 8:])
    case("cut in the last block", "runs past the end", lambda c: d[:-6])
    case("bytes after the last block", "bytes left after", lambda c: d + b"\0\0")
    case("second section", "second section header", lambda c: d + d)
    case("no section header", "does not start with a section header",
         lambda c: join(c[1:]))
    case("unknown block type", "unexpected block type",
         lambda c: join(c[:ei] + [[0x99, b"\0" * 4]] + c[ei:]))
    # the section header
    case("version 1.1", "version 1.1", mod(0, lambda t, b: put(b, 6, "<H", 1)))
    case("section length 0", "section length 0",
         mod(0, lambda t, b: put(b, 8, "<q", 0)))
    case("byte-order magic", "byte-order magic",
         mod(0, lambda t, b: put(b, 0, "<I", 0x1A2B3C4E)))
    case("no shb_userappl", "no shb_userappl",
         opt_mod(0, lambda o: [x for x in o if x[0] != 4]))
    case("shb_userappl of another program", "does not start with 'mtracecap '",
         opt_mod(0, lambda o: [x if x[0] != 4 else (4, b"tcpdump 4")
                               for x in o]))
    case("no shb_hardware", "no shb_hardware",
         opt_mod(0, lambda o: [x for x in o if x[0] != 2]))
    # option lists (on the first interface)
    case("option list without opt_endofopt", "does not end with opt_endofopt",
         opt_mod(ii, lambda o: o, end=False))
    case("bytes after opt_endofopt", "after opt_endofopt",
         mod(ii, lambda t, b: b + b"\0\0\0\0"))
    case("non-zero option padding", "non-zero padding",
         opt_mod(ii, lambda o: [(1, b"x")] + o, pad=7))
    case("option past the block", "runs past",
         mod(ii, lambda t, b: with_opts(t, b, opts_of(t, b), end=False) +
             struct.pack("<HH", 1, 40)))
    case("unknown option code", "unknown option code 200",
         opt_mod(ii, lambda o: o + [(200, b"abcd")]))
    case("if_tsresol of 2 bytes", "if_tsresol of length 2",
         opt_mod(ii, lambda o: [x if x[0] != 9 else (9, b"\x09\x00")
                                for x in o]))
    case("option twice", "if_name twice",
         opt_mod(ii, lambda o: o + [x for x in o if x[0] == 2]))
    # interfaces
    case("no if_name", "no if_name",
         opt_mod(ii, lambda o: [x for x in o if x[0] != 2]))
    case("no if_os", "(no if_os|if_os None)",
         opt_mod(ii, lambda o: [x for x in o if x[0] != 12]),
         ["--if-os", "any"])
    case("an if_os where none is known", "want none",
         opt_mod(ii, lambda o: [x for x in o if x[0] != 12] +
                 [(12, b"Linux")]), ["--if-os", "-"])
    case("no if_description", "no if_description",
         opt_mod(ii, lambda o: [x for x in o if x[0] != 3]))
    case("if_tsresol 3", "if_tsresol 3, want",
         opt_mod(ii, lambda o: [x if x[0] != 9 else (9, b"\x03") for x in o]))
    case("reserved field", "reserved field",
         mod(ii, lambda t, b: put(b, 2, "<H", 1)))
    il = first(bl, IDB, last=True)
    case("interface after a packet", "(after the first packet|names interface)",
         lambda c: join(c[:il] + c[il + 1:ei + 1] + [c[il]] + c[ei + 1:]))
    case("caplen over snaplen", "snaplen",
         lambda c: [mod(i, lambda t, b: put(b, 4, "<I", 8))(c)
                    for i in range(len(c)) if c[i][0] == IDB])
    # packets
    case("packet on an undefined interface", "names interface %d" % nif,
         mod(ei, lambda t, b: put(b, 0, "<I", nif)))
    case("caplen over original length", "> original length",
         mod(ei, lambda t, b: put(b, 16, "<I",
                                  struct.unpack("<I", b[12:16])[0] - 1)))
    odd = [i for i, (t, b) in enumerate(bl) if t == EPB and
           struct.unpack("<I", b[12:16])[0] % 4]
    case("non-zero packet padding", "non-zero padding after the packet",
         mod(odd[0], lambda t, b: put(b, fixed_len(t, b) - 1, "<B", 0x55))
         if odd else None)
    case("stamps out of order", "earlier than the packet before",
         lambda c: [c[ei].__setitem__(1, c[le][1][:4] + c[ei][1][4:12] +
                                      c[le][1][12:]),
                    c[le].__setitem__(1, bl[le][1][:4] + bl[ei][1][4:12] +
                                      bl[le][1][12:])]
         if bl[ei][1][4:12] != bl[le][1][4:12] else None)
    # statistics
    case("no statistics for an interface", "no statistics block",
         lambda c: join(c[:-1]))
    case("two statistics for an interface", "second statistics block",
         lambda c: join(c + [c[-1]]))
    case("statistics before the last packet", "packet after an interface "
         "statistics", lambda c: join(c[:le] + [c[si]] + [c[le]] +
                                      c[le + 1:si] + c[si + 1:]))
    case("no isb_usrdeliv", "no isb_usrdeliv",
         opt_mod(si, lambda o: [x for x in o if x[0] != 8]))
    case("no isb_starttime", "no isb_starttime",
         opt_mod(si, lambda o: [x for x in o if x[0] != 2]))
    case("isb_endtime before isb_starttime", "before isb_starttime",
         opt_mod(si, lambda o: [x if x[0] != 3 else (3, bytes(8))
                                for x in o]))
    case("isb_usrdeliv below the file's packets", "isb_usrdeliv 0",
         opt_mod(si, lambda o: [x if x[0] != 8 else (8, bytes(8))
                                for x in o]))
    # expectations the file does not meet
    case("--ifaces", "interfaces, want %d" % (nif + 1), lambda c: d,
         ["--ifaces", str(nif + 1)])
    case("--names", "if_name", lambda c: d,
         ["--names", ",".join(["nosuch"] * nif)])
    case("--count", "packets, want", lambda c: d, ["--count", "999999999"])
    case("--filter", "if_filter", lambda c: d, ["--filter", "udp and nosuch"])
    case("--tsresol", "want 3", lambda c: d, ["--tsresol", "3"])
    case("--no-isb", "want none", lambda c: d, ["--no-isb"])
    case("--expect-isb", "isb_usrdeliv", lambda c: d,
         ["--expect-isb", "if=0,usrdeliv=987654321"])
    return out


def run(path, args):
    p = subprocess.run([sys.executable, CHECK, path] + args,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       universal_newlines=True)
    return p.returncode, p.stderr


def main():
    good, args = sys.argv[1], sys.argv[2:]
    rc, err = run(good, args)
    if rc != 0:
        print("FAIL: the good file fails: %s" % err.strip())
        return 1
    with open(good, "rb") as f:
        d = f.read()
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "broken.pcapng")
        for name, want, data, extra in cases(d):
            if data is None:
                print("n/a: %s (nothing in the file to break)" % name)
                continue
            with open(path, "wb") as f:
                f.write(data)
            rc, err = run(path, args + extra)
            if rc == 1 and LINE.match(err) and re.search(want, err):
                print("ok: %s: %s" % (name, err.split(": ", 2)[2].strip()))
            else:
                bad += 1
                print("FAIL: %s: exit %d, stderr %r, want exit 1 and one "
                      "line with %r" % (name, rc, err, want))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
