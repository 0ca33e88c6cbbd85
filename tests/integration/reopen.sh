#!/bin/bash
# reopen.sh - live inputs survive their interface: reopened after a
# failure, kept across a link down and up, never holding the others back.
#
# Two namespaces each hold one end of a veth pair (no addresses, frames
# from 198.18.0.0/15 by tcpreplay inside the namespace, see live_lib.sh).
# IF1 carries a steady stream (mkpcap id 1) all along; IF2 is the one that
# fails.
#  1. IF2 deleted mid-capture and recreated (same name, peer back in its
#     namespace): one "is down" line, one "is back after S s (reopen 1)"
#     line with S about the time it was gone; exit 0; the totals say
#     gaps=1 reopens=1, IF2's live line too, IF1's gaps=0 reopens=0; the
#     -v file report and the manifest record the gap; every frame sent on
#     IF1, and on IF2 before the delete and after the return, is in the
#     file exactly once, in time order; while IF2 is gone the steady
#     stream is written within -w (plus scheduling slack, not seconds) of
#     its arrival (a tail of the temp file sees each record appear) and
#     its stamps show no hole; the process uses well under 10% of a core.
#  2. IF2 set down and up: the socket is kept (the same socket inodes in
#     /proc/PID/fd), no down line, gaps=0 reopens=0, frames sent after
#     the up are captured.
#  3. SIGTERM while IF2 is deleted and not back (libpcap, and
#     --libtrace-live): no spin (CPU over 3 s), exit 0 within 2 s.
#  4. --relinquish-privileges=USER (a throwaway user): every thread has
#     USER's uids and no capability, except one thread, the opener
#     ("mtc-opener"), whose permitted set is exactly CAP_NET_RAW and
#     CAP_NET_ADMIN (0x3000) and whose effective set is empty; the
#     --post-rotate child holds nothing; IF2 deleted and recreated is
#     reopened all the same.
. "$(dirname "$0")/lib.sh"
skip_sanitizer tsan "live capture: libtrace and libpcap are not TSan-clean"
. "$(dirname "$0")/live_lib.sh"

need_root
need_cmd ip tcpreplay tcpdump capinfos mergecap python3 useradd userdel

W=200			# -w: the longest an idle input may hold the others back
SLACK_MS=800		# scheduling slack on a busy 2-core machine, not seconds
HZ=$(getconf CLK_TCK)

live_setup mtcr lr
use_mkpcap

# steady stream on IF1: 300 pps for about 12 s; bursts on IF2
STEADY_PPS=300
python3 "$MKPCAP" "$TMP/steady.pcap" --id 1 --size 90 --count 3600 --step-us 3333
python3 "$MKPCAP" "$TMP/pre.pcap" --id 2 --size 120 --count 200 --step-us 1000
python3 "$MKPCAP" "$TMP/post.pcap" --id 4 --size 150 --count 200 --step-us 1000 \
    --start 1700000100

# recreate_veth NS IF: the pair IF / IFp again, IFp in NS (make_veth_ns
# registered its removal already)
recreate_veth() { veth_into "$1" "$2"; }

# wait_log REGEX SECONDS: until a line of CAP_ERR matches (grep -E)
wait_log() {
	local i=0 max=$(( $2 * 20 ))
	until grep -qE "$1" "$CAP_ERR"; do
		[ $i -lt $max ] || return 1
		sleep 0.05
		i=$((i + 1))
	done
}

# cpu_ticks PID: utime + stime of the whole process (all its threads)
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }

# no_spin WHAT PID SECONDS: the process uses under 10% of a core meanwhile
no_spin() {
	local c0 c1 t0 t1 pct
	c0=$(cpu_ticks "$2") t0=$(date +%s%N)
	sleep "$3"
	c1=$(cpu_ticks "$2") t1=$(date +%s%N)
	pct=$(( (c1 - c0) * 100 * 1000000000 / HZ / (t1 - t0) ))
	SPIN_PCT=$pct
	[ "$pct" -lt 10 ] ||
	    fail "$1: $pct% of a core over $3 s while the interface is gone, want < 10% (no spin); threads: $(thread_states "$2")"
}

