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

need_root
need_cmd ip tcpreplay tcpdump capinfos tracestats mergecap python3

MKPCAP="$TESTS_SRCDIR/tools/mkpcap.py"
FORMATS=${LIVE_FORMATS:-"ring int pcapint"}

NSB=$(uniq_name mtcd)
NSD=$(uniq_name mtcd)
IFB=$(uniq_name ldb)
IFD=$(uniq_name ldd)
[ "$NSB" != "$NSD" ] || skip "name clash, rerun"
ip netns add "$NSB" 2>/dev/null || skip "cannot create network namespaces"
ip netns del "$NSB"
make_veth_ns "$NSB" "$IFB"
make_veth_ns "$NSD" "$IFD"

CAP_PID=
RP_PID=
kill_children() {
	[ -z "$CAP_PID" ] || kill -9 "$CAP_PID"
	[ -z "$RP_PID" ] || kill -9 "$RP_PID"
}
on_exit kill_children

python3 "$MKPCAP" "$TMP/burst1.pcap" --id 1 --size 128 --count 1000
python3 "$MKPCAP" "$TMP/burst2.pcap" --id 2 --size 200 --count 1000
python3 "$MKPCAP" "$TMP/long.pcap" --id 3 --size 128 --count 3000
mergecap -F pcap -w "$TMP/bursts.pcap" "$TMP/burst1.pcap" "$TMP/burst2.pcap"

# replay_start PCAP PPS / replay_wait - tcpreplay PCAP into the busy
# interface from its namespace; replay_wait checks every frame was sent.
# -T nano: tcpreplay's default timer spins a CPU per replay, which on a
# small machine starves the capture threads into kernel drops.
replay_start() {
	RP_N=$(npackets "$1")
	ip netns exec "$NSB" tcpreplay -T nano -i "${IFB}p" --pps="$2" "$1" \
	    >"$TMP/replay.log" 2>&1 &
	RP_PID=$!
}
replay_wait() {
	local rc=0 ok bad
	wait "$RP_PID" || rc=$?
	RP_PID=
	ok=$(awk '/Successful packets:/ {print $3}' "$TMP/replay.log")
	bad=$(awk '/Failed packets:/ {print $3}' "$TMP/replay.log")
	[ "$rc" -eq 0 ] && [ "$ok" = "$RP_N" ] && [ "$bad" = 0 ] ||
	    fail "tcpreplay (exit $rc) sent $ok of $RP_N frames: $(cat "$TMP/replay.log")"
}

# start_capture DIR ARGS... - mtracecap ARGS in the background, stderr in
# DIR/stderr; returns once its first temp file exists (inputs started).
start_capture() {
	local i=0
	CAP_DIR=$1
	CAP_ERR=$1/stderr
	shift
	"$MTRACECAP" "$@" 2>"$CAP_ERR" &
	CAP_PID=$!
	until compgen -G "$CAP_DIR/tmp-$CAP_PID-*" >/dev/null; do
		if ! kill -0 "$CAP_PID" 2>/dev/null || [ $i -ge 100 ]; then
			fail "mtracecap $* did not start: $(cat "$CAP_ERR")"
			kill -9 "$CAP_PID" 2>/dev/null || true
			wait "$CAP_PID" || true
			CAP_PID=
			return 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
}

# stop_capture WHAT [SIGNAL] - it must exit 0 within 2 s, no temp file left.
stop_capture() {
	local t0 t1 i=0 rc=0
	t0=$(date +%s%N)
	kill "-${2:-TERM}" "$CAP_PID"
	while kill -0 "$CAP_PID" 2>/dev/null && [ $i -lt 200 ]; do
		sleep 0.02
		i=$((i + 1))
	done
	t1=$(date +%s%N)
	kill -9 "$CAP_PID" 2>/dev/null || true
	wait "$CAP_PID" || rc=$?
	CAP_PID=
	STOP_MS=$(( (t1 - t0) / 1000000 ))
	[ "$rc" -eq 0 ] || fail "$1: exit status $rc, want 0: $(tail -3 "$CAP_ERR")"
	[ "$STOP_MS" -le 2000 ] ||
	    fail "$1: exited $STOP_MS ms after SIG${2:-TERM}, want <= 2000"
	if compgen -G "$CAP_DIR/tmp-*" >/dev/null; then
		fail "$1: temp file left behind: $(ls "$CAP_DIR")"
	fi
}

