#!/usr/bin/env bash
# tstamp_nano.sh - --time-stamp-precision=nano writes pcap with nanosecond
# stamps (magic 0xa1b23c4d) that keep every digit of nanosecond inputs,
# end to end: a merge of nanosecond, microsecond, pcapng and gzip inputs
# (the native reader, libpcap, libpcap on a stream), rotation by time and
# by size, -Z gz, and crash recovery (kill -9, then a restart) of a plain
# and a compressed nanosecond temp file and of a crafted one cut in a
# record.  tcpdump --time-stamp-precision=nano and tshark read every file
# and show the digits; micro (the default) stays what it was.
. "$(dirname "$0")/lib.sh"
tsan_elsewhere "nanosecond stamps end to end"
need_cmd python3 tcpdump tshark capinfos gzip
export LC_ALL=C
shopt -s nullglob

cat >"$TMP/nstool.py" <<'EOF'
"""Nanosecond inputs and the merge they must give."""
import gzip, struct, sys

def frame(ident, k, size):
    return (bytes([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, ident, 0x88, 0xb5])
            + struct.pack("!II", ident, k) + bytes(size - 22))

def stamps(ident, n, start, step):
    # odd nanosecond digits everywhere, increasing
    return [start * 10**9 + ident * 1013 + k * step + k * 7919 % 1000
            for k in range(n)]

def pcap(path, ident, n, start, step, size, nsec):
    out = [struct.pack("<IHHiIII", 0xA1B23C4D if nsec else 0xA1B2C3D4,
                       2, 4, 0, 0, 262144, 1)]
    for k, ns in enumerate(stamps(ident, n, start, step)):
        if not nsec:
            ns -= ns % 1000
        f = frame(ident, k, size)
        out.append(struct.pack("<IIII", ns // 10**9,
                               ns % 10**9 // (1 if nsec else 1000),
                               len(f), len(f)) + f)
    data = b"".join(out)
    if path.endswith(".gz"):
        data = gzip.compress(data)
    open(path, "wb").write(data)

def pcapng(path, ident, n, start, step, size):
    # one interface with if_tsresol 9 (nanoseconds)
    def blk(t, body):
        body += bytes(-len(body) % 4)
        return struct.pack("<II", t, 12 + len(body)) + body + \
            struct.pack("<I", 12 + len(body))
    out = blk(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    out += blk(1, struct.pack("<HHI", 1, 0, 0) +
               struct.pack("<HHB3x", 9, 1, 9) + struct.pack("<HH", 0, 0))
    for k, ns in enumerate(stamps(ident, n, start, step)):
        f = frame(ident, k, size)
        out += blk(6, struct.pack("<IIIII", 0, ns >> 32, ns & 0xffffffff,
                                  len(f), len(f)) + f)
    open(path, "wb").write(out)

def read(path):
    d = open(path, "rb").read()
    if d[:2] == b"\x1f\x8b":
        d = gzip.decompress(d)
    return d

cmd, a = sys.argv[1], sys.argv[2:]
if cmd in ("pcap", "pcapng"):	# OUT ID N START STEP_NS SIZE [us]
    ident, n, start, step, size = (int(x) for x in a[1:6])
    if cmd == "pcap":
        pcap(a[0], ident, n, start, step, size, a[6:] != ["us"])
    else:
        pcapng(a[0], ident, n, start, step, size)
elif cmd == "ref":		# OUT ID:N:START:STEP:SIZE[:us]...: the merge
    recs = []
    for i, spec in enumerate(a[1:]):
        p = spec.split(":")
        ident, n, start, step, size = (int(x) for x in p[:5])
        for k, ns in enumerate(stamps(ident, n, start, step)):
            if p[5:] == ["us"]:
                ns -= ns % 1000
            recs.append((ns, i, k, frame(ident, k, size)))
    recs.sort(key=lambda r: r[:3])
    out = [struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 262144, 1)]
    for ns, _, _, f in recs:
        out.append(struct.pack("<IIII", ns // 10**9, ns % 10**9, len(f),
                               len(f)) + f)
    open(a[0], "wb").write(b"".join(out))
elif cmd == "magic":		# FILE: its magic, in hex
    try:
        d = read(a[0])[:4]
    except OSError:
        d = b""
    print("%08x" % struct.unpack("<I", d)[0] if len(d) == 4 else "none")