# tail_records FILE_GLOB OUT STOPFILE: in the background, follow the temp
# file as mtracecap writes it; one line per record as it appears:
# "arrival_wall_s stamp_s third_octet_of_src"
TAILER=$TMP/tail.py
cat >"$TAILER" <<'EOF'
import glob, os, struct, sys, time
pat, out, stop = sys.argv[1:4]
f = None
while f is None:
    m = glob.glob(pat)
    if m:
        f = open(m[0], "rb")
    elif os.path.exists(stop):
        sys.exit(0)
    else:
        time.sleep(0.005)
buf = b""
hdr = False
idle_since = None
with open(out, "w") as o:
    while True:
        d = f.read(1 << 20)
        now = time.time()
        if d:
            buf += d
            idle_since = None
        elif os.path.exists(stop):
            if idle_since is None:
                idle_since = now
            elif now - idle_since > 0.3:
                break
        if not hdr and len(buf) >= 24:
            buf = buf[24:]
            hdr = True
        while hdr and len(buf) >= 16:
            sec, usec, incl, orig = struct.unpack("<IIII", buf[:16])
            if len(buf) < 16 + incl:
                break
            pkt = buf[16:16 + incl]
            buf = buf[16 + incl:]
            src = pkt[28] if len(pkt) > 29 else -1
            o.write("%.6f %d.%06d %d\n" % (now, sec, usec, src))
        if not d:
            time.sleep(0.005)
EOF
tail_start() {
	rm -f "$3"
	python3 "$TAILER" "$1" "$2" "$3" &
	TAIL_PID=$!
	on_exit "kill_child $TAIL_PID"
}
tail_stop() {
	: >"$1"
	wait "$TAIL_PID" || fail "the tail of the temp file failed"
}

# steady_checks WHAT TAILLOG FROM TO: over stamps FROM..TO (epoch
# seconds), id 1's records appeared in the file within W + SLACK ms of
# their stamp, and their stamps have no hole over 300 ms
steady_checks() {
	local out
	out=$(awk -v from="$3" -v to="$4" -v lim=$(( W + SLACK_MS )) '
	    $3 == 1 && $2 >= from && $2 <= to {
		n++; l = ($1 - $2) * 1000; if (l > maxl) { maxl = l; at = $2 }
		if (prev != "" && ($2 - prev) * 1000 > maxg) maxg = ($2 - prev) * 1000
		prev = $2 }
	    END {
		if (n < 10) { printf "only %d steady records while the other was gone", n; exit }
		if (maxl > lim) printf "a steady record was written %.0f ms after it arrived (at %s), want <= %d; ", maxl, at, lim
		if (maxg > 300) printf "a %.0f ms hole in the steady stamps; ", maxg
		printf "|%d %.0f %.0f", n, maxl, maxg }' "$2")
	case $out in
	\|*) read -r STEADY_N STEADY_MAXL STEADY_MAXG <<<"${out#|}" ;;
	*) fail "$1: ${out%|*}" ;;
	esac
}

# down_back WHAT URI K: exactly one down line for URI and one back line
# "(reopen K)"; sets BACK_S to its S
down_back() {
	local n
	n=$(grep -cE "^mtracecap: (warning: )?input '$2' is down: .+; reopening it, the other inputs continue\$" "$CAP_ERR" || true)
	[ "$n" = 1 ] || fail "$1: $n down lines for $2, want 1: $(grep -F "'$2'" "$CAP_ERR" | head -3)"
	BACK_S=$(sed -nE "s/^mtracecap: (warning: )?input '$2' is back after ([0-9]+\.[0-9]{2}) s \(reopen $3\)\$/\2/p" "$CAP_ERR")
	n=$(grep -c "is back after" "$CAP_ERR" || true)
	[ -n "$BACK_S" ] && [ "$n" = 1 ] ||
	    fail "$1: want one line \"input '$2' is back after S.SS s (reopen $3)\": $(grep -F "'$2'" "$CAP_ERR" | head -3)"
}

