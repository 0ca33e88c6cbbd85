#!/usr/bin/env bash
# rotation.sh - -B with -G and -S over file inputs: the exact file names
# (segment start, UTC with -U or local time, 8-digit sequence number),
# packets per file, sizes under -S, the union of all files equal to the
# single-file merge in order, every file readable by tcpdump and
# tracestats, -N carrying the sequence number across runs, --file-ext,
# and no tmp- file left behind.
. "$(dirname "$0")/lib.sh"
need_cmd python3 tcpdump capinfos tracestats
export LC_ALL=C		# globs sort file names bytewise: time, then sequence
shopt -s nullglob

use_mkpcap

# expect.py MERGED G S_MB FIRST_SEQ EXT: the files mtracecap -B must write
# for the packets of MERGED, one "name packets" line each.  Time rotation:
# intervals [first + k*G, ...) named after their start, none for empty
# intervals, a packet stamped more than G before its file's interval going
# back to the interval holding it (k < 0 too); size rotation: a new file, named after its first packet,
# before one would exceed S_MB MiB.  Names in local time (set TZ; TZ=UTC0
# for -U).
cat >"$TMP/expect.py" <<'EOF'
import struct, sys, time
path, g, smb, seq, ext = sys.argv[1:6]
g_ns, limit, seq = int(g) * 10**9, int(smb) << 20, int(seq)
d = open(path, "rb").read()
recs, o = [], 24
while o + 16 <= len(d):
    s, us, cl, wl = struct.unpack("<IIII", d[o:o + 16])
    recs.append((s * 10**9 + us * 1000, 16 + cl))
    o += 16 + cl
files, cur, ival, size = [], None, None, 0
for t, n in recs:
    new_at = None
    if cur is None:
        ival = t
        new_at = t
    elif g_ns and (t >= ival + g_ns or t + g_ns < ival):
        ival += (t - ival) // g_ns * g_ns	# floor: back as well
        new_at = ival
    elif limit and size + n > limit:
        new_at = t
    if new_at is not None:
        name = time.strftime("%Y%m%d-%H%M%S", time.localtime(new_at // 10**9))
        cur = [ "%s-%08d%s" % (name, seq % 100000000, ext), 0]
        files.append(cur)
        seq += 1
        size = 24
    cur[1] += 1
    size += n
for name, count in files:
    print(name, count)
EOF

# actual DIR: "name packets" of every file in DIR, in name order (time,
# then sequence number)
actual() {
	local f
	for f in "$1"/*; do
		echo "${f##*/} $(npackets "$f")"
	done
}

# check_dir WHAT DIR MERGED EXPECTED [MAXBYTES]: the files in DIR are
# EXPECTED, valid, at most MAXBYTES each, and together hold MERGED
check_dir() {
	local what=$1 dir=$2 merged=$3 expected=$4 max=${5:-0} f n ts
	if [ -n "$(find "$dir" -name 'tmp-*')" ]; then
		fail "$what: tmp- files left: $(find "$dir" -name 'tmp-*')"
	fi
	actual "$dir" >"$TMP/actual"
	if ! cmp -s "$TMP/actual" "$expected"; then
		fail "$what: files differ from the expected ones (- want, + got):
$(diff "$expected" "$TMP/actual" | head -20)"
	fi
	: >"$TMP/union.rec"
	for f in "$dir"/*; do
		if ! tcpdump -r "$f" -w /dev/null 2>/dev/null; then
			fail "$what: tcpdump cannot read ${f##*/}"
		fi
		n=$(npackets "$f")
		ts=$(tracestats "pcapfile:$f" 2>&1 | awk '/Total:/ {print $2}')
		[ "$ts" = "$n" ] || fail "$what: ${f##*/}: tracestats counts '$ts' packets, capinfos $n"
		if [ "$max" -gt 0 ] && [ "$(stat -c %s "$f")" -gt "$max" ]; then
			fail "$what: ${f##*/} is $(stat -c %s "$f") bytes, over $max"
		fi
		records "$f" >>"$TMP/union.rec"
	done
	records "$merged" >"$TMP/merged.rec"
	cmp -s "$TMP/union.rec" "$TMP/merged.rec" ||
	    fail "$what: the files together are not the single-file merge (packets lost, duplicated or reordered)"
}

