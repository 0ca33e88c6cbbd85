#!/usr/bin/env bash
# headers_only.sh - --headers-only[=EXTRA] against tshark's dissection.
# Frames of every kind the parser knows (made here in python3: Ethernet,
# 802.1Q, QinQ, MPLS, Linux cooked v1/v2, raw IPv4/IPv6, IPv4 options,
# IPv6 extension headers, fragments, TCP options, UDP, ICMP/ICMPv6
# errors, GRE, IP-in-IP, 6in4, 4in6, 6in6), each with a payload:
# tshark's dissection of the original says where the payload starts (the
# first "data" it shows), and that must be the kept length, exactly.
# Then EXTRA, -s (whichever is shorter), -F (the filter sees the whole
# packet), pcapng output, the headers_unparsed count (exit line and
# metrics), the option's errors, and the tcpdump corpus: every capture
# through --headers-only exits as a plain -s 0 run does and every record
# is a prefix of that run's, wire length and stamp unchanged.
. "$(dirname "$0")/lib.sh"
tsan_elsewhere "the packet parser on files"
need_cmd python3 tshark tcpdump

cat >"$TMP/mk.py" <<'EOF'
"""mk.py OUT.pcap LINKTYPE: the frames of every kind, or "bad" ones."""
import struct, sys

PAY = bytes(range(0xa0, 0xa0 + 23))     # the payload after the headers

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def ip4(proto, body, opts=b"", frag=0, mf=0):
    hl = 20 + len(opts)
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | hl // 4, 0, hl + len(body), 7,
                    (mf << 13) | frag // 8, 64, proto, 0,
                    bytes([198, 18, 0, 1]), bytes([198, 19, 0, 2])) + opts
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + body

SRC6 = bytes.fromhex("20010db8000000000000000000000001")
DST6 = bytes.fromhex("20010db8000000000000000000000002")

def ip6(nh, body):
    return struct.pack("!IHBB", 0x60000000, len(body), nh, 64) + SRC6 + DST6 \
        + body

