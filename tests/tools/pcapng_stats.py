#!/usr/bin/env python3
"""pcapng_stats.py - pcapng_check.py --dump summaries of the files of one
mtracecap -v run, against what -v printed and across the files.

  pcapng_stats.py isb STDERR FILE=DUMP...   statistics blocks against -v
  pcapng_stats.py order DUMP...             files in time order
  pcapng_stats.py field DUMP EXPR           a value of a summary (s)

isb: FILE... are the run's files in order (their names as -v prints
them), DUMP each one's summary, one interface per input.  Each file's
packets per interface are what -v said of it ("input=I ...: packets=");
its ISBs hold -v's sums up to it (isb_usrdeliv the packets, isb_osdrop +
isb_ifdrop the drops, plus what the exit report's dropped_by_kernel has
beyond the files' sum: drops before the first file); the last file's
also the exit report (isb_ifrecv = read + filtered + the OS's drops,
isb_filteraccept = read, the files' packets = written).  Prints the first mismatch, exit 1.
"""
import json, re, sys

def vlog(path):
    """-v's blocks {file: [packets, [(packets, drops) per input]]} in
    order, and the exit report {input: {read, kdrop, filtered, written}}"""
    files, fin, cur = {}, {}, None
    for line in open(path, errors="replace"):
        line = line.rstrip("\n")
        m = re.match(r"mtracecap: file (.*): packets=(\d+) bytes=\d+ "
                     r"disorders=\d+$", line)
        if m:
            cur = files[m.group(1)] = [int(m.group(2)), []]
            continue
        m = re.match(r"mtracecap:     input=(\d+) .*: packets=(\d+) "
                     r"drops=(\d+)$", line)
        if m and cur is not None:
            cur[1].append((int(m.group(2)), int(m.group(3))))
            continue
        m = re.match(r"mtracecap: input=(\d+) .*: read=(\d+) "
                     r"dropped_by_kernel=(\d+) filtered=(\w+) lost=(\d+) "
                     r"written=(\d+)", line)
        if m:
            fin[int(m.group(1))] = dict(
                read=int(m.group(2)), kdrop=int(m.group(3)),
                filtered=None if m.group(4) == "unknown" else int(m.group(4)),
                written=int(m.group(6)))
    return files, fin

def bad(msg):
    print(msg)
    sys.exit(1)

cmd, a = sys.argv[1], sys.argv[2:]
if cmd == "isb":
    # STDERR FILE=DUMP...: the files of one run in order; each file's
    # packets per interface (one per input) are what -v said of it, its
    # ISBs hold -v's sums up to it (isb_usrdeliv the packets, isb_osdrop
    # + isb_ifdrop the kernel drops), and the last file's the exit
    # report (isb_ifrecv read + filtered, isb_filteraccept read)
    files, fin = vlog(a[0])
    n = len(fin)
    cum = [0] * n
    drops = [0] * n
    pairs = [x.split("=", 1) for x in a[1:]]
    # drops before the first file opened: what the exit report has more
    for path, _ in pairs:
        if path not in files:
            bad("-v says nothing of %s (it names %s)" % (path, list(files)))
        for i, (_, dr) in enumerate(files[path][1]):
            drops[i] += dr
    base = [fin[i]["kdrop"] - drops[i] for i in range(n)]
    if any(b < 0 for b in base):
        bad("-v's drops per file add up to more than the exit report's")
    drops = base
    for j, (path, dump) in enumerate(pairs):
        s = json.load(open(dump))
        pk, per = files[path]
        ifs = s["interfaces"]
        if s["packets"] != pk:
            bad("%s: %d packets, -v says %d" % (path, s["packets"], pk))
        if len(ifs) != n or len(per) != n:
            bad("%s: %d interfaces, -v lists %d inputs" % (path, len(ifs),
                                                           len(per)))
        for i, f in enumerate(ifs):
            cum[i] += per[i][0]
            drops[i] += per[i][1]
            if f["packets"] != per[i][0]:
                bad("%s: interface %d has %d packets, -v says input=%d "
                    "packets=%d" % (path, i, f["packets"], i, per[i][0]))
            isb = f["isb"]
            got = isb.get("osdrop", 0) + isb.get("ifdrop", 0)
            if isb.get("usrdeliv") != cum[i]:
                bad("%s: interface %d: isb_usrdeliv %s, want %d (-v's "
                    "packets of input=%d up to this file)" %
                    (path, i, isb.get("usrdeliv"), cum[i], i))
            if got != drops[i]:
                bad("%s: interface %d: isb_osdrop + isb_ifdrop = %d, want "
                    "%d (-v's drops of input=%d up to this file)" %
                    (path, i, got, drops[i], i))
            if j == len(pairs) - 1:
                r = fin[i]
                # received: read, filtered out or dropped by the OS
                recv = r["read"] + (r["filtered"] or 0) + r["kdrop"] - \
                    isb.get("ifdrop", 0)
                if "ifrecv" in isb and isb["ifrecv"] != recv:
                    bad("%s: interface %d: isb_ifrecv %d, want %d (read + "
                        "filtered + dropped_by_kernel - isb_ifdrop of "
                        "input=%d)" % (path, i, isb["ifrecv"], recv, i))
                if "filteraccept" in isb and isb["filteraccept"] != r["read"]:
                    bad("%s: interface %d: isb_filteraccept %d, want read=%d"
                        % (path, i, isb["filteraccept"], r["read"]))
                if cum[i] != r["written"]:
                    bad("%s: interface %d: the files hold %d, the exit report "
                        "says written=%d" % (path, i, cum[i], r["written"]))
elif cmd == "order":
    # DUMP...: no file starts before the one before it ends
    last = None
    for d in a:
        s = json.load(open(d))
        if s["packets"] == 0:
            continue
        if last is not None and s["first_ns"] < last:
            bad("%s starts at %d ns, before the file before it ends (%d)"
                % (d, s["first_ns"], last))
        last = s["last_ns"]
elif cmd == "field":
    # DUMP EXPR: a value of the summary (python expression over s)
    s = json.load(open(a[0]))
    print(eval(a[1], {"s": s}))
