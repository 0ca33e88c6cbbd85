#!/usr/bin/env bash
# stop_after.sh - --stop-after, each kind, on file inputs, a paced FIFO
# and a live veth: packets:N leaves exactly N packets in the files (the
# first N of the input, in order), bytes:SIZE files whose sizes add up to
# at most SIZE with no room for the next record, files:N exactly N files
# (the last one renamed and handed to --post-rotate), the run ending by
# itself with exit 0, what was still taken from the queues counted lost
# with reason stop (exit line lost_stop=, metrics reason="stop");
# duration:S ends a run whose input stays open after S seconds, writing
# everything queued.  Counts by capinfos, contents by tcpdump.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/live_lib.sh"	# inval, totval; the veth case
need_cmd python3 tcpdump capinfos
export LC_ALL=C
shopt -s nullglob
fast_tmp

use_mkpcap
CAP_ERR=$TMP/stderr

# sum_packets DIR: the packets of every file in DIR (capinfos)
sum_packets() {
	local f n=0
	for f in "$1"/*; do n=$((n + $(npackets "$f"))); done
	echo "$n"
}
# sum_bytes DIR: the sizes of every file in DIR
sum_bytes() {
	local f n=0
	for f in "$1"/*; do n=$((n + $(stat -c %s "$f"))); done
	echo "$n"
}
# all_records DIR: records of every file of DIR, in sequence order
all_records() {
	local f
	for f in $(by_seq "$1"); do records "$f"; done
}
# first_records FILE N: records of FILE's first N packets
first_records() { tcpdump -r "$1" -c "$2" -tt -nn -xx -v 2>/dev/null; }
# metric FILE NAME{LABELS}: its value in a metrics textfile
metric() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }

# stopped WHAT RC WRITTEN [KIND]: the run exited 0 with WRITTEN packets
# written, every other packet it read lost with reason stop, and (KIND)
# the log line of the condition reached
stopped() {
	local what=$1 rc=$2 want=$3 kind=${4:-} read lost ls
	[ "$rc" -eq 0 ] || fail "$what: exit status $rc, want 0: $(tail -3 "$CAP_ERR")"
	read=$(inval 0 read)
	lost=$(totval lost)
	ls=$(totval lost_stop)
	[ "$(totval written)" = "$want" ] ||
	    fail "$what: exit line says written=$(totval written), want $want"
	[ -n "$read" ] && [ $((read - want)) = "$lost" ] ||
	    fail "$what: read=$read, written=$want but lost=$lost"
	if [ "${lost:-0}" -gt 0 ]; then
		[ "$ls" = "$lost" ] || fail "$what: lost=$lost but lost_stop=$ls"
	fi
	if [ -n "$kind" ] &&
	    ! grep -qx "mtracecap: --stop-after $kind reached: stopping" "$CAP_ERR"; then
		fail "$what: no line '--stop-after $kind reached: stopping': $(cat "$CAP_ERR")"
	fi
}

# --- packets:N on a file input, -G 2: exactly N, the input's first N ----
section
$MK "$D/in.pcap" --count 2000 --step-us 20000 --size 100 --start $S
out=$FAST_TMP/packets
mkdir "$out"
rc=0
"$MTRACECAP" -v -s 0 -U -B "pcapfile:$out" -G 2 --stop-after packets:123 \
    --metrics-file "$TMP/packets.prom" "pcapfile:$D/in.pcap" 2>"$CAP_ERR" || rc=$?
stopped "packets:123" $rc 123 packets:123
n=$(sum_packets "$out")
[ "$n" = 123 ] || fail "packets:123: the files hold $n packets, want 123"
all_records "$out" >"$TMP/got"
first_records "$D/in.pcap" 123 >"$TMP/want"
cmp -s "$TMP/got" "$TMP/want" ||
    fail "packets:123: the files are not the input's first 123 packets"
ls=$(totval lost_stop)
[ "${ls:-0}" -gt 0 ] || fail "packets:123: nothing counted lost_stop ($(tail -1 "$CAP_ERR"))"
m=$(metric "$TMP/packets.prom" 'mtracecap_output_lost_packets_total{reason="stop"}')
[ "$m" = "$ls" ] || fail "packets:123: metrics reason=\"stop\" says '$m', exit line $ls"
no_tmp "$out"
passed "packets:123 on a file: $n packets in $(ls "$out" | wc -l) files, the input's first; lost_stop=$ls, metrics agree"

# --- bytes:SIZE, -S 1, 1016-byte records: never over, no room for one more
section
$MK "$D/big.pcap" --count 5000 --step-us 1000 --size 1000 --start $S
out=$FAST_TMP/bytes
mkdir "$out"
limit=2500000
rc=0
"$MTRACECAP" -v -s 0 -U -B "pcapfile:$out" -S 1 --stop-after bytes:$limit \
    "pcapfile:$D/big.pcap" 2>"$CAP_ERR" || rc=$?
n=$(sum_packets "$out")
stopped "bytes:$limit" $rc "$n" bytes:$limit
b=$(sum_bytes "$out")
nf=$(ls "$out" | wc -l)
# the next record (1016 bytes) would not fit, even in this file
[ "$b" -le $limit ] && [ $((limit - b)) -lt 1016 ] ||
    fail "bytes:$limit: the files hold $b bytes in all"
[ "$nf" = 3 ] || fail "bytes:$limit: $nf files, want 3 (two of 1 MiB and one more)"
all_records "$out" >"$TMP/got"
first_records "$D/big.pcap" "$n" >"$TMP/want"
cmp -s "$TMP/got" "$TMP/want" || fail "bytes:$limit: not the input's first $n packets"
passed "bytes:$limit with -S 1: $b bytes in $nf files ($n packets), $((limit - b)) bytes short"

# one output file: exactly the records that fit after the header
section
rc=0
"$MTRACECAP" -v -s 0 --stop-after bytes:100000 "pcapfile:$TMP/one.pcap" \
    "pcapfile:$D/big.pcap" 2>"$CAP_ERR" || rc=$?
stopped "bytes:100000 (one file)" $rc 98 bytes:100000
b=$(stat -c %s "$TMP/one.pcap")
n=$(npackets "$TMP/one.pcap")
[ "$b" = $((24 + 98 * 1016)) ] && [ "$n" = 98 ] ||
    fail "bytes:100000: one file of $b bytes, $n packets; want 99592, 98"
passed "bytes:100000 into one file: $n packets, $b bytes"

# --- files:3, -G 2 over 10 s of packets: three files, the hook ran for each
section
$MK "$D/ten.pcap" --count 1000 --step-us 10000 --size 100 --start $S
out=$FAST_TMP/files
mkdir "$out"
cat >"$TMP/hook.sh" <<EOF
#!/bin/sh
echo "\${1##*/}" >>"$TMP/hook.log"
EOF
chmod +x "$TMP/hook.sh"
: >"$TMP/hook.log"
rc=0
"$MTRACECAP" -v -s 0 -U -B "pcapfile:$out" -G 2 --stop-after files:3 \
    --post-rotate="$TMP/hook.sh" "pcapfile:$D/ten.pcap" 2>"$CAP_ERR" || rc=$?
