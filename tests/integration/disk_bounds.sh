#!/bin/bash
# disk_bounds.sh - --max-files, --max-bytes and --min-free (#17).
#
#  1. --max-files=5, then --max-bytes=5M with -N, each over two runs of
#     file inputs: after each run the newest files within the bound
#     remain; the second run deleted every file of the first; files of
#     other names in DIR (another extension, none, another prefix such as
#     x-20260101-000000-00000001, NAME.failed, another process's temp file,
#     a directory and a link with a segment's name, an orphan manifest)
#     are untouched, however old their names; manifests go with their
#     files.
#  2. --min-free=8M on a 24 MiB tmpfs with a file input, written as fast
#     as it goes: the free space, sampled every 20 ms from outside, never
#     below 8 MiB; nothing lost.
#  3. The same with live traffic (tcpreplay into a veth, ~45 MB): never
#     below 8 MiB; files deleted (one line each, naming the bound), always
#     the oldest (every deleted sequence number below every remaining
#     one); the remaining names are the newest (a gapless run up to the
#     last file), each valid (tcpdump, capinfos); nothing lost.
#  4. --min-free that cannot be kept with nothing of ours to delete (a
#     filler file of the test's own takes the room): writing stops at
#     once (logged once), each packet counts as lost with reason disk
#     (exit totals, metrics file: reason="disk", mtracecap_writing 0), and
#     writing resumes when the test removes its filler (logged with the
#     loss); free space stays above 8 MiB; exit status 1 (packets lost).
#  5. The same with a --post-rotate hook that never succeeds (the files
#     must stay until delivered): nothing is deleted, writing stops
#     ("only undelivered files are left"), and resumes when the test
#     frees its own filler.
# 1 and 2 run in every build (TSan: the writer, finisher and disk threads
# together); 3-5 are live and skip under TSan.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/live_lib.sh"
need_root
need_cmd ip tcpreplay tcpdump capinfos python3 mount umount stat

MIB=1048576
FLOOR=$((8 * MIB))

# mount_tmpfs DIR: a 24 MiB tmpfs at DIR (made), unmounted at exit
mount_tmpfs() {
	mkdir -p "$1"
	mount -t tmpfs -o size=24m,mode=0755 "mtc-$TEST_NAME" "$1" 2>/dev/null ||
	    skip "cannot mount a tmpfs"
	on_exit "umount -l '$1'"
}
# free_bytes DIR: what statvfs says is available there
free_bytes() { local a s; read -r a s < <(stat -f -c '%a %S' "$1"); echo $((a * s)); }
# sample_free DIR OUT: every millisecond the free bytes of DIR, until
# OUT.stop exists; then the least seen and the number of samples into
# OUT.  Returns once the first sample is taken.  SAMPLER is its pid.
sample_free() {
	rm -f "$2.stop" "$2"
	python3 -c 'import os, sys, time
d, out = sys.argv[1], sys.argv[2]
least, n = None, 0
while True:
    v = os.statvfs(d)
    f = v.f_bavail * v.f_frsize
    least = f if least is None or f < least else least
    n += 1
    if n == 1:
        open(out + ".started", "w").close()
    if os.path.exists(out + ".stop"):
        break
    time.sleep(0.001)
open(out, "w").write("%d %d\n" % (least, n))' "$1" "$2" &
	SAMPLER=$!
	on_exit "kill_child $SAMPLER"
	wait_for_file "$2.started" 10 || fail "the free space sampler did not start"
}
# stop_sampler OUT: end it; MINFREE is the least it saw, NSAMPLES how often
stop_sampler() {
	touch "$1.stop"
	wait "$SAMPLER" 2>/dev/null || true
	read -r MINFREE NSAMPLES <"$1" || { MINFREE=0 NSAMPLES=0; }
}
# start_in DIR ERR ARGS...: mtracecap ARGS in the background, stderr in
# ERR; returns once its first temp file is in DIR (inputs open)
start_in() {
	local dir=$1
	CAP_ERR=$2
	shift 2
	"$MTRACECAP" "$@" 2>"$CAP_ERR" &
	CAP_PID=$!
	await_start "$CAP_PID" "$CAP_ERR" "mtracecap $* did not start" 100 0.1 \
	    compgen -G "$dir/tmp-$CAP_PID-*" || { CAP_PID=; return 1; }
}
# end_capture: SIGTERM, reap (20 s at most); RC its status
end_capture() {
	kill -TERM "$CAP_PID"
	reap_pid "$CAP_PID" 20 "SIGTERM"
	CAP_PID=
}
# segs DIR [EXT]: the segment files of DIR (EXT: \.pcap), by name
segs() { find "$1" -maxdepth 1 -type f -regextype posix-extended \
    -regex ".*/[0-9]{8}-[0-9]{6}-[0-9]{8}${2:-}" -printf '%f\n' | LC_ALL=C sort; }
