#!/bin/bash
# live_veth.sh - live capture from veth pairs in network namespaces.
#
# Two namespaces each hold one end of a veth pair (no addresses); tcpreplay
# injects synthetic frames (198.18.0.0/15, tools/mkpcap.py) into both at the
# same time and mtracecap captures the two host ends into one file.  For each
# libtrace live format (ring:, int:, pcapint:) the readers tcpdump, capinfos
# and tracestats must see:
#  - whole packets (-s 0) and -s 64, read through libpcap and (with
#    --libtrace-live) through libtrace: every sent frame exactly once, byte for
#    byte (its first 64 bytes with -s 64), with pcap "len" equal to the
#    length of the frame that was sent (libtrace adds 4 bytes of FCS to
#    Ethernet wire lengths; mtracecap must take them off again), and an exit
#    report that agrees (read = written = sent per input, no kernel drops,
#    lost=0); SIGTERM stops it within 2 s, exit 0, no tmp- file.  libtrace's
#    own readers may lose a few frames on a busy machine (their ring is
#    libtrace's to size): there every frame is captured or counted in
#    dropped_by_kernel, and read = written = sent - dropped_by_kernel;
#  - order: with -w 1000 the records are in non-decreasing timestamp order
#    and disorders=0.  With the default -w 1 a reader that the scheduler
#    holds back for more than 1 ms may deliver late (the price of -w), so
#    that run checks only that the disorders count is honest;
#  - -F on live inputs: exactly the matching half of the frames;
#  - -G 1: a file every second, traffic or not; empty files are a bare
#    24-byte pcap header; the union of the files is everything sent, in
#    order, each packet in the file of its second;
#  - kernel drops: with the process stopped (SIGSTOP) while frames arrive,
#    read + dropped_by_kernel = sent, and every packet read is written;
#  - the kernel ring of each live input is --capture-buffer MiB (8 by
#    default), as mapped into the process.
#  - traffic on a third interface while the inputs open ends up in no
#    file (libtrace 3's int: socket sees every interface until it is
#    bound, and keeps what it saw unless mtracecap empties it).
. "$(dirname "$0")/lib.sh"
skip_sanitizer tsan "live capture: libtrace and libpcap are not TSan-clean"
. "$(dirname "$0")/live_lib.sh"

need_root
need_cmd ip tcpreplay tcpdump capinfos tracestats editcap mergecap python3

PPS=2000		# per interface
PER_ID=500		# frames per id; 4 ids per interface

live_setup mtcv lv

# --- traffic ---

# Sizes around the FCS rule and the 64-byte snaplen: the 60-byte minimum,
# exactly 64, 64 + 2, 64 + 3, and large frames.
gen_sent "1:60 3:64 5:67 7:1514" "2:61 4:66 6:128 8:1000"
editcap -F pcap -s 64 "$TMP/sent.pcap" "$TMP/sent-s64.pcap"

# replay_sent - sent1.pcap into IF1 and sent2.pcap into IF2, at PPS each.
replay_sent() {
	replay "$NS1" "${IF1}p" "$TMP/sent1.pcap" "$PPS" \
	    "$NS2" "${IF2}p" "$TMP/sent2.pcap" "$PPS"
}

# check_disorders WHAT - the reported disorders are those in the file (the
# merger compares nanoseconds, so a tie in the file may be one too).
check_disorders() {
	local v
	v=$(totval disorders)
	[ -n "$v" ] && [ "$v" -ge "$BELOW" ] && [ "$v" -le $((BELOW + TIES)) ] ||
	    fail "$1: report says disorders=$v, the file has $BELOW (+ $TIES ties)"
}

# --- 1. both interfaces into one file: -s 0 -w 1000, and -s 64 -w 1 ---
# through libpcap (the default) and through libtrace's own live readers
# (--libtrace-live)