# the packets of [S, S+6): the first three intervals
stopped "files:3" $rc 600 files:3
names=$(cd "$out" && echo *)
want="20231114-221320-00000000 20231114-221322-00000001 20231114-221324-00000002"
[ "$names" = "$want" ] || fail "files:3: files '$names', want '$want'"
for f in "$out"/*; do
	[ "$(npackets "$f")" = 200 ] || fail "files:3: ${f##*/} holds $(npackets "$f") packets, want 200"
done
hooked=$(sort "$TMP/hook.log" | tr '\n' ' ')
[ "$hooked" = "$want " ] || fail "files:3: the hook ran for '$hooked', want '$want'"
no_tmp "$out"
passed "files:3 with -G 2: $names, 200 packets each, each handed to the hook"

# --- duration:2 on a FIFO that stays open: ends after 2 s, all written ----
section
$MK "$D/few.pcap" --count 100 --step-us 1000 --size 100 --start $S
mkfifo "$TMP/hold"
hold_fifo "$D/few.pcap" "$TMP/hold"
t0=$(date +%s%N)
rc=0
timeout 20 "$MTRACECAP" -v -s 0 --stop-after duration:2 "pcapfile:$TMP/dur.pcap" \
    "pcapfile:$TMP/hold" 2>"$CAP_ERR" || rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