# deleted ERR: the base names the log says were deleted, in order
deleted() { sed -n "s|^mtracecap: deleted '.*/\([^/']*\)' ([0-9]* bytes): .*|\1|p" "$1"; }
# totv FIELD [ERR]: a field of the exit totals line
totv() { sed -n "s/^mtracecap: total: \(.* \)*$1=\([0-9]*\).*/\2/p" "${2:-$CAP_ERR}"; }
# own_tmp DIR: a failure for a temp file of ours left in DIR (tmp-1-...
# is another process's, put there by the test)
own_tmp() {
	local left
	left=$(find "$1" -name 'tmp-*' ! -name 'tmp-1-*')
	[ -z "$left" ] || fail "temp files left: $left"
}
# valid WHAT FILE [MIN]: tcpdump reads FILE to its end, capinfos counts
# at least MIN (1) packets in it
valid() {
	tcpdump -nn -r "$2" >/dev/null 2>"$TMP/td.err" ||
	    fail "$1: tcpdump cannot read ${2##*/}: $(tail -1 "$TMP/td.err")"
	[ "$(npackets "$2")" -ge "${3:-1}" ] 2>/dev/null ||
	    fail "$1: capinfos counts '$(npackets "$2")' packets in ${2##*/}"
}

# --- 1. --max-files and --max-bytes over two runs -------------------------
use_mkpcap
$MK "$D/run1.pcap" --count 8000 --size 1000 --start $S
$MK "$D/run2.pcap" --count 8000 --size 1000 --start $((S + 100))
# others DIR: files of other names, older than any of ours by their names
others() {
	local f
	for f in 19990101-000000-00000001 19990101-000000-00000001.pcapng \
	    x-20260101-000000-00000001 x-20260101-000000-00000001.pcap \
	    19990101-000000-00000002.pcap.failed 19990101-000000-00000003.pcap.json \
	    tmp-1-19990101-000000-00000004.pcap .19990101-000000-00000007.pcap; do
		echo other >"$1/$f"
	done
	mkdir "$1/19990101-000000-00000005.pcap"
	ln -s x-20260101-000000-00000001.pcap "$1/19990101-000000-00000006.pcap"
	(cd "$1" && find . -mindepth 1 -maxdepth 1 -printf '%f\n' | LC_ALL=C sort) >"$1.others"
}
# others_kept WHAT DIR: every one of them still there, unchanged
others_kept() {
	local f
	while read -r f; do
		if [ ! -e "$2/$f" ] && [ ! -L "$2/$f" ]; then
			fail "$1: '$f' (not ours) was deleted"
		elif [ -f "$2/$f" ] && [ ! -L "$2/$f" ] && [ "$(cat "$2/$f")" != other ]; then
			fail "$1: '$f' (not ours) changed"
		fi
	done <"$2.others"
	[ -d "$2/19990101-000000-00000005.pcap" ] || fail "$1: the directory is gone"
}
# run_bound WHAT DIR PCAP ARGS...: mtracecap on PCAP into DIR, exit 0
run_bound() {
	local what=$1 dir=$2 in=$3 rc=0
	shift 3
	"$MTRACECAP" -s 0 -S 1 --file-ext=.pcap --manifest "$@" -B "$dir" "pcapfile:$in" \
	    2>"$TMP/err.$what" || rc=$?
	[ "$rc" -eq 0 ] || fail "$what: exit $rc: $(tail -3 "$TMP/err.$what")"
	CAP_ERR=$TMP/err.$what
}