for fmt in $FORMATS; do
    for reader in libpcap libtrace; do
	# libtrace's own readers are not ours to size (pcapint: is libpcap's
	# default 2 MiB ring, retired every millisecond): on a busy machine
	# they may lose a few frames, and then only the count must be true.
	opt=() KDROPS_OK=0
	[ "$reader" = libpcap ] || opt=(--libtrace-live) KDROPS_OK=1
	for snap in 0 64; do
		if [ "$snap" = 0 ]; then
			w=1000 ref="$TMP/sent.pcap" ordered=1 dis=0
		else
			w=1 ref="$TMP/sent-s64.pcap" ordered=0 dis=
		fi
		what="$fmt: ${opt[*]:+${opt[*]} }-s $snap -w $w"
		d="$TMP/$fmt-$reader-s$snap"
		start_capture "$d" "${opt[@]}" -s "$snap" -w "$w" \
		    "pcapfile:$d/out.pcap" "$fmt:$IF1" "$fmt:$IF2" || continue
		replay_sent
		sleep 0.3
		stop_capture "$what"
		check_report "$what" 1 "$dis" "$N1" "$N2"
		check_valid "$what" "$d/out.pcap" $((N1 + N2 - KDROPS))
		compare_records "$what" "$ordered" "$ref" "$d/out.pcap"
		check_disorders "$what"
		lost=
		[ "$KDROPS" = 0 ] || lost=" (+ $KDROPS counted as dropped by the kernel)"
		pass "$what: $((N1 + N2 - KDROPS)) frames from two interfaces$lost, disorders=$(totval disorders), stopped in $STOP_MS ms"
	done
    done
done
KDROPS_OK=0

# --- 2. -F on live inputs: ids 1, 2, 5 and 6 are half of each interface ---

FILTER="udp and (src port 40001 or src port 40002 or src port 40005 or src port 40006)"
tcpdump -r "$TMP/sent.pcap" -w "$TMP/sent-f.pcap" "$FILTER" 2>/dev/null
NF=$(npackets "$TMP/sent-f.pcap")
[ "$NF" -eq $(( (N1 + N2) / 2 )) ] || fail "filter reference has $NF frames"
for fmt in $FORMATS; do
	what="$fmt: -F"
	d="$TMP/$fmt-filter"
	start_capture "$d" -s 0 -w 1000 -F "$FILTER" "pcapfile:$d/out.pcap" \
	    "$fmt:$IF1" "$fmt:$IF2" || continue
	replay_sent
	sleep 0.3
	stop_capture "$what"
	check_report "$what" 1 0 $((N1 / 2)) $((N2 / 2))
	# the kernel's filter does not count what it rejects: no made-up 0
	grep -q "^mtracecap: input=1 .* filtered=unknown " "$CAP_ERR" ||
	    fail "$what: report does not say filtered=unknown: $(grep input=1 "$CAP_ERR")"
	check_valid "$what" "$d/out.pcap" "$NF"
	compare_records "$what" 1 "$TMP/sent-f.pcap" "$d/out.pcap"
	pass "$what: only the $NF matching frames"
done

# --- 3. -G 1 with live inputs: idle, traffic, idle ---

