#!/bin/bash
# wait_inputs.sh - --wait-for-inputs: a live interface that does not exist
# at start-up is opened when it appears.
#
# A namespace holds the peer of a veth pair (no addresses, 198.18.0.0/15
# frames by tcpreplay inside the namespace, see live_lib.sh) that is
# created only after mtracecap has started.
#  1. without the option a missing interface is a start-up error: exit 1,
#     one line naming the input, no file (for ring: and pcapint:);
#  2. with it (ring: and pcapint:, beside an interface that exists):
#     mtracecap starts, logs "input 'URI': no such interface; waiting for
#     it (--wait-for-inputs)" once, does not spin while it waits (CPU over
#     2 s), captures the existing interface meanwhile; once the veth is
#     created it logs "is back after S s (reopen 1)"; the frames sent
#     then are captured exactly once; SIGTERM: exit 0 within 2 s;
#  3. SIGTERM while still waiting: exit 0 within 2 s, an empty file.
. "$(dirname "$0")/lib.sh"
skip_sanitizer tsan "live capture: libtrace and libpcap are not TSan-clean"
. "$(dirname "$0")/live_lib.sh"

need_root
need_cmd ip tcpreplay tcpdump capinfos mergecap python3

HZ=$(getconf CLK_TCK)
NS1=$(uniq_name mtcw)
NS2=$(uniq_name mtcw)
IF1=$(uniq_name lw)
IF2=$(uniq_name lw)
[ "$NS1" != "$NS2" ] && [ "$IF1" != "$IF2" ] || skip "name clash, rerun"
ip netns add "$NS1" 2>/dev/null || skip "cannot create network namespaces"
ip netns del "$NS1"
make_veth_ns "$NS1" "$IF1"		# exists all along
on_exit _live_kill_children
# IF2 (peer in NS2) comes later
ip netns add "$NS2"
on_exit "ip netns del $NS2"
on_exit "ip link del $IF2"
late_veth() { veth_into "$NS2" "$IF2"; }

python3 "$MKPCAP" "$TMP/a.pcap" --id 1 --size 100 --count 300 --step-us 1000
python3 "$MKPCAP" "$TMP/b.pcap" --id 2 --size 200 --count 300 --step-us 1000 \
    --start 1700000000.0005
nsockets() { find "/proc/$1/fd" -type l -lname 'socket:*' 2>/dev/null | wc -l; }
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }

# --- 1. without the option: a start-up error ---
for fmt in ring pcapint; do
	section
	what="$fmt: missing interface without --wait-for-inputs"
	d=$TMP/nowait-$fmt
	mkdir "$d"
	rc=0
	timeout 10 "$MTRACECAP" -s 0 "pcapfile:$d/out.pcap" "ring:$IF1" "$fmt:$IF2" \
	    >/dev/null 2>"$d.err" || rc=$?
	[ "$rc" = 1 ] || fail "$what: exit $rc, want 1: $(head -3 "$d.err")"
	[ "$(wc -l <"$d.err")" = 1 ] || fail "$what: $(wc -l <"$d.err") lines, want 1: $(head -3 "$d.err")"
	grep -qF "'$fmt:$IF2'" "$d.err" || fail "$what: '$(cat "$d.err")' does not name '$fmt:$IF2'"
	[ -z "$(ls -A "$d")" ] || fail "$what: files left: $(ls -A "$d")"
	passed "$what: exit 1, $(cat "$d.err")"
done

# --- 2. with it: waits, then captures ---
for fmt in ring pcapint; do
	section
	what="$fmt: --wait-for-inputs"
	d=$TMP/wait-$fmt
	start_capture "$d" -v -s 0 -w 200 --wait-for-inputs "pcapfile:$d/out.pcap" \
	    "ring:$IF1" "$fmt:$IF2" || continue
	# (a log line: "mtracecap: ", maybe "warning: ", then spec15.md's text)
	n=$(grep -cxE "mtracecap: (warning: )?input '$fmt:$IF2': no such interface; waiting for it \(--wait-for-inputs\)" "$CAP_ERR" || true)
	[ "$n" = 1 ] || fail "$what: $n waiting lines, want 1: $(head -3 "$CAP_ERR")"
	# the existing interface is captured meanwhile
	replay "$NS1" "${IF1}p" "$TMP/a.pcap" 1000
	c0=$(cpu_ticks "$CAP_PID") t0=$(date +%s%N)
	sleep 2
	c1=$(cpu_ticks "$CAP_PID") t1=$(date +%s%N)
	pct=$(( (c1 - c0) * 100 * 1000000000 / HZ / (t1 - t0) ))
	[ "$pct" -lt 10 ] || fail "$what: $pct% of a core while waiting, want < 10%"
	# opened: one more packet socket in the process (spec15.md names no
	# log line for this case; the back line is noted if there is one)
	s0=$(nsockets "$CAP_PID")
	late_veth
	i=0
	until [ "$(nsockets "$CAP_PID")" -gt "$s0" ]; do
		[ $i -lt 800 ] || { fail "$what: no new socket 40 s after the interface appeared: $(tail -3 "$CAP_ERR")"; break; }
		sleep 0.05
		i=$((i + 1))
	done
	sleep 0.3
	replay "$NS2" "${IF2}p" "$TMP/b.pcap" 1000
	sleep 0.3
	stop_capture "$what"
	# the first wait counts as a gap, the open as a reopen
	check_report "$what" 1 0 300 300
	mergecap -F pcap -w "$TMP/sent.pcap" "$TMP/a.pcap" "$TMP/b.pcap"
	compare_records "$what" 0 "$TMP/sent.pcap" "$d/out.pcap"
	! grep -qE "failed|error" "$CAP_ERR" || fail "$what: $(grep -E "failed|error" "$CAP_ERR")"
	ip link del "$IF2"
	back=$(grep -F "input '$fmt:$IF2' is back" "$CAP_ERR" || echo "no back line")
	passed "$what: ($back) waited (${pct}% CPU), then 300 frames on the late interface, 300 on the other; stopped in $STOP_MS ms"
done

# --- 3. SIGTERM while still waiting ---
section
what="SIGTERM while waiting"
d=$TMP/wait-term
if start_capture "$d" -v -s 0 --wait-for-inputs "pcapfile:$d/out.pcap" "ring:$IF2"; then
	sleep 1.5
	stop_capture "$what"
	[ "$(npackets "$d/out.pcap")" = 0 ] || fail "$what: out.pcap has packets"
	passed "$what: stopped in $STOP_MS ms"
fi

finish
