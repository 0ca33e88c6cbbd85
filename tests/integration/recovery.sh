#!/usr/bin/env bash
# recovery.sh - kill -9 during capture, then a restart on the same -B
# directory with the same -N seqfile.  For a FIFO-fed file input (plain
# pcap, -Z gz and --pipeout 'gzip -1') and a live veth input: the temp
# file of the killed run gets its final name, is read whole by tcpdump (no
# partial record), holds with the files before it a prefix of what was
# sent, and is named in the log; the new files' sequence numbers follow
# the recovered one and no name is used twice.  Crafted temp files: a
# partial last record is cut off; garbage, garbage after records and a
# corrupt gzip stream are kept byte for byte as NAME.failed and reported;
# the temp file of a live mtracecap (locked) and of a live process that
# holds no lock are left untouched; nothing crashes.  Hard links to files
# elsewhere, symbolic links, FIFOs, other users' files and files that the
# --relinquish-privileges user cannot open are left alone, each named in
# a warning.  A big compressed temp file (300 MB of pcap): capture writes
# its first packets while recovery still runs, SIGTERM ends the run in
# under 2 s and leaves the file for the next start, and kill -9 at several
# moments of its recovery followed by a full run leaves every packet in
# exactly one file.
. "$(dirname "$0")/lib.sh"
tsan_elsewhere "crash recovery after kill -9"
. "$(dirname "$0")/live_lib.sh"	# recs, and the live helpers
need_cmd python3 tcpdump capinfos gzip flock
export LC_ALL=C
shopt -s nullglob

# feed FIFO REF OPTION...: start tests/tools/feed.py in the background: a
# pcap header, then --count packets of --size bytes (random payload:
# compressors cannot shrink it to nothing) stamped 1 ms apart from --start
# (seconds), about --rate a second, with a 2 s pause after the first
# --pause-after (REF.paused is created then); each packet goes to REF too
# once fully written.  Then the pipe stays open and silent.
feed() {
	FEED_FIFO=$1 FEED_REF=$2
	rm -f "$1" "$2.paused"
	start_feed --pause 2 --pause-flag "$2.paused" --random-payload \
	    --step-us 1000 --idle 3600 "${@:3}"
}

# check_prefix WHAT REF FILE...: the files (in order) are valid and their
# records are the first K records of REF, K >= 1; sets K.
check_prefix() {
	local what=$1 ref=$2 f i=0
	shift 2
	: >"$TMP/union.rec"
	K=0
	for f in "$@"; do
		plain "$f" "$TMP/p$i.pcap"
		if ! tcpdump -r "$TMP/p$i.pcap" -w /dev/null 2>"$TMP/td.err" ||
		    [ -s "$TMP/td.err" ] && grep -qv '^reading from' "$TMP/td.err"; then
			fail "$what: tcpdump does not read ${f##*/} cleanly: $(cat "$TMP/td.err")"
		fi
		K=$((K + $(npackets "$TMP/p$i.pcap")))
		recs "$TMP/p$i.pcap" | cut -d' ' -f2- >>"$TMP/union.rec"
		i=$((i + 1))
	done
	recs "$ref" | cut -d' ' -f2- >"$TMP/ref.all"
	head -n "$K" "$TMP/ref.all" >"$TMP/ref.rec"
	[ "$K" -ge 1 ] || fail "$what: no packet at all in the files"
	cmp -s "$TMP/union.rec" "$TMP/ref.rec" ||
	    fail "$what: the $K packets in the files are not the first $K sent"
}

