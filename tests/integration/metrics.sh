#!/bin/bash
# metrics.sh - --metrics-listen and --metrics-file with the real things.
#
# A real Prometheus server (Debian's prometheus, on loopback, its own
# port, storage in TMP) scrapes mtracecap every second while a paced
# FIFO input (feed.py) goes on: its query API must return
# mtracecap_output_packets_total equal to the packets in the completed
# files (capinfos) and up == 1; `promtool check metrics` accepts the
# scraped text and the textfile.  Also: the HTTP answers (200 with
# text/plain; version=0.0.4, 404, 405 with Allow: GET), a bare port bound
# on 127.0.0.1 only (ss), 200 idle connections that do not stall capture
# (files keep completing, nothing lost), the textfile never seen partial
# (a poller reads PATH and lists the directory all along: only PATH and
# PATH.tmp-<pid>), its last write after the totals are final, and the
# usage and bind errors (one line, exit status, no file).  Last, a run
# with --control too: two counter sessions made with mtracecapctl before
# the traffic; their mtracecap_session_*_total series per input equal
# `mtracecapctl poll`, tcpdump's count of the filter over the files and
# Prometheus's query API, with URI labels holding ", \ and a newline.
. "$(dirname "$0")/lib.sh"

tsan_elsewhere "the metrics endpoint (libmicrohttpd is not instrumented)"
need_cmd python3 capinfos curl ss tcpdump mergecap
command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 ||
    skip "needs prometheus and promtool (Debian: prometheus; tools/setup.sh test installs it)"

N=2500			# packets fed, 100 per second: a run of about 25 s
OUT=$TMP/out
PROMDIR=$TMP/textfile
mkdir -p "$OUT" "$PROMDIR"
MFILE=$PROMDIR/mtracecap.prom

