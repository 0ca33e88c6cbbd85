#!/usr/bin/env bash
# rclone_hook.sh - contrib/mtracecap-rclone, the --post-rotate hook that
# ships each file and its manifest with rclone, against `rclone serve
# webdav` on 127.0.0.1 serving a directory of the test's (a remote
# without hashes: checked by reading back), the remote named by
# RCLONE_CONFIG_DAV_* variables.
#
# 1. The hook alone: usage errors exit 2; an rclone whose copyto uploads
#    a changed copy (a wrapper first in PATH) makes it exit 1 with one
#    line saying what does not match, on the WebDAV remote (read back) and
#    on a local directory (rclone's sha256): the check is not a formality;
#    SIGTERM ends the hook at once and the rclone it runs with it.
# 2. mtracecap -G 1 --manifest --post-rotate='env RCLONE_CONFIG_DAV_...
#    mtracecap-rclone dav:cap' on a FIFO fed 10 packets a second, the
#    server stopped after a few files and started again 4 s later:
#    - every run of the hook that exited 0 left its file and manifest on
#      the server byte for byte (cmp), and the file's sha256 is the one
#      in its manifest; nothing else is on the server;
#    - files before the stop arrived; the hook exited non-zero for the
#      files it ran for while the server was down; a file completed after
#      the restart arrived;
#    - failed runs are retried (the delivery state file
#      DIR/.mtracecap-delivery lists them), so every file arrives in the
#      end, those of the outage included.
. "$(dirname "$0")/lib.sh"
tsan_elsewhere "the rclone hook"
need_cmd rclone python3 cmp sha256sum
export LC_ALL=C
shopt -s nullglob

HOOK=$(cd "$TESTS_SRCDIR/../contrib" && pwd)/mtracecap-rclone
[ -x "$HOOK" ] || { fail "no executable hook at $HOOK"; finish; }

# rclone's own configuration only, and no config file of the machine's
export RCLONE_CONFIG=$TMP/rclone.conf	# never created
SRV=$TMP/srv		# what the WebDAV server serves
mkdir -p "$SRV"
SRV_PID= PORT=0

