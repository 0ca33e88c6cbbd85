#!/bin/bash
# fanout.sh - --fanout: one interface read by N sockets of a PACKET_FANOUT
# group, each with its own reader thread, merged back into one source.
#
# One namespace holds one end of a veth pair (no addresses, see
# live_lib.sh); tcpreplay sends 64 UDP flows (tools/mkpcap.py ids 1-64,
# 198.18.ID.1:40000+ID -> 198.19.ID.2:9, PER_ID frames each, every frame
# distinct: id and sequence number in its payload) and mtracecap -vv
# captures the host end with --fanout.  Then:
#  - usage errors (exit 2, one line naming the value, no file): N 0, 65,
#    -1, "x", empty; MODE rollover (spec15.md's message), an unknown word;
#    --fanout with a file input and with --libtrace-live;
#  - N=2 and N=4 with hash (the default), lb, cpu, qm,defrag and N=1:
#    every frame sent captured exactly once, byte for byte (or counted in
#    dropped_by_kernel), in timestamp order (-w 1000), one row for the
#    source (read = written = sent), and at -vv one line per socket K/N
#    whose read, dropped_by_kernel and discarded_at_join add up to the
#    source's; with hash each socket's read is a whole number of flows
#    (a multiple of PER_ID) and every one of the 4 sockets has some;
#    with lb the sockets take turns (within 2 of sent/N each);
#  - one flow only: with hash a single socket reads all of it (the flow is
#    not split), with lb every socket reads a quarter (so the per-socket
#    figures do see the split when there is one);
#  - two inputs on the same interface in one process, and a second
#    process on it at the same time, each --fanout=2: every input gets
#    every frame (each input has a group of its own);
#  - a flood running while the sockets open and join: nothing captured
#    twice (what a socket read before it joined is discarded, counted in
#    discarded_at_join).
. "$(dirname "$0")/lib.sh"
skip_sanitizer tsan "live capture: libtrace and libpcap are not TSan-clean"
. "$(dirname "$0")/live_lib.sh"

need_cmd ip tcpreplay tcpdump capinfos mergecap python3

# --- 1. usage errors (no root needed: nothing is opened) ---

