#!/usr/bin/env bash
# manifest.sh - --manifest: NAME.json beside every file.  For pcap and
# pcapng output, -G and -S rotation and -Z gz, for every file: its JSON
# parses (python3), "sha256" equals sha256sum's, "size" the file's,
# "packets" capinfos', the first and last packet times tshark's
# frame.time_epoch of the first and last packet, the per-input packets
# what each input (distinct 198.18/15 addresses) has in the file.  A
# watcher listing the directory as fast as it can, started before
# mtracecap, never sees NAME without NAME.json; a --post-rotate hook sees
# both.  kill -9 mid-capture, then a restart: the recovered file gets
# "recovered": true with counts equal to capinfos'.  --manifest without
# -B is refused (exit 2, one line).  A -B directory whose name holds a
# quote, a backslash, a newline and a non-UTF-8 byte gets manifests that
# parse, with the exact bytes in file_b64 when the name is not UTF-8.
. "$(dirname "$0")/lib.sh"
need_cmd python3 capinfos tshark sha256sum gzip
export LC_ALL=C
shopt -s nullglob
use_mkpcap

# three inputs, ids 1 2 3 (198.18.ID.1), 2 s of packets each
$MK "$D/a.pcap" --count 400 --start $S --step-us 5000 --id 1
$MK "$D/b.pcap" --count 2000 --start $S --step-us 1000 --id 2 --size 1400
$MK "$D/c.pcap" --count 200 --start $S --step-us 10000 --id 3 --jitter-us 3000
INPUTS=("pcapfile:$D/a.pcap" "pcapfile:$D/b.pcap" "pcapfile:$D/c.pcap")

# check_manifests WHAT DIR FORMAT COMPRESSED RECOVERED: every data file
# in DIR has a valid manifest that agrees with the file
check_manifests() {
	local what=$1 dir=$2 fmt=${3/pcapfile/pcap} gz=$4 rec=$5 f n=0 plainf
	for f in "$dir"/*; do
		case $f in *.json|*/hook.log|*/watch.log) continue ;; esac
		n=$((n + 1))
		[ -f "$f.json" ] || { fail "$what: ${f##*/} has no manifest"; continue; }
		plainf=$f
		if [ "$gz" = 1 ]; then
			plainf=$TMP/plain.$n
			gzip -dc <"$f" >"$plainf" || fail "$what: ${f##*/} is no gzip"
		fi
		tshark -r "$plainf" -T fields -e frame.time_epoch -e ip.src \
		    >"$TMP/fields" 2>"$TMP/tshark.err" ||
		    fail "$what: tshark cannot read ${f##*/}: $(head -c 300 "$TMP/tshark.err")"
		python3 - "$f" "$fmt" "$rec" "$(sha256sum <"$f" | cut -d' ' -f1)" \
		    "$(stat -c %s "$f")" "$(npackets "$plainf")" "$TMP/fields" \
		    "${#INPUTS[@]}" <<'EOF' || fail "$what: ${f##*/}: manifest disagrees (above)"
import json, sys, os, datetime
path, fmt, rec, sha, size, npk, fields, nin = sys.argv[1:9]
m = json.load(open(path + ".json", "rb"))
bad = []
def want(k, v):
    if m.get(k) != v:
        bad.append("%s: %r, want %r" % (k, m.get(k), v))
name = os.path.basename(os.fsencode(path))
try:
    want("file", name.decode("utf-8"))
except UnicodeDecodeError:
    import base64
    want("file_b64", base64.b64encode(name).decode())