# check_restart WHAT DIR TMPNAME LOG BEFORE...: after the restart, TMPNAME
# (the killed run's temp file) has its final name, the log names both, no
# temp file is left, sequence numbers are unique, the files BEFORE the
# kill are numbered below the recovered one and the new run's above it.
# Sets RECOVERED.
check_restart() {
	local what=$1 dir=$2 t=$3 log=$4 base f s rs seen=" " newer=0
	shift 4
	base=${t##*/tmp-}
	base=${base#*-}
	RECOVERED=$dir/$base
	[ -f "$RECOVERED" ] || fail "$what: ${t##*/} not recovered as $base: $(ls "$dir")"
	grep -qF "recovered '$t' of an interrupted run as '$RECOVERED'" "$log" ||
	    fail "$what: the log does not name what was recovered: $(cat "$log")"
	[ -z "$(tmpfile "$dir")" ] && [ ! -e "$t" ] ||
	    fail "$what: temp files left: $(ls "$dir")"
	rs=$(seq_of "$base")
	for f in "$dir"/2*; do
		s=$(seq_of "$f")
		case $seen in *" $s "*) fail "$what: sequence number $s used twice";; esac
		seen="$seen$s "
		[ "$f" != "$RECOVERED" ] || continue
		case " $* " in
		*" $f "*)
			[ "$s" -lt "$rs" ] ||
			    fail "$what: ${f##*/} was written before the kill but numbered after ${base}";;
		*)
			[ "$s" -gt "$rs" ] ||
			    fail "$what: ${f##*/} of the new run is not numbered after ${base}"
			newer=$((newer + 1));;
		esac
	done
	[ "$newer" -ge 1 ] || fail "$what: the new run wrote no file numbered after $rs"
	[ "$(cat "$dir/.seq")" -gt "$rs" ] || fail "$what: seqfile $(cat "$dir/.seq") not past $rs"
}

# fifo_case WHAT ARGS...: capture a FIFO with -G 3 (a file per 3000
# packets), kill -9 mid-capture (in the second file, during a pause of the
# feeder that lets the writer flush), restart on the same directory
fifo_case() {
	local what=$1 dir t before rc=0
	shift
	dir=$TMP/out-$RANDOM
	mkdir "$dir"
	feed "$TMP/fifo" "$TMP/ref.pcap" --count 6000 --size 1200 --rate 3000 \
	    --pause-after 4500 --start 1700000000
	"$MTRACECAP" -s 0 -B "pcapfile:$dir" -G 3 -N "$dir/.seq" "$@" \
	    "pcapfile:$TMP/fifo" 2>"$TMP/run1.err" &
	MTC_PID=$!
	on_exit "kill_child -KILL $MTC_PID"
	kill_when_written "$dir" 300000 "$TMP/ref.pcap.paused"
	kill "$FEED_PID"
	wait "$FEED_PID" 2>/dev/null || true
	t=$(tmpfile "$dir") || { fail "$what: no temp file after kill -9: $(ls "$dir")"; return; }
	before=("$dir"/2*)
	[ "${#before[@]}" -ge 1 ] || fail "$what: no file was finished before the kill"
	# an orphaned --pipeout compressor may still finish the stream:
	# recovery waits for its lock
	feed "$TMP/fifo2" "$TMP/ref2.pcap" --count 4000 --size 200 --rate 5000 \
	    --start 1700000100
	timeout 30 "$MTRACECAP" -s 0 -B "pcapfile:$dir" -G 3 -N "$dir/.seq" \
	    "$@" "pcapfile:$TMP/fifo2" 2>"$TMP/run2.err" &
	MTC_PID=$!
	sleep 1.5
	kill "$FEED_PID"	# EOF: the run ends
	wait "$MTC_PID" || rc=$?
	MTC_PID=
	[ "$rc" -eq 0 ] || fail "$what: restart exited $rc: $(cat "$TMP/run2.err")"
	check_restart "$what" "$dir" "$t" "$TMP/run2.err" "${before[@]}"
	check_prefix "$what" "$TMP/ref.pcap" "${before[@]}" "$RECOVERED"
	echo "  $what: $K packets kept of $(npackets "$TMP/ref.pcap") sent"
}


section
fifo_case "FIFO, plain pcap"
passed "kill -9 (FIFO input, plain pcap): recovered, valid, a prefix, seq continues"

section
fifo_case "FIFO, -Z gz" -Z gz
gzip -t "$RECOVERED" 2>/dev/null || fail "-Z gz: recovered file is not a complete gzip stream"
passed "kill -9 (FIFO input, -Z gz): what decompresses recovered as a complete gzip file"