use_mkpcap
$MK "$D/f.pcap" --count 10
# bad_usage WHAT WANT ARGS...: mtracecap ARGS ($O is the output) exits 2
# with one line on stderr that contains WANT, and creates no output file
O=pcapfile:$TMP/usage/out.pcap
bad_usage() {
	local what=$1 want=$2 rc=0 n
	shift 2
	rm -rf "$TMP/usage"
	mkdir "$TMP/usage"
	"$MTRACECAP" "$@" >"$TMP/usage.out" 2>"$TMP/usage.err" || rc=$?
	n=$(wc -l <"$TMP/usage.err")
	if [ "$rc" != 2 ]; then
		fail "$what: exit $rc, want 2: $(head -3 "$TMP/usage.err")"
	elif [ "$n" != 1 ]; then
		fail "$what: $n lines on stderr, want 1: $(head -3 "$TMP/usage.err")"
	elif ! grep -qF -- "$want" "$TMP/usage.err"; then
		fail "$what: '$(cat "$TMP/usage.err")' does not say '$want'"
	elif [ -n "$(ls -A "$TMP/usage")" ]; then
		fail "$what: files left: $(ls -A "$TMP/usage")"
	fi
}
section
# WANT: the value, or the word of it that is wrong (grep -F: one a line)
for v in 0 65 -1 x 2x 99999999999999999999 "" 2,hash,x 2,,hash 2,lb,cpu; do
	w=${v##*,}
	[ "$v" != 2,,hash ] || w=
	[ "$v" != 2,lb,cpu ] || w=cpu
	want="'$v'"$'\n'"'$w'"
	[ -n "$v" ] || want="'' for --fanout"$'\n'"empty value for --fanout"
	bad_usage "--fanout=$v" "$want" "--fanout=$v" "$O" ring:lo
done
bad_usage "--fanout 0 (separate argument)" "'0'" --fanout 0 "$O" ring:lo
bad_usage "--fanout=2,bogus" "'bogus'"$'\n'"'2,bogus'" --fanout=2,bogus "$O" ring:lo
bad_usage "--fanout=2,rollover" \
    "mtracecap: invalid value 'rollover' for --fanout: rollover splits flows; use hash, lb, cpu or qm" \
    --fanout=2,rollover "$O" ring:lo
bad_usage "--fanout=2,lb,rollover" "rollover" --fanout=2,lb,rollover "$O" ring:lo
bad_usage "--fanout on a file input" "'$D/f.pcap'" --fanout=2 "$O" "$D/f.pcap"
bad_usage "--fanout on a file input beside a live one" "'$D/f.pcap'" \
    --fanout=2 "$O" ring:lo "$D/f.pcap"
bad_usage "--fanout with --libtrace-live" "--fanout" --fanout=2 --libtrace-live "$O" ring:lo
grep -qE -e "--libtrace-live|ring:lo" "$TMP/usage.err" ||
    fail "--fanout with --libtrace-live: '$(cat "$TMP/usage.err")' names neither --libtrace-live nor the input"
passed "usage errors: N outside 1-64, unknown and rollover modes, file inputs, --libtrace-live: exit 2, one line, no file"

# --- live ---

need_root
live_setup_one mtcf lf

PPS=4000
PER_ID=40
ids=()
for i in $(seq 1 64); do ids+=("$i:100"); done
gen "$TMP/sent.pcap" "${ids[@]}"
N=$(npackets "$TMP/sent.pcap")
[ "$N" = $((64 * PER_ID)) ] || fail "sent.pcap has $N frames, want $((64 * PER_ID))"
# one flow alone (id 100), for the split checks
python3 "$MKPCAP" "$TMP/one.pcap" --id 100 --size 100 --count 800 --step-us 100
N1=800

# socket_sums WHAT I NSOCK: the -vv lines of input I's sockets are
# 1/NSOCK..NSOCK/NSOCK (or 0/NSOCK..NSOCK-1/NSOCK) and their read,
# dropped_by_kernel and discarded_at_join add up to the source's (the
# row's; the live line's); SOCK_READ and SOCK_DROP get each socket's
# figures, in order of K.
socket_sums() {
	local what=$1 i=$2 n=$3 f ks want0 want1 sum v
	SOCK_READ=() SOCK_DROP=()
	ks=$(sockvals "$i" read | awk '{ print $1 "/" $2 }' | sort -n | tr '\n' ' ')
	want0=$(for ((k = 0; k < n; k++)); do printf '%d/%d ' "$k" "$n"; done)
	want1=$(for ((k = 1; k <= n; k++)); do printf '%d/%d ' "$k" "$n"; done)
	if [ "$ks" != "$want0" ] && [ "$ks" != "$want1" ]; then
		fail "$what: -vv socket lines for $ks, want $want1: $(grep -F "input=$i " "$CAP_ERR" | head -8)"
		return 1
	fi
	for f in read dropped_by_kernel discarded_at_join; do
		sum=$(sockvals "$i" $f | awk '{ s += $3 } END { print s + 0 }')
		if [ $f = discarded_at_join ]; then v=$(liveval "$i" $f); else v=$(inval "$i" $f); fi
		[ "$sum" = "$v" ] ||
		    fail "$what: the sockets' $f add up to $sum, the source says $v"
	done
	mapfile -t SOCK_READ < <(sockvals "$i" read | sort -n | awk '{ print $3 }')
	mapfile -t SOCK_DROP < <(sockvals "$i" dropped_by_kernel | sort -n | awk '{ print $3 }')
}

# one_row WHAT I: input I has exactly one row, and one live line
one_row() {
	local n
	n=$(inval "$2" read | wc -l)
	[ "$n" = 1 ] || fail "$1: $n report rows for input $2, want 1 (one source)"
	n=$(liveval "$2" gaps | wc -l)
	[ "$n" = 1 ] || fail "$1: $n 'input=$2 URI: gaps=' lines, want 1"
}

# fan_run WHAT DIR SPEC PCAP: mtracecap -vv --fanout=SPEC on IF1 into
# DIR/out.pcap while PCAP is replayed into it, then stopped (stop_capture)
fan_run() {
	start_capture "$2" -vv -s 0 -w 1000 "--fanout=$3" \
	    "pcapfile:$2/out.pcap" "ring:$IF1" || return 1
	replay "$NS1" "${IF1}p" "$4" "$PPS"
	sleep 0.3
	stop_capture "$1"
}

# --- 2. 64 flows, N sockets, each mode ---
KDROPS_OK=1
for spec in 2 4 4,lb 2,cpu 2,qm,defrag 1; do
	section
	n=${spec%%,*}
	what="--fanout=$spec"
	fan_run "$what" "$TMP/f-${spec//,/-}" "$spec" "$TMP/sent.pcap" || continue
	d=$CAP_DIR
	one_row "$what" 0
	check_report "$what" 1 0 "$N"
	[ "$(totval dropped_by_kernel)" = "$KDROPS" ] ||
	    fail "$what: total dropped_by_kernel=$(totval dropped_by_kernel), the input says $KDROPS"
	compare_records "$what" 1 "$TMP/sent.pcap" "$d/out.pcap"
	[ "$(liveval 0 discarded_at_join)" = 0 ] ||
	    fail "$what: discarded_at_join=$(liveval 0 discarded_at_join) with no traffic while opening"
	if [ "$n" -gt 1 ]; then
		socket_sums "$what" 0 "$n" || continue
		case $spec in
		2|4)	# hash: whole flows per socket (none dropped)
			for ((k = 0; k < n; k++)); do
				r=${SOCK_READ[k]} dr=${SOCK_DROP[k]}
				[ "$dr" != 0 ] || [ $((r % PER_ID)) = 0 ] ||
				    fail "$what: socket $k read $r frames, not a whole number of $PER_ID-frame flows: a flow was split"
				[ "$n" != 4 ] || [ "$((r + dr))" -gt 0 ] ||
				    fail "$what: socket $k got none of 64 flows: is the group hashing?"
			done ;;
		4,lb)	for ((k = 0; k < n; k++)); do
				r=$(( SOCK_READ[k] + SOCK_DROP[k] ))
				[ "$r" -ge $((N / n - 2)) ] && [ "$r" -le $((N / n + 2)) ] ||
				    fail "$what: socket $k got $r frames, want about $((N / n)) (round robin)"
			done ;;
		esac
	fi
	k=
	[ "$KDROPS" = 0 ] || k=" ($KDROPS dropped by the kernel, counted)"
	passed "$what: $((N - KDROPS)) of $N frames exactly once$k, in order; sockets read ${SOCK_READ[*]:-(one)}"
	SOCK_READ=()
