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
# intervals; size rotation: a new file, named after its first packet,
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
    elif g_ns and t >= ival + g_ns:
        ival += (t - ival) // g_ns * g_ns
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

section() { section_fails=$FAILS; }
passed() { if [ "$FAILS" -eq "$section_fails" ]; then pass "$*"; fi; }

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