elif cmd == "cut":		# FILE KEEP: FILE's first KEEP records, then
    d = read(a[0])		# half of the next one (what a crash leaves)
    o = 24
    for _ in range(int(a[1])):
        o += 16 + struct.unpack("<I", d[o + 8:o + 12])[0]
    sys.stdout.buffer.write(d[:o + 30])
EOF
NS="python3 $TMP/nstool.py"
S=1700000000
D=$TMP/in
mkdir -p "$D"

# nrecs FILE...: every record as tcpdump shows it with nanosecond stamps
nrecs() {
	local f
	for f in "$@"; do
		tcpdump --time-stamp-precision=nano -r "$f" -tt -nn -xx 2>/dev/null
	done
}
# tstamps FILE...: the stamps as tshark shows them (gzip read directly)
tstamps() {
	local f
	for f in "$@"; do
		tshark -r "$f" -T fields -e frame.time_epoch 2>/dev/null
	done
}
# check_files WHAT REF FILE...: each file is nanosecond pcap that tcpdump
# reads cleanly, and together (in order) they hold REF's records, stamps
# to the nanosecond, for tcpdump and for tshark
check_files() {
	local what=$1 ref=$2 f i=0 m
	shift 2
	: >"$TMP/got.rec"
	: >"$TMP/got.ts"
	[ $# -ge 1 ] || { fail "$what: no file"; return; }
	for f in "$@"; do
		[ -f "$f" ] || { fail "$what: no file $f"; return; }
		m=$($NS magic "$f") || m=unreadable
		[ "$m" = a1b23c4d ] || fail "$what: ${f##*/} has magic $m, want a1b23c4d"
		plain "$f" "$TMP/p$i.pcap"
		if ! tcpdump --time-stamp-precision=nano -r "$TMP/p$i.pcap" \
		    -w /dev/null 2>"$TMP/td.err" ||
		    grep -qv '^reading from' "$TMP/td.err"; then
			fail "$what: tcpdump does not read ${f##*/} cleanly: $(cat "$TMP/td.err")"
		fi
		nrecs "$TMP/p$i.pcap" >>"$TMP/got.rec"
		tstamps "$f" >>"$TMP/got.ts"
		i=$((i + 1))
	done
	nrecs "$ref" >"$TMP/ref.rec"
	tstamps "$ref" >"$TMP/ref.ts"
	[ -s "$TMP/ref.rec" ] || fail "$what: tcpdump shows nothing of $ref"
	cmp -s "$TMP/got.rec" "$TMP/ref.rec" ||
	    fail "$what: records differ from the merge (tcpdump, ns): $(diff "$TMP/ref.rec" "$TMP/got.rec" | head -4)"
	cmp -s "$TMP/got.ts" "$TMP/ref.ts" ||
	    fail "$what: stamps differ from the merge (tshark): $(diff "$TMP/ref.ts" "$TMP/got.ts" | head -4)"
	# not vacuous: the digits below the microsecond are there
	grep -q '^[0-9]*\.[0-9]\{6\}[1-9]' "$TMP/got.ts" ||
	    fail "$what: tshark shows no nanosecond digits: $(head -3 "$TMP/got.ts")"
}
# run_mtc WHAT ARGS...: mtracecap -s 0 ARGS, which must exit 0
run_mtc() {
	local what=$1 rc=0
	shift
	"$MTRACECAP" -s 0 "$@" 2>"$TMP/stderr" || rc=$?
	[ "$rc" -eq 0 ] || fail "$what: exit $rc: $(cat "$TMP/stderr")"
}

# --- inputs: ID:N:START:STEP_NS:SIZE[:us] ------------------------------------
A=1:3000:$S:1700003:700		# 5.1 s of nanosecond stamps
B=2:2000:$S:2500011:300
C=3:500:$((S + 1)):3000000:200:us	# microsecond stamps
G=4:400:$S:9000001:120		# pcapng, if_tsresol 9
Z=5:300:$((S + 2)):1000007:500	# gzip'ed nanosecond pcap
spec() { local IFS=:; set -- $1; echo "$@"; }
$NS pcap "$D/a.pcap" $(spec $A)
$NS pcap "$D/b.pcap" $(spec $B)
$NS pcap "$D/c.pcap" $(spec $C)
$NS pcapng "$D/g.pcapng" $(spec $G)
$NS pcap "$D/z.pcap.gz" $(spec $Z)
IN=("pcapfile:$D/a.pcap" "pcapfile:$D/b.pcap" "pcapfile:$D/c.pcap"
    "pcapfile:$D/g.pcapng" "pcapfile:$D/z.pcap.gz")
REF=$TMP/ref.pcap
$NS ref "$REF" $A $B $C $G $Z

# --- merge ---------------------------------------------------------------------
section
for reader in native libpcap; do
	rm -f "$TMP/m-$reader.pcap"
	MTRACECAP_READER=$reader run_mtc "merge ($reader)" \
	    --time-stamp-precision=nano "pcapfile:$TMP/m-$reader.pcap" "${IN[@]}"
	check_files "merge ($reader reader)" "$REF" "$TMP/m-$reader.pcap"
done
cmp -s "$TMP/m-native.pcap" "$TMP/m-libpcap.pcap" ||
    fail "merge: the native reader and libpcap give different files"
# to stdout too
"$MTRACECAP" -s 0 --time-stamp-precision=nano pcapfile:- "${IN[@]}" \
    >"$TMP/m-stdout.pcap" 2>"$TMP/stderr" || fail "merge to stdout: $(cat "$TMP/stderr")"
cmp -s "$TMP/m-native.pcap" "$TMP/m-stdout.pcap" ||
    fail "merge: pcapfile:- gives another stream than a file"
passed "merge of ns, us, pcapng and gzip inputs: nanosecond pcap, every digit kept"

section
# micro (the default): the same bytes as without the option, stamps cut
run_mtc "micro" "pcapfile:$TMP/u-default.pcap" "${IN[@]}"
run_mtc "micro" --time-stamp-precision=micro "pcapfile:$TMP/u-micro.pcap" \
    "${IN[@]}"
cmp -s "$TMP/u-default.pcap" "$TMP/u-micro.pcap" ||
    fail "--time-stamp-precision=micro is not the default"
m=$($NS magic "$TMP/u-micro.pcap") || m=unreadable
[ "$m" = a1b2c3d4 ] || fail "micro: magic $m, want a1b2c3d4"
# tcpdump shows a nanosecond file at microsecond precision by cutting
records "$TMP/u-micro.pcap" >"$TMP/u.rec" || true
records "$REF" >"$TMP/r.rec"
cmp -s "$TMP/u.rec" "$TMP/r.rec" ||
    fail "micro: records differ from the merge cut to microseconds: $(diff "$TMP/r.rec" "$TMP/u.rec" | head -4)"
passed "--time-stamp-precision=micro is the default and cuts stamps to the microsecond"

# --- rotation ----------------------------------------------------------------
section
for how in "-G 1" "-S 1"; do
	dir=$TMP/rot-${how// /}
	mkdir "$dir"
	# shellcheck disable=SC2086
	run_mtc "rotation $how" --time-stamp-precision=nano -B "pcapfile:$dir" \
	    $how "${IN[@]}"
	files=("$dir"/2*)
	[ "${#files[@]}" -ge 3 ] ||
	    fail "rotation $how: ${#files[@]} files, want at least 3"
	check_files "rotation $how" "$REF" "${files[@]}"
done
passed "rotation by time (-G) and size (-S): every file nanosecond pcap, together the merge"

# --- compression ---------------------------------------------------------------
section
dir=$TMP/gz
mkdir "$dir"
run_mtc "-Z gz" --time-stamp-precision=nano -Z gz --file-ext=.pcap.gz \
    -G 2 -B "pcapfile:$dir" "${IN[@]}"
files=("$dir"/2*.pcap.gz)
[ "${#files[@]}" -ge 2 ] || fail "-Z gz: ${#files[@]} files, want at least 2"
for f in "${files[@]}"; do
	gzip -t "$f" 2>/dev/null || fail "-Z gz: ${f##*/} is not a complete gzip file"
done
check_files "-Z gz" "$REF" "${files[@]}"
passed "-Z gz: gzip'ed nanosecond pcap files, read by tcpdump and tshark"

# --- recovery ------------------------------------------------------------------
# kill_case WHAT ARGS...: a nanosecond FIFO input written with ARGS, kill
# -9 once the temp file holds 300000 bytes (in a pause of the feeder,
# which lets the writer flush), then a restart on the same directory:
# the temp file is recovered, nanosecond pcap, a prefix of what was sent
kill_case() {
	local what=$1 dir t base rc=0 n
	shift
	dir=$TMP/kill-$RANDOM
	mkdir "$dir"
	FEED_FIFO=$TMP/fifo FEED_REF=$TMP/sent.pcap
	rm -f "$FEED_FIFO" "$TMP/sent.pcap.paused"
	start_feed --nsec --random-payload --count 3000 --size 1200 \
	    --rate 3000 --pause-after 1500 --pause 2 \
	    --pause-flag "$TMP/sent.pcap.paused" --idle 3600
	start_mtc_cmd "$TMP/run1.err" "$MTRACECAP" -s 0 \
	    --time-stamp-precision=nano -B "pcapfile:$dir" -N "$dir/.seq" \
	    -G 3600 "$@" "pcapfile:$FEED_FIFO"
	n=0
	until t=$(tmpfile "$dir") && [ -n "$t" ] &&
	    [ "$(stat -c %s "$t" 2>/dev/null || echo 0)" -ge 300000 ] &&
	    [ -e "$TMP/sent.pcap.paused" ]; do
		n=$((n + 1))
		[ $n -lt 200 ] || break
		sleep 0.05
	done
	kill_child -KILL "$MTC_PID"
	wait "$MTC_PID" 2>/dev/null || true
	MTC_PID=
	stop_feed
	[ -n "$t" ] && [ -e "$t" ] ||
	    { fail "$what: no temp file of 300000 bytes after 10 s: $(ls "$dir")"; return; }
	base=${t##*/tmp-}
	base=${base#*-}
	timeout 30 "$MTRACECAP" -s 0 --time-stamp-precision=nano \
	    -B "pcapfile:$dir" -N "$dir/.seq" -G 3600 "$@" "pcapfile:$D/b.pcap" \
	    2>"$TMP/run2.err" || rc=$?
	[ "$rc" -eq 0 ] || fail "$what: restart exited $rc: $(cat "$TMP/run2.err")"
	grep -qF "recovered '$t' of an interrupted run as '$dir/$base'" \
	    "$TMP/run2.err" ||
	    fail "$what: the log does not name the recovery: $(cat "$TMP/run2.err")"
	[ -z "$(tmpfile "$dir")" ] || fail "$what: temp files left: $(ls "$dir")"
	[ -f "$dir/$base" ] || { fail "$what: not recovered as $base: $(ls "$dir")"; return; }
	plain "$dir/$base" "$TMP/rec.pcap"
	n=$(npackets "$TMP/rec.pcap")
	[ "${n:-0}" -ge 1 ] || { fail "$what: nothing recovered"; return; }
	python3 - "$TMP/sent.pcap" "$n" >"$TMP/sent-prefix.pcap" <<'EOF'
import struct, sys
d, n, o = open(sys.argv[1], "rb").read(), int(sys.argv[2]), 24
for _ in range(n):
    o += 16 + struct.unpack("<I", d[o + 8:o + 12])[0]
sys.stdout.buffer.write(d[:o])
EOF
	check_files "$what" "$TMP/sent-prefix.pcap" "$dir/$base"
	echo "  $what: $n packets recovered of $(npackets "$TMP/sent.pcap") sent"
}
section
kill_case "kill -9, plain"
kill_case "kill -9, -Z gz" -Z gz
passed "kill -9 and a restart: plain and gzip'ed nanosecond temp files recovered, digits kept"

section
# a crafted nanosecond temp file cut in its 101st record: cut back to 100
# (fractions of a second above 999999 are valid here, not garbage)
dir=$TMP/crafted
mkdir "$dir"
name=20231114-221320-00000007
$NS cut "$D/a.pcap" 100 >"$dir/tmp-4194305-$name"
python3 - "$D/a.pcap" >"$TMP/a100.pcap" <<'EOF'
import struct, sys
d, o = open(sys.argv[1], "rb").read(), 24
for _ in range(100):
    o += 16 + struct.unpack("<I", d[o + 8:o + 12])[0]
sys.stdout.buffer.write(d[:o])
EOF
run_mtc "crafted" --time-stamp-precision=nano -B "pcapfile:$dir" \
    "pcapfile:$D/c.pcap"
grep -qF "recovered '$dir/tmp-4194305-$name' of an interrupted run as '$dir/$name': 100 complete packets" \
    "$TMP/stderr" || fail "crafted: not recovered with 100 packets: $(cat "$TMP/stderr")"
[ -f "$dir/$name" ] && cmp -s "$dir/$name" "$TMP/a100.pcap" ||
    fail "crafted: the recovered file is not the first 100 records"
check_files "crafted" "$TMP/a100.pcap" "$dir/$name"
passed "a nanosecond temp file cut in a record: cut back to its whole records"
finish