# between WHAT WHICH VALUE LO HI: LO <= VALUE <= HI (decimals)
between() {
	awk -v v="$3" -v lo="$4" -v hi="$5" 'BEGIN { exit !(v != "" && v >= lo && v <= hi) }' ||
	    fail "$1: $2 is '$3', want between $4 and $5"
}

now_s() { date +%s.%N; }

# --- 1. IF2 deleted and recreated ---
section
what="deleted and recreated"
d=$TMP/del
if start_capture "$d" -v -s 0 -w "$W" -B "pcapfile:$d" --manifest \
    "ring:$IF1" "ring:$IF2"; then
	tail_start "$d/tmp-$CAP_PID-*" "$TMP/del.tail" "$TMP/del.stop"
	replay_start "$NS1" "${IF1}p" "$TMP/steady.pcap" "$STEADY_PPS"
	sleep 0.5
	ip netns exec "$NS2" tcpreplay -T nano -i "${IF2}p" --pps=1000 "$TMP/pre.pcap" \
	    >"$TMP/pre.log" 2>&1 || fail "$what: tcpreplay pre: $(cat "$TMP/pre.log")"
	sleep 0.5
	t_del=$(now_s)
	ip link del "$IF2"
	wait_log "^mtracecap: (warning: )?input 'ring:$IF2' is down: " 3 ||
	    fail "$what: no down line 3 s after the delete: $(tail -3 "$CAP_ERR")"
	no_spin "$what" "$CAP_PID" 2.5
	spin=$SPIN_PCT
	t_create=$(now_s)
	recreate_veth "$NS2" "$IF2"
	wait_log "^mtracecap: (warning: )?input 'ring:$IF2' is back after " 40 ||
	    fail "$what: no back line 40 s after the interface returned: $(tail -3 "$CAP_ERR")"
	t_back=$(now_s)
	sleep 0.3
	ip netns exec "$NS2" tcpreplay -T nano -i "${IF2}p" --pps=1000 "$TMP/post.pcap" \
	    >"$TMP/post.log" 2>&1 || fail "$what: tcpreplay post: $(cat "$TMP/post.log")"
	replay_wait
	sleep 0.3
	stop_capture "$what"
	tail_stop "$TMP/del.stop"
	down_back "$what" "ring:$IF2" 1
	# S: at least the time it was gone, at most until the line was seen
	between "$what" "the gap's length S" "$BACK_S" \
	    "$(awk -v a="$t_create" -v b="$t_del" 'BEGIN { print a - b - 0.3 }')" \
	    "$(awk -v a="$t_back" -v b="$t_del" 'BEGIN { print a - b + 0.3 }')"
	[ "$(totval gaps)" = 1 ] && [ "$(totval reopens)" = 1 ] ||
	    fail "$what: totals gaps=$(totval gaps) reopens=$(totval reopens), want 1 and 1: $(grep total: "$CAP_ERR")"
	[ "$(liveval 1 gaps)" = 1 ] && [ "$(liveval 1 reopens)" = 1 ] ||
	    fail "$what: input 1 gaps=$(liveval 1 gaps) reopens=$(liveval 1 reopens), want 1 and 1"
	between "$what" "input 1's down_s" "$(liveval 1 down_s)" \
	    "$(awk -v s="$BACK_S" 'BEGIN { print s - 0.02 }')" \
	    "$(awk -v s="$BACK_S" 'BEGIN { print s + 0.02 }')"
	[ "$(liveval 0 gaps)" = 0 ] && [ "$(liveval 0 reopens)" = 0 ] ||
	    fail "$what: input 0 gaps=$(liveval 0 gaps) reopens=$(liveval 0 reopens), want 0 and 0"
	mapfile -t files < <(find "$d" -maxdepth 1 -name '2*' ! -name '*.json' | sort)
	if [ "${#files[@]}" != 1 ]; then
		fail "$what: ${#files[@]} capture files, want 1: $(ls "$d")"
	else
		f=${files[0]}
		n_steady=$(npackets "$TMP/steady.pcap")
		check_report "$what" 1 0 "$n_steady" 400
		mergecap -F pcap -w "$TMP/del-sent.pcap" "$TMP/steady.pcap" \
		    "$TMP/pre.pcap" "$TMP/post.pcap"
		compare_records "$what" 1 "$TMP/del-sent.pcap" "$f"
		# -v file report: IF2's line has the gap, IF1's none
		v=$(sed -nE "s/^mtracecap:     input=1 ring:$IF2: packets=400 drops=0 gaps=1 down_s=([0-9]+\.[0-9]{2})\$/\1/p" "$CAP_ERR")
		[ -n "$v" ] ||
		    fail "$what: the -v file report's line for input 1 is not 'packets=400 drops=0 gaps=1 down_s=S.SS': $(grep -F "    input=1" "$CAP_ERR")"
		[ -z "$v" ] || between "$what" "the file report's down_s" "$v" \
		    "$(awk -v s="$BACK_S" 'BEGIN { print s - 0.02 }')" \
		    "$(awk -v s="$BACK_S" 'BEGIN { print s + 0.02 }')"
		grep -qE "^mtracecap:     input=0 ring:$IF1: packets=$n_steady drops=0\$" "$CAP_ERR" ||
		    fail "$what: the -v file report's line for input 0: $(grep -F "    input=0" "$CAP_ERR"), want no gap"
		# the manifest: one gap of input 1, closed
		python3 - "$f.json" "ring:$IF2" "$BACK_S" >"$TMP/man.err" 2>&1 <<'EOF' ||