section
fifo_case "FIFO, --pipeout 'gzip -1'" --pipeout 'gzip -1'
gzip -t "$RECOVERED" 2>/dev/null || fail "--pipeout: recovered file is not a complete gzip stream"
passed "kill -9 (FIFO input, --pipeout 'gzip -1'): recovered"

# --- crafted temp files ------------------------------------------------------
section
C=$TMP/crafted
mkdir "$C"
use_mkpcap
$MK "$TMP/ref.pcap" --count 20 --size 300 --start $S
# a live mtracecap writing into the same directory (its file is locked)
feed "$TMP/fifo" "$TMP/refl.pcap" --count 5 --size 300 --rate 100 \
    --start 1700001000
"$MTRACECAP" -s 0 -B "pcapfile:$C" -G 3600 "pcapfile:$TMP/fifo" 2>"$TMP/live.err" &
LIVE_MTC=$!
on_exit "kill_child -KILL $LIVE_MTC"
i=0
until compgen -G "$C/tmp-$LIVE_MTC-*" >/dev/null || [ $i -ge 50 ]; do sleep 0.1; i=$((i + 1)); done
sleep 0.5	# its packets are written (idle flush)
LT=$(compgen -G "$C/tmp-$LIVE_MTC-*") || fail "the live mtracecap made no temp file"
sleep 3600 &
LIVE=$!
on_exit "kill_child $LIVE"
sleep 0 &
DEAD=$!
wait "$DEAD"
kill -0 "$DEAD" 2>/dev/null && skip "pid $DEAD reused at once"
SZ=$(stat -c %s "$TMP/ref.pcap")
REC=$(( (SZ - 24) / 20 ))
# partial last record: 37 bytes of the 20th record missing
head -c $((SZ - 37)) "$TMP/ref.pcap" >"$C/tmp-$DEAD-20231114-221320-00000001"
# a live process, no lock: untouched
cp "$TMP/ref.pcap" "$C/tmp-$LIVE-20231114-221320-00000002"
# garbage
head -c 5000 /dev/urandom >"$C/tmp-$DEAD-20231114-221320-00000003"
# 20 good records, then 300 KB that is not a partial record
{ cat "$TMP/ref.pcap"; head -c 300000 /dev/urandom; } >"$C/tmp-$DEAD-20231114-221320-00000004"
# gzip magic, then garbage
{ printf '\037\213\010\000'; head -c 3000 /dev/urandom; } >"$C/tmp-$DEAD-20231114-221320-00000005"
# a pcap whose first record header is garbage
{ head -c 24 "$TMP/ref.pcap"; printf '\377\377\377\377\377\377\377\377\377\377\377\377\377\377\377\377'; head -c 2000 /dev/zero; } \
    >"$C/tmp-$DEAD-20231114-221320-00000006"
mkdir "$C/orig"
cp -p "$C"/tmp-* "$C/orig/"
# a dead writer's file still locked for a moment (its --pipeout child
# finishing): recovery waits for the lock
cp "$TMP/ref.pcap" "$C/tmp-$DEAD-20231114-221320-00000007"
flock -x "$C/tmp-$DEAD-20231114-221320-00000007" sleep 1.5 &
HOLDER=$!
on_exit "kill_child $HOLDER"
sleep 0.2
cp "$LT" "$TMP/live.before"
rc=0
"$MTRACECAP" -s 0 -B "pcapfile:$C" -G 3600 "pcapfile:$TMP/ref.pcap" 2>"$TMP/crafted.err" || rc=$?
[ "${rc:-0}" -eq 0 ] || fail "crafted: exit ${rc:-0}: $(cat "$TMP/crafted.err")"
grep -qiE 'sanitizer|segv|abort' "$TMP/crafted.err" && fail "crafted: $(cat "$TMP/crafted.err")"
# 1: cut back to 19 records
f=$C/20231114-221320-00000001
if [ -f "$f" ]; then
	[ "$(npackets "$f")" = 19 ] || fail "partial record: $(npackets "$f") packets, want 19"
	[ "$(stat -c %s "$f")" -eq $((SZ - REC)) ] || fail "partial record: $(stat -c %s "$f") bytes, want $((SZ - REC))"
	tcpdump -r "$f" -w /dev/null 2>&1 | grep -qv '^reading from' && fail "partial record: tcpdump complains"
	grep -q "recovered '$C/tmp-$DEAD-20231114-221320-00000001' of an interrupted run as '$f': 19 complete packets, $((REC - 37)) bytes of a partial packet dropped" "$TMP/crafted.err" ||
	    fail "partial record: not logged as expected: $(cat "$TMP/crafted.err")"
