#!/usr/bin/env bash
# merge_files.sh - merging pcap files gives the record stream of libtrace's
# tracemerge (interleaved stamps, ties across files, a header-only file,
# very different lengths, a nanosecond input, ERF inputs read through
# libtrace, whatever -s says), and of mergecap where no stamps tie; -F is
# tcpdump's filter, -s truncates captures and keeps the wire length,
# pcapfile:- streams the same records to stdout, and a fifo output gets
# them too (or, with no reader, waits until SIGTERM).  Plain pcap files
# that need nothing done per packet are read in place by the merger
# (mapped, written with writev from the mapping): the same bytes as their
# reader thread gives (MTRACECAP_READER=read), whatever -s, the byte
# order or the stamp precision.
. "$(dirname "$0")/lib.sh"
need_cmd python3 tcpdump capinfos tracemerge traceconvert mergecap

use_mkpcap

cat >"$TMP/pcaptool.py" <<'EOF'
"""Small pcap checks the other tools cannot express."""
import struct, sys

def read(path):
    d = open(path, "rb").read()
    m = d[:4]
    e = "<" if m in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    nsec = m in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    _, _, _, _, snap, lt = struct.unpack(e + "HHiIII", d[4:24])
    recs, o = [], 24
    while o + 16 <= len(d):
        s, f, cl, wl = struct.unpack(e + "IIII", d[o:o + 16])
        recs.append((s * 10**9 + (f if nsec else f * 1000), cl, wl,
                     d[o + 16:o + 16 + cl]))
        o += 16 + cl
    return snap, lt, recs

cmd, args = sys.argv[1], sys.argv[2:]
if cmd == "ties":		# any stamp found in two different files?
    owner = {}
    for i, p in enumerate(args):
        for r in read(p)[2]:
            if owner.setdefault(r[0], i) != i:
                sys.exit("stamp %d in %s and %s" % (r[0], args[owner[r[0]]], p))
elif cmd == "snap":		# FULL TRUNC SNAPLEN: TRUNC is FULL cut at SNAPLEN
    full, cut, snap = read(args[0]), read(args[1]), int(args[2])
    if cut[0] != snap:
        sys.exit("file header snaplen %d, want %d" % (cut[0], snap))
    if len(full[2]) != len(cut[2]):
        sys.exit("%d packets, want %d" % (len(cut[2]), len(full[2])))
    for i, (a, b) in enumerate(zip(full[2], cut[2])):
        want = (a[0] // 1000 * 1000, min(a[1], snap), a[2], a[3][:snap])
        if b != want:
            sys.exit("packet %d: ts/caplen/len %s, want %s" % (i, b[:3], want[:3]))
elif cmd == "lt":		# OUT FIELD: two records, link-type field FIELD
    with open(args[0], "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535,
                            int(args[1], 0)))
        for k in range(2):
            f.write(struct.pack("<IIII", 1700000000 + k, 0, 64, 64) + bytes(64))
