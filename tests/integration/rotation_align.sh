#!/usr/bin/env bash
# rotation_align.sh - --rotate-align: -G intervals on multiples of G
# seconds since the epoch.  By packet time, a file input whose stamps
# start at an odd second and a third and span 10 s, -G 2: the first
# file is named by its first stamp and ends at the next even second, the
# later ones are named by even seconds and hold exactly the packets of
# their interval (without the option they would start at odd seconds).
# Live, -G 2 on a veth started half a second after an odd second: after
# the short first file every file is named by an even second, 2 s after
# the one before (empty intervals too), and holds the frames stamped in
# its interval.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/live_lib.sh"
need_cmd python3 tcpdump capinfos
export LC_ALL=C
shopt -s nullglob
fast_tmp

use_mkpcap

# names DIR: "name packets" of each file of DIR, in name order
names() {
	local f
	for f in "$1"/*; do echo "${f##*/} $(npackets "$f")"; done
}
# epoch NAME: the UTC seconds a -B file name (-U) says
epoch() {
	local b=${1##*/}
	date -u -d "${b:0:4}-${b:4:2}-${b:6:2} ${b:9:2}:${b:11:2}:${b:13:2}" +%s
}

# --- packet time ----------------------------------------------------------
section
$MK "$D/odd.pcap" --count 100 --step-us 100000 --size 100 --start $((S + 1)).25
out=$FAST_TMP/files
mkdir "$out"
rc=0
"$MTRACECAP" -s 0 -U -B "pcapfile:$out" -G 2 --rotate-align \
    "pcapfile:$D/odd.pcap" 2>"$TMP/stderr" || rc=$?
[ "$rc" -eq 0 ] || fail "packet time: exit status $rc: $(cat "$TMP/stderr")"
# stamps S+1.35 ... S+11.25, 0.1 s apart (mkpcap's first is one step in)
cat >"$TMP/want" <<EOF
20231114-221321-00000000 7
20231114-221322-00000001 20
20231114-221324-00000002 20
20231114-221326-00000003 20
20231114-221328-00000004 20
20231114-221330-00000005 13
EOF
names "$out" >"$TMP/got"
cmp -s "$TMP/got" "$TMP/want" ||
    fail "packet time: files $(tr '\n' ' ' <"$TMP/got"), want $(tr '\n' ' ' <"$TMP/want")"
for f in "$out"/*; do
	tcpdump -r "$f" -tt -nn 2>/dev/null | awk '{print $1}'
done >"$TMP/stamps"
tcpdump -r "$D/odd.pcap" -tt -nn 2>/dev/null | awk '{print $1}' | cmp -s - "$TMP/stamps" ||
    fail "packet time: the files' packets are not the input's, in order"
no_tmp "$out"
passed "packet time, -G 2 from an odd second: $(wc -l <"$TMP/got") files, $(awk '{printf "%s ", $2}' "$TMP/got")packets"

# --- live -----------------------------------------------------------------
if [ "$(id -u)" -ne 0 ]; then
	echo "live case skipped: not root"
	finish
fi
if sanitizer_build tsan; then
	echo "live case skipped: TSan build (libtrace and libpcap are not TSan-clean)"
	finish
fi
section
live_setup_one mtcra ra
# 1400 frames at 200 pps: 7 s of traffic
$MK "$D/live.pcap" --count 1400 --step-us 5000 --size 100 --start $S
# start half a second after an odd second: unaligned, the files would
# be named by odd seconds
i=0
while :; do
	now=$(date +%s%N)
	sec=${now:0:10} ms=$((10#${now:10:3}))
	if [ $((sec % 2)) = 1 ] && [ $ms -ge 400 ] && [ $ms -lt 550 ]; then
		break
	fi
	i=$((i + 1))
	[ $i -lt 200 ] || skip "the clock never showed an odd second and a half"
	sleep 0.02
done
start_capture "$FAST_TMP/live" -s 0 -U -G 2 --rotate-align \
    -B "pcapfile:$FAST_TMP/live" "int:$IF1" || finish
replay "$NS1" "${IF1}p" "$D/live.pcap" 200
sleep 0.5
stop_capture "live -G 2 --rotate-align"
rm -f "$FAST_TMP/live/stderr"
files=("$FAST_TMP"/live/*)
[ "${#files[@]}" -ge 4 ] || fail "live: only ${#files[@]} files after 7.5 s with -G 2"
first=$(epoch "${files[0]}")
prev=
total=0
for f in "${files[@]}"; do
	t=$(epoch "$f")
	n=$(npackets "$f")
	total=$((total + n))
	if [ -z "$prev" ]; then
		prev=$t
		continue
	fi
	# the second file starts at the even second after the first one's
	want=$((prev + 2))
	[ "$prev" = "$first" ] && want=$(( (first / 2 + 1) * 2 ))
	[ "$t" = "$want" ] || fail "live: ${f##*/} after $(date -u -d @"$prev" +%H%M%S): want $(date -u -d @"$want" +%H%M%S)"
	[ $((t % 2)) = 0 ] || fail "live: ${f##*/} is not named by an even second"
	# its frames are stamped in [t, t + 2) (a quarter second of slack)
	bad=$(tcpdump -r "$f" -tt -nn 2>/dev/null | awk -v lo="$t" '
	    $1 < lo - 0.25 || $1 >= lo + 2.25 { n++ } END { print n + 0 }')
	[ "$bad" = 0 ] || fail "live: ${f##*/} holds $bad frames stamped outside [$t, $((t + 2)))"
	prev=$t
done
[ "$total" = 1400 ] || fail "live: $total frames in the files, 1400 sent"
passed "live -G 2 started at an odd second and a half: ${#files[@]} files, the first $(( (first / 2 + 1) * 2 - first )) s long, then every 2 s on even seconds; $total frames"
finish