else
	fail "partial record: not recovered: $(ls "$C")"
fi
# 7: recovered once the lock was released
cmp -s "$C/20231114-221320-00000007" "$TMP/ref.pcap" ||
    fail "locked by a leftover: not recovered after the lock went: $(ls "$C")"
# 2: untouched, with a warning naming the process
cmp -s "$C/tmp-$LIVE-20231114-221320-00000002" "$C/orig/tmp-$LIVE-20231114-221320-00000002" ||
    fail "temp file of live pid $LIVE was touched: $(ls "$C")"
grep -q "left '$C/tmp-$LIVE-20231114-221320-00000002' alone: process $LIVE is running" "$TMP/crafted.err" ||
    fail "live pid: no warning: $(cat "$TMP/crafted.err")"
# 3-6: kept byte for byte as .failed, and said so
for n in 3 4 5 6; do
	f=$C/20231114-221320-0000000$n.failed
	if ! cmp -s "$f" "$C/orig/tmp-$DEAD-20231114-221320-0000000$n"; then
		fail "garbage $n: not kept byte for byte as ${f##*/}: $(ls "$C")"
	fi
	grep -q "kept '$C/tmp-$DEAD-20231114-221320-0000000$n' of an interrupted run as '$f'" "$TMP/crafted.err" ||
	    fail "garbage $n: not reported"
	[ ! -e "$C/20231114-221320-0000000$n" ] || fail "garbage $n: given a final name"
done
# the live mtracecap's file: untouched, and that run still ends well
[ -e "$LT" ] && cmp -s "$LT" "$TMP/live.before" || fail "the live mtracecap's temp file was touched"
kill -0 "$LIVE_MTC" 2>/dev/null || fail "the live mtracecap died"
kill -TERM "$LIVE_MTC"
rc=0
wait "$LIVE_MTC" || rc=$?
[ "$rc" -eq 0 ] || fail "the live mtracecap exited $rc: $(cat "$TMP/live.err")"
[ -e "${LT/tmp-$LIVE_MTC-/}" ] || fail "the live mtracecap's file did not get its name"
kill_child "$FEED_PID"
passed "crafted temp files: partial record cut, garbage kept as .failed, live owners' files untouched"

# --- no room for the recovered copy of a compressed file ---------------------
section
# a gzip temp file of random payloads (the copy is as large as the
# original) on a tmpfs with no room for the copy: the original must stay
M=$TMP/full
mkdir -p "$M"
if mount -t tmpfs -o size=1m mtc-recovery "$M" 2>/dev/null; then
	on_exit "umount -l $M"
	python3 - "$TMP/rand.pcap" <<'PY'
import os, struct, sys
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i in range(400):
        f.write(struct.pack("<IIII", 1700000000 + i, 0, 1000, 1000))
        f.write(os.urandom(1000))
