#!/usr/bin/env bash
# pcapng_recovery.sh - kill -9 during pcapng capture (-B pcapng:DIR), then
# a restart on the same directory.  Plain, -Z gz and --pipeout 'gzip -1':
# the killed run's temp file gets its final name and is read by tshark and
# capinfos without error; it holds the section header, the interface
# blocks and exactly the whole packet blocks the temp file held (no ISB:
# it is valid without), byte for byte what the temp file began with when
# plain; with the files finished before the kill its packets are the first
# ones sent.  A crafted temp file whose last block is cut short, and one
# whose last block's trailing length disagrees with its leading one, lose
# exactly that block; the log names each recovered file and its packets;
# with --manifest each gets one that counts what it holds, a file of two
# link types (which libpcap cannot read) too.
. "$(dirname "$0")/lib.sh"
tsan_elsewhere "crash recovery after kill -9"
need_cmd python3 tshark capinfos gzip
export LC_ALL=C
shopt -s nullglob

# walk FILE [payloads]: the blocks of a pcapng FILE (gunzipped first if it
# is gzip): "ok EPBS ISBS END" where END is the offset after the last whole
# block and the file's length if everything is whole; with payloads the
# data of each EPB in hex, one per line
walk() {
	plain "$1" "$TMP/walk.bin" 2>/dev/null || true
	python3 - "$TMP/walk.bin" "${2:-}" <<'EOF'
import struct, sys
b = open(sys.argv[1], 'rb').read()
o = 0; epb = isb = 0; out = []
while o + 12 <= len(b):
    t, l = struct.unpack_from('<II', b, o)
    if l < 12 or l % 4 or o + l > len(b) or \
       struct.unpack_from('<I', b, o + l - 4)[0] != l:
        break
    if t == 6:
        epb += 1
        cl = struct.unpack_from('<I', b, o + 20)[0]
        out.append(b[o + 28:o + 28 + cl].hex())
    elif t == 5:
        isb += 1
    o += l
if sys.argv[2] == 'payloads':
    print('\n'.join(out))
else:
    print('ok', epb, isb, o, len(b))
EOF
}
# payloads of a pcap file (the feeder's reference), one per line
pcap_payloads() {
	python3 - "$1" <<'EOF'
import struct, sys
b = open(sys.argv[1], 'rb').read(); o = 24
while o + 16 <= len(b):
    cl = struct.unpack_from('<I', b, o + 8)[0]
    print(b[o + 16:o + 16 + cl].hex()); o += 16 + cl
EOF
}
# readable WHAT FILE: tshark and capinfos read FILE without a word
readable() {
	tshark -r "$2" -w /dev/null >"$TMP/ts.out" 2>&1 ||
	    fail "$1: tshark cannot read ${2##*/}: $(cat "$TMP/ts.out")"
	grep -v '^Running as user' "$TMP/ts.out" | grep -q . &&
	    fail "$1: tshark complains about ${2##*/}: $(cat "$TMP/ts.out")"
	capinfos "$2" >/dev/null 2>"$TMP/ci.err" ||
	    fail "$1: capinfos cannot read ${2##*/}: $(cat "$TMP/ci.err")"
}