elif cmd == "ng":		# OUT SEC...: pcapng, microsecond stamps SEC.000250
    def blk(t, body):
        body += bytes(-len(body) % 4)
        return struct.pack("<II", t, 12 + len(body)) + body + \
            struct.pack("<I", 12 + len(body))
    out = blk(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    out += blk(1, struct.pack("<HHI", 1, 0, 0))
    for k, sec in enumerate(args[1:]):
        us = int(sec) * 10**6 + 250
        fr = (bytes([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x88, 0xb5])
              + struct.pack("!I", k) + bytes(46))
        out += blk(6, struct.pack("<IIIII", 0, us >> 32, us & 0xffffffff,
                                  len(fr), len(fr)) + fr)
    open(args[0], "wb").write(out)
elif cmd == "stamps":		# FILE: the record stamps, "SEC.USEC" a line
    for r in read(args[0])[2]:
        print("%d.%06d" % (r[0] // 10**9, r[0] % 10**9 // 1000))
elif cmd == "swap":		# IN OUT: the same file in the other byte order
    d = open(args[0], "rb").read()
    m = d[:4]
    e, o = ("<", ">") if m in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else (">", "<")
    out = struct.pack(o + "IHHiIII", *struct.unpack(e + "IHHiIII", d[:24]))
    i = 24
    while i + 16 <= len(d):
        h = struct.unpack(e + "IIII", d[i:i + 16])
        out += struct.pack(o + "IIII", *h) + d[i + 16:i + 16 + h[2]]
        i += 16 + h[2]
    open(args[1], "wb").write(out)
elif cmd == "ltof":		# FILE: its link-type field, in hex
    print("0x%08x" % read(args[0])[1])
elif cmd == "nsec":		# OUT: a nanosecond file with odd stamps
    with open(args[0], "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 262144, 1))
        for k in range(500):
            ns = int(args[1]) * 10**9 + 123 + k * 5777777
            fr = (bytes([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x88, 0xb5])
                  + struct.pack("!I", k) + bytes(60))
            f.write(struct.pack("<IIII", ns // 10**9, ns % 10**9,
                                len(fr), len(fr)) + fr)
EOF
PT="python3 $TMP/pcaptool.py"
section

# --- inputs for tracemerge: everything at once ----------------------------
$MK "$D/a.pcap" --count 3000 --start $S --step-us 1000 --jitter-us 900 \
    --tie-every 50 --id 0 --seed 1
$MK "$D/b.pcap" --count 2000 --start $S.5 --step-us 1500 --jitter-us 1400 \
    --size 700 --id 1 --seed 2
# c has exactly a's stamps: every packet ties with one of a
$MK "$D/c.pcap" --count 3000 --start $S --step-us 1000 --jitter-us 900 \
    --tie-every 50 --size 90 --id 2 --seed 1
$MK "$D/empty.pcap" --count 0
$MK "$D/long.pcap" --count 30000 --start $S --step-us 100 --size 60 --id 3
$MK "$D/short.pcap" --count 3 --start $S.25 --step-us 900000 --size 1514 --id 4
$MK "$D/late.pcap" --count 10 --start $((S + 3600)) --step-us 1 --id 6
$PT nsec "$D/nsec.pcap" $S
$MK "$D/nsec2.pcap" --count 100 --start $S.125 --step-us 25000 --nsec --id 7

ALL=(a b c empty long short late nsec nsec2)
total=0
for f in "${ALL[@]}"; do
	n=$(npackets "$D/$f.pcap")
	total=$((total + n))
done
[ "$total" -eq 38613 ] || fail "inputs hold $total packets, want 38613 (mkpcap changed?)"

# run_mtc ARGS...: mtracecap -s 0 ARGS must exit 0
run_mtc() {
	local rc=0
	"$MTRACECAP" -s 0 "$@" 2>"$TMP/stderr" || rc=$?
	if [ "$rc" -ne 0 ]; then
		fail "mtracecap -s 0 $*: exit $rc: $(cat "$TMP/stderr")"
		return 1
	fi
	return 0
}

# uris NAME...: pcapfile: URIs of the inputs in that order
uris() { for f in "$@"; do printf 'pcapfile:%s/%s.pcap\n' "$D" "$f"; done; }

for order in "a b c empty long short late nsec nsec2" \
    "nsec2 c short empty b a late long nsec" "c a"; do
	read -ra names <<<"$order"
	mapfile -t in < <(uris "${names[@]}")
	rm -f "$TMP/m.pcap" "$TMP/t.pcap"
	run_mtc "pcapfile:$TMP/m.pcap" "${in[@]}" || continue
	tracemerge "pcapfile:$TMP/t.pcap" "${in[@]}"
	records "$TMP/m.pcap" >"$TMP/m.rec"
	records "$TMP/t.pcap" >"$TMP/t.rec"
	if ! cmp -s "$TMP/m.rec" "$TMP/t.rec"; then
		fail "inputs ($order): record stream differs from tracemerge:" \
		    "$(diff "$TMP/t.rec" "$TMP/m.rec" | head -5)"
	fi
	want=0
	for f in "${names[@]}"; do want=$((want + $(npackets "$D/$f.pcap"))); done
	got=$(npackets "$TMP/m.pcap")
	[ "$got" = "$want" ] || fail "inputs ($order): capinfos counts $got packets, want $want"
	grep -q "^mtracecap: total: files=1 written=$want lost=0 disorders=0 dropped_by_kernel=0\$" \
	    "$TMP/stderr" || fail "inputs ($order): totals line wrong: $(grep total: "$TMP/stderr")"
	[ -z "$(find "$TMP" -maxdepth 1 -name 'tmp-*')" ] || fail "tmp- file left"
done
passed "same records as tracemerge (ties, empty, long/short, nsec, 3 orders)"
section
cp "$TMP/m.pcap" "$TMP/c_a.pcap"		# c and a tie packet for packet

# the ties go to the first input on the command line, as in tracemerge
$PT ties "$D/a.pcap" "$D/c.pcap" 2>/dev/null &&
    fail "a.pcap and c.pcap should tie"
tcpdump -r "$TMP/c_a.pcap" -nn 2>/dev/null |
    awk 'NR <= 4 { sub(/\.[0-9]+$/, "", $3); printf "%s ", $3 }' >"$TMP/ties"
[ "$(cat "$TMP/ties")" = "198.18.2.1 198.18.0.1 198.18.2.1 198.18.0.1 " ] ||
    fail "ties: want c (first input) before a, got $(cat "$TMP/ties")"
passed "ties go to the earlier input"
section

# --- inputs in other formats go through libtrace: ERF ------------------------
# (libtrace refuses snaplens over 64 KiB: -s 0 must still read them whole)
traceconvert "pcapfile:$D/a.pcap" "erf:$TMP/a.erf"
traceconvert "pcapfile:$D/b.pcap" "erf:$TMP/b.erf"
tracemerge "pcapfile:$TMP/te.pcap" "erf:$TMP/a.erf" "erf:$TMP/b.erf" \
    "pcapfile:$D/short.pcap"
records "$TMP/te.pcap" >"$TMP/te.rec"
for snap in 0 65535 65537; do
	rm -f "$TMP/me.pcap"
	"$MTRACECAP" -s "$snap" "pcapfile:$TMP/me.pcap" "erf:$TMP/a.erf" \
	    "erf:$TMP/b.erf" "pcapfile:$D/short.pcap" 2>"$TMP/stderr" ||
	    { fail "erf -s $snap: exit $?: $(cat "$TMP/stderr")"; continue; }
	records "$TMP/me.pcap" | cmp -s - "$TMP/te.rec" ||
	    fail "erf -s $snap: record stream differs from tracemerge:" \
	    "$(records "$TMP/me.pcap" | diff "$TMP/te.rec" - | head -3)"
done
want=$(( $(npackets "$D/a.pcap") + $(npackets "$D/b.pcap") + $(npackets "$D/short.pcap") ))
[ "$(npackets "$TMP/me.pcap")" = "$want" ] || fail "erf: $(npackets "$TMP/me.pcap") packets, want $want"
# traceconvert wrote them gzip-compressed: as bare paths (no erf:), the
# decompressed stream is not pcap, so they go to libtrace, which guesses
[ "$(od -An -tx1 -N2 "$TMP/a.erf" | tr -d ' ')" = 1f8b ] ||
    fail "erf: traceconvert no longer compresses, the bare-path check below is moot"
zcat "$TMP/b.erf" >"$TMP/b-plain.erf"
rm -f "$TMP/me.pcap"
if "$MTRACECAP" -s 0 "pcapfile:$TMP/me.pcap" "$TMP/a.erf" "$TMP/b-plain.erf" \
    "$D/short.pcap" 2>"$TMP/stderr"; then
	records "$TMP/me.pcap" | cmp -s - "$TMP/te.rec" ||
	    fail "erf bare paths: record stream differs from tracemerge"
else
	fail "erf bare paths (one compressed, one not): exit $?: $(cat "$TMP/stderr")"
fi
passed "ERF inputs (libtrace) merged with pcap: the records of tracemerge, with -s 0, 65535 and 65537, and as bare paths"
section

# --- mergecap, where no stamp ties across files ---------------------------
# Steps are multiples of 10 us and the start offsets (exact binary
# fractions of a second) differ modulo 10 us, so no two files share a stamp.
$MK "$D/p0.pcap" --count 3000 --start $S --step-us 1000 --tie-every 40 --id 10
$MK "$D/p1.pcap" --count 2000 --start $S.015625 --step-us 1500 --size 700 --id 11
$MK "$D/p2.pcap" --count 30000 --start $S.0078125 --step-us 70 --size 60 --id 12
$MK "$D/p3.pcap" --count 3 --start $S.001953125 --step-us 400000 --size 1514 --id 13
NOTIE=(p0 p1 p2 p3 empty late nsec)
mapfile -t in < <(uris "${NOTIE[@]}")
mapfile -t paths < <(for f in "${NOTIE[@]}"; do echo "$D/$f.pcap"; done)
if msg=$($PT ties "${paths[@]}" 2>&1); then
	rm -f "$TMP/m.pcap"
	if run_mtc "pcapfile:$TMP/m.pcap" "${in[@]}"; then
		mergecap -F pcap -w "$TMP/mc.pcap" "${paths[@]}"
		records "$TMP/mc.pcap" >"$TMP/mc.rec"
		records "$TMP/m.pcap" >"$TMP/m.rec"
		cmp -s "$TMP/m.rec" "$TMP/mc.rec" ||
		    fail "record stream differs from mergecap: $(diff "$TMP/mc.rec" "$TMP/m.rec" | head -5)"
		[ "$(npackets "$TMP/m.pcap")" = "$(npackets "$TMP/mc.pcap")" ] ||
		    fail "packet count differs from mergecap"
	fi
else
	fail "test inputs tie, cannot compare with mergecap: $msg"
fi
passed "same records as mergecap -F pcap (no ties)"
section
ALLIN=("${in[@]}")
cp "$TMP/m.pcap" "$TMP/full.pcap"

# --- -F: the packets tcpdump's filter keeps, nothing else -------------------
for filter in 'udp src port 40011' \
    'udp src port 40013 or ip[2:2] > 600' \
    'ether proto 0x88b5' \
    'not udp and not ip' \
    'udp port 12345'; do
	rm -f "$TMP/f.pcap"
	run_mtc -F "$filter" "pcapfile:$TMP/f.pcap" "${ALLIN[@]}" || continue
	tcpdump -r "$TMP/full.pcap" -tt -nn -xx -v "$filter" >"$TMP/want.rec" 2>/dev/null
	records "$TMP/f.pcap" >"$TMP/got.rec"
	cmp -s "$TMP/got.rec" "$TMP/want.rec" ||
	    fail "-F '$filter': differs from tcpdump -r merged '$filter'"
	tcpdump -r "$TMP/full.pcap" -w "$TMP/want.pcap" "$filter" 2>/dev/null
	want=$(npackets "$TMP/want.pcap")
	got=$(npackets "$TMP/f.pcap")
	[ "$got" = "$want" ] || fail "-F '$filter': $got packets, want $want"
done
passed "-F matches tcpdump's filter"
section

# --- -s: caplen cut, wire length kept ---------------------------------------
for snap in 64 100 1514 0; do
	rm -f "$TMP/s.pcap"
	rc=0
	"$MTRACECAP" -s "$snap" "pcapfile:$TMP/s.pcap" "${ALLIN[@]}" \
	    2>"$TMP/stderr" || rc=$?
	[ "$rc" -eq 0 ] || { fail "-s $snap: exit $rc: $(cat "$TMP/stderr")"; continue; }
	want=$snap
	[ "$snap" -eq 0 ] && want=262144
	msg=$($PT snap "$TMP/full.pcap" "$TMP/s.pcap" "$want" 2>&1) ||
	    fail "-s $snap: $msg"
done
# the default snaplen is 64, as in mtracecap 0.6
rm -f "$TMP/s.pcap"
"$MTRACECAP" "pcapfile:$TMP/s.pcap" "${ALLIN[@]}" 2>/dev/null ||
    fail "default snaplen run failed"
msg=$($PT snap "$TMP/full.pcap" "$TMP/s.pcap" 64 2>&1) ||
    fail "default snaplen: $msg"
passed "-s truncates captures, keeps wire lengths; default 64"
section

# --- pcapfile:- : the same stream on stdout -----------------------------------
(cd "$TMP" && "$MTRACECAP" -s 0 pcapfile:- "${ALLIN[@]}" 2>"$TMP/stderr" |
    tcpdump -r - -tt -nn -xx -v 2>/dev/null >"$TMP/stdout.rec") ||
    fail "stdout mode pipeline failed: $(cat "$TMP/stderr")"
records "$TMP/full.pcap" >"$TMP/full.rec"
cmp -s "$TMP/stdout.rec" "$TMP/full.rec" ||
    fail "pcapfile:- | tcpdump -r - differs from the file output"
(cd "$TMP" && "$MTRACECAP" -s 0 pcapfile:- "${ALLIN[@]}" 2>/dev/null) >"$TMP/stdout.pcap"
cmp -s "$TMP/stdout.pcap" "$TMP/full.pcap" ||
    fail "pcapfile:- bytes differ from pcapfile:FILE bytes"
[ -z "$(find "$TMP" -maxdepth 1 -name 'tmp-*' -o -maxdepth 1 -name '-')" ] ||
    fail "stdout mode left a file"
passed "pcapfile:- streams the same records"
section

# --- an output that is a fifo: the reader gets the stream ---------------------
mkfifo "$TMP/ofifo"
timeout 20 cat "$TMP/ofifo" >"$TMP/fifo.pcap" &
cat_pid=$!
on_exit "kill_child $cat_pid"
rc=0
timeout 20 "$MTRACECAP" -s 0 "pcapfile:$TMP/ofifo" "${ALLIN[@]}" \
    2>"$TMP/stderr" || rc=$?
[ "$rc" -eq 0 ] || fail "fifo output: exit $rc: $(cat "$TMP/stderr")"
if [ -p "$TMP/ofifo" ]; then
	wait "$cat_pid" || true
	cmp -s "$TMP/fifo.pcap" "$TMP/full.pcap" ||
	    fail "fifo output: the reader got $(wc -c <"$TMP/fifo.pcap") bytes, want the $(wc -c <"$TMP/full.pcap") of the file output"
else
	fail "fifo output: pcapfile:$TMP/ofifo was replaced by a $(stat -c %F "$TMP/ofifo"); the fifo's reader got nothing"
fi
passed "a fifo as the output receives the stream"
section

# --- the link-type field is written as read: FCS bits, odd values -----------
# (libpcap hands the upper six bits over apart; 1.0.0 dropped them, and
# wrote 0x7fffffff as 0x03ffffff)
for lt in 0x24000001 0x7fffffff 0x00000001; do
	$PT lt "$TMP/lt.pcap" $lt
	gzip -c "$TMP/lt.pcap" >"$TMP/lt.pcap.gz"
	for how in native libpcap gz; do
		in=$TMP/lt.pcap
		[ $how = gz ] && in=$TMP/lt.pcap.gz
		rc=0
		MTRACECAP_READER=$how "$MTRACECAP" -s 0 "pcapfile:$TMP/lt-out.pcap" \
		    "pcapfile:$in" 2>"$TMP/stderr" || rc=$?
		[ "$rc" -eq 0 ] || fail "link type $lt ($how): exit $rc: $(cat "$TMP/stderr")"
		got=$($PT ltof "$TMP/lt-out.pcap")
		[ "$got" = "$lt" ] ||
		    fail "link type $lt ($how): the output's link-type field is $got"
		if [ $lt != 0x7fffffff ] && ! tcpdump -r "$TMP/lt-out.pcap" -w /dev/null 2>/dev/null; then
			fail "link type $lt ($how): tcpdump cannot read the output"
		fi
	done
done
passed "the link-type field (FCS bits included) is written as the input holds it"
section

# --- stamps pcap cannot hold (after 2106): clamped, counted, said once ------
# (1.0.0 wrapped them modulo 2^32 s without a word)
# (100000000000 s, in 5138, is past what 64-bit nanoseconds hold)
$PT ng "$TMP/late.pcapng" 1700000000 4294967296 7258118400 100000000000 \
    1700000001
rc=0
"$MTRACECAP" -s 0 "pcapfile:$TMP/late.pcap" "pcapfile:$TMP/late.pcapng" \
    2>"$TMP/stderr" || rc=$?
[ "$rc" -eq 0 ] || fail "late stamps: exit $rc: $(cat "$TMP/stderr")"
printf '%s\n' 1700000000.000250 4294967295.999999 4294967295.999999 \
    4294967295.999999 1700000001.000250 >"$TMP/late.want"
$PT stamps "$TMP/late.pcap" >"$TMP/late.got"
cmp -s "$TMP/late.want" "$TMP/late.got" ||
    fail "late stamps: written $(tr '\n' ' ' <"$TMP/late.got"), want $(tr '\n' ' ' <"$TMP/late.want")"
tcpdump -r "$TMP/late.pcap" -w /dev/null 2>/dev/null ||
    fail "late stamps: tcpdump cannot read the output"
want="mtracecap: warning: input 'pcapfile:$TMP/late.pcapng': a packet stamped 2106-02-07 06:28:16 UTC is later than a pcap file can hold; such packets are written stamped 2106-02-07 06:28:15.999999 UTC and counted"
[ "$(grep -c -F "is later than a pcap file" "$TMP/stderr")" = 1 ] &&
    grep -q -x -F "$want" "$TMP/stderr" ||
    fail "late stamps: not exactly one warning naming the input: $(cat "$TMP/stderr")"
grep -q -x -F "mtracecap: warning: input 'pcapfile:$TMP/late.pcapng': 3 packets stamped later than a pcap file can hold (after 2106-02-07 06:28:15.999999 UTC)" \
    "$TMP/stderr" || fail "late stamps: no count of them at exit: $(cat "$TMP/stderr")"
passed "stamps after 2106 are written as the latest pcap holds, counted, and warned about once"
section

# --- read in place: mapped by the merger, written from the mapping ----------
# The merger reads plain pcap files itself (input_pcapmap.c) and writes
# the records that need no change from where they lie (writev): the
# output must be byte for byte what the read() reader thread gives, for
# records written as they are and for those that are not (cut by -s, the
# other byte order, microseconds into nanoseconds and back).  strace shows
# which path ran: a shared read-only mapping per input, writev on the
# output; neither with -F (the filter needs a reader) or
# MTRACECAP_READER=read.
$PT swap "$D/b.pcap" "$TMP/b-swapped.pcap"
$PT swap "$D/nsec.pcap" "$TMP/nsec-swapped.pcap"
inplace_in=("$D/a.pcap" "$TMP/b-swapped.pcap" "$D/c.pcap" "$D/long.pcap"
    "$D/nsec.pcap" "$TMP/nsec-swapped.pcap" "$D/empty.pcap" "$D/nsec2.pcap")
for opts in "-s 0" "-s 100" "-s 0 --time-stamp-precision=nano" "-s 64"; do
	read -ra o <<<"$opts"
	rm -f "$TMP/ip-map.pcap" "$TMP/ip-read.pcap"
	run_mtc "${o[@]}" "pcapfile:$TMP/ip-map.pcap" "${inplace_in[@]}" || continue
	MTRACECAP_READER=read run_mtc "${o[@]}" "pcapfile:$TMP/ip-read.pcap" \
	    "${inplace_in[@]}" || continue
	cmp -s "$TMP/ip-map.pcap" "$TMP/ip-read.pcap" ||
	    fail "in place ($opts): output differs from the reader thread's: $(cmp "$TMP/ip-map.pcap" "$TMP/ip-read.pcap")"
done
if command -v strace >/dev/null 2>&1 && ! sanitizer_build; then
	# syscalls [ENV=V] ARGS...: the mappings of input files and the
	# writev calls of a run, as "maps N writev M"
	syscalls() {
		local rc=0
		strace -f -qq -e trace=mmap,writev -o "$TMP/strace.txt" \
		    env "$@" 2>"$TMP/stderr" || rc=$?
		[ "$rc" -eq 0 ] || fail "strace $*: exit $rc: $(tail -3 "$TMP/stderr")"
		# (the C library maps a locale file the same way: only
		# mappings of an input's whole length count)
		printf 'maps %s writev %s\n' \
		    "$(grep -cE "mmap\(NULL, ($(stat -c %s "$D/a.pcap")|$(stat -c %s "$D/c.pcap")|$(stat -c %s "$D/long.pcap")|$(stat -c %s "$D/late.pcap")), PROT_READ, MAP_SHARED, [0-9]" "$TMP/strace.txt")" \
		    "$(grep -c 'writev(' "$TMP/strace.txt")"
	}
	# long.pcap comes whole before late.pcap: runs of thousands of
	# records, written from the mapping; a.pcap and c.pcap alternate
	# record by record: each record is copied (a writev piece of its
	# own would cost more)
	two=("pcapfile:$D/long.pcap" "pcapfile:$D/late.pcap")
	got=$(syscalls X=1 "$MTRACECAP" -s 0 "pcapfile:$TMP/st.pcap" "${two[@]}")
	case $got in
	"maps 2 writev 0") fail "in place: the inputs were mapped but no record was written from there ($got)" ;;
	"maps 2 writev "*) ;;
	*) fail "in place: want both inputs mapped and writev on the output, strace says: $got" ;;
	esac
	got=$(syscalls X=1 "$MTRACECAP" -s 0 "pcapfile:$TMP/st.pcap" \
	    "pcapfile:$D/a.pcap" "pcapfile:$D/c.pcap")
	[ "$got" = "maps 2 writev 0" ] ||
	    fail "in place, records alternating: want both mapped, every record copied (no writev), strace says: $got"
	got=$(syscalls MTRACECAP_READER=read "$MTRACECAP" -s 0 \
	    "pcapfile:$TMP/st.pcap" "${two[@]}")
	[ "$got" = "maps 0 writev 0" ] ||
	    fail "MTRACECAP_READER=read: want no mapping and no writev, strace says: $got"
	got=$(syscalls X=1 "$MTRACECAP" -s 0 -F udp "pcapfile:$TMP/st.pcap" "${two[@]}")
	[ "$got" = "maps 0 writev 0" ] ||
	    fail "-F: want reader threads (no mapping, no writev), strace says: $got"
fi
passed "plain pcap files read in place: the bytes of the reader thread (-s, byte order, precision), mapped and written from the mapping"
section

# --- an input cut short while it is read in place: an error, no crash -------
# (a mapped file that shrinks raises SIGBUS at the first access past its
# new end; mtracecap must see it coming, or catch it, and fail the input)
# The output is a fifo read 64 KiB at first: the writer is held in its
# first write, about 1 MiB into the input, with the pages up to about
# 3 MiB already mapped ahead.  Cut to 12M: the input fails when it maps
# the pages past the new end, before reading from there (at most the
# first 12 MiB written).  Cut to 1433600, a page boundary that is the
# start of record 1411 (24 + 1411 x 1016), inside the pages mapped
# already: the next access raises SIGBUS; exactly 1411 records written.
mkfifo "$TMP/cutfifo"
for cut in 12M 1433600; do
	$MK "$TMP/big.pcap" --count 40000 --start $S --step-us 10 --size 1000 --id 9
	"$MTRACECAP" -s 0 "pcapfile:$TMP/cutfifo" "pcapfile:$TMP/big.pcap" \
	    2>"$TMP/stderr" &
	pid=$!
	on_exit "kill_child -KILL $pid"
	exec 3<"$TMP/cutfifo"
	head -c 65536 <&3 >"$TMP/cut-head.pcap"
	sleep 0.5
	truncate -s "$cut" "$TMP/big.pcap"
	cat <&3 >>"$TMP/cut-head.pcap"
	exec 3<&-
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" -eq 1 ] || fail "input cut to $cut: exit $rc, want 1: $(tail -3 "$TMP/stderr")"
	grep -q "input 'pcapfile:$TMP/big.pcap' failed: .*cut short" "$TMP/stderr" ||
	    fail "input cut to $cut: no error line naming it: $(cat "$TMP/stderr")"
	tcpdump -r "$TMP/cut-head.pcap" -w /dev/null 2>/dev/null ||
	    fail "input cut to $cut: the output is not a valid pcap file"
	n=$(npackets "$TMP/cut-head.pcap")
	case $cut in
	12M) [ -n "$n" ] && [ "$n" -gt 1000 ] && [ "$n" -le 12384 ] ||
		fail "input cut to $cut: $n packets written, want those of the first 12 MiB" ;;
	*) [ "$n" = 1411 ] ||
		fail "input cut to $cut (SIGBUS): $n packets written, want the 1411 before the cut" ;;
	esac