section
B=$TMP/files
mkdir "$B"
others "$B"
run_bound files1 "$B" "$D/run1.pcap" --max-files=5
segs "$B" "\.pcap" >"$TMP/f1"
n1=$(totv files)
[ "$n1" -ge 7 ] || fail "max-files run 1: only $n1 files made, want >= 7"
[ "$(wc -l <"$TMP/f1")" -eq 5 ] || fail "max-files run 1: $(wc -l <"$TMP/f1") files left, want 5: $(tr '\n' ' ' <"$TMP/f1")"
[ "$(seq_of "$(head -1 "$TMP/f1")")" -eq $((n1 - 5)) ] ||
    fail "max-files run 1: the oldest left is $(head -1 "$TMP/f1"), want number $((n1 - 5))"
run_bound files2 "$B" "$D/run2.pcap" --max-files=5
segs "$B" "\.pcap" >"$TMP/f2"
[ "$(wc -l <"$TMP/f2")" -eq 5 ] || fail "max-files run 2: $(wc -l <"$TMP/f2") files left, want 5"
if comm -12 "$TMP/f1" "$TMP/f2" | grep -q .; then
	fail "max-files run 2: run 1's files are still there: $(comm -12 "$TMP/f1" "$TMP/f2" | tr '\n' ' ')"
fi
for f in $(cat "$TMP/f1"); do
	grep -q "^$f\$" <(deleted "$CAP_ERR") || fail "max-files run 2: no deletion line for run 1's $f"
	[ ! -e "$B/$f.json" ] || fail "max-files run 2: $f's manifest was left"
done
for f in $(cat "$TMP/f2"); do
	valid "max-files" "$B/$f"
	[ -f "$B/$f.json" ] || fail "max-files: $f lost its manifest"
done
others_kept "max-files" "$B"
own_tmp "$B"
passed "--max-files=5 over two runs: 5 newest left each time, run 1's deleted by run 2, other names untouched"

section
B=$TMP/bytes
mkdir "$B"
others "$B"
run_bound bytes1 "$B" "$D/run1.pcap" --max-bytes=5M -N "$TMP/seq"
run_bound bytes2 "$B" "$D/run2.pcap" --max-bytes=5M -N "$TMP/seq"
segs "$B" "\.pcap" >"$TMP/b2"
nb=$(wc -l <"$TMP/b2")
total=0
for f in $(cat "$TMP/b2"); do
	total=$((total + $(stat -c %s "$B/$f") + $(stat -c %s "$B/$f.json")))
	valid "max-bytes" "$B/$f"
done
[ "$total" -le $((5 * MIB)) ] || fail "max-bytes: $nb files of $total bytes left, over 5M"
[ "$nb" -ge 4 ] || fail "max-bytes: only $nb files left ($total bytes) of ~1 MiB each under 5M"
# the newest: run 2 continued run 1's numbers (-N), the last made is left
last=$(seq_of "$(tail -1 "$TMP/b2")")
made=$(( $(cat "$TMP/seq") ))
[ "$last" -eq "$made" ] || fail "max-bytes: the newest left is number $last, the last made $made"
[ $((last - $(seq_of "$(head -1 "$TMP/b2")") + 1)) -eq "$nb" ] ||
    fail "max-bytes: the files left are not the newest run: $(tr '\n' ' ' <"$TMP/b2")"
grep -q "^mtracecap: deleted '$B/[^']*' ([0-9]* bytes): --max-bytes 5M$" "$CAP_ERR" ||
    fail "max-bytes: no deletion line naming --max-bytes 5M"
