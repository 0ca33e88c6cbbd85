#!/bin/bash
# live_dark.sh - a busy live input next to a dark one (no traffic, ever).
#
# The merger may hold a packet back for at most -w ms while another live
# input is silent, so for each libtrace live format (ring:, int:, pcapint:)
# with the dark interface as input 0 and the busy one as input 1:
#  - single file: after each burst on the busy interface the temp file
#    holds every packet of it within 1 s, while the capture runs; at the
#    end nothing is lost or duplicated, the order is right and the report
#    says read=0 for the dark input;
#  - -G 1: while traffic still flows, completed files already hold packets;
#    the union of the files is everything sent;
#  - every input silent from the start: SIGTERM (single file) and SIGINT
#    (-G 1) end the process within 2 s with exit status 0, no tmp- file,
#    and valid empty pcap files (the 24-byte header).
. "$(dirname "$0")/lib.sh"
skip_sanitizer tsan "live capture: libtrace and libpcap are not TSan-clean"
. "$(dirname "$0")/live_lib.sh"

need_root
need_cmd ip tcpreplay tcpdump capinfos tracestats mergecap python3

live_setup mtcd ld
# the busy interface is input 1, the dark one input 0
NSB=$NS1 IFB=$IF1 IFD=$IF2

python3 "$MKPCAP" "$TMP/burst1.pcap" --id 1 --size 128 --count 1000
python3 "$MKPCAP" "$TMP/burst2.pcap" --id 2 --size 200 --count 1000
python3 "$MKPCAP" "$TMP/long.pcap" --id 3 --size 128 --count 3000
mergecap -F pcap -w "$TMP/bursts.pcap" "$TMP/burst1.pcap" "$TMP/burst2.pcap"

# replay_busy PCAP PPS - replay_start PCAP into the busy interface.
replay_busy() { replay_start "$NSB" "${IFB}p" "$1" "$2"; }

# start_dark DIR ARGS... - start_capture DIR -s 0 ARGS... with the dark
# and the busy interface of format $fmt as inputs 0 and 1.
start_dark() {
	local dir=$1
	shift
	start_capture "$dir" -s 0 "$@" "$fmt:$IFD" "$fmt:$IFB"
}

# wait_size WHAT FILE BYTES - FILE reaches BYTES within 1 s.
wait_size() {
	local i=0 sz=0
	while [ $i -lt 50 ]; do
		sz=$(stat -c %s "$2" 2>/dev/null || echo 0)
		[ "$sz" -lt "$3" ] || break
		sleep 0.02
		i=$((i + 1))
	done
	[ "$sz" -eq "$3" ] ||
	    fail "$1: temp file has $sz bytes 1 s after the burst, want $3"
}

# segments DIR - the completed -G files of DIR, oldest first
segments() {
	local f
	for f in "$1"/[0-9]*; do
		[ -e "$f" ] && echo "$f"
	done
}

# check_empty WHAT FILE... - each FILE is a valid pcap file without
# packets: a bare 24-byte header.
check_empty() {
	local what=$1 f sz
	shift
	for f in "$@"; do
		check_valid "$what" "$f" 0
		sz=$(stat -c %s "$f" 2>/dev/null || echo missing)
		[ "$sz" = 24 ] || fail "$what: ${f##*/} has $sz bytes, want 24"
	done
}

for fmt in $FORMATS; do
	# --- A. single file: bursts reach the file while the capture runs ---
	what="$fmt: dark+busy"
	d="$TMP/$fmt-file"
	if start_dark "$d" "pcapfile:$d/out.pcap"; then
		tmpf=$(compgen -G "$d/tmp-$CAP_PID-*")
		replay_busy "$TMP/burst1.pcap" 2000
		replay_wait
		wait_size "$what: burst 1" "$tmpf" $((24 + 1000 * (16 + 128)))
		replay_busy "$TMP/burst2.pcap" 2000
		replay_wait
		wait_size "$what: burst 2" "$tmpf" \
		    $((24 + 1000 * (16 + 128) + 1000 * (16 + 200)))
		stop_capture "$what"
		check_report "$what" 1 0 0 2000
		check_valid "$what" "$d/out.pcap" 2000
		compare_records "$what" 1 "$TMP/bursts.pcap" "$d/out.pcap"
		pass "$what: both bursts in the temp file while capturing, stopped in $STOP_MS ms"
	fi

	# --- B. -G 1: completed files hold packets while traffic flows ---
	what="$fmt: dark+busy -G 1"
	d="$TMP/$fmt-rot"
	if start_dark "$d" -G 1 -U -B "pcapfile:$d"; then
		replay_busy "$TMP/long.pcap" 1000
		sleep 2.3
		kill -0 "${REPLAY_PIDS[0]}" 2>/dev/null ||
		    fail "$what: tcpreplay ended early: $(cat "$TMP/replay0.log")"
		n=0
		for f in $(segments "$d"); do
			c=$(npackets "$f") || c=0
			n=$((n + c))
		done
		[ "$n" -gt 0 ] ||
		    fail "$what: no completed file holds a packet 2.3 s into the traffic: $(ls "$d")"
		replay_wait
		sleep 0.3
		stop_capture "$what"
		mapfile -t files < <(segments "$d")
		check_report "$what" ${#files[@]} 0 0 3000
		total=0
		for f in "${files[@]}"; do
			c=$(npackets "$f") || c="error"
			check_valid "$what" "$f" "$c"
			total=$((total + ${c//error/0}))
		done
		[ "$total" -eq 3000 ] ||
		    fail "$what: the files hold $total packets, want 3000"
		compare_records "$what" 1 "$TMP/long.pcap" "${files[@]}"
		pass "$what: $n packets in completed files during the traffic, ${#files[@]} files"
	fi

	# --- C. every input silent: SIGTERM, single file ---
	what="$fmt: all silent, SIGTERM"
	d="$TMP/$fmt-silent"
	if start_dark "$d" "pcapfile:$d/out.pcap"; then
		sleep 1.2
		stop_capture "$what" TERM
		check_report "$what" 1 0 0 0
		check_empty "$what" "$d/out.pcap"
		pass "$what: stopped in $STOP_MS ms"
	fi

	# --- D. every input silent: SIGINT, -G 1 ---
	what="$fmt: all silent -G 1, SIGINT"
	d="$TMP/$fmt-silent-rot"
	if start_dark "$d" -G 1 -U -B "pcapfile:$d"; then
		sleep 2.5
		stop_capture "$what" INT
		mapfile -t files < <(segments "$d")
		[ ${#files[@]} -ge 2 ] ||
		    fail "$what: ${#files[@]} files in 2.5 s, want at least 2"
		check_report "$what" ${#files[@]} 0 0 0
		check_empty "$what" "${files[@]}"
		pass "$what: ${#files[@]} empty files, stopped in $STOP_MS ms"
	fi
done

finish