inval() { sed -n "s/^mtracecap: input=$1 .* $2=\([0-9]*\).*/\1/p" "$CAP_ERR"; }
totval() { sed -n "s/^mtracecap: total: .*$1=\([0-9]*\).*/\1/p" "$CAP_ERR"; }

# check_report WHAT FILES N0 N1 - input i read and wrote Ni packets, no
# kernel drops; FILES files (unchecked if empty), nothing lost, no disorder.
check_report() {
	local what=$1 files=$2 v f
	for f in read written dropped_by_kernel; do
		v=$(inval 0 $f)
		[ "$v" = 0 ] || fail "$what: report says dark input=0 $f=$v, want 0"
	done
	for f in read written; do
		v=$(inval 1 $f)
		[ "$v" = "$4" ] || fail "$what: report says busy input=1 $f=$v, want $4"
	done
	v=$(inval 1 dropped_by_kernel)
	[ "$v" = 0 ] || fail "$what: report says input=1 dropped_by_kernel=$v, want 0"
	for f in written:$4 lost:0 disorders:0 ${files:+files:$files}; do
		v=$(totval "${f%:*}")
		[ "$v" = "${f#*:}" ] ||
		    fail "$what: report says ${f%:*}=$v, want ${f#*:}"
	done
}

# check_valid WHAT FILE N - tcpdump, capinfos and tracestats agree: N packets.
check_valid() {
	local what=$1 f=$2 n=$3 c
	tcpdump -nn -r "$f" >/dev/null 2>"$TMP/tcpdump.err" ||
	    fail "$what: tcpdump cannot read $f: $(tail -1 "$TMP/tcpdump.err")"
	c=$(npackets "$f") || c="error"
	[ "$c" = "$n" ] || fail "$what: capinfos counts $c packets in $f, want $n"
	c=$(tracestats "pcapfile:$f" 2>"$TMP/tracestats.err" |
	    awk '/Total:/ {print $2}') || c="error"
	[ "$c" = "$n" ] || fail "$what: tracestats counts $c packets in $f, want $n"
}

# recs FILE... - "seconds.micros wirelen hexbytes" per packet (tcpdump).
recs() {
	local f
	for f in "$@"; do
		tcpdump -r "$f" -tt -nn -e -xx 2>/dev/null || true
	done | awk '
		/^[0-9]/ {
			if (r != "") print r
			l = "?"
			if (match($0, /, length [0-9]+: /))
				l = substr($0, RSTART + 9, RLENGTH - 11)
			r = $1 " " l " "
			next
		}
		/^\t0x/ { sub(/^\t0x[0-9a-f]+: +/, ""); gsub(/ /, ""); r = r $0 }
		END { if (r != "") print r }'
}

