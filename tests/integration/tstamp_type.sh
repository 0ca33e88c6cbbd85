#!/bin/bash
# tstamp_type.sh - --time-stamp-type and --list-time-stamp-types on live
# inputs (tcpdump's -j and -J).
#
# Two namespaces each hold one end of a veth pair (no addresses, see
# live_lib.sh); tcpreplay sends synthetic frames (198.18.0.0/15,
# tools/mkpcap.py) into both while mtracecap -v captures the host ends into
# pcapng.  A veth offers host stamps only (tcpdump -J says so), so:
#  - --time-stamp-type=adapter: exactly one warning per input, naming its
#    interface; capture goes on (every frame sent is in the file, the exit
#    report agrees, exit 0 on SIGTERM); -v and the IDB's if_description
#    (tshark, capinfos) say "host, nanoseconds";
#  - --time-stamp-type=host: no warning, the same description;
#  - --list-time-stamp-types on a veth and on lo: exit 0, nothing on
#    stderr, and what tcpdump -J -i IF prints for the same interface (the
#    same type names, in the same words), also as an unprivileged user; an
#    interface that does not exist: one error line naming it, the others
#    still listed, exit 1; an operand that is not an interface: exit 2;
#  - a bad word, or the option without a live libpcap input: exit 2, one
#    line naming the word, nothing on stdout, no file.
. "$(dirname "$0")/lib.sh"
skip_sanitizer tsan "live capture: libtrace and libpcap are not TSan-clean"
. "$(dirname "$0")/live_lib.sh"

need_root
need_cmd ip tcpreplay tcpdump capinfos tshark mergecap python3

PPS=2000		# per interface
PER_ID=200		# frames per id; 2 ids per interface
WORDS="host, host_lowprec, host_hiprec, adapter or adapter_unsynced"

live_setup mtts lt

gen_sent "1:60 3:301" "2:99 4:1514"

# tcpdump_types IF: tcpdump -J's listing of IF, worded as mtracecap's
tcpdump_types() {
	tcpdump -J -i "$1" 2>&1 |
	    sed 's/(use option -j to set)/(use option --time-stamp-type to set)/'
}
# type_names FILE: the type names a listing holds, sorted
type_names() { sed -n 's/^  \([a-z_0-9]*\).*/\1/p' "$1" | sort; }

# --- 1. bad invocations: exit 2, one line naming the value, no file ---
section
# bad WHAT WANT_LINE ARGS...
bad() {
	local what=$1 want=$2 rc=0 out=$TMP/bad
	shift 2
	rm -rf "$out" && mkdir "$out"
	(cd "$out" && "$MTRACECAP" "$@" >"$TMP/bad.out" 2>"$TMP/bad.err") ||
	    rc=$?
	[ "$rc" -eq 2 ] || fail "$what: exit status $rc, want 2"
	[ "$(cat "$TMP/bad.err")" = "mtracecap: $want" ] ||
	    fail "$what: stderr '$(cat "$TMP/bad.err")', want 'mtracecap: $want'"
	[ ! -s "$TMP/bad.out" ] || fail "$what: wrote to stdout: $(cat "$TMP/bad.out")"
	[ -z "$(ls -A "$out")" ] || fail "$what: left files: $(ls -A "$out")"
}
for w in adapterx HOST Adapter "" "adapter " host_hiprec_unsynced hardware; do
	bad "--time-stamp-type='$w'" \
	    "invalid value '$w' for --time-stamp-type: expected $WORDS" \
	    --time-stamp-type="$w" "pcapng:out.pcapng" "ring:$IF1"
done
bad "-v --time-stamp-type=adapter with file inputs only" \
    "--time-stamp-type=adapter needs a live input read by libpcap (ring:, int: or pcapint:, without --libtrace-live)" \
    -v --time-stamp-type=adapter pcapfile:out.pcap "$TMP/sent1.pcap" \
    "pcapfile:$TMP/sent2.pcap"