done

# --- 3. one flow: hash keeps it on one socket, lb spreads it ---
for spec in 4 4,lb; do
	section
	what="--fanout=$spec, one flow"
	fan_run "$what" "$TMP/one-${spec//,/-}" "$spec" "$TMP/one.pcap" || continue
	d=$CAP_DIR
	check_report "$what" 1 0 "$N1"
	compare_records "$what" 1 "$TMP/one.pcap" "$d/out.pcap"
	socket_sums "$what" 0 4 || continue
	busy=0
	for ((k = 0; k < 4; k++)); do
		[ $(( SOCK_READ[k] + SOCK_DROP[k] )) = 0 ] || busy=$((busy + 1))
	done
	if [ "$spec" = 4 ]; then
		[ "$busy" = 1 ] ||
		    fail "$what: $busy sockets read the flow (${SOCK_READ[*]}), want 1: hash split a flow"
	else
		[ "$busy" = 4 ] ||
		    fail "$what: $busy sockets read the flow (${SOCK_READ[*]}), want 4 with lb"
	fi
	passed "$what: sockets read ${SOCK_READ[*]}"
done

# --- 4. a group per input: two inputs and a second process on IF1 ---
section
what="two inputs and a second process on one interface, --fanout=2 each"
d="$TMP/groups"
mkdir "$TMP/groups2"
if start_capture "$d" -vv -s 0 -w 1000 --fanout=2 "pcapfile:$d/out.pcap" \
    "ring:$IF1" "pcapint:$IF1"; then
	"$MTRACECAP" -vv -s 0 -w 1000 --fanout=2 "pcapfile:$TMP/groups2/out.pcap" \
	    "ring:$IF1" 2>"$TMP/groups2/stderr" &
	P2=$!
	if await_start "$P2" "$TMP/groups2/stderr" "$what: second process did not start" \
	    100 0.1 compgen -G "$TMP/groups2/tmp-$P2-*"; then
		replay "$NS1" "${IF1}p" "$TMP/sent.pcap" "$PPS"
		sleep 0.3
		kill -TERM "$P2"
		reap_pid "$P2" 3 "$what: second process"
		[ "$RC" = 0 ] || fail "$what: second process exit $RC: $(tail -3 "$TMP/groups2/stderr")"
	fi
	stop_capture "$what"
	KDROPS_OK=0
	check_report "$what" 1 0 "$N" "$N"
	socket_sums "$what: input 0" 0 2 || true
	socket_sums "$what: input 1" 1 2 || true
	mergecap -F pcap -w "$TMP/sent2.pcap" "$TMP/sent.pcap" "$TMP/sent.pcap"
	compare_records "$what" 1 "$TMP/sent2.pcap" "$d/out.pcap"
	CAP_ERR=$TMP/groups2/stderr check_report "$what: second process" 1 0 "$N"
	compare_records "$what: second process" 1 "$TMP/sent.pcap" "$TMP/groups2/out.pcap"
	passed "$what: each input and the other process got all $N frames"