others_kept "max-bytes" "$B"
own_tmp "$B"
passed "--max-bytes=5M with -N over two runs: $nb newest left ($total bytes with manifests), other names untouched"

# --- 2. --min-free with a file input (also under TSan) ----------------
# A file input writes as fast as it can: the budget, not the pace, keeps
# the free space up.
section
M2=$TMP/m2
mount_tmpfs "$M2"
$MK "$D/big.pcap" --count 40000 --size 1000
sample_free "$M2" "$TMP/free2"
rc=0
"$MTRACECAP" -s 0 -S 1 --min-free=8M -B "$M2" "pcapfile:$D/big.pcap" 2>"$TMP/err2" || rc=$?
stop_sampler "$TMP/free2"
CAP_ERR=$TMP/err2
[ "$rc" -eq 0 ] || fail "min-free, file input: exit $rc: $(tail -3 "$CAP_ERR")"
[ "$MINFREE" -ge "$FLOOR" ] || fail "min-free, file input: free space fell to $MINFREE bytes"
[ "$(totv written)" = 40000 ] && [ "$(totv lost)" = 0 ] ||
    fail "min-free, file input: written=$(totv written) lost=$(totv lost), want 40000 and 0"
n=$(deleted "$CAP_ERR" | wc -l)
[ "$n" -ge 20 ] || fail "min-free, file input: $n files deleted, want >= 20 (40 MB through 24 MiB)"
for f in $(segs "$M2"); do valid "min-free, file input" "$M2/$f"; done
no_tmp "$M2"
passed "--min-free=8M, a file input: $n deleted, free >= $MINFREE in $NSAMPLES samples"

if sanitizer_build tsan; then
	echo "note: TSan build: the live cases are skipped (libtrace and libpcap are not TSan-clean)" >&2
	finish
fi

live_setup_one mtcdb db
PER=1400
python3 "$MKPCAP" "$TMP/burst.pcap" --id 1 --size $PER --count 32000 --step-us 100

# --- 3. --min-free on a small tmpfs with live traffic ---------------------
section
M1=$TMP/m1
mount_tmpfs "$M1"
sample_free "$M1" "$TMP/free1"
start_in "$M1" "$TMP/err1" -s 0 -S 1 --min-free=8M -B "$M1" "ring:$IF1" || finish
replay "$NS1" "${IF1}p" "$TMP/burst.pcap" 8000
sleep 0.5
end_capture
stop_sampler "$TMP/free1"
[ "$RC" -eq 0 ] || fail "min-free: exit status $RC, want 0: $(tail -3 "$CAP_ERR")"
[ "$NSAMPLES" -ge 500 ] || fail "min-free: only $NSAMPLES samples of the free space"
[ "$MINFREE" -ge "$FLOOR" ] ||
    fail "min-free: free space fell to $MINFREE bytes, below --min-free 8M ($FLOOR)"
deleted "$CAP_ERR" >"$TMP/del1"
ndel=$(wc -l <"$TMP/del1")
segs "$M1" >"$TMP/left1"
nleft=$(wc -l <"$TMP/left1")
[ "$ndel" -ge 10 ] || fail "min-free: $ndel files deleted, want >= 10 (45 MB through 24 MiB)"
grep -q "^mtracecap: deleted '$M1/[^']*' ([0-9]* bytes): --min-free 8M$" "$CAP_ERR" ||
    fail "min-free: no deletion line naming --min-free 8M: $(grep deleted "$CAP_ERR" | head -1)"
# oldest first: every deleted number below every remaining one; the
# remaining ones are the newest, without a gap, up to the last file
maxdel=-1
while read -r f; do s=$(seq_of "$f"); [ "$s" -le "$maxdel" ] || maxdel=$s; done <"$TMP/del1"
first=$(seq_of "$(head -1 "$TMP/left1")")
last=$(seq_of "$(tail -1 "$TMP/left1")")
[ "$maxdel" -lt "$first" ] ||
    fail "min-free: deleted file number $maxdel is not older than the oldest left ($first)"