# run_b WHAT DIR ARGS...: mtracecap -s 0 -B pcapfile:DIR ARGS, exit 0
run_b() {
	local what=$1 dir=$2 rc=0
	shift 2
	mkdir -p "$dir"
	"$MTRACECAP" -s 0 -B "pcapfile:$dir" "$@" 2>"$TMP/stderr" || rc=$?
	[ "$rc" -eq 0 ] || fail "$what: exit $rc: $(cat "$TMP/stderr")"
}

# --- -G: time rotation -----------------------------------------------------
$MK "$D/g0.pcap" --count 400 --start $S --step-us 25000 --id 0
$MK "$D/g1.pcap" --count 300 --start $S.5 --step-us 33000 --size 300 --id 1
# 90 s of silence, then more: no files for the empty intervals
$MK "$D/g2.pcap" --count 50 --start $((S + 100)) --step-us 20000 --id 2
$MK "$D/empty.pcap" --count 0
GIN=(pcapfile:"$D"/g0.pcap pcapfile:"$D"/g1.pcap pcapfile:"$D"/g2.pcap
    pcapfile:"$D"/empty.pcap)
"$MTRACECAP" -s 0 "pcapfile:$TMP/gmerged.pcap" "${GIN[@]}" 2>/dev/null

section
for g in 1 3 7 60 3600; do
	TZ=UTC0 python3 "$TMP/expect.py" "$TMP/gmerged.pcap" $g 0 0 "" >"$TMP/want"
	run_b "-G $g -U" "$TMP/g$g" -G $g -U "${GIN[@]}"
	check_dir "-G $g -U" "$TMP/g$g" "$TMP/gmerged.pcap" "$TMP/want"
done
# the first file of -G 3 is known by heart: 2023-11-14 22:13:20 UTC
[ -e "$TMP/g3/20231114-221320-00000000" ] || fail "-G 3 -U: no 20231114-221320-00000000"
passed "-G with -U: names, sequence numbers, no empty intervals, union"

section
# local time: a fixed offset of +05:30 needs no time zone database
TZ='MTC-5:30' python3 "$TMP/expect.py" "$TMP/gmerged.pcap" 3 0 0 "" >"$TMP/want"
TZ='MTC-5:30' run_b "-G 3 local" "$TMP/glocal" -G 3 "${GIN[@]}"
check_dir "-G 3 (TZ=+05:30)" "$TMP/glocal" "$TMP/gmerged.pcap" "$TMP/want"
[ -e "$TMP/glocal/20231115-034320-00000000" ] ||
    fail "-G 3 local: no 20231115-034320-00000000"
passed "-G without -U names files in local time"

# --- -G with an outlier: one stamp from 2093 amid 2023 ----------------------
# (1.0.0 put every packet after it, back in 2023, into the file of 2093)
section
python3 - "$D/outlier.pcap" "$S" <<'EOF'
import struct, sys
s = int(sys.argv[2])
stamps = [s * 10**6 + k * 500000 for k in range(11)] + [3900000000 * 10**6] \
    + [s * 10**6 + k * 500000 for k in range(11, 21)]
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for k, us in enumerate(stamps):
        fr = bytes([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x88, 0xb5]) + \
            struct.pack("!I", k) + bytes(50)
        f.write(struct.pack("<IIII", us // 10**6, us % 10**6, len(fr),
                            len(fr)) + fr)