fi

# --- 5. a flood while the sockets open and join: nothing twice ---
# 16 ids x 4000 distinct frames at 40k pps (1.6 s); the capture starts in
# its middle.  Each socket sees every frame until it joins the group.
section
what="--fanout=4 opening during a flood"
parts=()
for i in $(seq 101 116); do
	python3 "$MKPCAP" "$TMP/fl$i.pcap" --id "$i" --size 80 --count 4000 \
	    --step-us 400 --start "1700000000.000$i"
	parts+=("$TMP/fl$i.pcap")
done
mergecap -F pcap -w "$TMP/flood.pcap" "${parts[@]}"
recs "$TMP/flood.pcap" | cut -d' ' -f2- | sort >"$TMP/flood.want"
[ "$(uniq -d "$TMP/flood.want" | wc -l)" = 0 ] || fail "$what: the flood repeats frames"
disc=
for run in 1 2 3; do
	d="$TMP/flood$run"
	replay_start "$NS1" "${IF1}p" "$TMP/flood.pcap" 40000
	sleep 0.3
	start_capture "$d" -vv -s 0 -w 1000 --fanout=4 "pcapfile:$d/out.pcap" \
	    "ring:$IF1" || { replay_wait; continue; }
	replay_wait
	sleep 0.3
	stop_capture "$what"
	r=$(inval 0 read)
	w=$(inval 0 written)
	[ -n "$r" ] && [ "$r" = "$w" ] && [ "$r" -gt 0 ] ||
	    fail "$what: read=$r written=$w, want equal and > 0"
	socket_sums "$what" 0 4 || true
	recs "$d/out.pcap" | cut -d' ' -f2- | sort >"$TMP/flood.got"
	dup=$(uniq -d "$TMP/flood.got" | wc -l)
	extra=$(comm -13 "$TMP/flood.want" "$TMP/flood.got" | wc -l)
	[ "$dup" = 0 ] && [ "$extra" = 0 ] ||
	    fail "$what (run $run): $dup frame(s) captured twice, $extra not sent"
	disc+=" $(liveval 0 discarded_at_join)"
done
passed "$what: 3 runs, no frame twice; discarded_at_join:$disc"

# --- 6. the kernel refuses the join (tests/tools/nofanout.c) ---
# The first socket's join, and a later socket's: one line naming the input
# and the refusal, exit 1, no file (nothing was captured yet).
if cc -shared -fPIC -o "$TMP/nofanout.so" "$TESTS_SRCDIR/tools/nofanout.c" -ldl 2>"$TMP/cc.err"; then
	for after in 0 2; do
		section
		what="--fanout=4, the kernel refuses join $((after + 1))"
		d="$TMP/refused$after"
		mkdir "$d"
		RC=0
		( export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
		  NOFANOUT_AFTER=$after LD_PRELOAD="$TMP/nofanout.so" \
		      exec "$MTRACECAP" --fanout=4 "pcapfile:$d/out.pcap" "ring:$IF1" ) \
		    2>"$d.err" || RC=$?
		[ "$RC" = 1 ] || fail "$what: exit $RC, want 1: $(head -3 "$d.err")"
		[ "$(wc -l <"$d.err")" = 1 ] || fail "$what: $(wc -l <"$d.err") lines, want 1: $(cat "$d.err")"
		want="make a fan-out group for socket 1"
		[ "$after" = 0 ] || want="join socket $((after + 1)) to fan-out group "
		grep -qF "input 'ring:$IF1': the kernel refused to $want" "$d.err" &&
		    grep -qF "Invalid argument" "$d.err" ||
		    fail "$what: the message does not name the input, the socket and the refusal: $(cat "$d.err")"
		[ -z "$(ls -A "$d")" ] || fail "$what: files left: $(ls -A "$d")"
		passed "$what: $(cat "$d.err")"
	done
else
	echo "SKIP part: cannot build tests/tools/nofanout.c: $(head -2 "$TMP/cc.err")" >&2
fi

finish