[ $((last - first + 1)) -eq "$nleft" ] ||
    fail "min-free: the $nleft files left are not a gapless run $first..$last: $(tr '\n' ' ' <"$TMP/left1")"
nfiles=$(totv files)
[ "$((ndel + nleft))" -eq "$nfiles" ] ||
    fail "min-free: $ndel deleted + $nleft left != files=$nfiles"
[ "$last" -eq $((nfiles - 1)) ] || fail "min-free: the newest file left is $last, the last made $((nfiles - 1))"
while read -r f; do valid "min-free" "$M1/$f"; done <"$TMP/left1"
[ "$(totv lost)" = 0 ] && [ "$(totv lost_disk)" = 0 ] ||
    fail "min-free: lost=$(totv lost) lost_disk=$(totv lost_disk), want 0 (files could be deleted)"
no_tmp "$M1"
passed "min-free 8M on a 24 MiB tmpfs: free >= $MINFREE bytes in $NSAMPLES samples, $ndel oldest deleted, $nleft newest left ($first..$last), valid"
echo "  min-free: files=$nfiles deleted=$ndel left=$nleft least free=$MINFREE written=$(totv written)" >&2

# --- 4. --min-free that cannot be kept, nothing of ours to delete --------
# a filler of the test's own leaves ~8.5 MiB free: below 8M + the slack
section
M3=$TMP/m3
mount_tmpfs "$M3"
head -c $((15 * MIB + MIB / 2)) /dev/zero >"$M3/filler"
python3 "$MKPCAP" "$TMP/p1.pcap" --id 2 --size 600 --count 3000 --step-us 100
python3 "$MKPCAP" "$TMP/p2.pcap" --id 3 --size 600 --count 3000 --step-us 100
sample_free "$M3" "$TMP/free3"
start_in "$M3" "$TMP/err3" -s 0 -S 1 --min-free=8M --metrics-file="$TMP/m3.prom" \
    -B "$M3" "ring:$IF1" || finish
replay "$NS1" "${IF1}p" "$TMP/p1.pcap" 3000
i=0
until grep -q "stopped writing" "$CAP_ERR" || [ $i -ge 50 ]; do sleep 0.1; i=$((i + 1)); done
# the metrics file is written every 10 s: wait for one during the stop
i=0
until grep -qx "mtracecap_writing 0" "$TMP/m3.prom" 2>/dev/null || [ $i -ge 120 ]; do
	sleep 0.1; i=$((i + 1))
done
grep -qx "mtracecap_writing 0" "$TMP/m3.prom" ||
    fail "disk stop: the metrics file never said mtracecap_writing 0"
stopped_disk=$(sed -n 's/^mtracecap_output_lost_packets_total{reason="disk"} //p' "$TMP/m3.prom")
rm -f "$M3/filler"
sleep 2.5	# a pass of the disk thread sees the room
replay "$NS1" "${IF1}p" "$TMP/p2.pcap" 3000
sleep 0.5
end_capture
stop_sampler "$TMP/free3"
[ "$RC" -eq 1 ] || fail "disk stop: exit status $RC, want 1 (packets lost): $(tail -3 "$CAP_ERR")"
[ "$(grep -c "stopped writing" "$CAP_ERR")" -eq 1 ] ||
    fail "disk stop: $(grep -c "stopped writing" "$CAP_ERR") 'stopped writing' lines, want 1"
grep -q "^mtracecap: stopped writing: no file is left to delete and --min-free 8M cannot be kept; packets are counted as lost (disk) until space returns$" "$CAP_ERR" ||
    fail "disk stop: the line: $(grep "stopped writing" "$CAP_ERR")"
# every frame of the first burst lost (disk), every one of the second
# written: exactly, unless the kernel dropped some (then those are missing)
kd=$(totv dropped_by_kernel)
ld=$(totv lost_disk)
[ "$(totv lost)" = "$ld" ] && [ "$ld" -le 3000 ] && [ "$ld" -ge $((3000 - kd)) ] ||
    fail "disk stop: totals lost=$(totv lost) lost_disk=$ld (kernel drops $kd), want 3000 each"