import datetime, json, sys
m = json.load(open(sys.argv[1]))
# gaps are listed per input (the MANIFEST schema in the man page)
ins = m.get("inputs")
assert isinstance(ins, list) and len(ins) == 2, "inputs: %r" % (ins,)
assert ins[1].get("uri") == sys.argv[2], "input 1 is %r" % (ins[1].get("uri"),)
assert ins[0].get("gaps") == [], "input 0 gaps: %r, want none" % (ins[0].get("gaps"),)
g = ins[1].get("gaps")
assert isinstance(g, list) and len(g) == 1, "input 1 gaps: %r, want one" % (g,)
g = g[0]
assert set(g) == {"start", "end", "seconds"}, "gap %r" % (g,)
def ts(s):
    assert s.endswith("Z") and "T" in s, "not ISO-8601 UTC: %r" % s
    base, frac = s[:-1].split(".")
    assert len(frac) == 9, "not nanoseconds: %r" % s
    return datetime.datetime.strptime(base, "%Y-%m-%dT%H:%M:%S").replace(
        tzinfo=datetime.timezone.utc).timestamp() + int(frac) / 1e9
length = ts(g["end"]) - ts(g["start"])
assert abs(length - float(g["seconds"])) < 0.02, "start..end %.3f s, seconds %r" % (length, g["seconds"])
assert abs(float(g["seconds"]) - float(sys.argv[3])) < 0.02, "seconds %r, the log said %s" % (g["seconds"], sys.argv[3])
EOF
		    fail "$what: manifest ${f##*/}.json: $(tail -1 "$TMP/man.err")"
	fi
	# the steady stream meanwhile (stamps from the delete to the return)
	steady_checks "$what" "$TMP/del.tail" "$t_del" "$t_back"
	echo "note: $what: back after ${BACK_S:-?} s; steady: ${STEADY_N:-?} records while gone, latest written ${STEADY_MAXL:-?} ms after arrival, hole ${STEADY_MAXG:-?} ms; ${spin}% CPU"
	passed "$what: back after $BACK_S s; meanwhile $STEADY_N steady records, written at most ${STEADY_MAXL} ms after arrival, largest hole ${STEADY_MAXG} ms; ${spin}% CPU while gone"
fi
REPLAY_PIDS=()

