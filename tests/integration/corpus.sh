#!/usr/bin/env bash
# corpus.sh - every capture of the tcpdump test corpus (and truncated or
# corrupted copies of some) through `mtracecap -s 0 pcapfile:OUT
# pcapfile:IN`.  A capture that tcpdump reads without error must come out
# with the records tcpdump sees, the same link type and the packet count
# of INVENTORY.tsv (a stamp after 2106, which pcap cannot hold: written
# as the latest it holds, with a warning); one tcpdump stops on must give one clear error line
# naming it (exit 1) or a clean stop (exit 0), with what was read before
# the damage.  Never a crash, a hang or a tmp- file.  Classic pcap files
# go through mtracecap's own pcap reader, read in place by the merger:
# each is read once more with MTRACECAP_READER=libpcap and once with
# MTRACECAP_READER=read (a reader thread), which must give the same
# bytes, exit status and messages.
. "$(dirname "$0")/lib.sh"
tsan_elsewhere "the readers on every capture of a corpus (hundreds of runs)"
need_cmd python3 tcpdump capinfos tshark
[ -d "$CORPUS_DIR" ] || skip "no corpus at $CORPUS_DIR"
[ -r "$CORPUS_DIR/INVENTORY.tsv" ] || skip "no INVENTORY.tsv in $CORPUS_DIR"

cat >"$TMP/pcapinfo.py" <<'EOF'
"""linktype FILE | linktypes LIST | normcmp IN OUT | damage MODE IN OUT"""
import struct, sys

def kind(d):
    m = d[:4]
    if m == b"\n\r\r\n":
        return "ng", None, None
    if m in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        return "pcap", "<", m == b"\x4d\x3c\xb2\xa1"
    if m in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        return "pcap", ">", m == b"\xa1\xb2\x3c\x4d"
    return None, None, None

