#!/bin/bash
# anonymize.sh - --anonymize and --anonymize-only (#18): the command line
# and key file errors (exact message, exit status); the same IPv4
# addresses as libtrace's traceanon with the same key file, outer and
# ICMP-quoted; no bad checksum by tshark on anonymised whole packets of
# every kind (IPv4/IPv6 TCP, UDP, ICMP and ICMPv6 errors, VLAN, QinQ,
# MPLS, GRE, IP-in-IP, 6in4, 4in6, fragments, ARP); prefix: and src only;
# every snap length 14-140 gives a prefix of the whole packet's result
# with no original address left (a cut IPv6 header too); the pcapng SHB
# comment and the manifest's "anonymised"; and a live capture on a veth
# with --pipeout whose files, temp files and pipe stream hold none of the
# original addresses.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/live_lib.sh"
need_cmd tshark capinfos python3

MKANON="python3 $TESTS_SRCDIR/tools/mkanon.py"
KEY=$TMP/key
# no zero byte: traceanon 3 copies the key file as a C string
printf 'mtracecap-test-key-0123456789ab!' >"$KEY"
chmod 600 "$KEY"
KEYID=$(sha256sum "$KEY" | cut -c1-8)
$MKANON "$TMP/all.pcap" --kinds all --count 20 --addrs "$TMP/all.addrs"
$MKANON "$TMP/plain.pcap" --kinds plain --count 400
$MKANON "$TMP/v6ext.pcap" --kinds v6ext --count 5 --addrs "$TMP/v6ext.addrs"

# leaked FILE ADDRS...: the hex addresses listed in the ADDRS files that
# occur anywhere in FILE (exit 1 when there is one)
leaked() {
	python3 - "$@" <<'EOF'
import sys
data = open(sys.argv[1], "rb").read()
bad = [a for f in sys.argv[2:] for a in open(f).read().split()
       if bytes.fromhex(a) in data]
print(" ".join(bad))
sys.exit(1 if bad else 0)
EOF
}

# --- errors -------------------------------------------------------------
# cli_err STATUS MESSAGE ARGS...: mtracecap ARGS exits STATUS with MESSAGE
# as its only line on stderr
cli_err() {
	local want=$1 msg=$2 rc=0
	shift 2
	"$MTRACECAP" "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
	if [ "$rc" -ne "$want" ] || [ "$(cat "$TMP/err")" != "mtracecap: $msg" ]
	then
		fail "$*: exit $rc, stderr [$(cat "$TMP/err")]; want $want, [$msg]"
	fi
}
IN=pcapfile:$TMP/all.pcap
OUT=pcapfile:$TMP/err.pcap
cli_err 2 "invalid value 'foo' for --anonymize: expected cryptopan:KEYFILE or prefix:V4BITS,V6BITS" \
    --anonymize=foo "$OUT" "$IN"
cli_err 2 "invalid value 'prefix:24' for --anonymize: expected prefix:V4BITS,V6BITS (as prefix:24,48)" \
    --anonymize=prefix:24 "$OUT" "$IN"
cli_err 2 "invalid value '33' for --anonymize prefix: V4BITS: larger than 32" \
    --anonymize=prefix:33,48 "$OUT" "$IN"
cli_err 2 "invalid value '129' for --anonymize prefix: V6BITS: larger than 128" \
    --anonymize=prefix:24,129 "$OUT" "$IN"
cli_err 2 "invalid value 'cryptopan:' for --anonymize: cryptopan: needs a key file" \
    --anonymize=cryptopan: "$OUT" "$IN"
cli_err 2 "invalid value 'up' for --anonymize-only: expected src, dst or both" \
    --anonymize=prefix:24,48 --anonymize-only=up "$OUT" "$IN"
cli_err 2 "--anonymize-only=dst needs --anonymize" \
    --anonymize-only=dst "$OUT" "$IN"