# --- 2. IF2 down and up: the socket stays ---
# socket_inodes PID: the process's open sockets, sorted
socket_inodes() {
	find "/proc/$1/fd" -type l -printf '%l\n' 2>/dev/null | grep '^socket:' | sort | tr '\n' ' '
}
for fmt in ring pcapint; do
	section
	what="$fmt: down and up"
	d=$TMP/updown-$fmt
	start_capture "$d" -v -s 0 -w "$W" "pcapfile:$d/out.pcap" \
	    "$fmt:$IF1" "$fmt:$IF2" || continue
	s0=$(socket_inodes "$CAP_PID")
	ip link set "$IF2" down
	sleep 1.5
	ip link set "$IF2" up
	ip netns exec "$NS2" ip link set "${IF2}p" up
	sleep 1
	s1=$(socket_inodes "$CAP_PID")
	replay "$NS1" "${IF1}p" "$TMP/pre.pcap" 1000 "$NS2" "${IF2}p" "$TMP/post.pcap" 1000
	sleep 0.3
	stop_capture "$what"
	[ "$s0" = "$s1" ] || fail "$what: sockets before: $s0, after: $s1: not kept"
	! grep -q "is down" "$CAP_ERR" || fail "$what: $(grep "is down" "$CAP_ERR")"
	[ "$(totval gaps)" = 0 ] && [ "$(totval reopens)" = 0 ] ||
	    fail "$what: totals gaps=$(totval gaps) reopens=$(totval reopens), want 0 and 0: $(grep total: "$CAP_ERR")"
	[ "$(liveval 1 gaps)" = 0 ] && [ "$(liveval 1 reopens)" = 0 ] ||
	    fail "$what: input 1 gaps=$(liveval 1 gaps) reopens=$(liveval 1 reopens), want 0 and 0"
	check_report "$what" 1 0 200 200
	mergecap -F pcap -w "$TMP/ud-sent.pcap" "$TMP/pre.pcap" "$TMP/post.pcap"
	compare_records "$what" 0 "$TMP/ud-sent.pcap" "$d/out.pcap"
	passed "$what: socket kept, no reopen, 400 frames after the up"
done

# --- 3. SIGTERM while the interface is gone ---
for opt in "" --libtrace-live; do
	section
	what="SIGTERM while gone${opt:+ ($opt)}"
	d=$TMP/term${opt:+-lt}
	# shellcheck disable=SC2086
	start_capture "$d" -v $opt -s 0 -w "$W" "pcapfile:$d/out.pcap" \
	    "ring:$IF1" "ring:$IF2" || continue
	ip link del "$IF2"
	wait_log "^mtracecap: (warning: )?input 'ring:$IF2' is down: " 3 ||
	    fail "$what: no down line 3 s after the delete: $(tail -3 "$CAP_ERR")"
	no_spin "$what" "$CAP_PID" 3
	spin=$SPIN_PCT
	stop_capture "$what"
	[ "$(totval gaps)" = 1 ] || fail "$what: totals gaps=$(totval gaps), want 1 (still down at the stop)"
	! grep -q "is back after" "$CAP_ERR" || fail "$what: $(grep "is back after" "$CAP_ERR")"
	recreate_veth "$NS2" "$IF2"
	passed "$what: ${spin}% CPU over 3 s, stopped in $STOP_MS ms"
done

# --- 4. after --relinquish-privileges ---
U=$(uniq_name mtcu)
! getent passwd "$U" >/dev/null && ! getent group "$U" >/dev/null ||
    skip "user $U exists, rerun"
on_exit "retry userdel $U"
retry useradd -r -M -s /usr/sbin/nologin -U "$U" ||
    skip "cannot create user $U: $(cat "$TMP/retry.err")"
UID_U=$(id -u "$U")
chmod 711 "$TMP"
REC=$TMP/rec
mkdir -m 777 "$REC"
cat >"$TMP/probe" <<'EOF'
#!/bin/sh
grep -E '^(Uid|CapInh|CapPrm|CapEff|CapAmb):' /proc/$$/status >"$1/hook.$$.tmp" &&
    mv "$1/hook.$$.tmp" "$1/hook.$$.info"
EOF
chmod 755 "$TMP/probe"