# free_port: a TCP port free on loopback now
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# scrape PATH [CURL OPTION...]: the body of http://127.0.0.1:PORT/PATH
scrape() {
	local p=$1
	shift
	curl -s --max-time 5 "$@" "http://127.0.0.1:$PORT$p"
}
# value NAME TEXT: the value of the unlabelled sample NAME in TEXT
value() { awk -v n="$1" '$1 == n { print $2 }' <<<"$2"; }
# completed DIR: packets in its completed files (no tmp-)
completed() {
	local f t=0 n
	for f in "$1"/*; do
		case $(basename "$f") in tmp-*) continue ;; esac
		[ -f "$f" ] || continue
		n=$(npackets "$f")
		t=$((t + ${n:-0}))
	done
	echo "$t"
}
# files DIR: how many completed files it holds
files() { find "$1" -maxdepth 1 -type f ! -name 'tmp-*' | wc -l; }

# --- usage and bind errors: one line, exit status, no file -------------------
section
PORT=$(free_port)
IN=$TMP/in.pcap
python3 "$TESTS_SRCDIR/tools/mkpcap.py" --count 10 "$IN"
err1() {	# err1 WANT_RC WANT_LINE ARGS...
	local want_rc=$1 want=$2 rc=0
	shift 2
	"$MTRACECAP" "$@" >/dev/null 2>"$TMP/err" || rc=$?
	[ "$rc" -eq "$want_rc" ] || fail "$*: exit $rc, want $want_rc"
	[ "$(wc -l <"$TMP/err")" -eq 1 ] && [ "$(cat "$TMP/err")" = "mtracecap: $want" ] ||
	    fail "$*: stderr '$(cat "$TMP/err")', want 'mtracecap: $want'"
	[ -z "$(ls -A "$OUT")" ] || fail "$*: left files: $(ls -A "$OUT")"
}
err1 2 "invalid value '0' for --metrics-listen's port: must be at least 1" \
    --metrics-listen=0 -B "$OUT" "$IN"
err1 2 "invalid address 'localhost' for --metrics-listen: not a numeric IPv4 address (IPv6 goes in brackets)" \
    --metrics-listen=localhost:9100 -B "$OUT" "$IN"
err1 2 "empty value for --metrics-file" --metrics-file= -B "$OUT" "$IN"
# a port in use: before capture, nothing written
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen()
open(sys.argv[2], "w").close(); time.sleep(30)' "$PORT" "$TMP/held" &
HOLD=$!
on_exit "kill_child $HOLD"
wait_for_file "$TMP/held" 10 || fail "the port holder did not start"
err1 1 "--metrics-listen 127.0.0.1:$PORT: cannot listen: Address already in use" \
    --metrics-listen="$PORT" -B "$OUT" "$IN"
kill_child "$HOLD"
wait "$HOLD" 2>/dev/null || true
rc=0
"$MTRACECAP" --metrics-file="$TMP/none/m.prom" -B "$OUT" "$IN" 2>"$TMP/err" || rc=$?
[ "$rc" -eq 1 ] && grep -Fqx "mtracecap: --metrics-file '$TMP/none/m.prom': No such file or directory" "$TMP/err" &&
    [ "$(wc -l <"$TMP/err")" -eq 1 ] ||
    fail "unwritable --metrics-file: exit $rc, '$(cat "$TMP/err")'"
[ -z "$(ls -A "$OUT")" ] || fail "unwritable --metrics-file: left $(ls -A "$OUT")"
passed "usage and bind errors: one line, exit 2 or 1, no file"

# --- an explicit IPv6 address: bound there only ------------------------------
section
if python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
	PORT=$(free_port)
	mkfifo "$TMP/six"
	hold_fifo "$IN" "$TMP/six"
	"$MTRACECAP" --metrics-listen="[::1]:$PORT" -B "$OUT" "pcapfile:$TMP/six" 2>"$TMP/six.err" &
	SIX=$!
	on_exit "kill_child -KILL $SIX"
	i=0
	until curl -s --max-time 2 -g "http://[::1]:$PORT/metrics" >"$TMP/six.txt" &&
	    grep -q '^mtracecap_input_received_packets_total{input="pcapfile:'"$TMP"'/six"} 10$' "$TMP/six.txt"; do
		i=$((i + 1))
		[ $i -lt 50 ] || { fail "[::1]:$PORT: no answer with 10 packets read"; break; }
		sleep 0.2
	done
	listen=$(ss -Hltn "sport = :$PORT" | awk '{print $4}')
	[ "$listen" = "[::1]:$PORT" ] || fail "[::1]:$PORT listens on '$listen'"
	kill -TERM "$SIX"
	wait "$SIX" || fail "[::1]: exit $?: $(cat "$TMP/six.err")"
	kill_child "$HOLD_PID"
	rm -rf "${OUT:?}"/*
	passed "--metrics-listen=[::1]:PORT: served there, bound there only"
fi

# --- Prometheus ---------------------------------------------------------------
PORT=$(free_port)
PPORT=$(free_port)
[ "$PORT" != "$PPORT" ] || PPORT=$(free_port)
SPORT=$(free_port)	# the sessions' run (the last section)
while [ "$SPORT" = "$PORT" ] || [ "$SPORT" = "$PPORT" ]; do SPORT=$(free_port); done
cat >"$TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: mtracecap
    static_configs:
      - targets: ['127.0.0.1:$PORT']
  - job_name: mtracecap-sessions
    static_configs:
      - targets: ['127.0.0.1:$SPORT']
EOF
prometheus --config.file="$TMP/prometheus.yml" \
    --storage.tsdb.path="$TMP/tsdb" --web.listen-address="127.0.0.1:$PPORT" \
    >"$TMP/prometheus.log" 2>&1 &
PROM_PID=$!
on_exit "kill_child -KILL $PROM_PID"
i=0
until curl -sf --max-time 2 "http://127.0.0.1:$PPORT/-/ready" >/dev/null; do
	i=$((i + 1))
	if [ $i -ge 100 ] || ! kill -0 "$PROM_PID" 2>/dev/null; then
		tail -5 "$TMP/prometheus.log" >&2
		skip "prometheus does not start here"
	fi
	sleep 0.2
done
# query EXPR: the first result's value (empty if none)
query() {
	curl -s --max-time 5 "http://127.0.0.1:$PPORT/api/v1/query" \
	    --data-urlencode "query=$1" | python3 -c '
import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if r else "")'
}

# --- the run --------------------------------------------------------------
# the textfile poller: lists the directory and reads PATH every few ms
# until STOP exists; any other name, or a PATH that is not a whole text,
# is a line in BAD; the distinct texts seen are counted in SEEN
cat >"$TMP/poll.py" <<'EOF'
import os, re, sys, time
d, path, stop, bad, seen = sys.argv[1:6]
base = os.path.basename(path)
tmp = re.compile(re.escape(base) + r"\.tmp-[0-9]+$")
texts, errs = set(), []
while not os.path.exists(stop):
    for n in os.listdir(d):
        if n != base and not tmp.match(n):
            errs.append("name " + n)
    try:
        with open(path) as f:
            t = f.read()
    except FileNotFoundError:
        t = None
    if t is not None:
        if not (t.endswith("\n") and t.startswith("# HELP ")
                and "\n# TYPE mtracecap_session_bytes_total counter\n" in t):
            errs.append("partial text of %d bytes" % len(t))
        texts.add(t)
    time.sleep(0.003)
open(bad, "w").write("\n".join(errs[:20]))
open(seen, "w").write(str(len(texts)))
EOF
python3 "$TMP/poll.py" "$PROMDIR" "$MFILE" "$TMP/poll.stop" "$TMP/poll.bad" \
    "$TMP/poll.seen" &
POLL_PID=$!
on_exit "touch '$TMP/poll.stop'; kill_child $POLL_PID"

FEED_FIFO=$TMP/feed
start_feed --count "$N" --size 100 --step-us 10000 --rate 100 --idle 60
start_mtc -B "pcapfile:$OUT" -G 2 --metrics-listen="$PORT" \
    --metrics-file="$MFILE"
wait_fed 300 15 || fail "the feeder did not get going"

section
hdr=$(scrape /metrics -D - -o "$TMP/scraped.txt")
grep -qi '^content-type: text/plain; version=0.0.4' <<<"$hdr" ||
    fail "GET /metrics: headers $hdr"
grep -q '^HTTP/1.1 200' <<<"$hdr" || fail "GET /metrics: $hdr"
promtool check metrics <"$TMP/scraped.txt" >"$TMP/promtool.out" 2>&1 ||
    fail "promtool check metrics on the scrape: $(cat "$TMP/promtool.out")"
grep -q "^mtracecap_input_up{input=\"pcapfile:$FEED_FIFO\"} 1$" "$TMP/scraped.txt" ||
    fail "input_up is not 1: $(grep input_up "$TMP/scraped.txt")"
code=$(scrape /nope -o /dev/null -w '%{http_code}')
[ "$code" = 404 ] || fail "GET /nope: $code, want 404"
code=$(scrape /metrics -X POST -d x=1 -D "$TMP/h405" -o /dev/null -w '%{http_code}')
[ "$code" = 405 ] && grep -qi '^allow: GET' "$TMP/h405" ||
    fail "POST /metrics: $code, $(cat "$TMP/h405")"
# a bare port: loopback only
listen=$(ss -Hltn "sport = :$PORT" | awk '{print $4}')
[ "$listen" = "127.0.0.1:$PORT" ] || fail "bare port listens on '$listen'"
passed "GET /metrics: 200 text/plain; version=0.0.4, promtool clean; 404, 405 Allow: GET; 127.0.0.1 only"

# --- 200 idle connections do not stall capture ---------------------------
section
files0=$(files "$OUT")
fed0=$(fed)
python3 - "$PORT" 8 <<'EOF' &
import socket, sys, time
port, hold = int(sys.argv[1]), float(sys.argv[2])
socks = []
for _ in range(200):
    s = socket.socket()
    s.setblocking(False)
    s.connect_ex(("127.0.0.1", port))
    socks.append(s)
time.sleep(hold)
EOF
IDLE_PID=$!
on_exit "kill_child $IDLE_PID"
sleep 7
files1=$(files "$OUT")
fed1=$(fed)
[ "$files1" -gt "$files0" ] && [ "$fed1" -gt $((fed0 + 300)) ] ||
    fail "capture stalled behind 200 idle connections: files $files0 -> $files1, fed $fed0 -> $fed1"
wait "$IDLE_PID" 2>/dev/null || true
# the server is back once they are gone (or timed out)
i=0
until scrape /metrics | grep -q '^mtracecap_build_info'; do
	i=$((i + 1))
	[ $i -lt 15 ] || { fail "no answer after the idle connections"; break; }
	sleep 1
done
passed "200 idle connections: files kept completing ($files0 -> $files1), the server answers after"

# --- Prometheus's view equals the files ------------------------------------
section
wait_fed "$N" 40 || fail "only $(fed) of $N packets fed"
kill -HUP "$MTC_PID"	# the last file completes: every packet is in a file
i=0
while [ "$(value mtracecap_output_packets_total "$(scrape /metrics)")" != "$N" ]; do
	i=$((i + 1))
	[ $i -lt 50 ] || { fail "output_packets_total never reached $N"; break; }
	sleep 0.2
done
i=0
while [ "$(query mtracecap_output_packets_total)" != "$N" ]; do
	i=$((i + 1))
	[ $i -lt 60 ] || break
	sleep 0.5
done
got=$(query mtracecap_output_packets_total)
infiles=$(completed "$OUT")
[ "$got" = "$N" ] && [ "$infiles" = "$N" ] ||
    fail "Prometheus says mtracecap_output_packets_total=$got, the files hold $infiles, fed $N"
up=$(query 'up{job="mtracecap"}')
[ "$up" = 1 ] || fail "Prometheus says up=$up"
files_q=$(query mtracecap_files_completed_total)
[ "$files_q" = "$(files "$OUT")" ] ||
    fail "Prometheus says $files_q files completed, the directory has $(files "$OUT")"
passed "Prometheus: mtracecap_output_packets_total=$got = packets in the files (capinfos), up=1"

# --- the end: exit line, the last textfile ------------------------------------
section
stop_feed	# EOF: mtracecap drains and exits
reap "the run" 30
[ "$RC" -eq 0 ] || fail "exit status $RC: $(cat "$TMP/stderr")"
grep -q "total: files=[0-9]* written=$N lost=0 " "$TMP/stderr" ||
    fail "exit line: $(grep total: "$TMP/stderr")"
touch "$TMP/poll.stop"
wait "$POLL_PID" 2>/dev/null || true
[ -s "$TMP/poll.bad" ] && fail "the textfile poller saw: $(cat "$TMP/poll.bad")"
seen=$(cat "$TMP/poll.seen")
[ "$seen" -ge 3 ] || fail "the textfile poller saw $seen texts, want >= 3 (start, every 10 s, exit)"
promtool check metrics <"$MFILE" >"$TMP/promtool.out" 2>&1 ||
    fail "promtool check metrics on $MFILE: $(cat "$TMP/promtool.out")"
last=$(cat "$MFILE")
[ "$(value mtracecap_output_packets_total "$last")" = "$N" ] ||
    fail "the last textfile says $(value mtracecap_output_packets_total "$last") written, want $N"
[ "$(value mtracecap_files_completed_total "$last")" = "$(files "$OUT")" ] ||
    fail "the last textfile's files_completed differs from the directory"
grep -q "^mtracecap_input_packets_total{input=\"pcapfile:$FEED_FIFO\"} $N$" <<<"$last" ||
    fail "the last textfile's input_packets_total: $(grep '^mtracecap_input_packets_total' <<<"$last")"
grep -q "^mtracecap_input_bytes_total{input=\"pcapfile:$FEED_FIFO\"} $((N * 100))$" <<<"$last" ||
    fail "the last textfile's input_bytes_total: $(grep '^mtracecap_input_bytes_total' <<<"$last")"
[ "$(ls -A "$PROMDIR")" = "$(basename "$MFILE")" ] ||
    fail "textfile directory holds $(ls -A "$PROMDIR")"
no_tmp "$OUT"
passed "exit: written=$N lost=0; the textfile ($seen versions) never partial, promtool clean, final totals"

# --- counter sessions: the scrape, poll, tcpdump and Prometheus agree --------
# Two FIFO inputs, the first named with the three characters a label
# value escapes (", \ and a newline); their records come only once two
# sessions exist (mtracecapctl new), and end (EOF) after the checks of
# the live figures: then every record read is in the completed file.
# Each session's series per input must equal `mtracecapctl poll`'s
# figures, the constants fed, and (summed) tcpdump's count and capinfos'
# bytes of the filter over the completed files; Prometheus's query API
# must give them back under the raw URI (its parser undid the escapes);
# promtool accepts the text with the sessions in it.
section
CTL=$(dirname "$MTRACECAP")/mtracecapctl
[ -x "$CTL" ] || fail "no mtracecapctl beside $MTRACECAP"
use_mkpcap
SOUT=$TMP/sout SSOCK=$TMP/ctl
mkdir "$SOUT"
# A: 150 x 100 B from 198.18.1.1 and 100 x 200 B from 198.18.2.1;
# B: 80 x 300 B from 198.18.1.1 and 120 x 100 B from 198.18.3.1
$MK "$D/a1.pcap" --id 1 --size 100 --count 150 --step-us 1000 --start "$S.00001"
$MK "$D/a2.pcap" --id 2 --size 200 --count 100 --step-us 1000 --start "$S.00002"
$MK "$D/b1.pcap" --id 1 --size 300 --count 80 --step-us 1000 --start "$S.00003"
$MK "$D/b3.pcap" --id 3 --size 100 --count 120 --step-us 1000 --start "$S.00004"
mergecap -F pcap -w "$D/a.pcap" "$D/a1.pcap" "$D/a2.pcap"
mergecap -F pcap -w "$D/b.pcap" "$D/b1.pcap" "$D/b3.pcap"
FA=$TMP/'s"q\b'$'\n''nl' FB=$TMP/sb.fifo
UA=pcapfile:$FA UB=pcapfile:$FB
mkfifo "$FA" "$FB"
# the pcap header at once, the records once GO exists, EOF once END does
cat >"$TMP/hold.py" <<'EOF'
import os, sys, time
fifo, src, go, end = sys.argv[1:5]
d = open(src, "rb").read()
f = open(fifo, "wb"); f.write(d[:24]); f.flush()
while not os.path.exists(go): time.sleep(0.02)
f.write(d[24:]); f.flush()
while not os.path.exists(end): time.sleep(0.02)
EOF
for x in "$FA:$D/a.pcap" "$FB:$D/b.pcap"; do
	python3 "$TMP/hold.py" "${x%:*}" "${x##*:}" "$TMP/sgo" "$TMP/send" &
	on_exit "kill_child $!"
done
start_mtc_cmd "$TMP/sstderr" "$MTRACECAP" -v -s 0 -B "$SOUT" \
    --control="$SSOCK" --metrics-listen="$SPORT" "$UA" "$UB"
await_start "$MTC_PID" "$TMP/sstderr" "mtracecap --control --metrics-listen did not answer" \
    100 0.1 "$CTL" -s "$SSOCK" status || finish
c() { "$CTL" -s "$SSOCK" "$@"; }
# ctlval KEY COMMAND...: KEY's value in the answer of COMMAND
ctlval() { local k=$1; shift; c "$@" | sed -n "s/^$k=//p"; }
# esc TEXT: TEXT as a label value of the text format (\ " and newline)
esc() {
	local s=${1//\\/\\\\}
	s=${s//\"/\\\"}
	printf '%s' "${s//$'\n'/\\n}"
}
c new h1 filter src host 198.18.1.1 || fail "new h1"
c new all.udp filter udp || fail "new all.udp"
touch "$TMP/sgo"
# every record read (the merger holds the last ones until EOF: the files
# are counted after the end)
nread() { c stats | awk -F= '$1 ~ /^input\.[0-9]+\.read$/ { t += $2 } END { print t + 0 }'; }
i=0
while [ "$(nread)" != 450 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ "$(nread)" = 450 ] || fail "sessions' run: $(nread) records read, want 450"
PORT=$SPORT scrape /metrics >"$TMP/sscraped.txt"
promtool check metrics <"$TMP/sscraped.txt" >"$TMP/promtool.out" 2>&1 ||
    fail "promtool check metrics with sessions: $(cat "$TMP/promtool.out")"
# the figures: SESSION BPF PACKETS_A BYTES_A PACKETS_B BYTES_B
cat >"$TMP/want" <<EOF
h1 src host 198.18.1.1|150 15000 80 24000
all.udp udp|250 35000 200 36000
EOF
summary=
while IFS='|' read -r sb want; do
	s=${sb%% *} bpf=${sb#* }
	c poll "$s" >"$TMP/spoll" || fail "poll $s: $(cat "$TMP/spoll")"
	pv() { sed -n "s/^$1=//p" "$TMP/spoll"; }
	got="$(pv input.0.packets) $(pv input.0.bytes) $(pv input.1.packets) $(pv input.1.bytes)"
	[ "$got" = "$want" ] || fail "poll $s: per input $got, want $want"
	# the scrape: the series of each input, its label escaped
	read -r pa ba pb bb <<<"$got"
	for l in "packets $UA $pa" "bytes $UA $ba" "packets $UB $pb" "bytes $UB $bb"; do
		k=${l%% *} l=${l#* } v=${l##* } u=${l% *}
		line="mtracecap_session_${k}_total{session=\"$s\",input=\"$(esc "$u")\"} $v"
		grep -qxF "$line" "$TMP/sscraped.txt" ||
		    fail "scrape: no line '$line': $(grep "^mtracecap_session_${k}_total{session=\"$s\"" "$TMP/sscraped.txt" | tr '\n' ' ')"
	done
	cp "$TMP/spoll" "$TMP/spoll.$s"
done <"$TMP/want"
# Prometheus: "JSON(input) value" per series of a session, sorted
prom_series() {
	curl -s --max-time 5 "http://127.0.0.1:$PPORT/api/v1/query" \
	    --data-urlencode "query=$1" | python3 -c '
import json, sys
r = json.load(sys.stdin)["data"]["result"]
for x in sorted(r, key=lambda x: x["metric"].get("input", "")):
    print(json.dumps(x["metric"].get("input")), x["value"][1])'
}
jenc() { python3 -c 'import json, sys; print(json.dumps(sys.argv[1]))' "$1"; }
while IFS='|' read -r sb want; do
	s=${sb%% *}
	read -r pa ba pb bb <<<"$want"
	for k in packets bytes; do
		if [ $k = packets ]; then va=$pa vb=$pb; else va=$ba vb=$bb; fi
		exp=$(printf '%s %s\n%s %s\n' "$(jenc "$UA")" "$va" "$(jenc "$UB")" "$vb" | sort)
		q="mtracecap_session_${k}_total{job=\"mtracecap-sessions\",session=\"$s\"}"
		i=0
		until [ "$(prom_series "$q")" = "$exp" ]; do
			i=$((i + 1))
			[ $i -lt 40 ] || break
			sleep 0.5
		done
		[ "$(prom_series "$q")" = "$exp" ] ||
		    fail "Prometheus: $q is '$(prom_series "$q" | tr '\n' ';')', want '$(tr '\n' ';' <<<"$exp")'"
	done
done <"$TMP/want"
touch "$TMP/send"
reap "the sessions' run" 20
[ "$RC" = 0 ] || fail "the sessions' run: exit status $RC: $(tail -3 "$TMP/sstderr")"
grep -q "total: files=1 written=450 lost=0 " "$TMP/sstderr" ||
    fail "the sessions' run: $(grep total: "$TMP/sstderr")"
# tcpdump and capinfos over the completed file: what each filter matches
summary=
while IFS='|' read -r sb want; do
	s=${sb%% *} bpf=${sb#* }
	read -r pa ba pb bb <<<"$want"
	tp=0 tb=0
	for f in "$SOUT"/*; do
		tcpdump -r "$f" -w "$TMP/match.pcap" "$bpf" 2>/dev/null
		tp=$((tp + $(tcpdump -r "$f" "$bpf" 2>/dev/null | wc -l)))
		tb=$((tb + $(capinfos -M -d "$TMP/match.pcap" | awk -F': *' '/Data size/ { print $2 + 0 }')))
	done
	pp=$(sed -n 's/^packets=//p' "$TMP/spoll.$s") pb_=$(sed -n 's/^bytes=//p' "$TMP/spoll.$s")
	[ "$tp" = "$pp" ] && [ "$tp" = $((pa + pb)) ] &&
	    [ "$tb" = "$pb_" ] && [ "$tb" = $((ba + bb)) ] ||
	    fail "session $s ($bpf): tcpdump counts $tp packets / $tb bytes in the files, poll said $pp / $pb_, per input $want"
	summary="$summary $s=$tp"
done <"$TMP/want"
passed "sessions:$summary: scrape = poll = tcpdump/capinfos over the file = Prometheus's query API, per input; escaped URI labels round-trip; promtool clean"

finish