# compare_records WHAT REF FILE... - same records as REF (wire length and
# bytes, each once), in timestamp order.
compare_records() {
	local what=$1 ref=$2 missing extra dis
	shift 2
	recs "$ref" | cut -d' ' -f2- | sort >"$TMP/want"
	recs "$@" >"$TMP/got.ts"
	cut -d' ' -f2- "$TMP/got.ts" | sort >"$TMP/got"
	missing=$(comm -23 "$TMP/want" "$TMP/got" | wc -l)
	extra=$(comm -13 "$TMP/want" "$TMP/got" | wc -l)
	[ "$missing" -eq 0 ] && [ "$extra" -eq 0 ] ||
	    fail "$what: $missing sent frame(s) not captured as sent, $extra captured record(s) not sent (or twice)"
	dis=$(awk 'NR > 1 && $1 < max { n++ } NR == 1 || $1 > max { max = $1 }
	    END { print n + 0 }' "$TMP/got.ts")
	[ "$dis" -eq 0 ] || fail "$what: $dis record(s) earlier than a record before them"
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

for fmt in $FORMATS; do
	# --- A. single file: bursts reach the file while the capture runs ---
	what="$fmt: dark+busy"
	d="$TMP/$fmt-file"
	mkdir "$d"
	if start_capture "$d" -s 0 "pcapfile:$d/out.pcap" \
	    "$fmt:$IFD" "$fmt:$IFB"; then
		tmpf=$(compgen -G "$d/tmp-$CAP_PID-*")
		replay_start "$TMP/burst1.pcap" 2000
		replay_wait
		wait_size "$what: burst 1" "$tmpf" $((24 + 1000 * (16 + 128)))
		replay_start "$TMP/burst2.pcap" 2000
		replay_wait
		wait_size "$what: burst 2" "$tmpf" \
		    $((24 + 1000 * (16 + 128) + 1000 * (16 + 200)))
		stop_capture "$what"
		check_report "$what" 1 0 2000
		check_valid "$what" "$d/out.pcap" 2000
		compare_records "$what" "$TMP/bursts.pcap" "$d/out.pcap"
		pass "$what: both bursts in the temp file while capturing, stopped in $STOP_MS ms"
	fi

	# --- B. -G 1: completed files hold packets while traffic flows ---
	what="$fmt: dark+busy -G 1"
	d="$TMP/$fmt-rot"
	mkdir "$d"
	if start_capture "$d" -s 0 -G 1 -U -B "pcapfile:$d" \
	    "$fmt:$IFD" "$fmt:$IFB"; then
		replay_start "$TMP/long.pcap" 1000
		sleep 2.3
		kill -0 "$RP_PID" 2>/dev/null ||
		    fail "$what: tcpreplay ended early: $(cat "$TMP/replay.log")"
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
		check_report "$what" ${#files[@]} 0 3000
		total=0
		for f in "${files[@]}"; do
			c=$(npackets "$f") || c="error"
			check_valid "$what" "$f" "$c"
			total=$((total + ${c//error/0}))
		done
		[ "$total" -eq 3000 ] ||
		    fail "$what: the files hold $total packets, want 3000"
		compare_records "$what" "$TMP/long.pcap" "${files[@]}"
		pass "$what: $n packets in completed files during the traffic, ${#files[@]} files"
	fi

	# --- C. every input silent: SIGTERM, single file ---
	what="$fmt: all silent, SIGTERM"
	d="$TMP/$fmt-silent"
	mkdir "$d"
	if start_capture "$d" -s 0 "pcapfile:$d/out.pcap" \
	    "$fmt:$IFD" "$fmt:$IFB"; then
		sleep 1.2
		stop_capture "$what" TERM
		check_report "$what" 1 0 0
		check_valid "$what" "$d/out.pcap" 0
		sz=$(stat -c %s "$d/out.pcap" 2>/dev/null || echo missing)
		[ "$sz" = 24 ] || fail "$what: output has $sz bytes, want 24"
		pass "$what: stopped in $STOP_MS ms"
	fi

	# --- D. every input silent: SIGINT, -G 1 ---
	what="$fmt: all silent -G 1, SIGINT"
	d="$TMP/$fmt-silent-rot"
	mkdir "$d"
	if start_capture "$d" -s 0 -G 1 -U -B "pcapfile:$d" \
	    "$fmt:$IFD" "$fmt:$IFB"; then
		sleep 2.5
		stop_capture "$what" INT
		mapfile -t files < <(segments "$d")
		[ ${#files[@]} -ge 2 ] ||
		    fail "$what: ${#files[@]} files in 2.5 s, want at least 2"
		check_report "$what" ${#files[@]} 0 0
		for f in "${files[@]}"; do
			check_valid "$what" "$f" 0
			sz=$(stat -c %s "$f")
			[ "$sz" = 24 ] || fail "$what: ${f##*/} has $sz bytes, want 24"
		done
		pass "$what: ${#files[@]} empty files, stopped in $STOP_MS ms"
	fi
done

finish