PY
	gzip -1 -c "$TMP/rand.pcap" >"$M/tmp-$DEAD-20231114-221320-00000001"
	cp "$M/tmp-$DEAD-20231114-221320-00000001" "$TMP/full.orig"
	fill=$(( $(df -B1 --output=avail "$M" | tail -1) - 100000 ))
	[ "$fill" -le 0 ] || head -c "$fill" /dev/zero >"$M/filler" 2>/dev/null || true
	rc=0
	"$MTRACECAP" -s 0 -B "pcapfile:$M" -G 3600 "pcapfile:$TMP/ref.pcap" \
	    2>"$TMP/full.err" || rc=$?
	grep -qiE 'sanitizer|segv|abort' "$TMP/full.err" && fail "no room: $(cat "$TMP/full.err")"
	grep -q "cannot write the recovered copy" "$TMP/full.err" ||
	    fail "no room for the copy: not reported: $(cat "$TMP/full.err")"
	kept=$(find "$M" -maxdepth 1 -name '20231114-221320-00000001*' -o -maxdepth 1 -name "tmp-$DEAD-*" | head -n 1)
	if [ -z "$kept" ] || ! cmp -s "$kept" "$TMP/full.orig"; then
		fail "no room for the copy: the original is gone or changed: $(ls -l "$M")"
	fi
	umount -l "$M" 2>/dev/null || true
	passed "no room for a recovered copy: reported, the original kept byte for byte"
else
	echo "note: cannot mount a tmpfs: the no-room recovery case is not run"
fi

# --- temp files recovery must not change (hard link, symlink, FIFO, owner) --
section
H=$TMP/hostile
mkdir "$H"
# outside DIR: a pcap cut inside its last record, and a gzip of it
head -c $((SZ - 37)) "$TMP/ref.pcap" >"$TMP/outside.pcap"
gzip -c "$TMP/ref.pcap" >"$TMP/outside.gz"
cp "$TMP/outside.pcap" "$TMP/outside.orig"
cp "$TMP/outside.gz" "$TMP/outside.gz.orig"
HT=$H/tmp-$DEAD-20231114-221320-0000000
ln "$TMP/outside.pcap" "${HT}1"		# hard links to files elsewhere
ln "$TMP/outside.gz" "${HT}2"
ln -s "$TMP/outside.pcap" "${HT}3"	# a symbolic link
mkfifo "${HT}4"				# opening it would block
cp "$TMP/outside.pcap" "${HT}5"		# someone else's file
chown 65534 "${HT}5"
cp "${HT}5" "$TMP/other.orig"
rc=0
timeout 30 "$MTRACECAP" -s 0 -B "pcapfile:$H" -G 3600 "pcapfile:$TMP/ref.pcap" \
    2>"$TMP/hostile.err" || rc=$?
[ "$rc" -eq 0 ] || fail "hostile: exit $rc: $(cat "$TMP/hostile.err")"
cmp -s "$TMP/outside.pcap" "$TMP/outside.orig" ||
    fail "hard link: the file it links to was changed ($(stat -c %s "$TMP/outside.pcap") bytes, was $(stat -c %s "$TMP/outside.orig"))"
cmp -s "$TMP/outside.gz" "$TMP/outside.gz.orig" ||
    fail "hard link (gz): the file it links to was changed"
for n in 1 2; do
	o=$TMP/outside.pcap
	[ "$n" = 1 ] || o=$TMP/outside.gz
	[ "$(stat -c %i "${HT}$n" 2>/dev/null)" = "$(stat -c %i "$o")" ] ||
	    fail "hard link $n: ${HT##*/}$n was removed or replaced: $(ls "$H")"
	grep -qF "left '${HT}$n' alone: it has 2 links" "$TMP/hostile.err" ||
	    fail "hard link $n: no warning naming it: $(cat "$TMP/hostile.err")"
done
[ -L "${HT}3" ] || fail "symlink: removed or replaced: $(ls "$H")"
grep -qF "left '${HT}3' alone: it is a symbolic link" "$TMP/hostile.err" ||
    fail "symlink: no warning naming it: $(cat "$TMP/hostile.err")"
[ -p "${HT}4" ] || fail "FIFO: removed or replaced: $(ls "$H")"
grep -qF "left '${HT}4' alone: it is not a regular file" "$TMP/hostile.err" ||
    fail "FIFO: no warning naming it: $(cat "$TMP/hostile.err")"
cmp -s "${HT}5" "$TMP/other.orig" ||
    fail "another user's file: changed or moved: $(ls "$H")"
grep -qF "left '${HT}5' alone: it is owned by uid 65534, not by uid $(id -u) that mtracecap runs as" "$TMP/hostile.err" ||
    fail "another user's file: no warning naming it: $(cat "$TMP/hostile.err")"
