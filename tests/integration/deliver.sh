#!/usr/bin/env bash
# deliver.sh - --post-rotate delivery is at least once, across restarts.
# - Retries: with -G 1 over a FIFO, a hook that fails twice per file and
#   then succeeds: each file delivered exactly once, in order, its tries
#   about 10 s and 20 s apart, one log line per failure saying when it is
#   retried; the file still open at the stop gets one try (it fails) and
#   stays pending in DIR/.mtracecap-delivery; the exit totals and the
#   final --metrics-file say delivered= pending= and the failures.
# - --post-rotate-timeout=2: a hook that hangs gets SIGTERM after 2 s (and
#   so does the sleep it started: its own process group), is logged, and
#   is retried 10 s later.
# - kill -9 with undelivered files (a hook that always fails), then a
#   restart with a good hook: the pending files are delivered first,
#   oldest first, then the recovered temp file, then the new files; each
#   once; the state ends empty.
# - A state file naming a file that is gone: dropped with its log line;
#   one whose temp file tmp-PID-NAME is there: recovered and delivered.
# - A corrupt state file: exit 1, one line naming it, the file untouched.
# - Pending files and no --post-rotate: one warning, the state kept.
# - With --max-files (once the disk bounds exist): nothing is deleted
#   before its delivery.
. "$(dirname "$0")/lib.sh"
tsan_elsewhere "the delivery of files to --post-rotate"
need_cmd python3 capinfos
export LC_ALL=C
shopt -s nullglob
fast_tmp

HLOG=$TMP/hook.log
mkdir "$TMP/tries"
# hook.sh MODE FILE: logs "start <epoch s> <file> <try>" and "end <file>
# <try> <status>"; MODE twice: fails tries 1 and 2; fail: always; hang:
# try 1 waits for a sleep 30 of its own (pid in FILE's .sleep), later
# tries succeed; ok: succeeds.
cat >"$TMP/hook.sh" <<EOF
#!/bin/sh
LOG=$HLOG
TRIES=$TMP/tries
EOF
cat >>"$TMP/hook.sh" <<'EOF'
mode=$1 f=$2 b=${2##*/}
n=$(cat "$TRIES/$b" 2>/dev/null || echo 0)
n=$((n + 1))
echo "$n" >"$TRIES/$b"
echo "start $(date +%s.%N) $f $n" >>"$LOG"
rc=0
case $mode in
twice) [ "$n" -ge 3 ] || rc=1 ;;
fail) rc=1 ;;
hang)
	if [ "$n" -eq 1 ]; then
		sleep 30 &
		echo $! >"$TRIES/$b.sleep"
		wait
	fi ;;
esac
echo "end $f $n $rc" >>"$LOG"
exit $rc
EOF
chmod +x "$TMP/hook.sh"

# files DIR: the completed capture files of DIR, full paths, in order
files() { find "$1" -maxdepth 1 -name '2*' ! -name '*.json' | sort; }
# ok_runs: the files whose hook exited 0, in the order they did
ok_runs() { awk '$1 == "end" && $4 == 0 {print $2}' "$HLOG"; }
# starts FILE: the times FILE's hook started
starts() { awk -v f="$1" '$1 == "start" && $3 == f {print $2}' "$HLOG"; }
state() { cat "$1/.mtracecap-delivery" 2>/dev/null || echo "(none)"; }

# --- a hook that fails twice per file ----------------------------------------
section
O=$FAST_TMP/twice
mkdir "$O"
: >"$HLOG"
FEED_FIFO=$TMP/fifo
# 31 packets 0.1 s apart: three files complete by packet time, the 4th
# (opened by the last packet) stays open until the stop
start_feed --count 31 --size 100 --step 0.1 --rate 10 --idle 120
start_mtc -B "pcapfile:$O" -G 1 --post-rotate="$TMP/hook.sh twice" \
    --metrics-file="$TMP/twice.prom"