K2=$TMP/key2
cp "$KEY" "$K2"
for mode in 0640 0604 0620 0601; do
	chmod "$mode" "$K2"
	cli_err 1 "--anonymize: key file '$K2' has mode $mode: group and others must have no access to it (chmod 600)" \
	    --anonymize=cryptopan:"$K2" "$OUT" "$IN"
done
printf 'short' >"$K2"
chmod 600 "$K2"
cli_err 1 "--anonymize: key file '$K2' holds 5 bytes, not 32 (16 of AES key, 16 of pad, as traceanon -f reads)" \
    --anonymize=cryptopan:"$K2" "$OUT" "$IN"
rm -f "$K2"
mkdir -m 700 "$K2"
cli_err 1 "--anonymize: key file '$K2' is not a regular file" \
    --anonymize=cryptopan:"$K2" "$OUT" "$IN"
cli_err 1 "--anonymize: key file '$TMP/none': No such file or directory" \
    --anonymize=cryptopan:"$TMP/none" "$OUT" "$IN"
[ ! -e "$TMP/err.pcap" ] || fail "a refused key file still wrote $TMP/err.pcap"
pass "option and key file errors"

# --- traceanon ------------------------------------------------------------
fields() { tshark -r "$1" -T fields -e ip.src -e ip.dst 2>/dev/null; }
if command -v traceanon >/dev/null 2>&1; then
	traceanon -s -d -f "$KEY" "pcapfile:$TMP/plain.pcap" \
	    "pcapfile:$TMP/ta.pcap" 2>"$TMP/ta.err" ||
	    fail "traceanon: $(cat "$TMP/ta.err")"
	"$MTRACECAP" -s 0 --anonymize=cryptopan:"$KEY" "pcapfile:$TMP/mt.pcap" \
	    "pcapfile:$TMP/plain.pcap" 2>"$TMP/mt.err" ||
	    fail "mtracecap: $(cat "$TMP/mt.err")"
	fields "$TMP/ta.pcap" >"$TMP/ta.txt"
	fields "$TMP/mt.pcap" >"$TMP/mt.txt"
	fields "$TMP/plain.pcap" >"$TMP/plain.txt"
	n=$(wc -l <"$TMP/mt.txt")
	[ "$n" -eq 2000 ] || fail "traceanon comparison: $n packets, want 2000"
	if ! cmp -s "$TMP/ta.txt" "$TMP/mt.txt"; then
		fail "addresses differ from traceanon's: $(diff "$TMP/ta.txt" \
		    "$TMP/mt.txt" | head -4 | tr '\n' ' ')"
	fi
	same=$(paste "$TMP/plain.txt" "$TMP/mt.txt" |
	    awk -F'\t' '$1 == $3 || $2 == $4' | wc -l)
	[ "$same" -eq 0 ] || fail "$same packets kept an address"
	pass "$n packets (800 with an ICMP error's quoted header): the same addresses as traceanon -f"
else
	echo "traceanon not installed: its comparison is skipped" >&2
fi

# --- checksums ------------------------------------------------------------
CK="-o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE"
# status FILE: per packet, the checksum verdicts tshark gives (0 bad, 1
# good, 2 not verified, 3 none), and which protocols the packet holds
status() {
	# shellcheck disable=SC2086
	tshark -r "$1" $CK -T fields -e frame.protocols -e ip.checksum.status \
	    -e tcp.checksum.status -e udp.checksum.status \
	    -e icmp.checksum.status -e icmpv6.checksum.status \
	    -e gre.checksum.status 2>/dev/null
}
status "$TMP/all.pcap" >"$TMP/st.in"
cut -f2- "$TMP/st.in" | tr '\t,' '\n\n' | grep -qx 0 &&
    fail "the input has a bad checksum"
