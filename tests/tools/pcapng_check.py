#!/usr/bin/env python3
"""pcapng_check.py - byte-level validator of a pcapng file mtracecap wrote.

  pcapng_check.py FILE [expectations...] [--dump] [--records OUT]

Checks every block (draft-ietf-opsawg-pcapng) and what mtracecap promises
about its files, and exits 0, or 1 with one line on stderr naming the
offset and block of the first defect (2: usage).  FILE "-" is stdin.

The format: leading and trailing block total lengths agree, are multiples
of 4 and lie inside the file; padding is zero; every option list is well
formed (known codes of the right length, each ends with opt_endofopt at
the end of the block's option area); exactly one section, its SHB
version 1.0 with section length -1; IDBs before any EPB that names them;
EPB caplen <= snaplen and <= original length; no block of another type.
mtracecap's own promises (unless --foreign): shb_hardware, shb_os and
shb_userappl ("mtracecap ...") present; every IDB before the first EPB
(unless --late-idb),
with if_name, if_description and if_tsresol (9 unless --tsresol says);
stamps never decrease across the file (unless --allow-disorder);
after the last EPB exactly one ISB per interface, with isb_starttime,
isb_endtime and the counters --isb-need names (default usrdeliv; e.g.
--isb-need starttime,endtime,ifrecv,ifdrop,osdrop,filteraccept,usrdeliv),
isb_endtime >= isb_starttime,
isb_usrdeliv at least the interface's packets in this file.

Expectations: --if-os host,-,any,TEXT (per interface: shb_os, none, any,
TEXT; the last one for the rest), --ifaces N, --names a,b, --descs TEXT,TEXT (each if_description
contains its TEXT), --linktypes 1,1, --snaplen N, --tsresol 9 or 6,9 (one
per interface), --filter TEXT (every IDB has if_filter type 0 with TEXT;
--no-filter: none has one), --count N, --counts a,b (packets per
interface), --no-isb (a file without ISBs, as crash recovery leaves
it), --expect-isb 'if=0,ifrecv=N,osdrop=N,...' (repeatable) or
--expect-isb @FILE.json (a list of such objects).

--dump prints a JSON summary on stdout: section options, interfaces (with
packets, first/last stamps in ns, ISB values), totals.  --records OUT
writes one line per EPB: "iface ns caplen origlen flags hexbytes".
"""
import argparse
import json
import struct
import sys

SHB, IDB, EPB, ISB = 0x0A0D0D0A, 1, 6, 5
BLOCK_NAMES = {SHB: "SHB", IDB: "IDB", EPB: "EPB", ISB: "ISB", 3: "SPB",
               4: "NRB", 2: "obsolete PB", 0xBAD: "custom", 0x40000BAD:
               "custom", 10: "DSB"}
CUSTOM = (2988, 2989, 19372, 19373)
# block type -> option code -> (name, length: int exact, None any,
# -n at least n, "text"; repeatable)
OPTIONS = {
    SHB: {1: ("opt_comment", "text", True), 2: ("shb_hardware", "text", False),
          3: ("shb_os", "text", False), 4: ("shb_userappl", "text", False)},
    IDB: {1: ("opt_comment", "text", True), 2: ("if_name", "text", False),
          3: ("if_description", "text", False),
          4: ("if_IPv4addr", 8, True), 5: ("if_IPv6addr", 17, True),
          6: ("if_MACaddr", 6, False), 7: ("if_EUIaddr", 8, False),
          8: ("if_speed", 8, False), 9: ("if_tsresol", 1, False),
          10: ("if_tzone", 4, False), 11: ("if_filter", -1, False),
          12: ("if_os", "text", False), 13: ("if_fcslen", 1, False),
          14: ("if_tsoffset", 8, False), 15: ("if_hardware", "text", False),
          16: ("if_txspeed", 8, False), 17: ("if_rxspeed", 8, False)},
    EPB: {1: ("opt_comment", "text", True), 2: ("epb_flags", 4, False),
          3: ("epb_hash", -1, True), 4: ("epb_dropcount", 8, False),
          5: ("epb_packetid", 8, False), 6: ("epb_queue", 4, False),
          7: ("epb_verdict", -1, True)},
    ISB: {1: ("opt_comment", "text", True), 2: ("isb_starttime", 8, False),
          3: ("isb_endtime", 8, False), 4: ("isb_ifrecv", 8, False),
          5: ("isb_ifdrop", 8, False), 6: ("isb_filteraccept", 8, False),
          7: ("isb_osdrop", 8, False), 8: ("isb_usrdeliv", 8, False)},
}
COUNTERS = ("ifrecv", "ifdrop", "filteraccept", "osdrop", "usrdeliv")