def ext6(nh, body, n):                  # n bytes in all, a multiple of 8
    return struct.pack("!BB", nh, n // 8 - 1) + b"\0" * (n - 2) + body

def tcp(body, opts=b""):
    opts += b"\x01" * (-len(opts) % 4)
    return struct.pack("!HHIIBBHHH", 40000, 40001, 1, 0,
                       (5 + len(opts) // 4) << 4, 0x18, 1024, 0, 0) + opts \
        + body

def udp(body):
    return struct.pack("!HHHH", 40000, 40001, 8 + len(body), 0) + body

def icmp(t, body, code=0):
    return struct.pack("!BBHI", t, code, 0, 0) + body

def gre(proto, body, flags=0):
    extra = b""
    for bit in (0x8000, 0x2000, 0x1000):
        if flags & bit:
            extra += b"\0\0\0\0"
    return struct.pack("!HH", flags, proto) + extra + body

MAC = bytes.fromhex("020000000001020000000002")

def eth(t, body):
    return MAC + struct.pack("!H", t) + body

def vlan(t, body, vid=10):
    return struct.pack("!HH", vid, t) + body

def mpls(labels, body):
    out = b""
    for i, l in enumerate(labels):
        out += struct.pack("!I", l << 12 | (i == len(labels) - 1) << 8 | 64)
    return out + body

def l3():
    """(ethertype, packet) of every kind above the link layer"""
    mss = b"\x02\x04\x05\xb4\x01\x03\x03\x07\x04\x02\x08\x0a" + b"\0" * 8
    yield 0x0800, ip4(6, tcp(PAY, mss))
    yield 0x0800, ip4(17, udp(PAY), opts=b"\x01\x01\x01\x00")
    yield 0x0800, ip4(1, icmp(8, PAY))
    yield 0x0800, ip4(17, udp(PAY), mf=1)          # a first fragment
    yield 0x0800, ip4(17, PAY, frag=1480)          # a later one
    yield 0x0800, ip4(1, icmp(3, ip4(17, udp(PAY)), code=3))
    yield 0x0800, ip4(1, icmp(11, ip4(6, tcp(PAY))))
    yield 0x0800, ip4(4, ip4(6, tcp(PAY)))         # IP-in-IP
    yield 0x0800, ip4(41, ip6(17, udp(PAY)))       # 6in4
    yield 0x0800, ip4(47, gre(0x0800, ip4(17, udp(PAY))))
    yield 0x0800, ip4(47, gre(0x86dd, ip6(6, tcp(PAY)), flags=0xa000))
    yield 0x0800, ip4(47, gre(0x6558, eth(0x0800, ip4(17, udp(PAY)))))
    yield 0x86dd, ip6(6, tcp(PAY, b"\x02\x04\x05\xa0"))
    yield 0x86dd, ip6(17, udp(PAY))
    yield 0x86dd, ip6(58, icmp(128, PAY))
    yield 0x86dd, ip6(0, ext6(60, ext6(17, udp(PAY), 16), 8))
    yield 0x86dd, ip6(43, struct.pack("!BBBB", 6, 2, 0, 0) + b"\0" * 4 +
                      DST6 + tcp(PAY))            # routing type 0
    yield 0x86dd, ip6(44, struct.pack("!BBHI", 17, 0, 1, 9) + udp(PAY))
    yield 0x86dd, ip6(44, struct.pack("!BBHI", 17, 0, 185 << 3, 9) + PAY)
    yield 0x86dd, ip6(51, struct.pack("!BBHII", 17, 4, 0, 1, 1) + b"\0" * 12
                      + udp(PAY))                 # AH, 24 bytes
    yield 0x86dd, ip6(58, icmp(1, ip6(17, udp(PAY)), code=4))
    yield 0x86dd, ip6(58, icmp(2, ip6(6, tcp(PAY)) + b"\0" * 4))
    yield 0x86dd, ip6(4, ip4(17, udp(PAY)))       # 4in6
    yield 0x86dd, ip6(41, ip6(17, udp(PAY)))      # 6in6

def frames(lt):
    for t, p in l3():
        if lt == 1:
            yield eth(t, p)
            yield eth(0x8100, vlan(t, p))
            yield eth(0x88a8, vlan(0x8100, vlan(t, p, 20)))
            yield eth(0x8847, mpls([100, 200], p))
        elif lt == 113:
            yield struct.pack("!HHH8sH", 0, 1, 6, MAC[:8], t) + p
        elif lt == 276:
            yield struct.pack("!HHIHBB8s", t, 0, 2, 1, 0, 6, MAC[:8]) + p
        elif lt == 101:
            yield p
    if lt == 1:                        # ARP, padded
        yield eth(0x0806, struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) +
                  MAC[6:] + bytes([198, 18, 0, 1]) + b"\0" * 6 +
                  bytes([198, 18, 0, 2]) + b"\0" * 18)

def bad():
    """frames the parser does not understand: kept up to what it parsed"""
    yield eth(0x88cc, PAY)                          # LLDP: 14
    yield eth(0x0800, ip4(253, PAY))                # unknown protocol: 34
    yield eth(0x0800, ip4(47, gre(0x880b, PAY)))    # GRE PPP: 38

out, lt = sys.argv[1], sys.argv[2]
fs = list(bad()) if lt == "bad" else list(frames(int(lt)))
with open(out, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144,
                        1 if lt == "bad" else int(lt)))
    for i, fr in enumerate(fs):
        f.write(struct.pack("<IIII", 1700000000 + i, 0, len(fr), len(fr)))
        f.write(fr)
EOF

# where each frame's payload starts in tshark's dissection: the first
# "data" (a protocol, or the field of ICMP's echo) in its PDML
cat >"$TMP/hdrlen.py" <<'EOF'
import sys, xml.etree.ElementTree as ET
for ev, el in ET.iterparse(sys.stdin, events=("end",)):
    if el.tag != "packet":
        continue
    flen = start = None
    for e in el.iter():
        if e.tag == "field" and e.get("name") == "frame.len":
            flen = int(e.get("show"))
        if start is None and e.get("name") in ("data", "data.data", "tcp.payload",
                "eth.padding") \
                and e.get("pos") is not None:
            start = int(e.get("pos"))
    print(start if start is not None else "none", flen)
    el.clear()
EOF
dissect() {
	tshark -n -o ip.defragment:FALSE -o ipv6.defragment:FALSE \
	    -T pdml -r "$1" \
	    2>/dev/null | python3 "$TMP/hdrlen.py"
}
caplens() {
	tshark -n -r "$1" -T fields -e frame.cap_len -e frame.len 2>/dev/null
}

# kept lengths of OUT against the expected ones (EXTRA, snaplen applied)
check_lengths() {	# what expected_file out_file extra snaplen
	local what=$1 exp=$2 out=$3 extra=$4 snap=$5 bad
	bad=$(paste -d' ' "$exp" <(caplens "$out") | awk -v x="$extra" \
	    -v s="$snap" '{ want = $1 + x; if (want > $2) want = $2;
		if (want > s) want = s;
		if ($1 == "none" || $3 != want || $4 != $2)
			printf "frame %d: kept %s of %s, want %s (tshark: %s); ",
			    NR, $3, $4, want, $1 }
	    END { if (NR == 0) print "no frames" }')
	if [ -n "$bad" ]; then
		fail "$what: $bad"
	else
		pass "$what: $(wc -l <"$exp") frames kept to the header length"
	fi
}

for lt in 1 113 276 101; do
	python3 "$TMP/mk.py" "$TMP/in-$lt.pcap" "$lt"
	dissect "$TMP/in-$lt.pcap" >"$TMP/exp-$lt"
	"$MTRACECAP" -s 0 --headers-only "pcapfile:$TMP/out-$lt.pcap" \
	    "pcapfile:$TMP/in-$lt.pcap" 2>/dev/null
	check_lengths "link type $lt" "$TMP/exp-$lt" "$TMP/out-$lt.pcap" 0 \
	    262144
done

# EXTRA, the shorter of it and -s, pcapng output
"$MTRACECAP" -s 0 --headers-only=5 "pcapfile:$TMP/x5.pcap" \
    "pcapfile:$TMP/in-1.pcap" 2>/dev/null
check_lengths "EXTRA 5" "$TMP/exp-1" "$TMP/x5.pcap" 5 262144
"$MTRACECAP" -s 0 --headers-only=1000 "pcapfile:$TMP/x1000.pcap" \
    "pcapfile:$TMP/in-1.pcap" 2>/dev/null
check_lengths "EXTRA beyond the packet" "$TMP/exp-1" "$TMP/x1000.pcap" \
    1000 262144
"$MTRACECAP" -s 60 --headers-only=8 "pcapfile:$TMP/s60.pcap" \
    "pcapfile:$TMP/in-1.pcap" 2>/dev/null
check_lengths "-s 60 with EXTRA 8" "$TMP/exp-1" "$TMP/s60.pcap" 8 60
"$MTRACECAP" -s 0 --headers-only "pcapng:$TMP/ng.pcapng" \
    "pcapfile:$TMP/in-113.pcap" 2>/dev/null
check_lengths "pcapng output" "$TMP/exp-113" "$TMP/ng.pcapng" 0 262144
# a pcapng input (per-interface link types, its own packet path)
tshark -r "$TMP/in-276.pcap" -F pcapng -w "$TMP/in-276.pcapng" 2>/dev/null
"$MTRACECAP" -s 0 --headers-only "pcapfile:$TMP/fromng.pcap" \
    "pcapfile:$TMP/in-276.pcapng" 2>/dev/null
check_lengths "pcapng input" "$TMP/exp-276" "$TMP/fromng.pcap" 0 262144

# -F sees the whole packet: a filter on payload bytes that the output no
# longer holds keeps what tshark's same filter keeps
# (tcpdump runs the same BPF on the original)
filt='udp[8:2] = 0xa0a1 or (vlan and udp[8:2] = 0xa0a1)'
want=$(tcpdump -r "$TMP/in-1.pcap" -nn "$filt" 2>/dev/null | wc -l)
"$MTRACECAP" -s 0 --headers-only -F "$filt" "pcapfile:$TMP/f.pcap" \
    "pcapfile:$TMP/in-1.pcap" 2>/dev/null
got=$(caplens "$TMP/f.pcap" | wc -l)
maxk=$(caplens "$TMP/f.pcap" | awk 'BEGIN { m = 0 } $1 > m { m = $1 } END { print m }')
if [ "$want" -gt 0 ] && [ "$got" = "$want" ] && [ "$maxk" -le 70 ]; then
	pass "-F on the payload: $got packets kept, headers only (<= $maxk bytes)"
else
	fail "-F on the payload: $got packets of $want, longest $maxk bytes"
fi

# not understood: what was parsed, no EXTRA, counted on the exit line and
# in the metrics
python3 "$TMP/mk.py" "$TMP/bad.pcap" bad
"$MTRACECAP" -v -s 0 --headers-only=4 --metrics-file="$TMP/m.prom" \
    "pcapfile:$TMP/bad-out.pcap" "pcapfile:$TMP/bad.pcap" 2>"$TMP/bad.err"
got=$(caplens "$TMP/bad-out.pcap" | awk '{ printf "%s ", $1 }')
[ "$got" = "14 34 38 " ] && pass "not understood: kept $got" ||
    fail "not understood: kept '$got', want '14 34 38 '"
grep -q "^mtracecap: input=0 pcapfile:$TMP/bad.pcap: headers_unparsed=3\$" \
    "$TMP/bad.err" && pass "exit line: headers_unparsed=3" ||
    fail "no headers_unparsed=3 line: $(cat "$TMP/bad.err")"
grep -q "^mtracecap_headers_unparsed_total{input=\"pcapfile:$TMP/bad.pcap\"} 3\$" \
    "$TMP/m.prom" && pass "metrics: mtracecap_headers_unparsed_total 3" ||
    fail "metrics: $(grep headers_unparsed "$TMP/m.prom" || echo none)"
# ... and no such line without --headers-only
"$MTRACECAP" -v -s 0 "pcapfile:$TMP/plain.pcap" "pcapfile:$TMP/bad.pcap" \
    2>"$TMP/plain.err"
grep -q headers_unparsed "$TMP/plain.err" &&
    fail "headers_unparsed printed without --headers-only" ||
    pass "no headers_unparsed line without --headers-only"

# the option's errors: one line naming the value, exit 2
for v in x 65536 -1 ""; do
	rc=0
	"$MTRACECAP" --headers-only="$v" "pcapfile:$TMP/e.pcap" \
	    "pcapfile:$TMP/in-1.pcap" 2>"$TMP/e.err" || rc=$?
	case $v in
	"") want="mtracecap: empty value for --headers-only" ;;
	65536) want="mtracecap: invalid value '65536' for --headers-only: larger than 65535" ;;
	*) want="mtracecap: invalid value '$v' for --headers-only: not a non-negative whole number" ;;
	esac
	if [ "$rc" = 2 ] && [ "$(cat "$TMP/e.err")" = "$want" ]; then
		pass "--headers-only='$v': exit 2, one line"
	else
		fail "--headers-only='$v': exit $rc, '$(cat "$TMP/e.err")'"
	fi
