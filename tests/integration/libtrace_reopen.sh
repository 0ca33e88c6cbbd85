#!/bin/bash
# libtrace_reopen.sh - libtrace's own live readers (--libtrace-live) on a
# veth whose interface fails (#15), for each of ring:, int: and pcapint:
#  - the veth is deleted mid-capture: "is down" is logged, the process
#    uses no CPU to speak of while it is gone (its CPU time over 3 s of the
#    gap: under 10% of a core; libtrace 3's ring: used to poll a pending
#    ENETDOWN at 100%), the veth is made again under the same name, the
#    input is reopened ("is back after S.SS s (reopen 1)"), every frame
#    sent after that is in the file (tcpdump counts them), as is every
#    frame sent before the deletion; SIGTERM: exit 0 within 2 s, the
#    totals say gaps=1 reopens=1 (int: and pcapint: used to end the input
#    as if at end of file, and the run with it);
#  - SIGTERM while the interface is gone ends the run within 2 s, exit 0;
#  - the link set down for 3 s, then up: no CPU spin, no gap (the socket
#    stays, as libpcap's does), and the frames sent once it is up are
#    captured (a pcapint: read used to wait inside libpcap for the link,
#    deaf to SIGTERM);
#  - the link set down while frames arrive at 20000/s, then SIGTERM: it
#    stops within 2 s, exit 0 (three tries each: a pcapint: read that
#    the ENETDOWN reaches inside libpcap waits there, freed at the stop
#    by input_pktsock.c's kick);
#  - --wait-for-inputs: started before the veth exists, it is opened once
#    the veth is made, and captures.
. "$(dirname "$0")/lib.sh"
skip_sanitizer tsan "live capture: libtrace and libpcap are not TSan-clean"
. "$(dirname "$0")/live_lib.sh"

need_root
need_cmd ip tcpreplay tcpdump capinfos python3 getconf

PPS=500
NA=200		# frames sent before the failure (id 1)
NB=200		# frames sent after the return (id 3)
HZ=$(getconf CLK_TCK)
CPU_PCT='' STOP_MS=''

live_setup_one mtlrn mtlr

python3 "$MKPCAP" "$TMP/a.pcap" --id 1 --size 100 --count "$NA"
python3 "$MKPCAP" "$TMP/b.pcap" --id 3 --size 100 --count "$NB"
python3 "$MKPCAP" "$TMP/big.pcap" --id 5 --size 100 --count 40000

# remake_veth - IF1 again (after ip link del), its peer in NS1, both up
remake_veth() {
	ip link add "$IF1" type veth peer name "${IF1}p" netns "$NS1"
	sysctl -qw "net.ipv6.conf.$IF1.disable_ipv6=1" || true
	ip netns exec "$NS1" sysctl -qw "net.ipv6.conf.${IF1}p.disable_ipv6=1" || true
	ip link set "$IF1" up
	ip netns exec "$NS1" ip link set "${IF1}p" up
}

# del_veth WHAT URI - delete IF1; URI must be logged down within 2 s
del_veth() {
	ip link del "$IF1"
	wait_line "input '$2' is down: " 2 ||
	    fail "$1: no 'is down' line: $(tail -3 "$CAP_ERR")"
}

# wait_line PATTERN SECONDS - until PATTERN is in CAP_ERR
wait_line() {
	local i=0 max=$(($2 * 20))
	until grep -q "$1" "$CAP_ERR" || [ $i -ge $max ]; do
		sleep 0.05
		i=$((i + 1))
	done
	grep -q "$1" "$CAP_ERR"
}

# cpu_over WHAT SECONDS - the capture's CPU time (user + system) over
# SECONDS must stay under 10% of a core; sets CPU_PCT
cpu_over() {
	local c0 c1
	c0=$(awk '{print $14 + $15}' "/proc/$CAP_PID/stat" 2>/dev/null) || c0=
	sleep "$2"
	c1=$(awk '{print $14 + $15}' "/proc/$CAP_PID/stat" 2>/dev/null) || c1=
	if [ -z "$c0" ] || [ -z "$c1" ]; then
		fail "$1: mtracecap ended by itself: $(tail -3 "$CAP_ERR")"
		CPU_PCT='?'
		return 0
	fi
	CPU_PCT=$(( (c1 - c0) * 100 / HZ / $2 ))
	[ "$CPU_PCT" -lt 10 ] ||
	    fail "$1: mtracecap used ${CPU_PCT}% of a core over $2 s, want < 10%"
}

# stop_running WHAT - stop_capture WHAT if mtracecap still runs, else a
# failure (it ended by itself)
stop_running() {
	if kill -0 "$CAP_PID" 2>/dev/null; then
		stop_capture "$1"
		return 0
	fi
	fail "$1: mtracecap ended by itself: $(tail -3 "$CAP_ERR")"
	wait "$CAP_PID" || true
	CAP_PID=
}

# count_from WHAT FILE ID N - FILE holds N frames from 198.18.ID.1
count_from() {
	local n
	n=$(tcpdump -nn -r "$2" 2>/dev/null | grep -c " 198\.18\.$3\.1\." || true)
	[ "$n" -eq "$4" ] || fail "$1: $n of the $4 frames of id $3 are in the file"
}