[ $((ld + $(totv written) + kd)) -eq 6000 ] && [ "$(totv written)" -ge $((3000 - kd)) ] ||
    fail "disk stop: written=$(totv written) lost_disk=$ld kernel drops $kd: want 3000 written after the room came back"
[ "$stopped_disk" = "$ld" ] ||
    fail "disk stop: the metrics file said reason=\"disk\" $stopped_disk during the stop, the totals lost_disk=$ld"
grep -q "writing again: .* $ld packets were lost (disk)$" "$CAP_ERR" ||
    fail "disk stop: no resumption line with $ld lost: $(grep "writing again" "$CAP_ERR")"
grep -qx "mtracecap_output_lost_packets_total{reason=\"disk\"} $ld" "$TMP/m3.prom" &&
    grep -qx "mtracecap_writing 1" "$TMP/m3.prom" ||
    fail "disk stop: final metrics: $(grep -E 'reason="disk"|^mtracecap_writing' "$TMP/m3.prom")"
grep -E "stopped writing|writing again|deleted" "$CAP_ERR" | sed 's/^/  disk stop: /' >&2
[ "$MINFREE" -ge "$FLOOR" ] || fail "disk stop: free space fell to $MINFREE bytes"
# the file closed at the stop (no packet in it) may go; the filler (not
# ours) stayed until the test took it
w=0
for f in $(segs "$M3"); do valid "disk stop" "$M3/$f" 0; w=$((w + $(npackets "$M3/$f"))); done
[ "$w" -eq "$(totv written)" ] || fail "disk stop: the files hold $w packets, the totals say written=$(totv written)"
no_tmp "$M3"
passed "--min-free that cannot be kept: writing stopped, $ld lost (disk) in totals and metrics, resumed after the filler went ($(totv written) written), free >= $MINFREE"

# --- 5. a hook that never succeeds: nothing deleted, writing stops --------
section
M4=$TMP/m4
mount_tmpfs "$M4"
head -c $((4 * MIB)) /dev/zero >"$M4/filler"
sample_free "$M4" "$TMP/free4"
start_in "$M4" "$TMP/err4" -s 0 -S 1 --min-free=8M --post-rotate=/bin/false \
    -B "$M4" "ring:$IF1" || finish
replay "$NS1" "${IF1}p" "$TMP/burst.pcap" 8000
i=0
until grep -q "stopped writing" "$CAP_ERR" || [ $i -ge 50 ]; do sleep 0.1; i=$((i + 1)); done
before=$(segs "$M4" | wc -l)
rm -f "$M4/filler"
sleep 2.5
replay "$NS1" "${IF1}p" "$TMP/p2.pcap" 3000
sleep 0.5
end_capture
stop_sampler "$TMP/free4"
grep -q "^mtracecap: stopped writing: only undelivered files are left and --min-free 8M cannot be kept" "$CAP_ERR" ||
    fail "hook: no stop line for undelivered files: $(grep "stopped writing" "$CAP_ERR")"
grep -q "writing again" "$CAP_ERR" || fail "hook: writing did not resume after the filler went"
[ -z "$(deleted "$CAP_ERR")" ] || fail "hook: undelivered files deleted: $(deleted "$CAP_ERR" | head -3)"
[ "$(totv lost_disk)" -gt 0 ] 2>/dev/null || fail "hook: lost_disk=$(totv lost_disk), want > 0"
[ "$(segs "$M4" | wc -l)" -gt "$before" ] || fail "hook: no file written after the room came back"
[ "$MINFREE" -ge "$FLOOR" ] || fail "hook: free space fell to $MINFREE bytes"
passed "a hook that never succeeds: nothing deleted, writing stopped, lost_disk=$(totv lost_disk), resumed, free >= $MINFREE"

finish