EOF
TZ=UTC0 python3 "$TMP/expect.py" "$D/outlier.pcap" 3 0 0 "" | sort >"$TMP/want"
# the model's own view, so that it cannot drift from what is tested
[ "$(cut -d' ' -f2 "$TMP/want" | tr '\n' ' ')" = "6 5 1 6 3 1 " ] ||
    fail "outlier: the model expects $(tr '\n' ' ' <"$TMP/want")"
run_b "-G 3 outlier" "$TMP/go" -G 3 -U "pcapfile:$D/outlier.pcap"
actual "$TMP/go" >"$TMP/actual"
cmp -s "$TMP/actual" "$TMP/want" ||
    fail "-G 3 with an outlier: files differ (- want, + got):
$(diff "$TMP/want" "$TMP/actual")"
[ -e "$TMP/go/20231114-221323-00000003" ] ||
    fail "-G 3 with an outlier: no 20231114-221323-00000003 after the 2093 file"
: >"$TMP/union.rec"
for f in $(cd "$TMP/go" && printf '%s\n' * | sort -t- -k3); do	# by sequence
	f=$TMP/go/$f
	tcpdump -r "$f" -w /dev/null 2>/dev/null || fail "outlier: tcpdump cannot read ${f##*/}"
	records "$f" >>"$TMP/union.rec"
done
records "$D/outlier.pcap" | cmp -s - "$TMP/union.rec" ||
    fail "-G 3 with an outlier: the files in sequence order are not the input"
passed "-G: an outlying stamp gets its own file, the packets after it theirs"

# --- -G with a live input beside a file stamped in 2106 ----------------------
# (1.0.0 followed the file's stamp: one file named 2106 for the rest of the
# run).  The live input is the loopback of an empty network namespace.
section
NS=$(uniq_name mtcr)
if [ "$(id -u)" -ne 0 ] || ! ip netns add "$NS" 2>/dev/null; then
	echo "note: $TEST_NAME: live -G case not run (needs root and network namespaces)"
else
	on_exit "ip netns del $NS"
	ip -n "$NS" link set lo up
	python3 - "$D/y2106.pcap" <<'EOF'
import struct, sys
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    fr = bytes([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x88, 0xb5]) + bytes(50)
    f.write(struct.pack("<IIII", 4294967290, 0, len(fr), len(fr)) + fr)