def linktype(d):
    k, e, _ = kind(d)
    if k == "pcap":
        return struct.unpack(e + "I", d[20:24])[0] & 0xFFFF
    if k == "ng":
        e = "<" if d[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
        o = 0
        while o + 12 <= len(d):
            bt, bl = struct.unpack(e + "II", d[o:o + 8])
            if bt == 1:
                return struct.unpack(e + "H", d[o + 8:o + 10])[0]
            if bl < 12:
                break
            o += bl
    return None

def records(d):
    k, e, nsec = kind(d)
    out, o = [], 24
    while o + 16 <= len(d):
        s, f, cl, wl = struct.unpack(e + "IIII", d[o:o + 16])
        out.append((s, f, cl, wl, d[o + 16:o + 16 + cl]))
        o += 16 + cl
    return out, nsec

cmd = sys.argv[1]
if cmd == "linktype":
    print(linktype(open(sys.argv[2], "rb").read()))
elif cmd == "linktypes":	# LIST: append each file's link type
    for line in open(sys.argv[2]).read().splitlines():
        path = line.split("\t")[0]
        try:
            lt = linktype(open(path, "rb").read())
        except (OSError, struct.error):
            lt = None
        print("%s\t%s" % (line, "" if lt is None else lt))
elif cmd == "normcmp":
    # OUT equals IN with every stamp read as unsigned seconds + fraction,
    # carried over when the fraction is out of range: allowed only when IN
    # has such a fraction (tcpdump then prints it raw)
    d = open(sys.argv[2], "rb").read()
    if kind(d)[0] != "pcap":
        sys.exit("not a pcap file, cannot normalise")
    a, nsec = records(d)
    b, _ = records(open(sys.argv[3], "rb").read())
    lim = 10**9 if nsec else 10**6
    if not any(r[1] >= lim for r in a):
        bad = [i for i, (x, y) in enumerate(zip(a, b)) if x != y]
        i = bad[0] if bad else min(len(a), len(b))
        sys.exit("record %d: in %s, out %s" % (i, a[i][:4] if i < len(a) else None,
                                                b[i][:4] if i < len(b) else None))
    if len(a) != len(b):
        sys.exit("%d records, want %d" % (len(b), len(a)))
    for i, (x, y) in enumerate(zip(a, b)):
        ns = x[0] * 10**9 + (x[1] if nsec else x[1] * 1000)
        want = (ns // 10**9, ns % 10**9 // 1000) + x[2:]
        if y != want:
            sys.exit("record %d: stamp %d s + fraction %d should come out "
                     "as %d.%06d, got %d.%06d" % (i, x[0], x[1], want[0],
                                                 want[1], y[0], y[1]))
    print(sum(r[1] >= lim for r in a))
elif cmd == "clampcmp":
    # OUT holds IN's records with every stamp later than pcap can hold
    # (2^32 s and after) written as the latest it holds, 4294967295.999999,
    # and every other stamp as IN has it, in microseconds.  STAMPS: IN's
    # stamps as tshark prints them (frame.time_epoch, one a line); the rest
    # of each record is compared by the caller (tcpdump -t).
    b, _ = records(open(sys.argv[2], "rb").read())
    stamps = open(sys.argv[3]).read().split()
    if len(stamps) != len(b):
        sys.exit("%d records, want %d" % (len(b), len(stamps)))
    late = 0
    for i, (t, y) in enumerate(zip(stamps, b)):
        s, _, frac = t.partition(".")
        us = int(s) * 10**6 + int((frac + "000000")[:6])
        if us >= 2**32 * 10**6:
            us = 2**32 * 10**6 - 1
            late += 1
        if (y[0], y[1]) != (us // 10**6, us % 10**6):
            sys.exit("record %d: stamp %s should come out as %d.%06d, got "
                     "%d.%06d" % (i, t, us // 10**6, us % 10**6, y[0], y[1]))
    if late == 0:
        sys.exit("no stamp later than pcap can hold")
    print(late)
elif cmd == "damage":
    mode, src, dst = sys.argv[2:5]
    d = bytearray(open(src, "rb").read())
    if mode == "trunc":
        d = d[:len(d) * 2 // 3]
    elif mode == "caplen":		# first record claims 4 GB
        k, e, _ = kind(d)
        d[32:36] = struct.pack(e + "I", 0xFFFFFFF0)
    elif mode == "magic":
        d[0:4] = b"\x00\x01\x02\x03"
    open(dst, "wb").write(d)
EOF

# one.sh IN: check one capture, print "RESULT<TAB>IN<TAB>detail"; RESULT is
# same, normalized, error, stop, or FAIL.  INV_COUNT: its packet count in
# INVENTORY.tsv, if listed; INV_LINKTYPE: its link type.
cat >"$TMP/one.sh" <<'EOF'
in=$1
name=${in##*/}
w=$(mktemp -d "$TMP/w.XXXXXX")
cd "$w" || exit 1
out=$w/out.pcap
say() { printf '%s\t%s\t%s\n' "$1" "$in" "$2"; rm -rf "$w"; exit 0; }
rec() { tcpdump -r "$1" -tt -nn -xx -v 2>/dev/null; }
rc=0
timeout 60 "$MTRACECAP" -s 0 "pcapfile:$out" "pcapfile:$in" >so 2>se || rc=$?
case $(od -An -tx1 -N4 "$in" | tr -d ' \n') in
d4c3b2a1|a1b2c3d4|4d3cb2a1|a1b23c4d)
	# the native reader, read in place by the merger, against libpcap's
	# and against its own reader thread (read())
	for reader in libpcap read; do
		mkdir lib
		lrc=0
		MTRACECAP_READER=$reader timeout 60 "$MTRACECAP" -s 0 \
		    "pcapfile:$w/lib/out.pcap" "pcapfile:$in" >lib/so 2>lib/se || lrc=$?
		[ "$rc" -eq "$lrc" ] ||
		    say FAIL "exit $rc, $lrc with MTRACECAP_READER=$reader: $(head -c 300 se) | $(head -c 300 lib/se)"
		sed "s|$w/lib/|$w/|g" lib/se | cmp -s se - ||
		    say FAIL "messages differ from MTRACECAP_READER=$reader: $(diff se lib/se | head -c 400)"
		if [ -e "$out" ] || [ -e lib/out.pcap ]; then
			cmp -s "$out" lib/out.pcap ||
			    say FAIL "output differs from MTRACECAP_READER=$reader"
		fi
		rm -rf lib
	done
	;;
esac
trc=0
tcpdump -r "$in" -tt -nn -xx -v >want.rec 2>/dev/null || trc=$?
[ "$rc" -eq 124 ] && say FAIL "hangs (no exit after 60 s)"
[ "$rc" -ge 128 ] && say FAIL "crashed: killed by signal $((rc - 128)): $(head -c 300 se)"
[ "$rc" -le 1 ] || say FAIL "exit $rc: $(head -c 300 se)"
left=$(ls -A | grep '^tmp-')
[ -z "$left" ] || say FAIL "exit $rc, temp file left: $left"
[ -s so ] && say FAIL "wrote to stdout"
grep -qv '^mtracecap: ' se && say FAIL "stderr line without 'mtracecap: ': $(grep -v '^mtracecap: ' se | head -1)"
grep -Ev '^mtracecap: (input=[0-9]+ |total: |warning: )' se >errors
nerr=$(wc -l <errors)
if [ "$rc" -eq 0 ] && [ "$nerr" -ne 0 ]; then
	say FAIL "exit 0 with an error: $(head -1 errors)"
fi
if [ "$rc" -eq 1 ]; then
	[ "$nerr" -eq 1 ] || say FAIL "exit 1 with $nerr error lines: $(head -c 300 errors)"
	grep -qF "$in" errors || say FAIL "the error does not name the input: $(cat errors)"
fi
if [ "$trc" -eq 0 ]; then
	# a capture tcpdump reads: same records, link type and count
	[ "$rc" -eq 0 ] || say FAIL "a valid capture, exit $rc: $(cat errors)"
	[ -e "$out" ] || say FAIL "a valid capture, no output"
	lin=$INV_LINKTYPE
	# mtracecap writes its own byte order: od reads it the same way
	lout=$(( $(od -An -tu4 -j20 -N4 "$out") & 0xFFFF ))
	[ "$lin" = "$lout" ] || say FAIL "link type $lout in the output, $lin in the input"
	if [ -n "$INV_COUNT" ] && [ "$(capinfos -M -c "$out" 2>/dev/null | awk -F': *' '/Number of packets/ {print $2+0}')" != "$INV_COUNT" ]; then
		say FAIL "packet count differs from INVENTORY.tsv ($INV_COUNT)"
	fi
	rec "$out" >got.rec
	cmp -s got.rec want.rec && say same ""
	if msg=$(python3 "$TMP/pcapinfo.py" normcmp "$in" "$out" 2>&1); then
		say normalized "$msg stamps with an out-of-range fraction carried over"
	fi
	# stamps after 2106: written as the latest pcap holds, and said so
	if grep -q "^mtracecap: warning: input 'pcapfile:$in': .* later than a pcap file can hold" se; then
		tcpdump -r "$in" -t -nn -xx -v >want.t 2>/dev/null
		tcpdump -r "$out" -t -nn -xx -v >got.t 2>/dev/null
		cmp -s want.t got.t || say FAIL "stamps after 2106: records differ from tcpdump -r beyond their stamps"
		tshark -r "$in" -T fields -e frame.time_epoch >stamps 2>/dev/null ||
		    say FAIL "stamps after 2106: tshark cannot read the input"
		if cmsg=$(python3 "$TMP/pcapinfo.py" clampcmp "$out" stamps 2>&1); then
			say clamped "$cmsg stamps after 2106 written as the latest pcap holds"
		fi
		say FAIL "stamps after 2106: $cmsg"
	fi
	say FAIL "records differ from tcpdump -r: $msg"
fi
# a damaged capture: what libpcap read before the damage, or nothing
if [ -e "$out" ]; then
	tcpdump -r "$out" -w /dev/null 2>/dev/null || say FAIL "exit $rc, output unreadable"
	rec "$out" >got.rec
	cmp -s got.rec want.rec ||
	    say FAIL "exit $rc, output is not what tcpdump read before the damage"
fi
[ "$rc" -eq 1 ] && say error "$(cat errors)"
say stop "exit 0"
EOF

# Truncated and corrupted copies of some captures, so that the damaged
# path runs too.
mkdir -p "$TMP/damaged"
i=0
for f in "$CORPUS_DIR"/*.pcap "$CORPUS_DIR"/*.pcapng; do
	i=$((i + 1))
	b=$(basename "$f")
	case $((i % 12)) in
	0) python3 "$TMP/pcapinfo.py" damage trunc "$f" "$TMP/damaged/trunc-$b" ;;
	4) case $b in *.pcap) python3 "$TMP/pcapinfo.py" damage caplen "$f" "$TMP/damaged/caplen-$b" ;; esac ;;
	8) python3 "$TMP/pcapinfo.py" damage magic "$f" "$TMP/damaged/magic-$b" ;;
	esac
done

# The work list: every capture of the corpus (any file but the inventory
# and the licence), with its inventory count if it has one.
declare -A inv
while IFS=$'\t' read -r file _ _ count; do
	inv[$file]=$count
done <"$CORPUS_DIR/INVENTORY.tsv"
: >"$TMP/list"
n_in=0
for f in "$CORPUS_DIR"/* "$TMP"/damaged/*; do
	b=$(basename "$f")
	case $b in INVENTORY.tsv|LICENSE|README*) continue ;; esac
	[ -f "$f" ] || continue
	printf '%s\t%s\n' "$f" "${inv[$b]:-}" >>"$TMP/list"
	n_in=$((n_in + 1))
done
[ "$n_in" -ge 500 ] || fail "only $n_in captures found in $CORPUS_DIR"

python3 "$TMP/pcapinfo.py" linktypes "$TMP/list" >"$TMP/work"

export MTRACECAP TMP
# mtracecap idles 100 ms at exit: run more checks than there are CPUs
jobs=$(( $(nproc 2>/dev/null || echo 2) * 2 ))
[ "$jobs" -gt 8 ] && jobs=8
# shellcheck disable=SC2016
tr '\t' '\n' <"$TMP/work" | xargs -d '\n' -n 3 -P "$jobs" \
    sh -c 'INV_COUNT=$2 INV_LINKTYPE=$3 bash "$TMP/one.sh" "$1"' one \
    >"$TMP/results"

while IFS=$'\t' read -r result file detail; do
	[ "$result" = FAIL ] && fail "$(basename "$file"): $detail"
done <"$TMP/results"
nres=$(wc -l <"$TMP/results")
[ "$nres" -eq "$n_in" ] || fail "$nres results for $n_in captures"
count() { awk -F'\t' -v r="$1" '$1 == r' "$TMP/results" | wc -l; }
echo "corpus: $n_in captures: $(count same) same, $(count normalized) same" \
    "after carrying out-of-range stamp fractions, $(count clamped) with" \
    "stamps after 2106 clamped, $(count error) errors-clean," \
    "$(count stop) damaged but clean stop, $(count FAIL) failed"
finish