stopped "duration:2" $rc 100 duration:2
[ "$(totval lost)" = 0 ] || fail "duration:2: lost=$(totval lost), want 0 (drained)"
[ "$(npackets "$TMP/dur.pcap")" = 100 ] ||
    fail "duration:2: the file holds $(npackets "$TMP/dur.pcap") packets, want 100"
[ "$ms" -ge 2000 ] && [ "$ms" -lt 5000 ] ||
    fail "duration:2: the run took $ms ms, want 2000-5000"
passed "duration:2 on an open FIFO: ended after $ms ms, all 100 packets written"

# --- packets:150 on a paced FIFO (200 pps): ends long before the input ---
section
FEED_FIFO=$TMP/feed
FEED_REF=$TMP/feed.ref.pcap
out=$FAST_TMP/fifo
mkdir "$out"
start_feed --count 1000 --rate 200 --size 100
t0=$(date +%s%N)
start_mtc -v -U -B "pcapfile:$out" -G 1 --stop-after packets:150
reap "packets:150 on a FIFO" 10
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
stopped "packets:150 on a FIFO" "$RC" 150 packets:150
n=$(sum_packets "$out")
[ "$n" = 150 ] || fail "packets:150 on a FIFO: $n packets in the files"
all_records "$out" >"$TMP/got"
first_records "$FEED_REF" 150 >"$TMP/want"
cmp -s "$TMP/got" "$TMP/want" || fail "packets:150 on a FIFO: not the first 150 fed"
[ "$ms" -lt 4000 ] || fail "packets:150 on a FIFO: took $ms ms (the feed lasts 5 s)"
no_tmp "$out"
passed "packets:150 on a FIFO fed at 200 pps: $n packets, ended after $ms ms"

# --- live veth: packets:100 and bytes: (the first file opens before any
# packet) ------------------------------------------------------------------
live_case() {
	local what=$1 out=$2
	shift 2
	mkdir "$out"
	"$MTRACECAP" -v -s 0 -U -B "pcapfile:$out" "$@" "int:$IF1" 2>"$CAP_ERR" &
	CAP_PID=$!
	on_exit "kill_child -KILL $CAP_PID"
	await_start "$CAP_PID" "$CAP_ERR" "$what did not start" 100 0.1 \
	    compgen -G "$out/tmp-$CAP_PID-*" || return 1
	ip netns exec "$NS1" tcpreplay -T nano -i "${IF1}p" --pps=1000 \
	    "$D/live.pcap" >"$TMP/replay.log" 2>&1 || fail "$what: tcpreplay failed"
	reap_pid "$CAP_PID" 10 "$what"
	CAP_PID=
}
if [ "$(id -u)" -ne 0 ]; then
	echo "live cases skipped: not root"
elif sanitizer_build tsan; then
	echo "live cases skipped: TSan build (libpcap is not TSan-clean)"
else
	live_setup_one mtcsa sa
	$MK "$D/live.pcap" --count 1000 --step-us 1000 --size 200 --start $S
	section
	live_case "live packets:100" "$FAST_TMP/live" -G 1 --stop-after packets:100
	stopped "live packets:100" "$RC" 100 packets:100
	n=$(sum_packets "$FAST_TMP/live")
	[ "$n" = 100 ] || fail "live packets:100: $n packets in the files"
	for f in $(by_seq "$FAST_TMP/live"); do tcpdump -r "$f" -t -nn -xx 2>/dev/null; done >"$TMP/got"
	tcpdump -r "$D/live.pcap" -c 100 -t -nn -xx 2>/dev/null >"$TMP/want"
	cmp -s "$TMP/got" "$TMP/want" || fail "live packets:100: not the first 100 frames sent"
	passed "live packets:100: $n packets, the first 100 sent"
	section
	live_case "live bytes:50000" "$FAST_TMP/liveb" --stop-after bytes:50000
	n=$(sum_packets "$FAST_TMP/liveb")
	stopped "live bytes:50000" "$RC" "$n" bytes:50000
	b=$(sum_bytes "$FAST_TMP/liveb")
	# 216-byte records after a 24-byte header: 231 fit
	[ "$b" = $((24 + 231 * 216)) ] && [ "$n" = 231 ] ||
	    fail "live bytes:50000: $b bytes, $n packets; want $((24 + 231 * 216)), 231"
	passed "live bytes:50000: $n packets, $b bytes"
fi
finish