# thread_caps WHAT PID: USER's uids everywhere; no capability in any
# thread but the opener ("mtc-opener", exactly one), whose permitted set
# is CAP_NET_RAW|CAP_NET_ADMIN and whose other sets are empty
thread_caps() {
	local what=$1 t comm v c openers=0 n=0
	for t in /proc/"$2"/task/*; do
		cp "$t/status" "$TMP/th.status" 2>/dev/null || continue
		comm=$(cat "$t/comm" 2>/dev/null || echo '?')
		n=$((n + 1))
		v=$(awk '/^Uid:/ {print $2, $3, $4, $5}' "$TMP/th.status")
		[ "$v" = "$UID_U $UID_U $UID_U $UID_U" ] ||
		    fail "$what: thread ${t##*/} ($comm): Uid: $v, want $UID_U x4"
		for c in CapInh CapEff CapAmb CapPrm; do
			v=$(awk -v c="$c:" '$1 == c {print $2}' "$TMP/th.status")
			if [ "$c" = CapPrm ] && [ "$comm" = mtc-opener ]; then
				openers=$((openers + 1))
				[ "$v" = 0000000000003000 ] ||
				    fail "$what: opener thread ${t##*/}: CapPrm: $v, want exactly CAP_NET_RAW|CAP_NET_ADMIN (0000000000003000)"
			else
				[ "$v" = 0000000000000000 ] ||
				    fail "$what: thread ${t##*/} ($comm): $c: $v, want 0"
			fi
		done
	done
	[ "$openers" = 1 ] || fail "$what: $openers threads named mtc-opener, want 1 (threads: $(cat /proc/"$2"/task/*/comm | tr '\n' ' '))"
	THREADS=$n
}

section
what="after --relinquish-privileges=$U"
umask 000
d=$TMP/drop
if start_capture "$d" -v -s 0 -w "$W" -B "pcapfile:$d" \
    --post-rotate="$TMP/probe $REC" --relinquish-privileges="$U" \
    "ring:$IF1" "ring:$IF2"; then
	umask 022
	thread_caps "$what: before the delete" "$CAP_PID"
	n0=$THREADS
	ip link del "$IF2"
	wait_log "^mtracecap: (warning: )?input 'ring:$IF2' is down: " 3 ||
	    fail "$what: no down line 3 s after the delete: $(tail -3 "$CAP_ERR")"
	thread_caps "$what: while down" "$CAP_PID"
	recreate_veth "$NS2" "$IF2"
	wait_log "^mtracecap: (warning: )?input 'ring:$IF2' is back after " 40 ||
	    fail "$what: no back line 40 s after the interface returned: $(tail -3 "$CAP_ERR")"
	sleep 0.3
	thread_caps "$what: after the reopen" "$CAP_PID"
	replay "$NS1" "${IF1}p" "$TMP/pre.pcap" 1000 "$NS2" "${IF2}p" "$TMP/post.pcap" 1000
	sleep 0.3
	kill -HUP "$CAP_PID"	# a file complete: the hook runs
	i=0
	until compgen -G "$REC/hook.*.info" >/dev/null || [ $i -ge 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	sleep 0.2
	stop_capture "$what"
	down_back "$what" "ring:$IF2" 1
	check_report "$what" 2 0 200 200
	mapfile -t files < <(find "$d" -maxdepth 1 -name '2*' | sort)
	mergecap -F pcap -w "$TMP/drop-sent.pcap" "$TMP/pre.pcap" "$TMP/post.pcap"
	if [ "${#files[@]}" = 2 ]; then
		compare_records "$what" 0 "$TMP/drop-sent.pcap" "${files[@]}"
	else
		fail "$what: ${#files[@]} capture files after one SIGHUP, want 2: $(ls "$d")"
	fi
	nh=0
	for info in "$REC"/hook.*.info; do
		[ -e "$info" ] || continue
		nh=$((nh + 1))
		v=$(awk '/^Uid:/ {print $2, $3, $4, $5}' "$info")
		[ "$v" = "$UID_U $UID_U $UID_U $UID_U" ] || fail "$what: hook Uid: $v"
		for c in CapInh CapPrm CapEff CapAmb; do
			v=$(awk -v c="$c:" '$1 == c {print $2}' "$info")
			[ "$v" = 0000000000000000 ] || fail "$what: hook $c: $v, want 0"
		done
	done
	[ "$nh" -ge 1 ] || fail "$what: no hook record"
	passed "$what: $n0 threads, one opener with CapPrm 0x3000 only, hook without capabilities; reopened after the drop, 400 frames"
fi
umask 022

finish