done
passed "an input cut short while read in place (seen ahead, and by SIGBUS): a clear error, exit 1, a valid output with what was read"
section

# --- a fifo output nobody reads: like tcpdump, wait; SIGTERM still stops ------
mkfifo "$TMP/nofifo"
"$MTRACECAP" -s 0 "pcapfile:$TMP/nofifo" "pcapfile:$D/a.pcap" \
    2>"$TMP/stderr" &
pid=$!
on_exit "kill_child -KILL $pid"
sleep 1
if kill -0 "$pid" 2>/dev/null; then
	kill -TERM "$pid"
	if wait_exit "$pid" 2; then
		rc=0
		wait "$pid" || rc=$?
		n=$(npackets "$D/a.pcap")
		[ "$rc" -eq 1 ] || fail "unread fifo: exit $rc after SIGTERM, want 1"
		grep -q "stopped while waiting for a reader to open fifo '$TMP/nofifo'" \
		    "$TMP/stderr" || fail "unread fifo: no line naming the fifo: $(cat "$TMP/stderr")"
		# what was read is lost (a reader thread reads ahead, up to
		# all $n; read in place, nothing is read before it is written)
		line=$(grep '^mtracecap: input=0 ' "$TMP/stderr")
		r=$(sed -n 's/.* read=\([0-9]*\) .*/\1/p' <<<"$line")
		l=$(sed -n 's/.* lost=\([0-9]*\) .*/\1/p' <<<"$line")
		[ -n "$r" ] && [ "$r" = "$l" ] && [ "$r" -le "$n" ] ||
		    fail "unread fifo: what was read is not counted as lost: $line"
		grep -q "^mtracecap: total: files=0 written=0 lost=$r " "$TMP/stderr" ||
		    fail "unread fifo: the $r packets read are not counted as lost: $(grep total: "$TMP/stderr")"
		[ -p "$TMP/nofifo" ] || fail "unread fifo: $TMP/nofifo is no longer a fifo"
	else
		fail "unread fifo: mtracecap still waiting 2 s after SIGTERM"
		kill -9 "$pid"
	fi