for fmt in $FORMATS; do
	uri=$fmt:$IF1

	# --- the veth deleted mid-capture, then made again ---
	section
	what="$uri deleted"
	d=$TMP/$fmt-del
	if start_capture "$d" --libtrace-live -s 0 "pcapfile:$d/out.pcap" "$uri"; then
		replay "$NS1" "${IF1}p" "$TMP/a.pcap" "$PPS"
		sleep 0.3
		del_veth "$what" "$uri"
		cpu_over "$what, while gone" 3
		remake_veth
		if wait_line "input '$uri' is back after [0-9]*\.[0-9][0-9] s (reopen 1)\$" 10; then
			replay "$NS1" "${IF1}p" "$TMP/b.pcap" "$PPS"
			sleep 0.3
		else
			fail "$what: not reopened 10 s after the veth was back: $(tail -3 "$CAP_ERR")"
		fi
		stop_running "$what"
		v=$(totval gaps)
		[ "$v" = 1 ] || fail "$what: totals say gaps=$v, want 1: $(grep total: "$CAP_ERR")"
		v=$(totval reopens)
		[ "$v" = 1 ] || fail "$what: totals say reopens=$v, want 1"
		grep -q "^mtracecap: input=0 $uri: gaps=1 reopens=1 down_s=" "$CAP_ERR" ||
		    fail "$what: no gap line for the input: $(tail -3 "$CAP_ERR")"
		! grep -q "(input failed)" "$CAP_ERR" || fail "$what: the input is marked failed"
		count_from "$what" "$d/out.pcap" 1 "$NA"
		count_from "$what, after the return" "$d/out.pcap" 3 "$NB"
		passed "$what mid-capture: down, ${CPU_PCT}% of a core while gone, reopened, frames after the return captured, gaps=1, exit 0"
	fi
	ip link show "$IF1" >/dev/null 2>&1 || remake_veth

	# --- SIGTERM while the interface is gone ---
	section
	what="$uri gone, SIGTERM"
	d=$TMP/$fmt-term
	if start_capture "$d" --libtrace-live -s 0 "pcapfile:$d/out.pcap" "$uri"; then
		del_veth "$what" "$uri"
		sleep 1
		stop_running "$what"
		passed "$what: stops in $STOP_MS ms, exit 0"
	fi
	ip link show "$IF1" >/dev/null 2>&1 || remake_veth

	# --- the link down for 3 s, then up ---
	section
	what="$uri link down and up"
	d=$TMP/$fmt-down
	if start_capture "$d" --libtrace-live -s 0 "pcapfile:$d/out.pcap" "$uri"; then
		replay "$NS1" "${IF1}p" "$TMP/a.pcap" "$PPS"
		sleep 0.3
		ip link set "$IF1" down
		sleep 0.2
		cpu_over "$what, while down" 3
		ip link set "$IF1" up
		sleep 0.5
		replay "$NS1" "${IF1}p" "$TMP/b.pcap" "$PPS"
		sleep 0.3
		stop_running "$what"
		! grep -q "is down" "$CAP_ERR" ||
		    fail "$what: a link that only went down is taken for a failure: $(grep 'is down' "$CAP_ERR")"
		v=$(totval gaps)
		[ "$v" = 0 ] || fail "$what: totals say gaps=$v, want 0: $(grep total: "$CAP_ERR")"
		count_from "$what" "$d/out.pcap" 1 "$NA"
		count_from "$what, once up" "$d/out.pcap" 3 "$NB"
		passed "$what: ${CPU_PCT}% of a core while down, no gap, capture resumes, exit 0"
	fi
	ip link set "$IF1" up 2>/dev/null || true

	# --- the link down under traffic, SIGTERM while it is down ---
	# (the ENETDOWN may then reach libpcap before mtracecap: pcapint:
	# waits inside libpcap; three tries, as that is a race)
	section
	what="$uri down under traffic, SIGTERM"
	for try in 1 2 3; do
		d=$TMP/$fmt-busy$try
		start_capture "$d" --libtrace-live -s 0 "pcapfile:$d/out.pcap" "$uri" || break
		ip netns exec "$NS1" tcpreplay -T nano -i "${IF1}p" --pps=20000 \
		    "$TMP/big.pcap" >/dev/null 2>&1 &
		busy=$!
		sleep "0.$((RANDOM % 5 + 3))"
		ip link set "$IF1" down
		sleep 0.5
		stop_running "$what (try $try)"
		kill_child "$busy"
		wait "$busy" 2>/dev/null || true
		ip link set "$IF1" up
	done
	passed "$what: stops in time, exit 0 (3 tries)"

	# --- --wait-for-inputs: started before the veth exists ---
	section
	what="$uri missing at start, --wait-for-inputs"
	d=$TMP/$fmt-wait
	ip link del "$IF1"
	mkdir "$d"
	CAP_DIR=$d CAP_ERR=$d/stderr
	"$MTRACECAP" --libtrace-live --wait-for-inputs -s 0 \
	    "pcapfile:$d/out.pcap" "$uri" 2>"$CAP_ERR" &
	CAP_PID=$!
	if wait_line "input '$uri': no such interface; waiting for it (--wait-for-inputs)\$" 5; then
		remake_veth
		if wait_line "input '$uri' is back after [0-9]*\.[0-9][0-9] s (reopen 1)\$" 10; then
			replay "$NS1" "${IF1}p" "$TMP/b.pcap" "$PPS"
			sleep 0.3
		else
			fail "$what: not opened 10 s after the veth was made: $(tail -3 "$CAP_ERR")"
		fi
		stop_running "$what"
		count_from "$what" "$d/out.pcap" 3 "$NB"
	else
		fail "$what: no 'waiting for it' line: $(tail -3 "$CAP_ERR")"
		stop_running "$what"
	fi
	ip link show "$IF1" >/dev/null 2>&1 || remake_veth
	passed "$what: opened once the veth is there, its frames captured"
done

finish
