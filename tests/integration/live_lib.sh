# live_lib.sh - shared helpers for the live capture tests (live_veth.sh,
# live_dark.sh); sourced after lib.sh, never run.
#
# Two network namespaces each hold one end of a veth pair whose other end
# stays on the host; tcpreplay injects frames from the namespaces while
# mtracecap captures the host ends in the background.  Its exit report and
# its files are then checked with independent readers (tcpdump, capinfos,
# tracestats).
# shellcheck shell=bash

# for the tests that source this file:
# shellcheck disable=SC2034
MKPCAP="$TESTS_SRCDIR/tools/mkpcap.py"
# shellcheck disable=SC2034
FORMATS=${LIVE_FORMATS:-"ring int pcapint"}

CAP_PID=
REPLAY_PIDS=()
_REPLAY_LOGS=()

# Kill what is still running in the background (at exit).
_live_kill_children() {
	kill_child -KILL "$CAP_PID" "${REPLAY_PIDS[@]}"
}

# live_setup NS_PREFIX IF_PREFIX - namespaces NS1 and NS2 holding the
# peers of the host interfaces IF1 and IF2 (see make_veth_ns); skips the
# test if namespaces cannot be created.
live_setup() {
	NS1=$(uniq_name "$1")
	NS2=$(uniq_name "$1")
	IF1=$(uniq_name "$2")
	IF2=$(uniq_name "$2")
	[ "$NS1" != "$NS2" ] && [ "$IF1" != "$IF2" ] || skip "name clash, rerun"
	ip netns add "$NS1" 2>/dev/null || skip "cannot create network namespaces"
	ip netns del "$NS1"
	make_veth_ns "$NS1" "$IF1"
	make_veth_ns "$NS2" "$IF2"
	# registered last, so it runs before the namespaces go
	on_exit _live_kill_children
}

# veth_into NS IF: a veth pair IF / IFp, IFp moved into the existing
# namespace NS, both up, IPv6 off (make_veth_ns without the namespace
# and the cleanups: for an interface that comes late or comes back)
veth_into() {
	ip link add "$2" type veth peer name "${2}p"
	ip link set "${2}p" netns "$1"
	sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1" || true
	ip netns exec "$1" sysctl -qw "net.ipv6.conf.${2}p.disable_ipv6=1" || true
	ip link set "$2" up
	ip netns exec "$1" ip link set "${2}p" up
}

# retry CMD... - passwd/group files are locked while another useradd runs
retry() {
	local i=0
	until "$@" 2>"$TMP/retry.err"; do
		i=$((i + 1))
		[ $i -lt 50 ] || return 1
		sleep 0.1
	done
}

# live_setup_one NS_PREFIX IF_PREFIX - live_setup's first half: namespace
# NS1 holding the peer of the host interface IF1 only
live_setup_one() {
	NS1=$(uniq_name "$1")
	IF1=$(uniq_name "$2")
	ip netns add "$NS1" 2>/dev/null || skip "cannot create network namespaces"
	ip netns del "$NS1"
	make_veth_ns "$NS1" "$IF1"
	# registered last, so it runs before the namespace goes
	on_exit _live_kill_children
}

# --- traffic ---