bad "--time-stamp-type with --libtrace-live" \
    "--time-stamp-type=host needs a live input read by libpcap (ring:, int: or pcapint:, without --libtrace-live)" \
    --libtrace-live --time-stamp-type=host pcapfile:out.pcap "ring:$IF1"
bad "--list-time-stamp-types with a file" \
    "--list-time-stamp-types needs live interfaces (ring:IF, int:IF or pcapint:IF): '$TMP/sent1.pcap' is not one" \
    --list-time-stamp-types "ring:$IF1" "$TMP/sent1.pcap"
bad "--list-time-stamp-types with a bare interface name" \
    "--list-time-stamp-types needs live interfaces (ring:IF, int:IF or pcapint:IF): '$IF1' is not one" \
    --list-time-stamp-types "$IF1"
bad "--list-time-stamp-types alone" \
    "--list-time-stamp-types needs at least one live interface (ring:IF, int:IF or pcapint:IF)" \
    --list-time-stamp-types
passed "bad words and misplaced options: exit 2, one line naming them"

# --- 2. --list-time-stamp-types against tcpdump -J ---
section
for ifc in "$IF1" lo; do
	tcpdump_types "$ifc" >"$TMP/want.$ifc"
	grep -q '^Time stamp type' "$TMP/want.$ifc" ||
	    fail "tcpdump -J -i $ifc said: $(cat "$TMP/want.$ifc")"
done
for fmt in ring int pcapint; do
	rc=0
	"$MTRACECAP" --list-time-stamp-types "$fmt:$IF1" "$fmt:lo" \
	    >"$TMP/list.out" 2>"$TMP/list.err" || rc=$?
	[ "$rc" -eq 0 ] || fail "--list-time-stamp-types $fmt: exit $rc: $(cat "$TMP/list.err")"
	[ ! -s "$TMP/list.err" ] ||
	    fail "--list-time-stamp-types $fmt: stderr: $(cat "$TMP/list.err")"
	cat "$TMP/want.$IF1" "$TMP/want.lo" >"$TMP/want"
	cmp -s "$TMP/want" "$TMP/list.out" ||
	    fail "--list-time-stamp-types $fmt: printed '$(cat "$TMP/list.out")', tcpdump -J: '$(cat "$TMP/want")'"
	[ "$(type_names "$TMP/list.out" | tr '\n' ' ')" = \
	    "$(type_names "$TMP/want" | tr '\n' ' ')" ] ||
	    fail "--list-time-stamp-types $fmt: other type names than tcpdump -J's"
done
# the veth offers host alone: what section 3 relies on
[ "$(type_names "$TMP/want.$IF1" | tr '\n' ' ')" = "host " ] ||
    fail "tcpdump -J -i $IF1 lists $(type_names "$TMP/want.$IF1" | tr '\n' ' '), want host alone"
# no privilege needed
if command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
	rc=0
	setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
	    --inh-caps=-all --bounding-set=-all "$MTRACECAP" \
	    --list-time-stamp-types "ring:$IF1" >"$TMP/list.out" \
	    2>"$TMP/list.err" || rc=$?
	if [ "$rc" -eq 126 ] || [ "$rc" -eq 127 ]; then
		echo "note: nobody cannot run $MTRACECAP; unprivileged listing not checked"
	else
		[ "$rc" -eq 0 ] && cmp -s "$TMP/want.$IF1" "$TMP/list.out" ||
		    fail "--list-time-stamp-types as nobody: exit $rc, '$(cat "$TMP/list.out" "$TMP/list.err")'"
	fi
fi
# an interface that does not exist: named, the others still listed
NOSUCH=$(uniq_name mtno)
rc=0
"$MTRACECAP" --list-time-stamp-types "ring:$NOSUCH" "pcapint:$IF1" \
    >"$TMP/list.out" 2>"$TMP/list.err" || rc=$?