# utc_epoch YYYYMMDD-HHMMSS
utc_epoch() {
	date -u -d "${1:0:4}-${1:4:2}-${1:6:2} ${1:9:2}:${1:11:2}:${1:13:2}" +%s
}
for fmt in $FORMATS; do
	what="$fmt: -G 1"
	d="$TMP/$fmt-rot"
	start_capture "$d" -s 0 -w 1000 -G 1 -U -B "pcapfile:$d" \
	    "$fmt:$IF1" "$fmt:$IF2" || continue
	sleep 1.5
	replay_sent
	sleep 3
	stop_capture "$what"
	files=()
	for f in "$d"/*; do
		case ${f##*/} in
		stderr) ;;
		[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]-[0-9][0-9][0-9][0-9][0-9][0-9]-[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9])
			files+=("$f") ;;
		*)	fail "$what: unexpected file ${f##*/}" ;;
		esac
	done
	[ ${#files[@]} -gt 0 ] || { fail "$what: no files"; continue; }
	[ ${#files[@]} -ge 4 ] ||
	    fail "$what: ${#files[@]} files in about 5.5 s, want at least 4"
	check_report "$what" ${#files[@]} 0 "$N1" "$N2"
	# names: one second and one sequence number apart, no gaps
	prev_t= i=0 total=0 empty_after=0 seen_data=0
	: >"$TMP/offsets"
	for f in "${files[@]}"; do
		b=${f##*/}
		t=$(utc_epoch "$b")
		seq=$((10#${b:16:8}))
		[ "$seq" -eq "$i" ] || fail "$what: $b has sequence $seq, want $i"
		[ -z "$prev_t" ] || [ "$t" -eq $((prev_t + 1)) ] ||
		    fail "$what: $b is $((t - prev_t)) s after the previous file, want 1"
		n=$(npackets "$f") || n="error"
		check_valid "$what" "$f" "$n"
		if [ "$n" = 0 ]; then
			sz=$(stat -c %s "$f")
			[ "$sz" -eq 24 ] ||
			    fail "$what: empty file $b has $sz bytes, want 24"
			[ "$seen_data" -eq 0 ] || empty_after=1
		else
			seen_data=1
			empty_after=0
		fi
		total=$((total + ${n//error/0}))
		# offset of each packet from the start of its file's second
		recs "$f" | awk -v t="$t" '{ print $1 - t }' >>"$TMP/offsets"
		prev_t=$t
		i=$((i + 1))
	done
	[ "$(npackets "${files[0]}")" = 0 ] ||
	    fail "$what: the first file (before any traffic) is not empty"
	[ "$empty_after" -eq 1 ] ||
	    fail "$what: no empty file after the traffic ended"
	[ "$total" -eq $((N1 + N2)) ] ||
	    fail "$what: the files hold $total packets, want $((N1 + N2))"
	compare_records "$what" 1 "$TMP/sent.pcap" "${files[@]}"
	# every file covers one interval [start + k, start + k + 1): the
	# offsets from the names' seconds fit in a window shorter than 1 s
	awk 'NR == 1 { lo = hi = $1 } { if ($1 < lo) lo = $1; if ($1 > hi) hi = $1 }
	    END { if (NR > 0 && (lo < 0 || hi >= 2 || hi - lo >= 1)) {
		printf "offsets from the file names %.6f..%.6f s\n", lo, hi; exit 1 } }' \
	    "$TMP/offsets" >"$TMP/offsets.err" ||
	    fail "$what: packets outside their file's second: $(cat "$TMP/offsets.err")"
	pass "$what: ${#files[@]} files, one a second, $total packets"
done

# --- 4. kernel drops while the process is stopped ---
# A ring of 1 MiB (4 blocks of 256 KiB): a single input's blocks are
# handed over full or after 10 ms, so 4000 frames at 20000/s need more
# blocks than it has, whatever the block timeout.

python3 "$MKPCAP" "$TMP/burst.pcap" --id 9 --size 128 --count 4000
for fmt in $FORMATS; do
	what="$fmt: drops"
	d="$TMP/$fmt-drops"
	start_capture "$d" -s 0 --capture-buffer 1 "pcapfile:$d/out.pcap" \
	    "$fmt:$IF1" || continue
	burst_stopped "$what" "$TMP/burst.pcap" 4000
	r=$R k=$K
	w=$(inval 0 written)
	[ "$w" = "$r" ] || fail "$what: written=$w, want read=$r"
	[ "$(totval lost)" = 0 ] || fail "$what: lost=$(totval lost)"
	check_valid "$what" "$d/out.pcap" "$r"
	# what was captured is a subset of what was sent, each at most once
	recs "$TMP/burst.pcap" | cut -d' ' -f2- | sort >"$TMP/want"
	recs "$d/out.pcap" | cut -d' ' -f2- | sort >"$TMP/got"
	extra=$(comm -13 "$TMP/want" "$TMP/got" | wc -l)
	[ "$extra" -eq 0 ] || fail "$what: $extra records not sent or duplicated"
	pass "$what: read=$r dropped_by_kernel=$k of 4000"
done

# --- 5. --capture-buffer: each live input's kernel ring, 8 MiB by default ---
# A TPACKET_V3 ring is mapped into the process: /proc/PID/maps shows one
# socket mapping of that size per input.
ring_mib() {
	local range path sizes=()
	while read -r range _ _ _ _ path; do
		case $path in
		socket:*) sizes+=($(( (0x${range#*-} - 0x${range%-*}) >> 20 ))) ;;
		esac
	done <"/proc/$1/maps"
	echo "${sizes[*]}"
}
for mb in default 3; do
	what="ring: --capture-buffer $mb"
	d="$TMP/ring-$mb"
	opt=()
	want=8
	[ "$mb" = default ] || { opt=(--capture-buffer "$mb"); want=$mb; }
	start_capture "$d" -s 64 "${opt[@]}" "pcapfile:$d/out.pcap" \
	    "ring:$IF1" "pcapint:$IF2" || continue
	got=$(ring_mib "$CAP_PID")
	stop_capture "$what"
	if [ "$got" = "$want $want" ]; then
		pass "$what: two rings of $want MiB"
	else
		fail "$what: rings of '$got' MiB, want two of $want MiB"
	fi
done

# --- 6. traffic on another interface while the inputs open: none of it ---
# A flood on IF3 (the same frames as section 4's burst, looped) runs while
# each reader opens IF1 and IF2, which stay silent: every file is empty.

NS3=$(uniq_name mtcv)
IF3=$(uniq_name lv)
make_veth_ns "$NS3" "$IF3"
ip netns exec "$NS3" tcpreplay -q -T nano --pps=100000 --loop=0 -i "${IF3}p" \
    "$TMP/burst.pcap" >"$TMP/flood.log" 2>&1 &
REPLAY_PIDS=($!)	# killed at exit if the test dies here
sleep 0.3
rx0=$(cat "/sys/class/net/$IF3/statistics/rx_packets")
t0=$(date +%s%N)
for fmt in $FORMATS; do
    for reader in libpcap libtrace; do
	opt=()
	[ "$reader" = libpcap ] || opt=(--libtrace-live)
	what="$fmt: ${opt[*]:+${opt[*]} }flood on another interface"
	got=
	for k in 1 2 3; do
		d="$TMP/$fmt-$reader-flood$k"
		start_capture "$d" "${opt[@]}" -s 0 "pcapfile:$d/out.pcap" \
		    "$fmt:$IF1" "$fmt:$IF2" || continue 2
		sleep 0.2
		stop_capture "$what"
		got+=" $(npackets "$d/out.pcap")/$(totval written)"
	done
	if [ "$got" = " 0/0 0/0 0/0" ]; then
		pass "$what: 3 runs, no packet in any file"
	else
		fail "$what: packets/written in 3 runs:$got, want 0/0 each"
	fi
    done
done
t1=$(date +%s%N)
rx1=$(cat "/sys/class/net/$IF3/statistics/rx_packets")

# --- 7. a live capture writes its buffers itself: no write-behind -------
# (a merge of files has a thread, mtc-behind, write each full buffer
# while the next fills: merge_files.sh; a live capture's CPU per packet
# would grow for it).  A second of the flood: megabytes, many buffers.
d="$TMP/behind"
if start_capture "$d" -s 0 "pcapfile:$d/out.pcap" "ring:$IF3"; then
	sleep 1
	comms=$(cat /proc/"$CAP_PID"/task/*/comm 2>/dev/null | sort | tr '\n' ' ')
	stop_capture "live, write-behind"
	sz=$(stat -c %s "$d/out.pcap" 2>/dev/null || echo 0)
	if [ "$sz" -le $((2 << 20)) ]; then
		fail "live, write-behind: only $sz bytes captured in 1 s, too few to test"
	elif [[ " $comms" == *" mtc-behind "* ]]; then
		fail "live, write-behind: the live capture has a write-behind thread (threads: $comms)"
	else
		pass "live capture: $sz bytes in 1 s, written by the merging thread itself (threads: $comms)"
	fi
fi
kill_child "${REPLAY_PIDS[@]}"
wait "${REPLAY_PIDS[0]}" 2>/dev/null || true
REPLAY_PIDS=()
# the flood ran all along: at least 10k frames a second on average
[ $((rx1 - rx0)) -ge $(( (t1 - t0) / 100000 )) ] ||
    fail "flood: $((rx1 - rx0)) frames in $(( (t1 - t0) / 1000000 )) ms, too few to test"

finish