done

# The corpus: --headers-only changes nothing but the captured lengths
cat >"$TMP/prefix.py" <<'EOF'
"""prefix.py PLAIN HDRS: every record of HDRS a prefix of PLAIN's"""
import struct, sys

def records(path):
    d = open(path, "rb").read()
    e = "<" if d[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    o, out = 24, []
    while o + 16 <= len(d):
        s, f, cl, wl = struct.unpack(e + "IIII", d[o:o + 16])
        out.append((s, f, wl, d[o + 16:o + 16 + cl]))
        o += 16 + cl
    return out

a, b = records(sys.argv[1]), records(sys.argv[2])
if len(a) != len(b):
    sys.exit("%d records, plain %d" % (len(b), len(a)))
shorter = 0
for i, (x, y) in enumerate(zip(a, b)):
    if x[:3] != y[:3] or not x[3].startswith(y[3]):
        sys.exit("record %d: not a prefix of the plain run's" % i)
    shorter += len(y[3]) < len(x[3])
print(len(a), shorter)
EOF
if [ -d "$CORPUS_DIR" ]; then
	n=0 recs=0 cut=0 bad=0 unparsed=0
	for f in "$CORPUS_DIR"/*.pcap "$CORPUS_DIR"/*.pcapng; do
		[ -f "$f" ] || continue
		n=$((n + 1))
		rc1=0 rc2=0
		"$MTRACECAP" -s 0 "pcapfile:$TMP/c1.pcap" "pcapfile:$f" \
		    2>"$TMP/c1.err" || rc1=$?
		"$MTRACECAP" -s 0 --headers-only "pcapfile:$TMP/c2.pcap" \
		    "pcapfile:$f" 2>"$TMP/c2.err" || rc2=$?
		# the same messages, and one line more: headers_unparsed
		u=$(sed -n 's/^mtracecap: input=0 .*: headers_unparsed=//p' \
		    "$TMP/c2.err")
		sed -i '/: headers_unparsed=[0-9]*$/d' "$TMP/c2.err"
		if [ "$rc2" -gt 2 ] || [ "$rc1" != "$rc2" ] ||
		    ! cmp -s "$TMP/c1.err" "$TMP/c2.err"; then
			fail "corpus ${f##*/}: exit $rc2 (plain $rc1): $(head -c 300 "$TMP/c2.err")"
			bad=$((bad + 1))
		elif [ -f "$TMP/c1.pcap" ] && [ -f "$TMP/c2.pcap" ]; then
			if r=$(python3 "$TMP/prefix.py" "$TMP/c1.pcap" \
			    "$TMP/c2.pcap" 2>&1); then
				recs=$((recs + ${r% *}))
				cut=$((cut + ${r#* }))
				unparsed=$((unparsed + ${u:-0}))
			else
				fail "corpus ${f##*/}: $r"
				bad=$((bad + 1))
			fi
		fi
		rm -f "$TMP/c1.pcap" "$TMP/c2.pcap"
	done
	[ "$bad" = 0 ] && pass "corpus: $n captures, $recs records, $cut cut to their headers ($unparsed not understood), none longer, exits and messages as plain runs"
else
	echo "corpus: none at $CORPUS_DIR (that part not run)" >&2
fi
finish