[ -z "$(find "$H" -maxdepth 1 -name '20231114-221320-0000000[1-5]*')" ] ||
    fail "hostile: something got a final name: $(ls "$H")"
passed "recovery leaves hard links, symlinks, FIFOs and other users' files alone, naming each"

# --- temp files that the user we run as cannot open ---------------------------
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	section
	NB=$TMP/asnobody
	NT=$NB/tmp-$DEAD-20231114-221320-0000000
	mkdir "$NB"
	chmod 711 "$TMP"
	chown nobody "$NB"
	cp "$TMP/ref.pcap" "${NT}1"		# root's
	chmod 600 "${NT}1"
	cp "$TMP/ref.pcap" "${NT}2"		# nobody's, mode 000
	chown nobody "${NT}2"
	chmod 000 "${NT}2"
	rc=0
	timeout 30 "$MTRACECAP" -s 0 -B "pcapfile:$NB" -G 3600 \
	    --relinquish-privileges=nobody "pcapfile:$TMP/ref.pcap" \
	    2>"$TMP/nobody.err" || rc=$?
	[ "$rc" -eq 0 ] || fail "as nobody: exit $rc: $(cat "$TMP/nobody.err")"
	grep -qF "left '${NT}1' alone: it is owned by uid 0, not by uid $(id -u nobody)" "$TMP/nobody.err" ||
	    fail "as nobody: root's temp file skipped without a word: $(cat "$TMP/nobody.err")"
	grep -qF "left '${NT}2' alone: cannot open it: Permission denied" "$TMP/nobody.err" ||
	    fail "as nobody: unreadable temp file skipped without a word: $(cat "$TMP/nobody.err")"
	cmp -s "${NT}1" "$TMP/ref.pcap" && cmp -s "${NT}2" "$TMP/ref.pcap" ||
	    fail "as nobody: a temp file it could not open was changed"
	chmod 700 "$TMP"
	passed "temp files recovery cannot open are left alone with a warning naming them"
else
	echo "note: not root or no user nobody: the EACCES recovery case is not run"
fi