EOF
	# live_g1 WHAT DIR SECONDS CMD...: run CMD (mtracecap and its
	# options up to -B, which gets DIR; pcapint:lo and any other inputs
	# follow in LIVE_INPUTS) in the namespace for SECONDS, stop it; then
	# every file in DIR is named by the clock, one second after the one
	# before, and read by tcpdump.  Sets N (files) and TOTAL (packets).
	live_g1() {
		local what=$1 dir=$2 secs=$3 t0 t1 f b t prev= pid
		shift 3
		mkdir -p "$dir"
		t0=$(date -u +%s)
		ip netns exec "$NS" "$@" -s 0 -w 200 -G 1 -U -B "pcapfile:$dir" \
		    "${LIVE_INPUTS[@]}" 2>"$dir.err" &
		pid=$!
		on_exit "kill_child -KILL $pid"
		sleep "$secs"
		kill -TERM "$pid"
		reap_pid "$pid" 5 "$what"
		t1=$(date -u +%s)
		[ "$RC" -eq 0 ] || fail "$what: exit $RC: $(cat "$dir.err")"
		N=0 TOTAL=0
		for f in "$dir"/*; do
			b=${f##*/}
			case $b in tmp-*) fail "$what: $b left"; continue ;; esac
			t=$(date -u -d "${b:0:4}-${b:4:2}-${b:6:2} ${b:9:2}:${b:11:2}:${b:13:2}" +%s)
			if [ "$t" -lt "$t0" ] || [ "$t" -gt "$t1" ]; then
				fail "$what: $b is not named by the clock ($t0..$t1)"
			fi
			[ -z "$prev" ] || [ "$t" -eq $((prev + 1)) ] ||
			    fail "$what: $b is $((t - prev)) s after the previous file, want 1"
			tcpdump -r "$f" -w /dev/null 2>/dev/null || fail "$what: tcpdump cannot read $b"
			TOTAL=$((TOTAL + $(npackets "$f")))
			prev=$t N=$((N + 1))
		done
	}
	LIVE_INPUTS=(pcapint:lo "pcapfile:$D/y2106.pcap")
	live_g1 "live -G beside 2106" "$TMP/glive" 4.5 "$MTRACECAP"
	[ "$N" -ge 4 ] || fail "live -G beside 2106: $N files in 4.5 s, want at least 4: $(ls "$TMP/glive")"
	[ "$TOTAL" -ge 1 ] || fail "live -G beside 2106: the 2106 packet is in no file"
	passed "-G with a live input: a file per second by the clock, whatever a file input's stamps say"

	# The writer descheduled between its clock readings (every reading
	# of CLOCK_REALTIME 200 ms late, tests/tools/slowclock.c): that gap
	# is no step of the wall clock, and the names keep the cadence (the
	# code before c8b74d9 took each gap for a step: a name 2 s after the
	# previous one within 4 files).
	if cc -shared -fPIC -o "$TMP/slowclock.so" "$TESTS_SRCDIR/tools/slowclock.c" 2>"$TMP/cc.err"; then
		LIVE_INPUTS=(pcapint:lo)
		# (ASan wants its runtime first in the library list: told not
		# to mind the shim before it)
		live_g1 "live -G, slow wall clock" "$TMP/gslow" 6.5 \
		    env LD_PRELOAD="$TMP/slowclock.so" \
		    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
		    "$MTRACECAP"
		[ "$N" -ge 4 ] || fail "live -G, slow wall clock: $N files in 6.5 s, want at least 4: $(ls "$TMP/gslow")"
		passed "-G with a live input: a writer late between its clock readings keeps the cadence"
	else
		echo "note: $TEST_NAME: slow-clock case not run: cc cannot build a shared object: $(head -c 200 "$TMP/cc.err")"
	fi
fi

# --- -S: size rotation -------------------------------------------------------
$MK "$D/s0.pcap" --count 3000 --start $S --step-us 1000 --size 1500 --id 3
$MK "$D/s1.pcap" --count 2000 --start $S.25 --step-us 1500 --size 1000 --id 4
SIN=(pcapfile:"$D"/s0.pcap pcapfile:"$D"/s1.pcap pcapfile:"$D"/empty.pcap)
"$MTRACECAP" -s 0 "pcapfile:$TMP/smerged.pcap" "${SIN[@]}" 2>/dev/null

section
for smb in 1 2 7; do
	TZ=UTC0 python3 "$TMP/expect.py" "$TMP/smerged.pcap" 0 $smb 0 "" >"$TMP/want"
	run_b "-S $smb -U" "$TMP/s$smb" -S $smb -U "${SIN[@]}"
	check_dir "-S $smb -U" "$TMP/s$smb" "$TMP/smerged.pcap" "$TMP/want" \
	    $((smb << 20))