class Defect(Exception):
    """a defect of the file: the one line to print"""


class Checker:
    def __init__(self, data, a):
        self.d, self.a = data, a
        self.e = "<"
        self.off = 0            # offset of the block being checked
        self.bno = 0            # its number (0: the SHB)
        self.btype = None
        self.shb = {}
        self.ifs = []           # dicts, one per IDB
        self.packets = 0
        self.first = self.last = None
        self.disorders = 0
        self.prev_ns = None
        self.isb_seen = False
        self.records = []

    def bad(self, msg, at=None):
        name = BLOCK_NAMES.get(self.btype, "type 0x%08x" % self.btype) \
            if self.btype is not None else "?"
        raise Defect("offset %d, block %d (%s): %s" %
                     (self.off if at is None else at, self.bno, name, msg))

    def u32(self, o):
        return struct.unpack(self.e + "I", self.d[o:o + 4])[0]

    # --- blocks -----------------------------------------------------------
    def run(self):
        d = self.d
        if len(d) < 28:
            raise Defect("offset 0, block 0 (SHB): file of %d bytes is "
                         "shorter than a section header" % len(d))
        while self.off < len(d):
            o = self.off
            if len(d) - o < 12:
                self.btype = None
                self.bad("%d bytes left after the last block, not a block"
                         % (len(d) - o))
            bt = struct.unpack("<I", d[o:o + 4])[0]
            if bt == SHB:
                if o != 0:
                    self.btype = SHB
                    self.bad("a second section header: a file must be one "
                             "section")
                bom = d[o + 8:o + 12]
                if bom == b"\x4d\x3c\x2b\x1a":
                    self.e = "<"
                elif bom == b"\x1a\x2b\x3c\x4d":
                    self.e = ">"
                else:
                    self.btype = SHB
                    self.bad("byte-order magic %s, want 1a2b3c4d" % bom.hex())
            elif o == 0:
                self.btype = bt
                self.bad("file does not start with a section header block")
            bt = self.u32(o)
            self.btype = bt
            n = self.u32(o + 4)
            if n % 4:
                self.bad("total length %d is not a multiple of 4" % n)
            if n < 12:
                self.bad("total length %d is less than 12" % n)
            if o + n > len(d):
                self.bad("total length %d runs past the end of the file "
                         "(%d bytes left)" % (n, len(d) - o))
            t = self.u32(o + n - 4)
            if t != n:
                self.bad("trailing total length %d differs from the "
                         "leading %d" % (t, n), o + n - 4)
            body = (o + 8, o + n - 4)
            if bt == SHB:
                self.do_shb(*body)
            elif bt == IDB:
                self.do_idb(*body)
            elif bt == EPB:
                self.do_epb(*body)
            elif bt == ISB:
                self.do_isb(*body)
            else:
                self.bad("unexpected block type 0x%08x" % bt)
            self.off += n
            self.bno += 1
        self.btype = None
        self.at_end()

    def opts(self, start, end, need_list=False):
        """the option list at [start, end): {name: [values]}"""
        d, out, o = self.d, {}, start
        table = OPTIONS[self.btype]
        if start == end:
            if need_list:
                self.bad("no options (the block needs some)", start)
            return out
        while True:
            if end - o < 4:
                self.bad("option list does not end with opt_endofopt", o)
            code, ln = struct.unpack(self.e + "HH", d[o:o + 4])
            if code == 0:
                if ln != 0:
                    self.bad("opt_endofopt with length %d" % ln, o)
                if o + 4 != end:
                    self.bad("%d bytes after opt_endofopt in the option "
                             "area" % (end - o - 4), o)
                return out
            vend = o + 4 + ln
            pend = vend + (-ln % 4)
            if pend > end:
                self.bad("option %d of length %d runs past the block's "
                         "option area" % (code, ln), o)
            if any(d[vend:pend]):
                self.bad("option %d: non-zero padding" % code, vend)
            val = d[o + 4:vend]
            if code in CUSTOM:
                name = "custom%d" % code
            elif code not in table:
                self.bad("unknown option code %d" % code, o)
            else:
                name, want, rep = table[code]
                if want == "text":
                    try:
                        val.decode("utf-8")
                    except UnicodeDecodeError:
                        self.bad("%s is not UTF-8" % name, o)
                elif isinstance(want, int) and want >= 0 and ln != want:
                    self.bad("%s of length %d, want %d" % (name, ln, want), o)
                elif isinstance(want, int) and want < 0 and ln < -want:
                    self.bad("%s of length %d, want at least %d" %
                             (name, ln, -want), o)
                if not rep and name in out:
                    self.bad("%s twice" % name, o)
            out.setdefault(name, []).append(val)
            o = pend

    def do_shb(self, s, e):
        if e - s < 16:
            self.bad("section header body of %d bytes, want >= 16" % (e - s))
        major, minor, slen = struct.unpack(self.e + "HHq", self.d[s + 4:s + 16])
        if (major, minor) != (1, 0):
            self.bad("version %d.%d, want 1.0" % (major, minor), s + 4)
        if slen != -1:
            self.bad("section length %d, want -1" % slen, s + 8)
        o = self.opts(s + 16, e, need_list=not self.a.foreign)
        self.shb = {k: v[0].decode("utf-8") for k, v in o.items()
                    if k.startswith("shb_")}
        if self.a.foreign:
            return
        for k in ("shb_hardware", "shb_os", "shb_userappl"):
            if k not in self.shb:
                self.bad("no %s" % k)
        if not self.shb["shb_userappl"].startswith("mtracecap "):
            self.bad("shb_userappl %r does not start with 'mtracecap '" %
                     self.shb["shb_userappl"])

    def do_idb(self, s, e):
        if e - s < 8:
            self.bad("interface description body of %d bytes" % (e - s))
        lt, res, snap = struct.unpack(self.e + "HHI", self.d[s:s + 8])
        if res:
            self.bad("reserved field %d, want 0" % res, s + 2)
        if not self.a.foreign and not self.a.late_idb and self.packets:
            self.bad("interface %d described after the first packet" %
                     len(self.ifs))
        o = self.opts(s + 8, e, need_list=not self.a.foreign)
        k = len(self.ifs)
        resol = o.get("if_tsresol", [b"\x06"])[0][0]
        off = struct.unpack(self.e + "q", o["if_tsoffset"][0])[0] \
            if "if_tsoffset" in o else 0
        flt = None
        if "if_filter" in o:
            f = o["if_filter"][0]
            flt = {"type": f[0], "text": f[1:].decode("utf-8", "replace")}
        txt = {n: o[n][0].decode("utf-8") for n in
               ("if_name", "if_description", "if_os", "if_hardware") if n in o}
        self.ifs.append({"id": k, "linktype": lt, "snaplen": snap,
                         "tsresol": resol, "tsoffset": off, "filter": flt,
                         "name": txt.get("if_name"),
                         "description": txt.get("if_description"),
                         "os": txt.get("if_os"), "packets": 0,
                         "first_ns": None, "last_ns": None, "isb": None})
        if self.a.foreign:
            return
        for n in ("if_name", "if_description", "if_tsresol"):
            if n not in o:
                self.bad("interface %d: no %s" % (k, n))
        if self.a.if_os is not None:
            w = self.a.if_os[min(k, len(self.a.if_os) - 1)]
            g = txt.get("if_os")
            if w == "-" and g is not None:
                self.bad("interface %d: if_os %r, want none" % (k, g))
            if w == "host" and g != self.shb.get("shb_os"):
                self.bad("interface %d: if_os %r, want shb_os %r" %
                         (k, g, self.shb.get("shb_os")))
            if w == "any" and g is None:
                self.bad("interface %d: no if_os" % k)
            if w not in ("-", "host", "any") and g != w:
                self.bad("interface %d: if_os %r, want %r" % (k, g, w))
        want = self.a.tsresol[k] if k < len(self.a.tsresol) else \
            self.a.tsresol[-1]
        if resol != want:
            self.bad("interface %d: if_tsresol %d, want %d" % (k, resol, want))
        if self.a.filter is not None:
            if flt is None:
                self.bad("interface %d: no if_filter, want %r" %
                         (k, self.a.filter))
            if flt["type"] != 0 or flt["text"] != self.a.filter:
                self.bad("interface %d: if_filter type %d %r, want type 0 %r"
                         % (k, flt["type"], flt["text"], self.a.filter))
        elif self.a.no_filter and flt is not None:
            self.bad("interface %d: if_filter %r, want none" %
                     (k, flt["text"]))

    def ns(self, ifc, hi, lo):
        t = hi << 32 | lo
        r = ifc["tsresol"]
        if r & 0x80:
            v = t * 10**9 >> (r & 0x7F)
        elif r <= 9:
            v = t * 10 ** (9 - r)
        else:
            v = t // 10 ** (r - 9)
        return v + ifc["tsoffset"] * 10**9

    def iface(self, k, what):
        if k >= len(self.ifs):
            self.bad("%s names interface %d, but only %d defined before it"
                     % (what, k, len(self.ifs)))
        return self.ifs[k]

    def do_epb(self, s, e):
        d = self.d
        if e - s < 20:
            self.bad("enhanced packet body of %d bytes, want >= 20" % (e - s))
        if self.isb_seen and not self.a.foreign:
            self.bad("packet after an interface statistics block")
        k, hi, lo, cap, orig = struct.unpack(self.e + "IIIII", d[s:s + 20])
        ifc = self.iface(k, "packet")
        pend = s + 20 + cap + (-cap % 4)
        if pend > e:
            self.bad("caplen %d runs past the block (%d bytes for data and "
                     "options)" % (cap, e - s - 20))
        if any(d[s + 20 + cap:pend]):
            self.bad("non-zero padding after the packet data",
                     s + 20 + cap)
        if cap > orig:
            self.bad("caplen %d > original length %d" % (cap, orig))
        if ifc["snaplen"] and cap > ifc["snaplen"]:
            self.bad("caplen %d > interface %d's snaplen %d" %
                     (cap, k, ifc["snaplen"]))
        o = self.opts(pend, e)
        ns = self.ns(ifc, hi, lo)
        if self.prev_ns is not None and ns < self.prev_ns:
            if not self.a.allow_disorder:
                self.bad("stamp %d ns is earlier than the packet before "
                         "(%d ns)" % (ns, self.prev_ns))
            self.disorders += 1
        self.prev_ns = ns if self.prev_ns is None else max(ns, self.prev_ns)
        self.packets += 1
        ifc["packets"] += 1
        if ifc["first_ns"] is None:
            ifc["first_ns"] = ns
        ifc["last_ns"] = ns
        self.first = ns if self.first is None else min(self.first, ns)
        self.last = ns if self.last is None else max(self.last, ns)
        if self.a.records:
            fl = struct.unpack(self.e + "I", o["epb_flags"][0])[0] \
                if "epb_flags" in o else -1
            self.records.append("%d %d %d %d %d %s" % (
                k, ns, cap, orig, fl, d[s + 20:s + 20 + cap].hex()))

    def do_isb(self, s, e):
        if e - s < 12:
            self.bad("interface statistics body of %d bytes" % (e - s))
        k, hi, lo = struct.unpack(self.e + "III", self.d[s:s + 12])
        ifc = self.iface(k, "statistics")
        self.isb_seen = True
        o = self.opts(s + 12, e, need_list=not self.a.foreign)
        if ifc["isb"] is not None and not self.a.foreign:
            self.bad("a second statistics block for interface %d" % k)
        v = {"timestamp_ns": self.ns(ifc, hi, lo)}
        for n in ("starttime", "endtime"):
            if "isb_" + n in o:
                h, l_ = struct.unpack(self.e + "II", o["isb_" + n][0])
                v[n + "_ns"] = self.ns(ifc, h, l_)
        for n in COUNTERS:
            if "isb_" + n in o:
                v[n] = struct.unpack(self.e + "Q", o["isb_" + n][0])[0]
        v["comments"] = [c.decode("utf-8") for c in o.get("opt_comment", [])]
        ifc["isb"] = v
        if self.a.foreign:
            return
        if self.a.no_isb:
            self.bad("statistics block for interface %d, want none" % k)
        for n in self.a.isb_need:
            key = n + "_ns" if n in ("starttime", "endtime") else n
            if key not in v:
                self.bad("interface %d: no isb_%s" % (k, n))
        if "starttime_ns" in v and "endtime_ns" in v and \
                v["endtime_ns"] < v["starttime_ns"]:
            self.bad("interface %d: isb_endtime %d before isb_starttime %d"
                     % (k, v["endtime_ns"], v["starttime_ns"]))
        if "usrdeliv" in v and v["usrdeliv"] < ifc["packets"]:
            self.bad("interface %d: isb_usrdeliv %d, but the file holds %d "
                     "of its packets" % (k, v["usrdeliv"], ifc["packets"]))

    # --- the whole file -------------------------------------------------
    def at_end(self):
        a = self.a
        self.nblocks = self.bno

        def whole(msg):
            raise Defect("offset %d, end of file: %s" % (len(self.d), msg))
        if not a.foreign and not a.no_isb:
            miss = [i["id"] for i in self.ifs if i["isb"] is None]
            if miss:
                whole("no statistics block for interface(s) %s" %
                      ",".join(map(str, miss)))
        if a.ifaces is not None and len(self.ifs) != a.ifaces:
            whole("%d interfaces, want %d" % (len(self.ifs), a.ifaces))

        def per_if(what, want, key, conv=str):
            got = [conv(i[key]) if i[key] is not None else None
                   for i in self.ifs]
            if len(want) != len(got):
                whole("%d interfaces, want %d (%s %s)" %
                      (len(got), len(want), what, ",".join(want)))
            for k, (g, w) in enumerate(zip(got, want)):
                if key == "description" and (g is None or w not in g):
                    whole("interface %d: if_description %r lacks %r" %
                          (k, g, w))
                if key != "description" and g != w:
                    whole("interface %d: %s %r, want %r" % (k, what, g, w))
        if a.names is not None:
            per_if("if_name", a.names, "name")
        if a.descs is not None:
            per_if("if_description", a.descs, "description")
        if a.linktypes is not None:
            per_if("link type", a.linktypes, "linktype")
        if a.counts is not None:
            per_if("packets", a.counts, "packets")
        if a.snaplen is not None:
            per_if("snaplen", [str(a.snaplen)] * len(self.ifs), "snaplen")
        if a.count is not None and self.packets != a.count:
            whole("%d packets, want %d" % (self.packets, a.count))
        for x in a.expect_isb:
            k = int(x.get("if", -1))
            if not 0 <= k < len(self.ifs):
                whole("expected statistics of interface %s, which the file "
                      "does not have" % x.get("if"))
            v = self.ifs[k]["isb"] or {}
            for n, w in x.items():
                if n == "if":
                    continue
                if n not in COUNTERS:
                    raise SystemExit("pcapng_check: unknown ISB counter %r"
                                     % n)
                if v.get(n) != int(w):
                    whole("interface %d: isb_%s %s, want %s" %
                          (k, n, v.get(n, "absent"), w))

    def summary(self):
        return {"section": self.shb, "interfaces": self.ifs,
                "packets": self.packets, "first_ns": self.first,
                "last_ns": self.last, "disorders": self.disorders,
                "blocks": self.nblocks}