else
	fail "unread fifo: mtracecap did not wait for a reader: $(cat "$TMP/stderr")"
fi
passed "a fifo output nobody reads: waits, and SIGTERM ends the wait (exit 1, packets read counted lost)"
section

# --- write-behind: a merge of files writes full buffers on mtc-behind ------
# (the merging thread fills the next buffer meanwhile; a live capture
# has no such thread: live_veth.sh).  A FIFO input fed 4 MiB, then
# silent: the thread is there, and every packet is in the file.
FEED_FIFO=$TMP/wb.fifo FEED_REF=$TMP/wb-ref.pcap
start_feed --count 20000 --size 200 --step 0.001 --idle 60
"$MTRACECAP" -s 0 "pcapfile:$TMP/wb.pcap" "pcapfile:$FEED_FIFO" 2>"$TMP/stderr" &
MTC_PID=$!
on_exit "kill_child -KILL $MTC_PID"
comms=
if wait_fed 20000 20; then
	sleep 0.5
	comms=$(cat /proc/"$MTC_PID"/task/*/comm 2>/dev/null | sort | tr '\n' ' ')
fi
kill -TERM "$MTC_PID" 2>/dev/null || true
reap "write-behind" 5
[ "$RC" -eq 0 ] || fail "write-behind: exit $RC: $(tail -3 "$TMP/stderr")"
[[ " $comms" == *" mtc-behind "* ]] ||
    fail "write-behind: no mtc-behind thread in a merge of a FIFO input (threads: $comms)"
cmp -s <(records "$TMP/wb.pcap") <(records "$FEED_REF") ||
    fail "write-behind: the file does not hold the $(fed) packets fed"
passed "write-behind: a merge of files writes its full buffers on a thread of its own, every packet in the file"
finish