[ "$rc" -eq 1 ] || fail "--list-time-stamp-types ring:$NOSUCH: exit $rc, want 1"
[ "$(cat "$TMP/list.err")" = "mtracecap: cannot list the time stamp types of 'ring:$NOSUCH': no such interface" ] ||
    fail "--list-time-stamp-types ring:$NOSUCH: stderr '$(cat "$TMP/list.err")'"
cmp -s "$TMP/want.$IF1" "$TMP/list.out" ||
    fail "--list-time-stamp-types ring:$NOSUCH pcapint:$IF1: did not list $IF1: '$(cat "$TMP/list.out")'"
passed "--list-time-stamp-types: as tcpdump -J on $IF1 and lo ($(type_names "$TMP/want.lo" | tr '\n' ' ')), a missing interface named"

# --- 3. capture with a type: refused (adapter) or taken (host) ---
# desc_check WHAT FILE: both IDBs say host stamps, as tshark and capinfos read them
desc_check() {
	local what=$1 f=$2 i=0 want got fmt_if
	for fmt_if in "ring:$IF1" "pcapint:$IF2"; do
		want="$fmt_if (time stamps: host, nanoseconds)"
		# every packet of interface i
		got=$(tshark -r "$f" -T fields -e frame.interface_id \
		    -e frame.interface_description 2>/dev/null |
		    awk -F'\t' -v n="$i" '$1 == n { print $2 }' | sort -u)
		[ "$got" = "$want" ] ||
		    fail "$what: tshark: interface $i's packets are described '$got', want '$want'"
		got=$(capinfos "$f" 2>/dev/null | awk -v n="$i" '
		    $0 ~ "^Interface #" n " info:" { f = 1; next }
		    /^Interface #/ { f = 0 }
		    f && /^ *Description = / { sub(/^ *Description = /, ""); print; exit }')
		[ "$got" = "$want" ] ||
		    fail "$what: capinfos: interface $i's description '$got', want '$want'"
		i=$((i + 1))
	done
}
for t in adapter host; do
	section
	what="--time-stamp-type=$t"
	d="$TMP/cap-$t"
	start_capture "$d" -v -s 0 -w 1000 --time-stamp-type="$t" \
	    "pcapng:$d/out.pcapng" "ring:$IF1" "pcapint:$IF2" || continue
	replay "$NS1" "${IF1}p" "$TMP/sent1.pcap" "$PPS" \
	    "$NS2" "${IF2}p" "$TMP/sent2.pcap" "$PPS"
	sleep 0.3
	stop_capture "$what"
	grep 'time stamp type' "$CAP_ERR" >"$TMP/warn" || true
	if [ "$t" = adapter ]; then
		printf "mtracecap: input '%s': time stamp type 'adapter' is not supported by %s; using host\n" \
		    "ring:$IF1" "$IF1" "pcapint:$IF2" "$IF2" >"$TMP/want"
	else
		: >"$TMP/want"
	fi
	cmp -s "$TMP/want" "$TMP/warn" ||
	    fail "$what: warnings '$(cat "$TMP/warn")', want '$(cat "$TMP/want")'"
	for i in 0 1; do
		fmt_if=ring:$IF1
		[ "$i" = 0 ] || fmt_if=pcapint:$IF2
		n=$(grep -cxF "mtracecap: input=$i $fmt_if: time stamps: host, nanoseconds" "$CAP_ERR" || true)
		[ "$n" = 1 ] || fail "$what: -v says input=$i's time stamps $n times: $(grep 'time stamps' "$CAP_ERR")"
	done
	check_report "$what" 1 0 "$N1" "$N2"
	compare_records "$what" 1 "$TMP/sent.pcap" "$d/out.pcapng"
	desc_check "$what" "$d/out.pcapng"
	passed "$what: $(wc -l <"$TMP/warn") warning(s), $((N1 + N2)) frames captured, IDBs and -v say host, nanoseconds"
done

finish