want("format", fmt)
want("sha256", sha)
want("size", int(size))
want("packets", int(npk))
want("recovered", rec == "1")
rows = [l.split("\t") for l in open(fields).read().splitlines() if l]
def rfc(t):
    s, frac = t.split(".")
    d = datetime.datetime.fromtimestamp(int(s), datetime.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + frac.ljust(9, "0")[:9] + "Z"
if rows:
    want("first_packet_time", rfc(rows[0][0]))
    want("last_packet_time", rfc(rows[-1][0]))
else:
    want("first_packet_time", None)
for k in ("file", "format", "sequence", "size", "sha256", "packets",
          "first_packet_time", "last_packet_time", "disorders",
          "start_time", "close_time", "host", "mtracecap_version",
          "recovered", "inputs"):
    if k not in m:
        bad.append("no field " + k)
if rec == "1":
    want("inputs", [])
else:
    if len(m["inputs"]) != int(nin):
        bad.append("%d inputs, want %s" % (len(m["inputs"]), nin))
    for i, inp in enumerate(m["inputs"]):
        src = "198.18.%d.1" % (i + 1)
        have = sum(1 for r in rows if r[1] == src)
        if inp["packets"] != have:
            bad.append("input %d: packets %r, file has %d" % (i, inp["packets"], have))
        for k in ("uri", "interfaces", "bytes", "kernel_drops",
                  "interface_drops", "filtered", "lost", "gaps"):
            if k not in inp:
                bad.append("input %d: no field %s" % (i, k))
        if inp.get("lost") != 0 or inp.get("gaps") != []:
            bad.append("input %d: lost %r gaps %r" % (i, inp.get("lost"), inp.get("gaps")))
    if sum(i["packets"] for i in m["inputs"]) != m["packets"]:
        bad.append("inputs' packets do not add up")
for b in bad:
    print("  " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
	done
	[ "$n" -ge 1 ] || fail "$what: no file in $dir"
	COUNT=$n
}

# watch DIR LOG: list DIR in a loop until DIR/stop exists; every data
# file seen without its .json goes to LOG (dot files are not data files)
watch() {
	python3 - "$1" "$2" <<'EOF' &
import os, sys
d, log = sys.argv[1], sys.argv[2]
seen = set()
with open(log, "w") as out:
    while not os.path.exists(os.path.join(d, "stop")):
        names = set(os.listdir(d))
        for n in names:
            # (.mtracecap-delivery: the --post-rotate hook's state file)
            if n.startswith(("tmp-", ".")) or n.endswith((".json", ".log")) or n == "stop":
                continue
            if n + ".json" not in names and n not in seen:
                seen.add(n)
                out.write(n + "\n")
                out.flush()
EOF
	WATCH_PID=$!
	on_exit "kill_child $WATCH_PID"
}

# hook: records, for each file it is given, whether FILE and FILE.json
# are both there
HOOK=$TMP/hook.sh
cat >"$HOOK" <<'EOF'
#!/bin/sh
if [ -f "$1" ] && [ -f "$1.json" ]; then echo "both $1"; else echo "missing $1"; fi >>"$(dirname "$1")/hook.log"
EOF
chmod +x "$HOOK"

# run_case WHAT FORMAT GZ OPTIONS...: a run into a fresh dir, watched
run_case() {
	local what=$1 fmt=$2 gz=$3 out
	shift 3
	out=$TMP/$what
	mkdir -p "$out"
	section
	watch "$out" "$TMP/$what.watch"
	sleep 0.2
	"$MTRACECAP" -s 0 -B "$fmt:$out" --manifest --post-rotate="$HOOK" \
	    "$@" "${INPUTS[@]}" 2>"$TMP/$what.err" ||
	    fail "$what: exit $?: $(head -c 500 "$TMP/$what.err")"
	# the hooks run on; wait for them
	local i=0
	while [ "$(cat "$out/hook.log" 2>/dev/null | wc -l)" -lt "$(ls "$out" | grep -vc '\.json$\|\.log$')" ] && [ $i -lt 100 ]; do
		sleep 0.05; i=$((i + 1))
	done
	touch "$out/stop"
	wait "$WATCH_PID" 2>/dev/null || true
	rm -f "$out/stop"
	[ ! -s "$TMP/$what.watch" ] ||
	    fail "$what: the watcher saw files without their manifest: $(head -3 "$TMP/$what.watch")"
	check_manifests "$what" "$out" "$fmt" "$gz" 0
	[ "$(grep -c '^both ' "$out/hook.log" 2>/dev/null)" -eq "$COUNT" ] ||
	    fail "$what: the hook did not see both files each time: $(cat "$out/hook.log" 2>/dev/null)"
	! grep -q '^missing' "$out/hook.log" || fail "$what: $(grep '^missing' "$out/hook.log" | head -2)"
	passed "$what: $COUNT files, each with a manifest that agrees"
}

run_case pcap-G pcapfile 0 -G 1
run_case pcapng-G pcapng 0 -G 1
run_case pcap-S pcapfile 0 -S 1 --time-stamp-precision=nano
run_case pcapng-S-gz pcapng 1 -S 1 -Z gz --file-ext .pcapng.gz
run_case pcap-gz pcapfile 1 -G 1 -Z gz

# the schema: sequence numbers, wall clock, version
section
python3 - "$TMP/pcap-G" <<'EOF' || fail "schema: see above"
import json, glob, re, sys
t = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$")
for i, p in enumerate(sorted(glob.glob(sys.argv[1] + "/*.json"))):
    m = json.load(open(p))
    assert m["sequence"] == i, (p, m["sequence"])
    assert t.match(m["start_time"]) and t.match(m["close_time"]), p
    assert m["start_time"] <= m["close_time"], p
    assert m["disorders"] == 0 and m["recovered"] is False, p
    assert m["file_b64"] is None and m["host"], p
    assert [x["interfaces"] for x in m["inputs"]] == [[n] for n in ("a.pcap", "b.pcap", "c.pcap")] or all(len(x["interfaces"]) == 1 for x in m["inputs"]), p
EOF
passed "schema: sequence numbers count up, times are RFC 3339 with ns"

# --manifest without -B
section
rc=0
"$MTRACECAP" --manifest "$TMP/one.pcap" "${INPUTS[0]}" 2>"$TMP/nob.err" || rc=$?
[ "$rc" -eq 2 ] || fail "--manifest without -B: exit $rc, want 2"
[ "$(cat "$TMP/nob.err")" = "mtracecap: --manifest needs -B: only files in a directory get manifests" ] ||
    fail "--manifest without -B: stderr '$(cat "$TMP/nob.err")'"
[ ! -e "$TMP/one.pcap" ] || fail "--manifest without -B left a file"
passed "--manifest without -B is refused (exit 2, one line)"

# odd bytes in the directory name, and in a file name through --file-ext
section
odd=$TMP/$'odd"q\\b\nn\xff'
mkdir -p "$odd"
"$MTRACECAP" -s 0 -B "pcapfile:$odd" --manifest -G 1 $'--file-ext=.\xfe"\\x' \
    "${INPUTS[@]}" 2>"$TMP/odd.err" || fail "odd names: exit $?: $(cat "$TMP/odd.err")"
check_manifests "odd names" "$odd" pcapfile 0 0
passed "odd bytes in names: $COUNT manifests parse, file_b64 holds the exact name"

# kill -9 mid-capture, then a restart: the recovered file's manifest.
# The feeder pauses after 4500 packets (libwandio holds MiBs) (the writer flushes when idle);
# the restart reads a file of other times, so names cannot collide.
section
out=$TMP/recover
$MK "$D/late.pcap" --count 10 --start $((S + 86400)) --id 4
FEED_FIFO=$TMP/feed FEED_REF=
for c in pcapfile pcapng pcapfile-gz; do
	fmt=${c%-gz} z=()
	[ "$c" = "$fmt" ] || z=(-Z gz)
	rm -rf "$out" "$TMP/feed.paused"; mkdir -p "$out"
	start_feed --count 6000 --step-us 1000 --start $S --idle 3600 \
	    --random-payload --size 1200 \
	    --pause-after 4500 --pause 30 --pause-flag "$TMP/feed.paused"
	start_mtc -B "$fmt:$out" --manifest -G 3600 "${z[@]}"
	i=0 t=
	while [ $i -lt 200 ]; do
		t=$(tmpfile "$out") || t=
		if [ -e "$TMP/feed.paused" ] && [ -n "$t" ] &&
		    [ "$(stat -c %s "$t" 2>/dev/null || echo 0)" -ge 50000 ]; then
			break
		fi
		sleep 0.05; i=$((i + 1))
	done
	kill -9 "$MTC_PID"; wait "$MTC_PID" 2>/dev/null || true
	MTC_PID=
	stop_feed
	[ -n "$t" ] && [ $i -lt 200 ] || { fail "recovery $c: no temp file of 50000 bytes"; continue; }
	"$MTRACECAP" -s 0 -B "$fmt:$out" --manifest -G 3600 "${z[@]}" "pcapfile:$D/late.pcap" \
	    2>"$TMP/rec.err" || fail "recovery $c: restart exit $?: $(cat "$TMP/rec.err")"
	grep -q "recovered '.*' of an interrupted run" "$TMP/rec.err" ||
	    fail "recovery $c: nothing recovered: $(cat "$TMP/rec.err")"
	rf=${t##*/tmp-}; rf=$out/${rf#*-}
	[ -f "$rf" ] || { fail "recovery $c: ${rf##*/} not there: $(ls "$out")"; continue; }
	rm -rf "$TMP/r1"; mkdir -p "$TMP/r1"
	cp "$rf" "$TMP/r1/"; cp "$rf.json" "$TMP/r1/" 2>/dev/null || fail "recovery $c: no manifest"
	check_manifests "recovery $c" "$TMP/r1" "$fmt" $(( ${#z[@]} / 2 )) 1
	python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); assert m["packets"] >= 100 and m["disorders"] is None and m["start_time"] is None and m["sequence"] == 0' "$rf.json" ||
	    fail "recovery $c: $(cat "$rf.json")"
	[ -z "$(ls "$out" | grep '^tmp-')" ] || fail "recovery $c: temp files left: $(ls "$out")"
done
passed "kill -9, restart: the recovered file's manifest says recovered with capinfos' count"

finish