# start_server: rclone serve webdav on 127.0.0.1:PORT (PORT 0: any free
# port, then PORT is the one it got); 1 and a failure if it does not start
start_server() {
	local log=$TMP/serve.$RANDOM.log i=0
	rclone serve webdav --addr "127.0.0.1:$PORT" "$SRV" >"$log" 2>&1 &
	SRV_PID=$!
	on_exit "kill_child $SRV_PID"
	until grep -q 'WebDav Server started on http://127.0.0.1:[0-9]*/' "$log"; do
		if ! kill -0 "$SRV_PID" 2>/dev/null || [ $i -ge 100 ]; then
			fail "rclone serve webdav on port $PORT did not start: $(cat "$log")"
			return 1
		fi
		sleep 0.05
		i=$((i + 1))
	done
	PORT=$(sed -n 's|.*started on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$log" | head -n 1)
}
stop_server() {
	kill_child "$SRV_PID"
	wait "$SRV_PID" 2>/dev/null || true
	SRV_PID=
}
start_server || finish
# the remote, for the hook run by hand
export RCLONE_CONFIG_DAV_TYPE=webdav RCLONE_CONFIG_DAV_URL=http://127.0.0.1:$PORT/ \
    RCLONE_CONFIG_DAV_VENDOR=other

# A small capture and its manifest to ship by hand.
use_mkpcap
$MK "$D/in.pcap" --count 40 --start $S
mkdir -p "$TMP/one"
"$MTRACECAP" -s 0 -B "pcapfile:$TMP/one" --manifest "$D/in.pcap" 2>"$TMP/one.err" ||
    fail "mtracecap for the hand-shipped file: $(cat "$TMP/one.err")"
ONE=$(ls "$TMP/one"/2*[0-9] | head -n 1)

# --- 1. the hook alone -------------------------------------------------------
section
rc=0
"$HOOK" >"$TMP/out" 2>"$TMP/err" || rc=$?
[ "$rc" -eq 2 ] && grep -q '^usage: mtracecap-rclone ' "$TMP/err" ||
    fail "no arguments: exit $rc, want 2 and the usage: $(cat "$TMP/err")"
rc=0
"$HOOK" dav:x "$TMP/no-such-file" 2>"$TMP/err" || rc=$?
[ "$rc" -eq 2 ] && [ "$(cat "$TMP/err")" = "mtracecap-rclone: '$TMP/no-such-file' is not a regular file" ] ||
    fail "missing file: exit $rc, want 2 and one line naming it: $(cat "$TMP/err")"
# an honest run by hand: quiet, exit 0, both there
rc=0
"$HOOK" dav:hand "$ONE" >"$TMP/out" 2>"$TMP/err" || rc=$?
[ "$rc" -eq 0 ] && [ ! -s "$TMP/err" ] && [ ! -s "$TMP/out" ] ||
    fail "by hand: exit $rc, output: $(cat "$TMP/out" "$TMP/err")"
for f in "$ONE" "$ONE.json"; do
	cmp -s "$f" "$SRV/hand/${f##*/}" || fail "by hand: '${f##*/}' did not arrive intact"
done
# the same, remote 'dav:' (its root)
"$HOOK" dav: "$ONE" 2>"$TMP/err" && cmp -s "$ONE" "$SRV/${ONE##*/}" ||
    fail "to dav: (the root): $(cat "$TMP/err")"
rm -f "$SRV/${ONE##*/}" "$SRV/${ONE##*/}.json"
# An rclone that uploads a changed copy: the check must see it.
REAL_RCLONE=$(command -v rclone)
mkdir -p "$TMP/badbin"
cat >"$TMP/badbin/rclone" <<EOF
#!/bin/sh
# rclone, but copyto ... SRC DST uploads SRC with byte 20 changed
for a; do :; done
case " \$* " in
*" copyto "*)
	n=\$#
	i=0
	for a; do
		i=\$((i + 1))
		[ \$i -eq \$((n - 1)) ] && src=\$a
	done
	cp "\$src" "$TMP/changed"
	printf 'X' | dd of="$TMP/changed" bs=1 seek=20 conv=notrunc 2>/dev/null
	exec "$REAL_RCLONE" copyto -q "$TMP/changed" "\$a" ;;
esac
exec "$REAL_RCLONE" "\$@"
EOF
chmod +x "$TMP/badbin/rclone"
mkdir -p "$TMP/localdst"
for remote in dav:bad "$TMP/localdst"; do
	rc=0
	PATH="$TMP/badbin:$PATH" "$HOOK" "$remote" "$ONE" >"$TMP/out" 2>"$TMP/err" || rc=$?
	if [ "$rc" -ne 1 ] || [ "$(wc -l <"$TMP/err")" -ne 1 ] ||
	    ! grep -qF "does not match '$ONE'" "$TMP/err"; then
		fail "changed upload to $remote: exit $rc, want 1 and one line: $(cat "$TMP/err")"
	fi
	echo "  changed upload to $remote: $(cat "$TMP/err")"
done
[ ! -e "$SRV/bad/${ONE##*/}.json" ] && [ ! -e "$TMP/localdst/${ONE##*/}.json" ] ||
    fail "changed upload: the manifest was shipped although its file did not check out"
# and the local directory path passes when nothing is changed
"$HOOK" "$TMP/localdst" "$ONE" 2>"$TMP/err" && cmp -s "$ONE.json" "$TMP/localdst/${ONE##*/}.json" ||
    fail "to a local directory: $(cat "$TMP/err")"
# SIGTERM (mtracecap's --post-rotate-timeout) ends the rclone that runs
# too: a remote on a closed port, where rclone retries for ~45 s
RCLONE_CONFIG_DOWN_TYPE=webdav RCLONE_CONFIG_DOWN_URL=http://127.0.0.1:9/ \
    "$HOOK" "down:sig-$$" "$ONE" 2>"$TMP/err" &