for how in cryptopan:"$KEY" prefix:24,48 prefix:0,0; do
	for only in both src dst; do
		"$MTRACECAP" -s 0 --anonymize="$how" --anonymize-only=$only \
		    "pcapfile:$TMP/ck.pcap" "pcapfile:$TMP/all.pcap" 2>"$TMP/ck.err" ||
		    fail "$how $only: $(cat "$TMP/ck.err")"
		status "$TMP/ck.pcap" >"$TMP/st.out"
		cmp -s "$TMP/st.in" "$TMP/st.out" || fail "$how, $only: checksum verdicts differ: $(diff "$TMP/st.in" "$TMP/st.out" | head -4 | tr '\n' ' ')"
		if [ $only = both ] && ! l=$(leaked "$TMP/ck.pcap" "$TMP/all.addrs"); then
			fail "$how: original addresses left: $l"
		fi
	done
done
n=$(grep -c . "$TMP/st.in")
g=$(tr '\t,' '\n\n' <"$TMP/st.in" | grep -c '^1$')
pass "$n packets of 25 kinds, $g checksums verified good by tshark after cryptopan and prefix, src, dst and both"

# prefix:24,48 keeps 24 and 48 bits; src only keeps dst
"$MTRACECAP" -s 0 --anonymize=prefix:24,48 "pcapfile:$TMP/p.pcap" \
    "pcapfile:$TMP/all.pcap" 2>/dev/null
bad=$(tshark -r "$TMP/p.pcap" -T fields -e ip.src -e ip.dst -e ipv6.src \
    -e ipv6.dst -e arp.src.proto_ipv4 -e arp.dst.proto_ipv4 2>/dev/null |
    tr '\t,' '\n\n' | grep . | grep -v -E '^198\.1[89]\.[0-9]+\.0$|^2001:2::$' || true)
[ -z "$bad" ] || fail "prefix:24,48 left $(echo "$bad" | head -3 | tr '\n' ' ')"
"$MTRACECAP" -s 0 --anonymize=cryptopan:"$KEY" --anonymize-only=src \
    "pcapfile:$TMP/s.pcap" "pcapfile:$TMP/plain.pcap" 2>/dev/null
first() { tshark -r "$1" -T fields -E occurrence=f -e "$2" 2>/dev/null; }
cmp -s <(first "$TMP/s.pcap" ip.dst) <(first "$TMP/plain.pcap" ip.dst) ||
    fail "--anonymize-only=src changed a destination"
[ "$(paste <(first "$TMP/s.pcap" ip.src) <(first "$TMP/plain.pcap" ip.src) |
    awk '$1 == $2' | wc -l)" -eq 0 ] || fail "--anonymize-only=src kept a source"
pass "prefix:24,48 keeps 24 and 48 bits; src only keeps every destination"

# --- snap lengths -----------------------------------------------------------
# prefix_of FULL CUT: each record of CUT is the start of FULL's, but for
# bytes zeroed (a checksum that cannot be updated)
prefix_of() {
	python3 - "$1" "$2" <<'EOF'
import struct, sys
def recs(p):
    d = open(p, "rb").read()
    o, out = 24, []
    while o < len(d):
        cl = struct.unpack("<I", d[o + 8:o + 12])[0]
        out.append(d[o + 16:o + 16 + cl])
        o += 16 + cl
    return out
for i, (f, c) in enumerate(zip(recs(sys.argv[1]), recs(sys.argv[2]))):
    for j, b in enumerate(c):
        if b != f[j] and b != 0:
            print("record %d byte %d: %02x, whole %02x" % (i + 1, j, b, f[j]))
            sys.exit(1)
EOF
}
for f in all v6ext; do
	"$MTRACECAP" -s 0 --anonymize=cryptopan:"$KEY" "pcapfile:$TMP/$f.full" \
	    "pcapfile:$TMP/$f.pcap" 2>/dev/null
	for s in $(seq 14 140); do
		"$MTRACECAP" -s "$s" --anonymize=cryptopan:"$KEY" \
		    "pcapfile:$TMP/$f.cut" "pcapfile:$TMP/$f.pcap" 2>/dev/null
		why=$(prefix_of "$TMP/$f.full" "$TMP/$f.cut") ||
		    fail "$f -s $s: $why"
		l=$(leaked "$TMP/$f.cut" "$TMP/$f.addrs") ||
		    fail "$f -s $s: original addresses left: $l"
	done