# gen OUT ID:SIZE... - PER_ID frames (set by the test) for each id,
# interleaved in time (400 us apart per id), merged into OUT
gen() {
	local out=$1 parts=() spec id size
	shift
	for spec in "$@"; do
		id=${spec%:*}
		size=${spec#*:}
		python3 "$MKPCAP" "$TMP/id$id.pcap" --id "$id" --size "$size" \
		    --count "$PER_ID" --step-us 400 \
		    --start "1700000000.0000$id"
		parts+=("$TMP/id$id.pcap")
	done
	mergecap -F pcap -w "$out" "${parts[@]}"
}

# gen_sent "ID:SIZE..." "ID:SIZE..." - gen's traffic for IF1 (TMP/sent1.pcap)
# and IF2 (TMP/sent2.pcap), both merged into TMP/sent.pcap; N1 and N2 their
# frame counts
gen_sent() {
	gen "$TMP/sent1.pcap" $1
	gen "$TMP/sent2.pcap" $2
	N1=$(npackets "$TMP/sent1.pcap")
	N2=$(npackets "$TMP/sent2.pcap")
	mergecap -F pcap -w "$TMP/sent.pcap" "$TMP/sent1.pcap" "$TMP/sent2.pcap"
}

# replay_start NS IF PCAP PPS... - tcpreplay each PCAP into IF from NS,
# all at the same time, in the background (pids in REPLAY_PIDS, logs in
# TMP/replayI.log); replay_wait waits for them and checks that every frame
# was sent.  replay NS IF PCAP PPS... does both.
# -T nano: tcpreplay's default timer spins a CPU per replay, which on a
# small machine starves the capture threads into kernel drops.
replay_start() {
	local i=0 args=("$@")
	_REPLAY_LOGS=()
	# count first, so that the replays start together
	while [ $# -ge 4 ]; do
		_REPLAY_LOGS+=("$TMP/replay$i.log:$(npackets "$3")")
		i=$((i + 1))
		shift 4
	done
	set -- "${args[@]}"
	i=0
	while [ $# -ge 4 ]; do
		ip netns exec "$1" tcpreplay -T nano -i "$2" --pps="$4" "$3" \
		    >"$TMP/replay$i.log" 2>&1 &
		REPLAY_PIDS+=($!)
		i=$((i + 1))
		shift 4
	done
}
replay_wait() {
	local p rc l f n ok bad
	for p in "${REPLAY_PIDS[@]}"; do
		rc=0
		wait "$p" || rc=$?
		[ "$rc" -eq 0 ] || fail "tcpreplay exited with $rc"
	done
	REPLAY_PIDS=()
	for l in "${_REPLAY_LOGS[@]}"; do
		f=${l%:*} n=${l##*:}
		ok=$(awk '/Successful packets:/ {print $3}' "$f")
		bad=$(awk '/Failed packets:/ {print $3}' "$f")
		[ "$ok" = "$n" ] && [ "$bad" = 0 ] ||
		    fail "tcpreplay sent $ok of $n frames ($bad failed): $(cat "$f")"
	done
}
replay() { replay_start "$@"; replay_wait; }

# --- capture ---

# start_capture DIR ARGS... - create DIR, run mtracecap ARGS in the
# background (stderr in DIR/stderr) and wait until its first temp file
# exists in DIR, which happens after every input is open and started.
start_capture() {
	CAP_DIR=$1
	CAP_ERR=$1/stderr
	shift
	mkdir "$CAP_DIR"
	"$MTRACECAP" "$@" 2>"$CAP_ERR" &
	CAP_PID=$!
	await_start "$CAP_PID" "$CAP_ERR" "mtracecap $* did not start" 100 0.1 \
	    compgen -G "$CAP_DIR/tmp-$CAP_PID-*" || { CAP_PID=; return 1; }
}

# stop_capture WHAT [SIGNAL] - SIGNAL (TERM by default); it must exit 0
# within 2 s leaving no temp file.  Sets STOP_MS.
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

# burst_stopped WHAT BURST N - with mtracecap (CAP_PID) stopped by
# SIGSTOP, tcpreplay the N frames of BURST into IF1 at 20000 pps; then let
# it go on and stop it (stop_capture WHAT).  Sets R and K, input 0's read
# and dropped_by_kernel, which must add up to N with K > 0 (the kernel's
# buffer overflowed), else failures.
burst_stopped() {
	kill -STOP "$CAP_PID"
	replay "$NS1" "${IF1}p" "$2" 20000
	kill -CONT "$CAP_PID"
	sleep 0.5
	stop_capture "$1"
	R=$(inval 0 read)
	K=$(inval 0 dropped_by_kernel)
	if [ -z "$R" ] || [ -z "$K" ] || [ $((R + K)) -ne "$3" ]; then
		fail "$1: read=$R + dropped_by_kernel=$K, want $3 (sent)"
	elif [ "$K" -eq 0 ]; then
		fail "$1: the kernel buffer held all $3 frames: drops not exercised"
	fi
}

# Exit report fields: inval INDEX FIELD (the input's row "input=I URI:
# read=..."), totval FIELD; for a live source, liveval INDEX FIELD (its
# second line "input=I URI: gaps=.. reopens=.. down_s=..
# discarded_at_join=..") and, at -vv, sockvals INDEX FIELD: "K N VALUE"
# for each of its fan-out sockets ("input=I URI socket=K/N: ...").
# ERRFILE (default CAP_ERR) may follow FIELD in all of them.
inval() {
	sed -n "/^mtracecap: input=$1 [^ ]*: read=/s/.* $2=\([0-9]*\).*/\1/p" "${3:-$CAP_ERR}"
}
totval() { sed -n "s/^mtracecap: total: .*$1=\([0-9]*\).*/\1/p" "${2:-$CAP_ERR}"; }
liveval() {
	sed -n "/^mtracecap: input=$1 [^ ]*: gaps=/s/.* $2=\([0-9.]*\).*/\1/p" "${3:-$CAP_ERR}"
}
sockvals() {
	sed -n "s/^mtracecap: input=$1 [^ ]* socket=\([0-9]*\)\/\([0-9]*\):.* $2=\([0-9]*\).*/\1 \2 \3/p" \
	    "${3:-$CAP_ERR}"
}

# check_report WHAT FILES DISORDERS N0 N1... - input i read and wrote Ni
# packets with no kernel drops; totals: FILES files and DISORDERS disorders
# (either unchecked if empty), the sum written, nothing lost.  With
# KDROPS_OK=1 an input may have lost frames in the kernel, if it says so:
# then it read and wrote Ni - dropped_by_kernel.  KDROPS is set to the sum
# of the kernel drops (compare_records expects that many frames missing).
KDROPS_OK=0
KDROPS=0
check_report() {
	local what=$1 files=$2 dis=$3 i=0 n sum=0 v f k
	shift 3
	KDROPS=0
	for n in "$@"; do
		k=$(inval $i dropped_by_kernel)
		if [ "$KDROPS_OK" = 1 ] && [ -n "$k" ] && [ "$k" -le "$n" ]; then
			n=$((n - k))
			KDROPS=$((KDROPS + k))
		else
			[ "$k" = 0 ] || fail "$what: report says input=$i dropped_by_kernel=$k, want 0"
		fi
		for f in read written; do
			v=$(inval $i $f)
			[ "$v" = "$n" ] || fail "$what: report says input=$i $f=$v, want $n"
		done
		sum=$((sum + n))
		i=$((i + 1))
	done
	v=$(totval written)
	[ "$v" = "$sum" ] || fail "$what: report says total written=$v, want $sum"
	v=$(totval lost)
	[ "$v" = 0 ] || fail "$what: report says lost=$v, want 0"
	v=$(totval disorders)
	[ -z "$dis" ] || [ "$v" = "$dis" ] ||
	    fail "$what: report says disorders=$v, want $dis"
	if [ -n "$files" ]; then
		v=$(totval files)
		[ "$v" = "$files" ] || fail "$what: report says files=$v, want $files"
	fi
}

# --- verification with independent readers ---

# check_valid WHAT FILE N - tcpdump, capinfos and tracestats read FILE
# without error and count N packets.
check_valid() {
	local what=$1 f=$2 n=$3 c
	tcpdump -nn -r "$f" >/dev/null 2>"$TMP/tcpdump.err" ||
	    fail "$what: tcpdump cannot read $f: $(tail -1 "$TMP/tcpdump.err")"
	c=$(npackets "$f") || c="error"
	[ "$c" = "$n" ] || fail "$what: capinfos counts $c packets in $f, want $n"
	c=$(tracestats "pcapfile:$f" 2>"$TMP/tracestats.err" |
	    awk '/Total:/ {print $2}') || c="error"
	[ "$c" = "$n" ] || fail "$what: tracestats counts $c packets in $f, want $n"
	if grep -qiE 'error|incomplete' "$TMP/tracestats.err"; then
		fail "$what: tracestats: $(grep -iE 'error|incomplete' "$TMP/tracestats.err")"
	fi
}

# recs FILE... - one line per packet as tcpdump sees it, files in order:
# "seconds.micros wirelen hexbytes".
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

# compare_records WHAT ORDERED REF FILE... - the records of FILE... (wire
# length and bytes) equal REF's as a multiset, less the KDROPS frames the
# kernel said it dropped (0 unless KDROPS_OK=1); if ORDERED is 1 they are in
# timestamp order.  Sets BELOW (records earlier than one before them) and
# TIES (records stamped like the latest before them, to the microsecond).
compare_records() {
	local what=$1 ordered=$2 ref=$3 missing extra
	shift 3
	recs "$ref" | cut -d' ' -f2- | sort >"$TMP/want"
	recs "$@" >"$TMP/got.ts"
	cut -d' ' -f2- "$TMP/got.ts" | sort >"$TMP/got"
	missing=$(comm -23 "$TMP/want" "$TMP/got" | wc -l)
	extra=$(comm -13 "$TMP/want" "$TMP/got" | wc -l)
	if [ "$missing" -ne "$KDROPS" ] || [ "$extra" -ne 0 ]; then
		fail "$what: $missing sent frame(s) not captured as sent (the kernel dropped $KDROPS), $extra captured record(s) not sent (or twice)"
		# the same bytes with another wire length?  (head may end a
		# pipe early: that SIGPIPE must not end the test under set -e)
		sort -k2,2 "$TMP/want" >"$TMP/want.k2"
		sort -k2,2 "$TMP/got" >"$TMP/got.k2"
		join -1 2 -2 2 "$TMP/want.k2" "$TMP/got.k2" |
		    awk '$2 != $3 { print "    sent frame of " $2 " bytes has pcap len " $3 " (caplen " length($1) / 2 ")" }' |
		    sort | uniq -c | head -8 >&2 || true
		comm -13 "$TMP/want" "$TMP/got" | cut -c1-72 | sed 's/^/    unexpected: /' | head -3 >&2 || true
		comm -23 "$TMP/want" "$TMP/got" | cut -c1-72 | sed 's/^/    missing: /' | head -3 >&2 || true
	fi
	# shellcheck disable=SC2034	# TIES is for the caller
	read -r BELOW TIES < <(awk 'NR > 1 && $1 < max { b++ } NR > 1 && $1 == max { t++ }
	    NR == 1 || $1 > max { max = $1 } END { print b + 0, t + 0 }' "$TMP/got.ts")
	[ "$ordered" != 1 ] || [ "$BELOW" -eq 0 ] ||
	    fail "$what: $BELOW record(s) earlier than a record before them"
}