HP=$!
on_exit "kill_child $HP"
i=0
until pgrep -P "$HP" rclone >/dev/null || [ $i -ge 100 ]; do sleep 0.05; i=$((i + 1)); done
if ! kill -0 "$HP" 2>/dev/null; then
	fail "SIGTERM: the hook ended before it could be signalled: $(cat "$TMP/err")"
else
	t0=$(date +%s%N)
	kill -TERM "$HP"
	rc=0
	wait "$HP" || rc=$?
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	sleep 0.2
	left=$(pgrep -af "down:sig-$$" || true)
	[ "$rc" -eq 1 ] && [ "$ms" -lt 2000 ] && [ -z "$left" ] ||
	    fail "SIGTERM: exit $rc after $ms ms (want 1, at once), rclone left: '$left'"
	echo "  SIGTERM: the hook exited $rc after $ms ms, its rclone with it"
fi
rm -rf "${SRV:?}"/*
passed "the hook alone: usage errors exit 2, a changed upload is caught (WebDAV read back, local hash), honest runs are quiet, SIGTERM ends its rclone"

# --- 2. mtracecap with the hook; the server goes away and comes back ---------
section
OUT=$TMP/out.d
mkdir -p "$OUT"
HLOG=$TMP/hook.log	# one line per run: start TIME FILE / end TIME STATUS FILE
: >"$HLOG"
cat >"$TMP/wrap.sh" <<EOF
#!/bin/sh
for f; do :; done
echo "start \$(date +%s.%N) \$f" >>"$HLOG"
"\$@"
st=\$?
echo "end \$(date +%s.%N) \$st \$f" >>"$HLOG"
exit \$st
EOF
chmod +x "$TMP/wrap.sh"
# rclone's own settings: fail at once when the server is away (its
# default retries take ~45 s against a refused connection)
ENVS="RCLONE_CONFIG=$TMP/rclone.conf RCLONE_CONFIG_DAV_TYPE=webdav"
ENVS="$ENVS RCLONE_CONFIG_DAV_URL=http://127.0.0.1:$PORT/ RCLONE_CONFIG_DAV_VENDOR=other"
ENVS="$ENVS RCLONE_RETRIES=1 RCLONE_LOW_LEVEL_RETRIES=1"
FEED_FIFO=$TMP/fifo
start_feed --count 1000 --size 200 --step 0.1 --rate 10
start_mtc -B "pcapfile:$OUT" -G 1 --manifest \
    --post-rotate="env $ENVS $TMP/wrap.sh $HOOK dav:cap"
T0=$(date +%s.%N)

now() { date +%s.%N; }
# ended_ok: the files whose hook has exited 0 so far
ended_ok() { awk '$1 == "end" && $3 == 0 {print $4}' "$HLOG" | sort -u; }
# wait_until SECONDS CMD...: poll CMD every 0.2 s
wait_until() {
	local i=0 max=$(( $1 * 5 ))
	shift
	until "$@"; do
		[ $i -lt $max ] || return 1
		kill -0 "$MTC_PID" 2>/dev/null || return 1
		sleep 0.2
		i=$((i + 1))
	done
}
n_ok_ge() { [ "$(ended_ok | wc -l)" -ge "$1" ]; }

if ! wait_until 20 n_ok_ge 3; then
	fail "no 3 files delivered in 20 s: $(cat "$TMP/stderr") hook runs: $(cat "$HLOG")"
fi
# failed hooks are retried: the files of the outage must arrive too
[ -e "$OUT/.mtracecap-delivery" ] ||
    fail "no delivery state file $OUT/.mtracecap-delivery"
T_DOWN=$(now)
stop_server
sleep 4
T_UP=$(now)
OLDPORT=$PORT
start_server || true
[ "$PORT" = "$OLDPORT" ] || fail "the server came back on port $PORT, not $OLDPORT"

# a file completed after the restart: its first hook run starts after T_UP
after_up() {
	awk -v t="$T_UP" '$1 == "start" && $2 > t && !($3 in seen) {print $3} $1 == "start" {seen[$3] = 1}' \
	    "$HLOG" >"$TMP/after"
	local f
	while read -r f; do
		ended_ok | grep -qxF "$f" && return 0
	done <"$TMP/after"
	return 1
}
wait_until 20 after_up || fail "no file completed after the restart was delivered within 20 s"
# every file (of those completed so far) delivered, the outage's by retries
all_here() {
	local f
	for f in "$OUT"/2*[0-9]; do
		cmp -s "$f" "$SRV/cap/${f##*/}" && cmp -s "$f.json" "$SRV/cap/${f##*/}.json" ||
		    return 1
	done
}
wait_until 60 all_here ||
    fail "with retries: not every file arrived within 60 s of the restart"