def parse_isb(spec):
    if spec.startswith("@"):
        with open(spec[1:]) as f:
            v = json.load(f)
        return v if isinstance(v, list) else [v]
    out = {}
    for kv in spec.split(","):
        k, _, w = kv.partition("=")
        if not w.strip().isdigit():
            raise SystemExit("pcapng_check: --expect-isb %r: %r is not "
                             "NAME=NUMBER" % (spec, kv))
        out[k.strip()] = int(w)
    return [out]


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="byte-level validator of a pcapng file mtracecap wrote")
    ap.add_argument("file")
    ap.add_argument("--foreign", action="store_true",
                    help="another program's file: the format's rules only")
    ap.add_argument("--allow-disorder", action="store_true")
    ap.add_argument("--late-idb", action="store_true",
                    help="IDBs may follow packets (an interface seen late)")
    ap.add_argument("--ifaces", type=int)
    lst = lambda s: s.split(",")  # noqa: E731
    ap.add_argument("--names", type=lst)
    ap.add_argument("--descs", type=lst)
    ap.add_argument("--linktypes", type=lst)
    ap.add_argument("--counts", type=lst)
    ap.add_argument("--count", type=int)
    ap.add_argument("--snaplen", type=int)
    ap.add_argument("--tsresol", type=lambda s: [int(x) for x in s.split(",")],
                    default=[9])
    ap.add_argument("--if-os", type=lst)
    ap.add_argument("--filter")
    ap.add_argument("--no-filter", action="store_true")
    ap.add_argument("--no-isb", action="store_true")
    ap.add_argument("--isb-need", type=lst,
                    default=["starttime", "endtime", "usrdeliv"])
    ap.add_argument("--expect-isb", action="append", default=[])
    ap.add_argument("--dump", action="store_true")
    ap.add_argument("--records")
    a = ap.parse_args(argv)
    a.expect_isb = [x for s in a.expect_isb for x in parse_isb(s)]
    for n in a.isb_need:
        if n not in COUNTERS + ("starttime", "endtime"):
            ap.error("--isb-need: unknown %r" % n)
    try:
        if a.file == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(a.file, "rb") as f:
                data = f.read()
    except OSError as e:
        print("pcapng_check: %s: %s" % (a.file, e.strerror), file=sys.stderr)
        return 1
    c = Checker(data, a)
    try:
        c.run()
    except Defect as e:
        print("pcapng_check: %s: %s" % (a.file, e), file=sys.stderr)
        return 1
    if a.records:
        with open(a.records, "w") as f:
            f.write("".join(r + "\n" for r in c.records))
    if a.dump:
        json.dump(c.summary(), sys.stdout, indent=1, sort_keys=True)
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