done
files=("$TMP"/s1/*)
[ "${#files[@]}" -ge 6 ] || fail "-S 1: want at least 6 files"
# -S with -s 64: the size counts the bytes written, not the wire bytes
mkdir -p "$TMP/s64"
"$MTRACECAP" -s 64 -S 1 -U -B "pcapfile:$TMP/s64" "${SIN[@]}" 2>/dev/null ||
    fail "-S 1 -s 64: failed"
files=("$TMP"/s64/*)
[ "${#files[@]}" -eq 1 ] ||
    fail "-S 1 -s 64: ${#files[@]} files for 0.4 MiB of pcap, want 1"
passed "-S: names, sizes at most N MiB, union"

section
# both: a new interval or a full file, whichever comes first
TZ=UTC0 python3 "$TMP/expect.py" "$TMP/smerged.pcap" 2 1 0 "" >"$TMP/want"
run_b "-G 2 -S 1 -U" "$TMP/gs" -G 2 -S 1 -U "${SIN[@]}"
check_dir "-G 2 -S 1 -U" "$TMP/gs" "$TMP/smerged.pcap" "$TMP/want" $((1 << 20))
passed "-G and -S together"

# --- -N: the sequence number carries over ----------------------------------
section
SEQ=$TMP/seqfile
run_b "-N run 1" "$TMP/n" -G 3 -U -N "$SEQ" "${GIN[@]}"
TZ=UTC0 python3 "$TMP/expect.py" "$TMP/gmerged.pcap" 3 0 0 "" >"$TMP/want1"
nfiles=$(wc -l <"$TMP/want1")
[ "$(cat "$SEQ" 2>/dev/null)" = "$((nfiles - 1))" ] ||
    fail "-N: seqfile holds '$(cat "$SEQ" 2>/dev/null)' after run 1, want $((nfiles - 1))"
printf '%d\n' $((nfiles - 1)) | cmp -s - "$SEQ" || fail "-N: seqfile is not exactly 'N\\n'"
run_b "-N run 2" "$TMP/n" -G 3 -U -N "$SEQ" "${GIN[@]}"
TZ=UTC0 python3 "$TMP/expect.py" "$TMP/gmerged.pcap" 3 0 "$nfiles" "" >"$TMP/want2"
[ "$(cat "$SEQ")" = "$((2 * nfiles - 1))" ] ||
    fail "-N: seqfile holds '$(cat "$SEQ")' after run 2, want $((2 * nfiles - 1))"
sort "$TMP/want1" "$TMP/want2" >"$TMP/want"
actual "$TMP/n" >"$TMP/actual"
cmp -s "$TMP/actual" "$TMP/want" ||
    fail "-N: two runs, files differ (- want, + got): $(diff "$TMP/want" "$TMP/actual")"
[ -z "$(find "$TMP/n" "$(dirname "$SEQ")" -maxdepth 1 -name '*tmp-*')" ] ||
    fail "-N: temp files left: $(find "$TMP/n" "$(dirname "$SEQ")" -maxdepth 1 -name '*tmp-*')"
# a seqfile written by hand, and the wrap after 99999999
for last in 41 99999998 99999999; do
	printf '%d\n' $last >"$SEQ"
	rm -rf "$TMP/nw"
	run_b "-N $last" "$TMP/nw" -G 3 -U -N "$SEQ" "${GIN[@]}"
	TZ=UTC0 python3 "$TMP/expect.py" "$TMP/gmerged.pcap" 3 0 $((last + 1)) "" >"$TMP/want"
	check_dir "-N after $last" "$TMP/nw" "$TMP/gmerged.pcap" "$TMP/want"
	[ "$(cat "$SEQ")" = "$(( (last + nfiles) % 100000000 ))" ] ||
	    fail "-N after $last: seqfile holds '$(cat "$SEQ")', want $(( (last + nfiles) % 100000000 ))"
done
passed "-N: sequence numbers continue across runs and wrap after 99999999"

# --- --file-ext ------------------------------------------------------------
section
for ext in .pcap .x.y -trace; do
	TZ=UTC0 python3 "$TMP/expect.py" "$TMP/gmerged.pcap" 7 0 0 "$ext" >"$TMP/want"
	run_b "--file-ext=$ext" "$TMP/ext$ext" -G 7 -U --file-ext="$ext" "${GIN[@]}"
	check_dir "--file-ext=$ext" "$TMP/ext$ext" "$TMP/gmerged.pcap" "$TMP/want"
done
passed "--file-ext"

# --- only empty inputs: no file at all ---------------------------------------
section
run_b "empty inputs" "$TMP/none" -G 1 -U "pcapfile:$D/empty.pcap"
[ -z "$(ls -A "$TMP/none")" ] || fail "empty inputs: files written: $(ls -A "$TMP/none")"
passed "no file for inputs without packets"
finish