kill -TERM "$MTC_PID"
reap "mtracecap with the rclone hook" 60
[ "$RC" -eq 0 ] || fail "mtracecap exit $RC: $(tail -n 5 "$TMP/stderr")"
T_END=$(now)

# What arrived: every run that exited 0, byte for byte, manifests too.
nok=0
while read -r f; do
	nok=$((nok + 1))
	b=${f##*/}
	cmp -s "$f" "$SRV/cap/$b" || fail "hook exited 0 for $b, but the server's copy differs or is missing"
	cmp -s "$f.json" "$SRV/cap/$b.json" || fail "hook exited 0 for $b, but its manifest on the server differs or is missing"
	want=$(sed -n 's/^ *"sha256": "\([0-9a-f]*\)",*$/\1/p' "$f.json")
	got=$(sha256sum <"$SRV/cap/$b" | cut -d' ' -f1)
	[ -n "$want" ] && [ "$want" = "$got" ] || fail "$b on the server: sha256 $got, its manifest says '$want'"
done < <(ended_ok)
# nothing else on the server
for s in "$SRV"/cap/*; do
	b=${s##*/}
	[ -f "$OUT/$b" ] || fail "the server holds '$b', which is not one of the files or manifests"
done
# The runs, "START END STATUS FILE" (runs for one file never overlap:
# a run ends before the next for its file starts).
awk '$1 == "start" {s[$3] = $2} $1 == "end" {print s[$4], $2, $3, $4}' "$HLOG" >"$TMP/runs"
# before the stop: delivered; while down: the hook failed, never exit 0
n_before=$(awk -v a="$T_DOWN" '$2 < a && $3 == 0' "$TMP/runs" | wc -l)
n_down_fail=$(awk -v a="$T_DOWN" -v b="$T_UP" '$1 > a && $2 < b && $3 != 0' "$TMP/runs" | wc -l)
n_down_ok=$(awk -v a="$T_DOWN" -v b="$T_UP" '$1 > a && $2 < b && $3 == 0' "$TMP/runs" | wc -l)
[ "$n_before" -ge 3 ] || fail "only $n_before files delivered before the server stopped"
[ "$n_down_fail" -ge 2 ] ||
    fail "the hook failed $n_down_fail times while the server was down (4 s of -G 1), want at least 2: $(cat "$TMP/runs")"
[ "$n_down_ok" -eq 0 ] ||
    fail "$n_down_ok hook runs that started and ended while the server was down exited 0"
nfiles=$(ls "$OUT" | grep -c '^2.*[0-9]$' || true)
nhere=$(ls "$SRV/cap" | grep -c '^2.*[0-9]$' || true)
[ "$nhere" -eq "$nfiles" ] || fail "with retries: $nhere of $nfiles files on the server"
no_tmp "$OUT"
echo "  $nfiles files, $nok delivered (hook exit 0; $n_before before the stop)," \
    "$n_down_fail runs failed while the server was down, $nhere files on the server;" \
    "$(awk -v a="$T0" -v b="$T_END" 'BEGIN {printf "%.1f", b - a}') s"
passed "mtracecap -G 1 --manifest with the rclone hook: delivered byte for byte, fails while the server is down, delivers again after it is back"

finish