# kill_case WHAT ARGS...: a FIFO into -B pcapng:DIR -G 3, kill -9 in the
# second file (during a pause of the feeder that lets the writer flush),
# restart with a short input, check the recovered file
kill_case() {
	local what=$1 dir t before rc=0 w k f
	shift
	dir=$TMP/out-$RANDOM
	mkdir "$dir"
	FEED_FIFO=$TMP/fifo FEED_REF=$TMP/ref.pcap
	rm -f "$TMP/ref.pcap.paused"
	start_feed --pause 2 --pause-flag "$TMP/ref.pcap.paused" \
	    --random-payload --step-us 1000 --idle 3600 --count 6000 \
	    --size 1200 --rate 3000 --pause-after 4500 --start 1700000000
	start_mtc_cmd "$TMP/run1.err" "$MTRACECAP" -s 0 -B "pcapng:$dir" -G 3 \
	    -N "$dir/.seq" "$@" "pcapfile:$FEED_FIFO"
	kill_when_written "$dir" 300000 "$TMP/ref.pcap.paused"
	stop_feed
	t=$(tmpfile "$dir") || { fail "$what: no temp file after kill -9: $(ls "$dir")"; return; }
	before=("$dir"/2*)
	[ "${#before[@]}" -ge 1 ] || fail "$what: no file was finished before the kill"
	# --pipeout: the orphaned compressor finishes the stream meanwhile
	sleep 0.5
	w=$(walk "$t")
	k=$(echo "$w" | cut -d' ' -f2)
	[ "$k" -ge 1 ] || fail "$what: the temp file holds no whole packet block ($w)"
	head -c "$(echo "$w" | cut -d' ' -f4)" "$TMP/walk.bin" >"$TMP/whole.bin"
	use_mkpcap
	$MK "$TMP/short.pcap" --count 5 --size 100 --start 1700000100
	timeout 30 "$MTRACECAP" -s 0 -B "pcapng:$dir" -G 3 -N "$dir/.seq" "$@" \
	    "pcapfile:$TMP/short.pcap" 2>"$TMP/run2.err" || rc=$?
	[ "$rc" -eq 0 ] || fail "$what: restart exited $rc: $(cat "$TMP/run2.err")"
	f=${t##*/tmp-}
	f=$dir/${f#*-}
	[ -f "$f" ] || { fail "$what: ${t##*/} not recovered: $(ls "$dir")"; return; }
	grep -qF "recovered '$t' of an interrupted run as '$f': $k complete packets" \
	    "$TMP/run2.err" || fail "$what: the log does not say '$k complete packets': $(cat "$TMP/run2.err")"
	[ -z "$(tmpfile "$dir")" ] || fail "$what: temp files left: $(ls "$dir")"
	readable "$what" "$f"
	w=$(walk "$f")
	[ "$w" = "ok $k 0 $(echo "$w" | cut -d' ' -f5) $(echo "$w" | cut -d' ' -f5)" ] ||
	    fail "$what: recovered file: $w, want $k whole packet blocks, no ISB, nothing after"
	[ "$(npackets "$f")" = "$k" ] || fail "$what: capinfos counts $(npackets "$f") packets, want $k"
	# plain: the recovered file is the temp file's whole blocks, byte for byte
	if [ $# -eq 0 ]; then
		cmp -s "$TMP/whole.bin" "$f" || fail "$what: the recovered file is not the temp file cut after its last whole block"
	fi
	# with the files before it, the first packets sent
	for b in "${before[@]}" "$f"; do walk "$b" payloads; done >"$TMP/got.txt"
	pcap_payloads "$TMP/ref.pcap" >"$TMP/sent.txt"
	head -n "$(wc -l <"$TMP/got.txt")" "$TMP/sent.txt" >"$TMP/want.txt"
	cmp -s "$TMP/got.txt" "$TMP/want.txt" ||
	    fail "$what: the packets of the files are not the first ones sent"
	echo "  $what: $k packets recovered, $(wc -l <"$TMP/got.txt") in all of $(wc -l <"$TMP/sent.txt") sent"
}

section
kill_case "plain pcapng"
passed "kill -9 (pcapng): the temp file's whole blocks recovered, valid for tshark"

section
kill_case "pcapng, -Z gz" -Z gz
passed "kill -9 (pcapng, -Z gz): what decompresses recovered as valid pcapng"

section
kill_case "pcapng, --pipeout 'gzip -1'" --pipeout 'gzip -1'
passed "kill -9 (pcapng, --pipeout 'gzip -1'): recovered"

# --- crafted temp files ------------------------------------------------------
# cut DIR NAME HOW: a pcapng file of 10 packets as DIR's temp file NAME of a
# dead process, its last block cut short (HOW=short) or with a trailing
# length that disagrees (HOW=tail)
section
C=$TMP/crafted
mkdir "$C"
use_mkpcap
$MK "$TMP/ten.pcap" --count 10 --size 300 --start 1700001000
"$MTRACECAP" -s 0 "pcapng:$TMP/ten.pcapng" "pcapfile:$TMP/ten.pcap" 2>"$TMP/mk.err" ||
    fail "cannot write a pcapng file: $(cat "$TMP/mk.err")"
sleep 0 &
DEAD=$!
wait "$DEAD"
kill -0 "$DEAD" 2>/dev/null && skip "pid $DEAD reused at once"
# the file without its ISB, then one more EPB: 10 packets, the last is
# block number 10
python3 - "$TMP/ten.pcapng" "$C/tmp-$DEAD-20231114-221320-00000001" \
    "$C/tmp-$DEAD-20231114-221320-00000002" <<'EOF'
import struct, sys
b = open(sys.argv[1], 'rb').read(); o = 0; blocks = []
while o < len(b):
    l = struct.unpack_from('<I', b, o + 4)[0]; blocks.append(b[o:o + l]); o += l
body = b''.join(x for x in blocks if struct.unpack_from('<I', x)[0] != 5)
last = [x for x in blocks if struct.unpack_from('<I', x)[0] == 6][-1]
open(sys.argv[2], 'wb').write(body[:-7])			# cut short
bad = bytearray(body); bad[-4:] = struct.pack('<I', len(last) + 4)
open(sys.argv[3], 'wb').write(bytes(bad))			# tail disagrees
EOF
# a file of two link types (Ethernet, raw IP), which libpcap refuses to
# read: 10 + 5 packets, the last one cut short
python3 "$TESTS_SRCDIR/tools/mkpcapng.py" --count 5 --linktype 101 \
    --start 1700001000.0005 "$TMP/raw.pcapng"
"$MTRACECAP" -s 0 "pcapng:$TMP/mixed.pcapng" "pcapfile:$TMP/ten.pcap" \
    "pcapng:$TMP/raw.pcapng" 2>"$TMP/mk.err" ||
    fail "cannot write a mixed pcapng file: $(cat "$TMP/mk.err")"
python3 - "$TMP/mixed.pcapng" "$C/tmp-$DEAD-20231114-221320-00000003" <<'EOF'
import struct, sys
b = open(sys.argv[1], 'rb').read(); o = 0; out = b''
while o < len(b):
    l = struct.unpack_from('<I', b, o + 4)[0]
    if struct.unpack_from('<I', b, o)[0] != 5:
        out += b[o:o + l]
    o += l
open(sys.argv[2], 'wb').write(out[:-7])
EOF
timeout 30 "$MTRACECAP" -s 0 -B "pcapng:$C" -G 3600 --manifest \
    "pcapfile:$TMP/ten.pcap" 2>"$TMP/c.err" ||
    fail "crafted: exit $?: $(cat "$TMP/c.err")"
# the manifest of a recovered file counts what the file holds, whatever
# its link types: packets, first and last stamp as tshark reads them
for n in 1 2 3; do
	f=$C/20231114-221320-0000000$n
	tshark -r "$f" -T fields -e frame.time_epoch 2>/dev/null >"$TMP/times"
	python3 - "$f.json" "$(npackets "$f")" "$(head -1 "$TMP/times")" \
	    "$(tail -1 "$TMP/times")" <<'EOF' ||
import calendar, json, sys, time
m = json.load(open(sys.argv[1]))
def epoch(t):	# 2023-11-14T22:13:20.000000000Z
    s, frac = t.rstrip('Z').split('.')
    return '%d.%s' % (calendar.timegm(time.strptime(s, '%Y-%m-%dT%H:%M:%S')), frac)
assert m['recovered'] is True, m
assert m['format'] == 'pcapng', m
assert m['packets'] == int(sys.argv[2]), (m['packets'], sys.argv[2])
assert epoch(m['first_packet_time']) == sys.argv[3], (m['first_packet_time'], sys.argv[3])
assert epoch(m['last_packet_time']) == sys.argv[4], (m['last_packet_time'], sys.argv[4])
EOF
	    fail "crafted $n: the manifest does not count the recovered file: $(cat "$f.json")"
done
[ "$(npackets "$C/20231114-221320-00000003")" = 14 ] ||
    fail "crafted 3: $(npackets "$C/20231114-221320-00000003") packets recovered, want 14"
for n in 1 2; do
	f=$C/20231114-221320-0000000$n
	grep -qF "recovered '$C/tmp-$DEAD-20231114-221320-0000000$n' of an interrupted run as '$f': 9 complete packets" \
	    "$TMP/c.err" || fail "crafted $n: not recovered with 9 packets: $(cat "$TMP/c.err")"
	[ -f "$f" ] && readable "crafted $n" "$f"
	[ "$(npackets "$f")" = 9 ] || fail "crafted $n: capinfos counts $(npackets "$f"), want 9"
done
passed "crafted pcapng temp files: a cut-short last block and one whose lengths disagree are dropped, the rest kept; their manifests count them, two link types too"

finish
