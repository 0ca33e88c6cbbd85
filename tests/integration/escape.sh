#!/usr/bin/env bash
# escape.sh - names that hold control characters (a newline, an escape
# sequence, a tab) or a backslash never reach the log or systemd's STATUS
# raw: they are escaped as vis(3) does (\n, \033, \t, \\), in every
# message, so that one event stays one line and a file name cannot paint
# the operator's terminal or add a line to the journal.  1.0.0 printed
# them raw.  (The error messages themselves are in cli_errors.sh.)
. "$(dirname "$0")/lib.sh"
tsan_elsewhere "control characters in names and messages"
need_cmd python3 capinfos
use_mkpcap

NL=$'\n' ESC=$'\033' TAB=$'\t'
# raw and escaped forms of the same name part
RAW="x${NL}y${ESC}[31m${TAB}z\\w"
SHOWN='x\ny\033[31m\tz\\w'
IN=$D/in$RAW.pcap
$MK "$IN" --count 300 --start $S --step-us 10000
OUT=$TMP/out$RAW
mkdir -p "$OUT"

# check_lines WHAT LOG: every line is a whole log line, no raw ESC or TAB
check_lines() {
	local what=$1 log=$2 bad
	bad=$(grep -v '^mtracecap: ' "$log" || true)
	[ -z "$bad" ] || fail "$what: lines that are not log lines: $bad"
	if grep -q "[$ESC$TAB]" "$log"; then
		fail "$what: a raw escape or tab in the log"
	fi
}

# -v: a line per file and per input names the directory and the input
rc=0
"$MTRACECAP" -v -G 1 -B "pcapfile:$OUT" "$IN" 2>"$TMP/log" || rc=$?
[ "$rc" -eq 0 ] || fail "-v run: exit $rc: $(head -c 300 "$TMP/log")"
check_lines "-v run" "$TMP/log"
grep -qF "mtracecap: file $TMP/out$SHOWN/" "$TMP/log" ||
    fail "-v run: no 'file' line with the escaped directory: $(head -c 300 "$TMP/log")"
grep -qF "mtracecap: input=0 $D/in$SHOWN.pcap: read=300 " "$TMP/log" ||
    fail "-v run: no input line with the escaped input name"
nfiles=0
for f in "$OUT"/*; do
	nfiles=$((nfiles + $(npackets "$f")))
done
[ "$nfiles" -eq 300 ] || fail "-v run: files hold $nfiles packets, want 300"

# a warning: the input named twice
rm -rf "${OUT:?}"/*
rc=0
"$MTRACECAP" -B "pcapfile:$OUT" "$IN" "pcapfile:$TMP/missing$RAW" \
    2>"$TMP/log" || rc=$?
[ "$rc" -eq 1 ] || fail "missing input: exit $rc, want 1"
check_lines "missing input" "$TMP/log"
[ "$(wc -l <"$TMP/log")" -eq 1 ] ||
    fail "missing input: $(wc -l <"$TMP/log") lines, want 1: $(cat "$TMP/log")"

# systemd's STATUS names the last file (its base name: the name gets
# them from --file-ext here): a newline there would start another
# assignment
if readelf -d "$MTRACECAP" 2>/dev/null | grep -q 'NEEDED.*\[libsystemd\.so'; then
	cat >"$TMP/listen.py" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as f:
    f.write("LISTENING\n")
    while True:
        data = s.recv(8192)
        for line in data.decode("utf-8", "replace").split("\n"):
            if line:
                f.write(line + "\n")
EOF
	SOCK=$TMP/notify.sock
	python3 "$TMP/listen.py" "$SOCK" "$TMP/notify.log" &
	on_exit "kill_child $!"
	i=0
	until grep -q LISTENING "$TMP/notify.log" 2>/dev/null; do
		[ $i -lt 100 ] || { fail "the listener did not start"; break; }
		sleep 0.05
		i=$((i + 1))
	done
	rm -rf "${OUT:?}"/*
	rc=0
	NOTIFY_SOCKET=$SOCK "$MTRACECAP" -U -B "pcapfile:$OUT" \
	    --file-ext="$RAW" "$IN" 2>"$TMP/log" || rc=$?
	[ "$rc" -eq 0 ] || fail "notify run: exit $rc"
	i=0
	until grep -q '^STATUS=stopped: ' "$TMP/notify.log"; do
		[ $i -lt 100 ] || { fail "no final STATUS"; break; }
		sleep 0.05
		i=$((i + 1))
	done
	bad=$(grep -Ev '^(LISTENING|READY=1|MAINPID=[0-9]+|STATUS=.*|STOPPING=1|WATCHDOG=1)$' \
	    "$TMP/notify.log" || true)
	[ -z "$bad" ] || fail "notify: lines that are no assignment: $bad"
	grep -qF "last file 20231114-221320-00000000$SHOWN" "$TMP/notify.log" ||
	    fail "notify: no STATUS with the escaped file name: $(grep STATUS "$TMP/notify.log" | tail -n 2)"
	if grep -q "[$ESC$TAB]" "$TMP/notify.log"; then
		fail "notify: a raw escape or tab in STATUS"
	fi
else
	echo "note: built without libsystemd: STATUS is not checked" >&2
fi

[ "$FAILS" -eq 0 ] && pass "control characters in names are escaped"
finish
