#!/bin/bash
# pcapng_live.sh - live capture from two veth pairs into pcapng.
#
# Two namespaces each hold one end of a veth pair (no addresses, see
# live_lib.sh); tcpreplay sends synthetic frames (198.18.0.0/15,
# tools/mkpcap.py: odd ids into the first interface, even into the second)
# and mtracecap -v captures both host ends into pcapng, for each live
# format (ring:, int:, pcapint:).  Then:
#  - tests/tools/pcapng_check.py accepts the file: two interfaces named
#    after the devices, if_tsresol 9, if_description the URI and the time
#    stamp type obtained, if_os the host's (shb_os: uname's sysname and
#    release, as the man page says for live inputs);
#  - tshark puts each packet on the interface it was sent on, and the
#    records are what was sent (every frame once);
#  - the statistics blocks hold what -v reported: packets, drops (isb_osdrop
#    + isb_ifdrop), read; with the process stopped (SIGSTOP) while frames
#    arrive, the kernel drops some, and the ISB says how many, as -v does;
#  - -B pcapng: -G 1 while traffic flows: every file a whole section with
#    both interfaces, the files together everything sent.
. "$(dirname "$0")/lib.sh"
skip_sanitizer tsan "live capture: libtrace and libpcap are not TSan-clean"
. "$(dirname "$0")/live_lib.sh"

need_root
need_cmd ip tcpreplay tcpdump capinfos tshark mergecap python3

PPS=2000		# per interface
PER_ID=400		# frames per id; 2 ids per interface
NT="python3 $TESTS_SRCDIR/tools/pcapng_stats.py"

live_setup mtcn ln

gen_sent "1:60 3:99" "2:301 4:1514"
replay_sent() {
	replay "$NS1" "${IF1}p" "$TMP/sent1.pcap" "$PPS" \
	    "$NS2" "${IF2}p" "$TMP/sent2.pcap" "$PPS"
}

# on_sent_iface WHAT FILE [EMPTY_OK]: tshark shows every packet on the
# interface it was sent on (odd ids: interface 0, IF1; even: 1, IF2);
# FILE must hold packets unless EMPTY_OK is 1
on_sent_iface() {
	local out
	out=$(tshark -r "$2" -T fields -e frame.interface_id \
	    -e frame.interface_name -e ip.src 2>/dev/null | awk -F'\t' \
	    -v if1="$IF1" -v if2="$IF2" -v empty_ok="${3:-0}" '
	    { split($3, a, "."); w = (a[3] % 2) ? 0 : 1; nm = w ? if2 : if1
	      if ($1 != w || $2 != nm) {
		if (++bad <= 3) printf "packet %d from %s on interface %s (%s), want %d (%s); ", NR, $3, $1, $2, w, nm } }
	    END { if (NR == 0 && !empty_ok) print "no packets"; else if (bad) print bad " on the wrong interface" }')
	[ -z "$out" ] || fail "$1: $out"
}

# isb_vs_v WHAT FILE...: the files' statistics blocks hold what -v
# ($CAP_ERR) reported of them
isb_vs_v() {
	local what=$1 f k=0 pairs=()
	shift
	for f in "$@"; do
		ng_check "$what" "$f" --dump >"$TMP/dump$k" || return 0
		pairs+=("$f=$TMP/dump$k")
		k=$((k + 1))
	done
	$NT isb "$CAP_ERR" "${pairs[@]}" >"$TMP/nt.out" ||
	    fail "$what: statistics against -v: $(cat "$TMP/nt.out")"
}

# --- 1. both interfaces into one pcapng file ---
for fmt in $FORMATS; do
	section
	what="$fmt: pcapng"
	d="$TMP/$fmt-one"
	start_capture "$d" -v -s 0 -w 1000 "pcapng:$d/out.pcapng" \
	    "$fmt:$IF1" "$fmt:$IF2" || continue
	replay_sent
	sleep 0.3
	stop_capture "$what"
	check_report "$what" 1 0 "$N1" "$N2"
	f=$d/out.pcapng
	ng_check "$what" "$f" --ifaces 2 --names "$IF1,$IF2" \
	    --descs "$fmt:$IF1 (time stamps: ,$fmt:$IF2 (time stamps: " \
	    --tsresol 9,9 --counts "$N1,$N2" --no-filter --if-os host \
	    --isb-need starttime,endtime,ifrecv,ifdrop,osdrop,usrdeliv || continue
	terr=$(tshark -r "$f" 2>&1 >/dev/null | grep -v '^Running as user' || true)
	[ -z "$terr" ] || fail "$what: tshark -r: $terr"
	on_sent_iface "$what" "$f"
	compare_records "$what" 1 "$TMP/sent.pcap" "$f"
	isb_vs_v "$what" "$f"
	passed "$what: $((N1 + N2)) frames, each on the interface it was sent on; ISBs as -v says"
done

# --- 2. kernel drops: the ISB counts them as -v does ---
python3 "$MKPCAP" "$TMP/burst.pcap" --id 9 --size 128 --count 4000
for fmt in $FORMATS; do
	section
	what="$fmt: pcapng drops"
	d="$TMP/$fmt-drops"
	start_capture "$d" -v -s 0 "pcapng:$d/out.pcapng" "$fmt:$IF1" "$fmt:$IF2" ||
	    continue
	burst_stopped "$what" "$TMP/burst.pcap" 4000
	r=$R k=$K
	ng_check "$what" "$d/out.pcapng" --ifaces 2 --counts "$r,0" || continue
	isb_vs_v "$what" "$d/out.pcapng"
	# and from the report's numbers directly: interface 0 dropped k
	drops=$(python3 "$TESTS_SRCDIR/tools/pcapng_stats.py" field "$TMP/dump0" \
	    's["interfaces"][0]["isb"].get("osdrop", 0) + s["interfaces"][0]["isb"].get("ifdrop", 0)')
	[ "$drops" = "$k" ] || fail "$what: isb_osdrop + isb_ifdrop = $drops, -v says dropped_by_kernel=$k"
	passed "$what: read=$r dropped_by_kernel=$k of 4000, and so say the ISBs"
done

# --- 3. -B pcapng: -G 1 while traffic flows ---
for fmt in $FORMATS; do
	section
	what="$fmt: -B pcapng: -G 1"
	d="$TMP/$fmt-rot"
	start_capture "$d" -v -s 0 -w 1000 -G 1 -U -B "pcapng:$d" \
	    "$fmt:$IF1" "$fmt:$IF2" || continue
	sleep 1.5
	replay_sent
	sleep 2.5
	stop_capture "$what"
	mapfile -t files < <(find "$d" -name '[0-9]*' | sort)
	# a file a second, traffic or not: empty ones too have both IDBs
	[ "${#files[@]}" -ge 4 ] || { fail "$what: ${#files[@]} files in about 4.5 s, want at least 4"; continue; }
	check_report "$what" "${#files[@]}" 0 "$N1" "$N2"
	ok=1
	for f in "${files[@]}"; do
		ng_check "$what" "$f" --ifaces 2 --names "$IF1,$IF2" --tsresol 9,9 || ok=0
	done
	[ "$ok" = 1 ] || continue
	compare_records "$what" 1 "$TMP/sent.pcap" "${files[@]}"
	for f in "${files[@]}"; do on_sent_iface "$what" "$f" 1; done
	isb_vs_v "$what" "${files[@]}"
	passed "$what: ${#files[@]} whole sections, everything sent, ISBs as -v says"
done

finish