# --- a big compressed temp file: capture goes on, SIGTERM, kill -9 -----------
# A gzip stream (no trailer, as a crash leaves it) that expands to 300 MB
# of pcap: 300000 records of 1000 zero bytes, 1 ms apart from $BIGT.
BIGT=1600000000
BIGN=20231114-221320-00000007
python3 -c '
import struct, sys, zlib
n, t0 = int(sys.argv[2]), int(sys.argv[3])
c = zlib.compressobj(1, zlib.DEFLATED, 31)
with open(sys.argv[1], "wb") as out:
    out.write(c.compress(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)))
    pay, chunk = bytes(1000), []
    for i in range(n):
        chunk.append(struct.pack("<IIII", t0 + i // 1000, (i % 1000) * 1000, 1000, 1000))
        chunk.append(pay)
        if len(chunk) >= 4000:
            out.write(c.compress(b"".join(chunk)))
            chunk = []
    out.write(c.compress(b"".join(chunk)))
    out.write(c.flush(zlib.Z_SYNC_FLUSH))
' "$TMP/big.gz" 300000 "$BIGT"
# stamps DIR: the time stamp of every packet of the big file in DIR's
# files that have a final name (gzip or plain), one a line
stamps() {
	local f
	for f in "$1"/2*; do
		case $f in *.failed) continue;; esac
		plain "$f" "$TMP/st.pcap"
		tcpdump -r "$TMP/st.pcap" -tt -nn 2>/dev/null | cut -d' ' -f1
	done | awk -v t="$BIGT" '$1 ~ /^[0-9]+\.[0-9]+$/ && $1 + 0 < t + 1000'
}
# pcap_writing DIR PID: a temp file of PID's in DIR (not a copy of
# $BIGN) holds a packet
pcap_writing() {
	local f
	for f in "$1"/tmp-"$2"-*; do
		[ "${f%-"$BIGN"}" = "$f" ] &&
		    [ "$(stat -c %s "$f" 2>/dev/null || echo 0)" -gt 24 ] && return 0
	done
	return 1
}

# start_big DIR: DIR holds a copy of the big temp file (of the dead
# $DEAD); start mtracecap on DIR with a FIFO input that sends 20 packets
# and stays open (stderr to DIR.err); sets MTC_PID
start_big() {
	mkdir "$1"
	cp "$TMP/big.gz" "$1/tmp-$DEAD-$BIGN"
	feed "$TMP/fifo" "$TMP/refg.pcap" --count 20 --size 100 --rate 200 \
	    --start 1700002000
	"$MTRACECAP" -s 0 -B "pcapfile:$1" -G 3600 "pcapfile:$TMP/fifo" \
	    2>"$1.err" &
	MTC_PID=$!
	on_exit "kill_child -KILL $MTC_PID"
}

section
G=$TMP/big1
start_big "$G"
i=0
until pcap_writing "$G" "$MTC_PID" || [ $i -ge 60 ]; do
	sleep 0.05
	i=$((i + 1))
done
if ! pcap_writing "$G" "$MTC_PID"; then
	fail "big temp file: no packet written 3 s after the start: capture waits for recovery: $(ls "$G")"
elif [ ! -e "$G/tmp-$DEAD-$BIGN" ] || [ -e "$G/$BIGN" ]; then
	fail "big temp file: recovery was over before the first packet was written"
fi
kill "$FEED_PID"	# EOF: the run ends once recovery is done
wait "$FEED_PID" 2>/dev/null || true
reap_pid "$MTC_PID" 60 "big temp file"
MTC_PID=
[ "$RC" -eq 0 ] || fail "big temp file: exit $RC: $(cat "$G.err")"
n=$(stamps "$G" | sort -u | wc -l)
[ "$n" -eq 300000 ] ||
    fail "big temp file: $n of its 300000 packets recovered: $(ls "$G")"
[ -z "$(tmpfile "$G")" ] || fail "big temp file: temp files left: $(ls "$G")"
passed "a big temp file is recovered beside capture: the first packets are written while it runs"

section
G=$TMP/big2
start_big "$G"
# recovery starts once the inputs are open (a FIFO: once the feeder has
# opened it, slow on a loaded machine); the first packet in the capture
# file says it runs, and it runs for seconds
i=0
until pcap_writing "$G" "$MTC_PID" || [ $i -ge 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
pcap_writing "$G" "$MTC_PID" ||
    fail "SIGTERM during recovery: no packet written 5 s after the start: $(ls "$G")"
t0=$(date +%s%N)
kill -TERM "$MTC_PID"
reap_pid "$MTC_PID" 30 "SIGTERM during recovery"
MTC_PID=
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
kill_child "$FEED_PID"
echo "  SIGTERM during recovery: exit after $ms ms"
[ "$ms" -lt 2000 ] || fail "SIGTERM during recovery: $ms ms to exit (want < 2000)"
[ "$RC" -eq 0 ] || fail "SIGTERM during recovery: exit $RC: $(cat "$G.err")"
cmp -s "$G/tmp-$DEAD-$BIGN" "$TMP/big.gz" ||
    fail "SIGTERM during recovery: the temp file is not left as it was: $(ls "$G")"
[ "$(find "$G" -maxdepth 1 -name 'tmp-*' | wc -l)" -eq 1 ] ||
    fail "SIGTERM during recovery: scratch files left: $(ls "$G")"
grep -qF "stopping: the recovery of '$G/tmp-$DEAD-$BIGN' was interrupted" "$G.err" ||
    fail "SIGTERM during recovery: not said: $(cat "$G.err")"
passed "SIGTERM during recovery ends the run at once and leaves the temp file for the next start"

section
# kill -9 at several moments of one recovery after another, then a run to
# its end: every packet of the big file is in one file, none in two
G=$TMP/big3
mkdir "$G"
cp "$TMP/big.gz" "$G/tmp-$DEAD-$BIGN"
# copy_size DIR: bytes of the largest temp file for $BIGN in DIR but the
# original (the copy that recovery is writing)
copy_size() {
	find "$1" -maxdepth 1 -type f -name "tmp-*-$BIGN" ! -name "tmp-$DEAD-$BIGN" \
	    -printf '%s\n' |
	    sort -n | tail -n 1
}
for moment in 0.3 copy:1 copy:500000 copy:1500000 copy:2090000 1.5 3; do
	"$MTRACECAP" -s 0 -B "pcapfile:$G" -G 3600 "pcapfile:$TMP/ref.pcap" \
	    2>>"$TMP/big3.err" &
	MTC_PID=$!
	on_exit "kill_child -KILL $MTC_PID"
	case $moment in
	copy:*)
		i=0
		until [ "$(copy_size "$G")" -ge "${moment#copy:}" ] 2>/dev/null ||
		    [ $i -ge 400 ] || ! kill -0 "$MTC_PID" 2>/dev/null; do
			sleep 0.02
			i=$((i + 1))
		done;;
	*)	sleep "$moment";;
	esac
	kill -9 "$MTC_PID" 2>/dev/null || true
	wait "$MTC_PID" 2>/dev/null || true
	MTC_PID=
	echo "  kill -9 at $moment: $(ls "$G" | tr '\n' ' ')"
