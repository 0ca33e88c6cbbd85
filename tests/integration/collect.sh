#!/usr/bin/env bash
# collect.sh - contrib/mtracecap-collect moving files away while mtracecap
# rotates every second (-G 1, FIFO input) into a directory whose name and
# file names hold spaces.  Two collector loops run at once (the flock keeps
# them apart), one into an archive on the same file system (hard links),
# then everything left goes to one on another file system (copies, if
# /dev/shm is one).  Checked: no tmp-, .failed, hidden or non-regular file
# is ever collected; every packet fed is in the archives exactly once, in
# order; the capture directory ends with only what must stay; a rerun is a
# no-op; a file already archived (an interrupted run) is just removed from
# the capture directory, one whose archived copy differs is left and
# reported (exit 1).
. "$(dirname "$0")/lib.sh"
tsan_elsewhere "contrib/mtracecap-collect"
need_cmd python3 tcpdump capinfos flock
export LC_ALL=C
shopt -s nullglob
COLLECT=$TESTS_SRCDIR/../contrib/mtracecap-collect
[ -x "$COLLECT" ] || COLLECT="sh $COLLECT"

SRC="$TMP/cap dir"
A1="$TMP/archive one"
A2=$(mktemp -d /dev/shm/mtc-collect.XXXXXX)
on_exit "rm -rf '$A2'"
mkdir "$SRC" "$A1"
# what must stay: a seqfile, a failed file, a link, a directory, and a
# file looking finished but hidden
echo junk >"$SRC/20231114-000000-00000099.failed"
ln -s /etc/hostname "$SRC/20231114-000000-00000098"
mkdir "$SRC/20231114-000000-00000097"
echo x >"$SRC/.20231114-000000-00000096"
mkfifo "$TMP/fifo"
# the feeder: a pcap header, 500 packets (random payloads) stamped 10 ms
# apart, about 100 a second (ref.pcap gets the same); then EOF
python3 "$TESTS_SRCDIR/tools/feed.py" --fifo "$TMP/fifo" --ref "$TMP/ref.pcap" \
    --count 500 --size 218 --random-payload --step-us 10000 --rate 100 &
FEED=$!
on_exit "kill_child $FEED"
"$MTRACECAP" -s 0 -B "pcapfile:$SRC" -G 1 -N "$SRC/.seq" --file-ext=" x.pcap" \
    "pcapfile:$TMP/fifo" 2>"$TMP/mtc.err" &
MTC=$!
on_exit "kill_child -KILL $MTC"
# loop DST LOG: collect every 0.1 s until told to stop
loop() {
	while [ ! -e "$TMP/stop" ]; do
		$COLLECT "$SRC" "$1" 2>>"$2" || echo "exit $?" >>"$2"
		sleep 0.1
	done
}
loop "$A1" "$TMP/c1.log" &
L1=$!
loop "$A1" "$TMP/c2.log" &
L2=$!
on_exit "touch '$TMP/stop'"
rc=0
# watch the archive while capture runs
while kill -0 "$MTC" 2>/dev/null; do
	find "$A1" -name 'tmp-*' -o -name '*.failed' | grep -q . && fail "a tmp- or .failed file was collected: $(ls "$A1")"
	sleep 0.05
done
wait "$MTC" || rc=$?
wait "$FEED" || true
touch "$TMP/stop"
wait "$L1" "$L2" || true
[ "$rc" -eq 0 ] || fail "mtracecap exited $rc: $(cat "$TMP/mtc.err")"
[ ! -s "$TMP/c1.log" ] && [ ! -s "$TMP/c2.log" ] ||
    fail "collector complained: $(cat "$TMP/c1.log" "$TMP/c2.log")"
n1=$(find "$A1" -maxdepth 1 -name '2*' | wc -l)
[ "$n1" -ge 4 ] || fail "only $n1 files were collected during capture"
# the rest to the other file system
$COLLECT "$SRC" "$A2" 2>"$TMP/c3.log" || fail "final run: exit $?: $(cat "$TMP/c3.log")"
$COLLECT "$SRC" "$A2" 2>"$TMP/c4.log" || fail "rerun: exit $?: $(cat "$TMP/c4.log")"
# what stays
(cd "$SRC" && ls -A) >"$TMP/left"
printf '%s\n' .20231114-000000-00000096 .seq 20231114-000000-00000097 \
    20231114-000000-00000098 20231114-000000-00000099.failed >"$TMP/want.left"
cmp -s "$TMP/left" "$TMP/want.left" ||
    fail "capture dir holds (- want, + got): $(diff "$TMP/want.left" "$TMP/left")"
# every packet exactly once, in order
files=("$A1"/2* "$A2"/2*)
for f in "${files[@]}"; do
	case ${f##*/} in *" x.pcap") ;; *) fail "unexpected name collected: '$f'";; esac
	[ -f "$f" ] && [ ! -L "$f" ] || fail "not a regular file: '$f'"
done
find "$A1" "$A2" -name '.collect.*' | grep -q . && fail "partial copies left in the archive"
# the names sort by time, then sequence: one stream
mapfile -t sorted < <(printf '%s\n' "${files[@]}" | awk -F/ '{print $NF "\t" $0}' | sort | cut -f2)
: >"$TMP/union.rec"
for f in "${sorted[@]}"; do records "$f" >>"$TMP/union.rec"; done
records "$TMP/ref.pcap" >"$TMP/ref.rec"
cmp -s "$TMP/union.rec" "$TMP/ref.rec" ||
    fail "the archived files are not every packet fed, exactly once and in order ($(grep -c '^[0-9]' "$TMP/union.rec") vs $(grep -c '^[0-9]' "$TMP/ref.rec") lines)"
[ "${#files[@]}" -eq "$(sed -n 's/.*total: files=\([0-9]*\).*/\1/p' "$TMP/mtc.err")" ] ||
    fail "${#files[@]} files archived, mtracecap wrote $(grep total: "$TMP/mtc.err")"
# idempotent: an interrupted run left a file in both places
f=${sorted[0]}
cp -p "$f" "$SRC/${f##*/}"
$COLLECT "$SRC" "$A1" 2>"$TMP/c5.log" || fail "interrupted rerun: exit $?: $(cat "$TMP/c5.log")"
[ ! -e "$SRC/${f##*/}" ] || fail "an already archived file was not removed"
# same name, other contents: left alone, exit 1
echo other >"$SRC/${f##*/}"
rc=0
$COLLECT "$SRC" "$A1" 2>"$TMP/c6.log" || rc=$?
[ "$rc" -eq 1 ] || fail "name clash: exit $rc, want 1"
[ -e "$SRC/${f##*/}" ] && grep -q "exists with other contents" "$TMP/c6.log" ||
    fail "name clash: not left alone and reported: $(cat "$TMP/c6.log")"
# the lock held by another run: this one does nothing, exit 0
rm -f "$SRC/${f##*/}"
cp -p "$f" "$SRC/held"
mv "$SRC/held" "$SRC/20231114-000000-00000095 x.pcap"
rc=0
flock "$A2/.mtracecap-collect.lock" $COLLECT "$SRC" "$A2" 2>"$TMP/c7.log" || rc=$?
[ "$rc" -eq 0 ] && [ -e "$SRC/20231114-000000-00000095 x.pcap" ] ||
    fail "a run under the lock of another moved files or failed (exit $rc)"
$COLLECT "$SRC" "$A2" 2>"$TMP/c8.log" && [ -e "$A2/20231114-000000-00000095 x.pcap" ] ||
    fail "the lock was not released"
pass "collector during rotation: every packet archived once, no temp or failed file, idempotent, locked"
finish