# three files, each delivered on its 3rd try: about 30 s after the 1st
i=0
while [ "$(ok_runs | wc -l)" -lt 3 ] && [ $i -lt 600 ] &&
    kill -0 "$MTC_PID" 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
kill -TERM "$MTC_PID"
reap "failing twice" 20
[ "$RC" -eq 0 ] || fail "failing twice: exit $RC: $(cat "$TMP/stderr")"
files "$O" >"$TMP/files"
[ "$(wc -l <"$TMP/files")" -eq 4 ] ||
    fail "failing twice: want 4 files, got: $(cat "$TMP/files")"
head -3 "$TMP/files" >"$TMP/first3"
ok_runs >"$TMP/delivered"
cmp -s "$TMP/first3" "$TMP/delivered" ||
    fail "failing twice: delivered (in order) differ from the first 3 files: $(diff "$TMP/first3" "$TMP/delivered")"
gaps=
while read -r f; do
	mapfile -t t < <(starts "$f")
	[ "${#t[@]}" -eq 3 ] || { fail "failing twice: ${f##*/} started ${#t[@]} times, want 3"; continue; }
	g1=$(awk -v a="${t[0]}" -v b="${t[1]}" 'BEGIN {printf "%.2f", b - a}')
	g2=$(awk -v a="${t[1]}" -v b="${t[2]}" 'BEGIN {printf "%.2f", b - a}')
	gaps="$gaps ${g1}+${g2}"
	awk -v g="$g1" 'BEGIN {exit !(g >= 9.8 && g <= 11.5)}' ||
	    fail "failing twice: ${f##*/}: 2nd try $g1 s after the 1st, want 10"
	awk -v g="$g2" 'BEGIN {exit !(g >= 19.8 && g <= 21.5)}' ||
	    fail "failing twice: ${f##*/}: 3rd try $g2 s after the 2nd, want 20"
	grep -qF "mtracecap: --post-rotate for '$f' exited with status 1; retrying in 10 s" "$TMP/stderr" &&
	    grep -qF "mtracecap: --post-rotate for '$f' exited with status 1; retrying in 20 s" "$TMP/stderr" ||
	    fail "failing twice: no retry lines for ${f##*/}: $(cat "$TMP/stderr")"
done <"$TMP/first3"
last=$(tail -1 "$TMP/files")
[ "$(starts "$last" | wc -l)" -eq 1 ] ||
    fail "failing twice: the file completed at the stop started $(starts "$last" | wc -l) times, want 1"
# (its failure may come before the stop begins, or after)
grep -qE "^mtracecap: --post-rotate for '$last' exited with status 1; (retrying in 10 s|exiting: it stays pending for the next run)\$" "$TMP/stderr" ||
    fail "failing twice: no failure line for the last file: $(cat "$TMP/stderr")"
printf 'mtracecap-delivery 1\n%s\n' "${last##*/}" >"$TMP/want.state"
cmp -s "$TMP/want.state" "$O/.mtracecap-delivery" ||
    fail "failing twice: state file: $(state "$O")"
grep -q "^mtracecap: total: files=4 written=31 lost=0 .* delivered=3 pending=1\$" "$TMP/stderr" ||
    fail "failing twice: exit totals: $(grep total: "$TMP/stderr")"
for want in "mtracecap_files_delivered_total 3" "mtracecap_hook_failures_total 7" \
    "mtracecap_deliveries_pending 1"; do
	grep -qx "$want" "$TMP/twice.prom" ||
	    fail "failing twice: no '$want' in the final metrics: $(grep -i deliver "$TMP/twice.prom")"
done
echo "  3 files delivered on their 3rd try, gaps (s):$gaps"
passed "a hook failing twice: each file delivered once, in order, retried after 10 s and 20 s; the last stays pending"

