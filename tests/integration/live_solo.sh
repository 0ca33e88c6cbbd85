#!/bin/bash
# live_solo.sh - a single live input (one stream, nothing to merge it
# with): its kernel ring hands over full blocks, or a block 10 ms after it
# began, rather than every maxwait/3 (issue 19: the wake-ups were most of
# a live capture's CPU time).  What that must not cost, for each libpcap
# live format (ring:, int:, pcapint:):
#  - a stop right after the last frame of a flood still reads every
#    frame the kernel holds (read + dropped_by_kernel = what reached the
#    interface): the reader reads on until the ring is empty and the
#    kernel has handed over its current block (SIGTERM the moment
#    tcpreplay ends; the block is then still the kernel's);
#  - -G 1 --rotate-align puts each packet in the file of its second: an interval ends
#    once the ring can no longer hold its packets, not 1 ms (maxwait)
#    after its end; the union of the files is everything sent, in order.
. "$(dirname "$0")/lib.sh"
skip_sanitizer tsan "live capture: libtrace and libpcap are not TSan-clean"
. "$(dirname "$0")/live_lib.sh"

need_root
need_cmd ip tcpreplay tcpdump capinfos tracestats python3

live_setup_one mtcs ls

# replay_check N - every frame of the last replay_start was sent
replay_check() {
	local ok
	ok=$(awk '/Successful packets:/ {print $3}' "$TMP/replay0.log")
	[ "$ok" = "$1" ] || fail "tcpreplay sent $ok of $1 frames: $(cat "$TMP/replay0.log")"
}

# --- 1. SIGTERM as the last frame of a flood arrives ---
# tcpreplay at top speed: the reader is still busy with what the ring
# holds when the stop comes.  Every frame that reached the interface is
# read or counted as dropped by the kernel, and every frame read is
# written.

python3 "$MKPCAP" "$TMP/flood.pcap" --id 1 --size 100 --count 2000
LOOPS=50
NS=$((2000 * LOOPS))
rxdrops() { cat "/sys/class/net/$IF1/statistics/rx_dropped"; }
for fmt in $FORMATS; do
	what="$fmt: SIGTERM right after a flood"
	d="$TMP/$fmt-stop"
	start_capture "$d" -s 0 "pcapfile:$d/out.pcap" "$fmt:$IF1" || continue
	v0=$(rxdrops)
	rc=0
	ip netns exec "$NS1" tcpreplay -i "${IF1}p" --topspeed --loop="$LOOPS" \
	    "$TMP/flood.pcap" >"$TMP/replay0.log" 2>&1 || rc=$?
	stop_capture "$what"	# at once: no sleep in between
	[ "$rc" -eq 0 ] || fail "$what: tcpreplay exited with $rc"
	replay_check "$NS"
	vd=$(( $(rxdrops) - v0 ))
	r=$(inval 0 read) k=$(inval 0 dropped_by_kernel) wr=$(inval 0 written)
	[ $((r + k)) -eq $((NS - vd)) ] ||
	    fail "$what: read=$r + dropped_by_kernel=$k = $((r + k)), want the $((NS - vd)) frames that reached $IF1 ($vd dropped by the veth)"
	[ "$wr" = "$r" ] || fail "$what: written=$wr, want read=$r"
	[ "$(totval lost)" = 0 ] || fail "$what: lost=$(totval lost)"
	check_valid "$what" "$d/out.pcap" "$r"
	pass "$what: read=$r dropped_by_kernel=$k of $((NS - vd)), stopped in $STOP_MS ms"
done

# --- 2. -G 1: each packet in the file of its second ---

# utc_epoch YYYYMMDD-HHMMSS
utc_epoch() {
	date -u -d "${1:0:4}-${1:4:2}-${1:6:2} ${1:9:2}:${1:11:2}:${1:13:2}" +%s
}
PER_ID=700
gen "$TMP/rot.pcap" 1:80 2:120 3:200	# 2100 frames: 2.6 s at 800 pps
NR=$(npackets "$TMP/rot.pcap")
for fmt in $FORMATS; do
	what="$fmt: -G 1, one input"
	d="$TMP/$fmt-rot"
	start_capture "$d" -s 0 -G 1 --rotate-align -U -B "pcapfile:$d" "$fmt:$IF1" || continue
	replay_start "$NS1" "${IF1}p" "$TMP/rot.pcap" 800
	rc=0
	wait "${REPLAY_PIDS[0]}" || rc=$?
	REPLAY_PIDS=()
	sleep 0.2
	stop_capture "$what"
	[ "$rc" -eq 0 ] || fail "$what: tcpreplay exited with $rc"
	replay_check "$NR"
	files=()
	for f in "$d"/[0-9]*; do files+=("$f"); done
	[ ${#files[@]} -ge 3 ] ||
	    { fail "$what: ${#files[@]} files for 2.6 s of traffic, want >= 3"; continue; }
	check_report "$what" ${#files[@]} 0 "$NR"
	: >"$TMP/offsets"
	total=0
	for f in "${files[@]}"; do
		b=${f##*/}
		n=$(npackets "$f") || n=error
		check_valid "$what" "$f" "$n"
		total=$((total + ${n//error/0}))
		t=$(utc_epoch "$b")
		recs "$f" | awk -v t="$t" -v b="$b" '{ print $1 - t, b }' >>"$TMP/offsets"
	done
	[ "$total" -eq "$NR" ] ||
	    fail "$what: the files hold $total packets, want $NR"
	compare_records "$what" 1 "$TMP/rot.pcap" "${files[@]}"
	# a packet stamped in second s is in the file named after s
	bad=$(awk '$1 < 0 || $1 >= 1 { n++; if (!w) w = $2 " holds one stamped " $1 " s from its start" }
	    END { if (n) print n " packet(s) outside their file'"'"'s second, e.g. " w }' "$TMP/offsets")
	[ -z "$bad" ] || fail "$what: $bad"
	pass "$what: ${#files[@]} files, $total packets, each in its second"
done

finish