done
rc=0
timeout 60 "$MTRACECAP" -s 0 -B "pcapfile:$G" -G 3600 "pcapfile:$TMP/ref.pcap" \
    2>"$TMP/big3b.err" || rc=$?
[ "$rc" -eq 0 ] || fail "kill -9 during recovery: the restart exited $rc: $(cat "$TMP/big3b.err")"
stamps "$G" >"$TMP/big3.st"
dups=$(sort "$TMP/big3.st" | uniq -d | wc -l)
[ "$dups" -eq 0 ] ||
    fail "kill -9 during recovery: $dups packets are in two files: $(ls "$G")"
n=$(sort -u "$TMP/big3.st" | wc -l)
[ "$n" -eq 300000 ] ||
    fail "kill -9 during recovery: $n of 300000 packets recovered: $(ls "$G")"
[ -z "$(find "$G" -maxdepth 1 -name 'tmp-*')" ] ||
    fail "kill -9 during recovery: temp files left: $(ls "$G")"
passed "kill -9 at any moment of a recovery: the restart recovers every packet once"

# --- live veth input -----------------------------------------------------------
if [ "$(id -u)" -ne 0 ] || ! command -v tcpreplay >/dev/null 2>&1 ||
    ! command -v ip >/dev/null 2>&1; then
	echo "SKIP part: live veth recovery needs root, ip and tcpreplay" >&2
	finish
fi
section
live_setup mtcr lr
python3 "$MKPCAP" "$TMP/sent.pcap" --count 6000 --size 1000 --step-us 500 --id 1
LD=$TMP/live
start_capture "$LD" -s 0 -B "pcapfile:$LD" -G 60 -N "$LD/.seq" "pcapint:$IF1" || finish
replay_start "$NS1" "${IF1}p" "$TMP/sent.pcap" 2000
MTC_PID=$CAP_PID
kill_when_written "$LD" 1000000
CAP_PID=
LT=$(tmpfile "$LD") || fail "live: no temp file after kill -9"
replay_wait
# the restart, on the same directory and seqfile
"$MTRACECAP" -s 0 -B "pcapfile:$LD" -G 60 -N "$LD/.seq" "pcapint:$IF1" 2>"$TMP/live2.err" &
CAP_PID=$!
CAP_ERR=$TMP/live2.err
i=0
until compgen -G "$LD/tmp-$CAP_PID-*" >/dev/null || [ $i -ge 50 ]; do sleep 0.1; i=$((i + 1)); done
stop_capture "live restart"
check_restart "live" "$LD" "$LT" "$TMP/live2.err"
check_prefix "live" "$TMP/sent.pcap" "$RECOVERED"
echo "  live: $K packets kept of $(npackets "$TMP/sent.pcap") sent"
passed "kill -9 (live veth input): recovered, valid, a prefix of what was sent, seq continues"

finish