# --- a hook that outlives --post-rotate-timeout ------------------------------
section
rm -f "$TMP"/tries/*
O=$FAST_TMP/hang
mkdir "$O"
: >"$HLOG"
start_feed --count 11 --size 100 --step 0.1 --rate 10 --idle 60
start_mtc -B "pcapfile:$O" -G 1 --post-rotate="$TMP/hook.sh hang" \
    --post-rotate-timeout=2
i=0
while [ "$(ok_runs | wc -l)" -lt 1 ] && [ $i -lt 300 ] &&
    kill -0 "$MTC_PID" 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
kill -TERM "$MTC_PID"
reap "hanging hook" 20
[ "$RC" -eq 0 ] || fail "hanging hook: exit $RC: $(cat "$TMP/stderr")"
f=$(files "$O" | head -1)
mapfile -t t < <(starts "$f")
if [ "${#t[@]}" -ne 2 ]; then
	fail "hanging hook: ${f##*/} started ${#t[@]} times, want 2: $(cat "$HLOG")"
else
	g=$(awk -v a="${t[0]}" -v b="${t[1]}" 'BEGIN {printf "%.2f", b - a}')
	# 2 s to the SIGTERM, then 10 s to the retry
	awk -v g="$g" 'BEGIN {exit !(g >= 11.8 && g <= 13.5)}' ||
	    fail "hanging hook: retried $g s after the start, want 12"
	echo "  retried $g s after the first start"
fi
grep -qF "still running after --post-rotate-timeout 2 s: sending SIGTERM" "$TMP/stderr" &&
    grep -qF "mtracecap: --post-rotate for '$f' outlived --post-rotate-timeout 2 s and was ended by signal 15; retrying in 10 s" "$TMP/stderr" ||
    fail "hanging hook: log: $(cat "$TMP/stderr")"
sp=$(cat "$TMP/tries/${f##*/}.sleep" 2>/dev/null || echo)
if [ -z "$sp" ]; then
	fail "hanging hook: its sleep never started"
elif kill -0 "$sp" 2>/dev/null; then
	fail "hanging hook: the sleep it started (pid $sp) outlived its SIGTERM"
	kill "$sp"
fi
passed "a hook past --post-rotate-timeout=2 gets SIGTERM with its children and is retried 10 s later"

# --- kill -9 with undelivered files, then a restart ---------------------------
section
rm -f "$TMP"/tries/*
O=$FAST_TMP/crash
mkdir "$O"
: >"$HLOG"
# three files complete; the 4th (packets 3.0 to 3.5) is being written
start_feed --count 36 --size 100 --step 0.1 --rate 10 --idle 60
start_mtc -B "pcapfile:$O" -G 1 --post-rotate="$TMP/hook.sh fail"
i=0
while { [ "$(files "$O" | wc -l)" -lt 3 ] || [ "$(grep -c '^end ' "$HLOG")" -lt 3 ]; } &&
    [ $i -lt 200 ]; do
	sleep 0.1
	i=$((i + 1))
done
kill_when_written "$O" 100
stop_feed
files "$O" >"$TMP/before"
tmp=$(tmpfile "$O" || true)
[ "$(wc -l <"$TMP/before")" -eq 3 ] && [ -n "$tmp" ] ||
    fail "crash: want 3 files and a temp file, got: $(ls -a "$O")"
rec=$O/$(basename "$tmp" | sed 's/^tmp-[0-9]*-//')
{ echo "mtracecap-delivery 1"; sed 's|.*/||' "$TMP/before"; } >"$TMP/want.state"
cmp -s "$TMP/want.state" "$O/.mtracecap-delivery" ||
    fail "crash: state after kill -9: $(state "$O") (want $(cat "$TMP/want.state"))"
: >"$HLOG"
start_feed --count 20 --size 100 --step 0.1 --rate 10 --start 1800000000
# -vv: the delivery thread logs each start, in the order it starts them
start_mtc -vv -B "pcapfile:$O" -G 1 --post-rotate="$TMP/hook.sh ok"
reap "restart" 30
[ "$RC" -eq 0 ] || fail "restart: exit $RC: $(cat "$TMP/stderr")"
sed -n "s/^mtracecap: debug: --post-rotate for '\(.*\)' started (pid .*/\1/p" "$TMP/stderr" >"$TMP/started"
files "$O" >"$TMP/after"
head -3 "$TMP/started" >"$TMP/first"
cmp -s "$TMP/before" "$TMP/first" ||
    fail "restart: the pending files were not started first, oldest first: $(cat "$TMP/started")"
[ "$(sed -n 4p "$TMP/started")" = "$rec" ] ||
    fail "restart: the recovered '$rec' was not next: $(cat "$TMP/started")"
awk '$1 == "start" {print $3}' "$HLOG" | sort >"$TMP/runs"
cmp -s "$TMP/after" "$TMP/runs" ||
    fail "restart: hook runs differ from the files (- files, + runs): $(diff "$TMP/after" "$TMP/runs")"
[ "$(state "$O")" = "mtracecap-delivery 1" ] ||
    fail "restart: state not empty: $(state "$O")"
grep -q " delivered=$(wc -l <"$TMP/after") pending=0\$" "$TMP/stderr" ||
    fail "restart: exit totals: $(grep total: "$TMP/stderr")"
echo "  3 pending + 1 recovered + $(( $(wc -l <"$TMP/after") - 4 )) new files, each delivered once, the pending ones first"
passed "kill -9 with 3 undelivered files: the next run delivers them first, oldest first, then the recovered one, each once"

# --- vanished and half-placed names; no hook; a corrupt state ----------------
section
rm -f "$TMP"/tries/*
O=$FAST_TMP/names
mkdir "$O"
use_mkpcap
$MK "$D/a.pcap" --count 10 --start $S
$MK "$O/20231114-221000-00000001" --count 5 --start $((S - 300))
printf '%s\n' "mtracecap-delivery 1" 20231114-220000-00000000 \
    20231114-221000-00000001 >"$O/.mtracecap-delivery"
# no --post-rotate: kept as they are, one warning; the gone one dropped
rc=0
"$MTRACECAP" -s 0 -B "pcapfile:$O" -G 3600 "pcapfile:$D/a.pcap" 2>"$TMP/nohook.err" || rc=$?
[ "$rc" -eq 0 ] || fail "no hook: exit $rc: $(cat "$TMP/nohook.err")"
grep -qxF "mtracecap: warning: '20231114-220000-00000000' awaited delivery but is no longer in '$O'; forgotten" "$TMP/nohook.err" ||
    fail "no hook: no 'forgotten' line: $(cat "$TMP/nohook.err")"
grep -q "warning: 1 file in '$O' awaits delivery .* but there is no --post-rotate" "$TMP/nohook.err" ||
    fail "no hook: no warning: $(cat "$TMP/nohook.err")"
printf '%s\n' "mtracecap-delivery 1" 20231114-221000-00000001 >"$TMP/want.state"
cmp -s "$TMP/want.state" "$O/.mtracecap-delivery" ||
    fail "no hook: state: $(state "$O")"
grep -q " delivered=0 pending=1\$" "$TMP/nohook.err" ||
    fail "no hook: exit totals: $(grep total: "$TMP/nohook.err")"
unhooked=$(files "$O" | grep -v 221000)
# a name recorded just before a crash cut its rename: its temp file is
# there, recovery places it and it is delivered
sleep 0 &
DEAD=$!
wait "$DEAD"
$MK "$O/tmp-$DEAD-20231114-221100-00000002" --count 5 --start $((S - 200))
echo 20231114-221100-00000002 >>"$O/.mtracecap-delivery"
: >"$HLOG"
rc=0
"$MTRACECAP" -s 0 -B "pcapfile:$O" -G 3600 --post-rotate="$TMP/hook.sh ok" \
    "pcapfile:$D/a.pcap" 2>"$TMP/names.err" || rc=$?
[ "$rc" -eq 0 ] || fail "names: exit $rc: $(cat "$TMP/names.err")"
grep -q "forgotten" "$TMP/names.err" && fail "names: forgot: $(cat "$TMP/names.err")"
for n in 20231114-221000-00000001 20231114-221100-00000002; do
	[ "$(starts "$O/$n" | wc -l)" -eq 1 ] ||
	    fail "names: '$n' delivered $(starts "$O/$n" | wc -l) times, want 1: $(cat "$HLOG")"
done
[ "$(starts "$unhooked" | wc -l)" -eq 0 ] ||
    fail "names: '$unhooked', made without --post-rotate, was delivered"
[ "$(grep -c '^start' "$HLOG")" -eq 3 ] ||
    fail "names: $(grep -c '^start' "$HLOG") hook runs, want 3 (2 pending, 1 new): $(cat "$HLOG")"
[ "$(state "$O")" = "mtracecap-delivery 1" ] || fail "names: state: $(state "$O")"
# corrupt: exit 1, one line, untouched, nothing written
printf 'mtracecap-delivery 1\nx\nx\n' >"$O/.mtracecap-delivery"
cp "$O/.mtracecap-delivery" "$TMP/corrupt.copy"
ls -a "$O" >"$TMP/ls.before"
rc=0
"$MTRACECAP" -s 0 -B "pcapfile:$O" -G 3600 --post-rotate="$TMP/hook.sh ok" \
    "pcapfile:$D/a.pcap" 2>"$TMP/corrupt.err" || rc=$?
[ "$rc" -eq 1 ] || fail "corrupt state: exit $rc, want 1"
echo "mtracecap: corrupt delivery state file '$O/.mtracecap-delivery': 'x' is listed twice (it is left as it is; move it away to start without it)" >"$TMP/corrupt.want"
cmp -s "$TMP/corrupt.want" "$TMP/corrupt.err" ||
    fail "corrupt state: stderr (- want, + got): $(diff "$TMP/corrupt.want" "$TMP/corrupt.err")"
cmp -s "$TMP/corrupt.copy" "$O/.mtracecap-delivery" || fail "corrupt state: the file was changed"
ls -a "$O" | cmp -s "$TMP/ls.before" - || fail "corrupt state: DIR changed: $(ls -a "$O")"
passed "a vanished name is forgotten with its line, a half-placed one recovered and delivered; no hook: kept with a warning; a corrupt state: exit 1, one line, untouched"

# --- with the disk bounds: nothing deleted before its delivery ----------------
section
O=$FAST_TMP/bounds
mkdir "$O"
: >"$HLOG"
rm -f "$TMP"/tries/*
start_feed --count 61 --size 100 --step 0.1 --rate 10 --idle 120
start_mtc -B "pcapfile:$O" -G 1 --max-files=2 --post-rotate="$TMP/hook.sh twice"
: >"$TMP/deleted_early"
i=0
while [ "$(ok_runs | wc -l)" -lt 6 ] && [ $i -lt 900 ] &&
    kill -0 "$MTC_PID" 2>/dev/null; do
	# a file that is gone must have been delivered
	for f in $(awk '$1 == "start" {print $3}' "$HLOG" | sort -u); do
		[ -e "$f" ] || ok_runs | grep -qx "$f" || echo "$f" >>"$TMP/deleted_early"
	done
	sleep 0.1
	i=$((i + 1))
done
kill -TERM "$MTC_PID"
reap "bounds" 20
[ ! -s "$TMP/deleted_early" ] ||
    fail "bounds: deleted before their delivery: $(sort -u "$TMP/deleted_early")"
[ "$(ok_runs | wc -l)" -ge 6 ] || fail "bounds: only $(ok_runs | wc -l) delivered"
passed "with --max-files=2 nothing is deleted before its delivery"

finish