done
"$MTRACECAP" -s 64 "pcapfile:$TMP/v6plain" "pcapfile:$TMP/v6ext.pcap" 2>/dev/null
leaked "$TMP/v6plain" "$TMP/v6ext.addrs" >/dev/null &&
    fail "the cut IPv6 headers at -s 64 do not hold their addresses: no test"
pass "-s 14 to 140: a prefix of the whole packet's result, no address left (IPv6 cut in its routing header too)"

# --- what the files say -----------------------------------------------------
"$MTRACECAP" -s 0 --anonymize=cryptopan:"$KEY" --anonymize-only=src \
    "pcapng:$TMP/o.pcapng" "pcapfile:$TMP/all.pcap" 2>/dev/null
want="addresses anonymised: cryptopan (key sha256 $KEYID), src only"
got=$(capinfos -k "$TMP/o.pcapng" | sed -n 's/^Capture comment: *//p')
[ "$got" = "$want" ] || fail "pcapng SHB comment [$got], want [$want]"
grep -q -F "$(head -c 16 "$KEY")" "$TMP/o.pcapng" && fail "the key is in the file"
mkdir "$TMP/m"
"$MTRACECAP" -s 0 --manifest --anonymize=prefix:24,48 -B "pcapfile:$TMP/m" \
    "pcapfile:$TMP/all.pcap" 2>/dev/null
got=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["anonymised"])' "$TMP"/m/*.json)
[ "$got" = "prefix 24,48, src and dst" ] || fail "manifest anonymised [$got]"
rm -rf "$TMP/m"
mkdir "$TMP/m"
"$MTRACECAP" -s 0 --manifest -B "pcapfile:$TMP/m" "pcapfile:$TMP/all.pcap" 2>/dev/null
got=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["anonymised"])' "$TMP"/m/*.json)
[ "$got" = "None" ] || fail "manifest without --anonymize: anonymised [$got]"
pass "pcapng SHB comment [$want]; the manifest's anonymised"

# --- live: nothing unanonymised reaches a file, a temp file or the pipe ------
if [ "$(id -u)" -ne 0 ] || ! ip netns add "probe$$" 2>/dev/null; then
	echo "live part skipped: needs root and network namespaces" >&2
	finish
fi
ip netns del "probe$$"
live_setup_one anon ano
start_capture "$TMP/live" -s 0 -B "pcapfile:$TMP/live" \
    --anonymize=cryptopan:"$KEY" --pipeout="tee -a $TMP/stream.bin" \
    "ring:$IF1" || finish
replay "$NS1" "${IF1}p" "$TMP/all.pcap" 2000
sleep 0.5
mkdir "$TMP/temps"
cp "$TMP"/live/tmp-* "$TMP/temps/" 2>/dev/null || true
stop_capture "live --anonymize"
got=0
for f in "$TMP"/live/* "$TMP"/temps/* "$TMP/stream.bin"; do
	[ -f "$f" ] || continue
	case $f in */stderr) continue ;; esac
	l=$(leaked "$f" "$TMP/all.addrs") ||
	    fail "live: $f holds original addresses: $l"
	got=$((got + 1))
done
n=$(cat "$TMP"/live/2* 2>/dev/null | wc -c)
sent=$(npackets "$TMP/all.pcap")
kept=0
for f in "$TMP"/live/2*; do kept=$((kept + $(npackets "$f"))); done
[ "$kept" -ge "$sent" ] || fail "live: $kept packets captured, $sent sent"
[ -s "$TMP/stream.bin" ] || fail "live: nothing came through --pipeout"
[ -n "$(ls "$TMP/temps")" ] || fail "live: no temp file seen mid-capture"
pass "live ring:$IF1: $kept packets ($n bytes); $got files, temp files and the pipe stream hold no original address"
finish
