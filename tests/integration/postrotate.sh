#!/usr/bin/env bash
# postrotate.sh - --post-rotate=COMMAND.  With -G 1 over a FIFO fed ten
# packets a second: COMMAND runs once for every file (these runs end
# before any retry is due), the last one
# at shutdown included, with the final name as its last argument and its
# own words split like a shell would but without one (quotes honoured,
# $ and ; literal); the file is complete when it runs (capinfos inside the
# hook counts what the file holds at the end); a hook that sleeps 3 s
# never delays rotation (a file every second, hooks overlapping); no
# zombie outlives the reaping cadence (ps --ppid sampled all along); at
# the end mtracecap waits for the running hooks.  A hook that exits 3 or
# is killed by a signal is logged with its status and when it is retried
# (deliver.sh waits for the retries), capture goes on, exit status 0, and
# the files it failed for stay listed in DIR/.mtracecap-delivery for the
# next run.  A hook still running 10 s after the end: mtracecap exits
# anyway, says so, the hook goes on and its file stays pending.  Files
# recovered at startup are handed to the hook too.
. "$(dirname "$0")/lib.sh"
tsan_elsewhere "the post-rotate command"
need_cmd python3 tcpdump capinfos ps
export LC_ALL=C
shopt -s nullglob

# The input: tests/tools/feed.py writes a pcap header into the FIFO, then
# --count 100-byte packets, 10 a second, stamped 0.1 s apart; then EOF.
FEED_ARGS=(--size 100 --step 0.1 --rate 10)

# The hook: hook.sh MODE WORDS... FILE.  Logs "start <time> <argc> <file>
# <capinfos count>" and every argument, then per MODE: slow (sleep 3),
# fail (exit 3 on even sequence numbers, SIGTERM itself on odd ones),
# hang (sleep 30), ok.
cat >"$TMP/hook.sh" <<EOF
#!/bin/sh
LOG=$TMP/hook.log
EOF
cat >>"$TMP/hook.sh" <<'EOF'
mode=$1
for f; do :; done
n=$(capinfos -M -c "$f" 2>/dev/null | awk -F': *' '/Number of packets/ {print $2+0}')
echo "start $(date +%s.%N) $# $f ${n:-error}" >>"$LOG"
i=0
for a; do i=$((i + 1)); echo "arg $f $i [$a]" >>"$LOG"; done
case $mode in
slow) sleep 3 ;;
hang) sleep 30 ;;
fail)
	echo "end $f" >>"$LOG"
	case $f in
	*[02468]) exit 3 ;;
	*) kill -TERM $$ ;;
	esac ;;
esac
echo "end $f" >>"$LOG"
EOF
chmod +x "$TMP/hook.sh"
HLOG=$TMP/hook.log

# check_once WHAT DIR: the hook started exactly once for every file in DIR
# and for nothing else, with the final name, and saw the file complete
check_once() {
	local what=$1 dir=$2 f n
	ls "$dir" | grep -v '^tmp-' | sed "s|^|$dir/|" | sort >"$TMP/files"
	awk '$1 == "start" {print $4}' "$HLOG" | sort >"$TMP/hooked"
	[ -s "$TMP/files" ] || fail "$what: no files"
	cmp -s "$TMP/files" "$TMP/hooked" ||
	    fail "$what: hook runs differ from the files (- files, + hook runs):
$(diff "$TMP/files" "$TMP/hooked" | grep '^[<>]' | head)"
	grep -q "^start .* $dir/tmp-" "$HLOG" && fail "$what: a hook got a temp name"
	while read -r f; do
		n=$(npackets "$f")
		grep -q "^start [0-9.]* [0-9]* $f $n\$" "$HLOG" ||
		    fail "$what: ${f##*/} holds $n packets, but the hook saw: $(grep "^start .* $f " "$HLOG")"
	done <"$TMP/files"
}

# --- a slow hook, with arguments, under -G 1 --------------------------------
section
O=$TMP/slow
mkdir "$O"
mkfifo "$TMP/fifo"
: >"$HLOG"
python3 "$TESTS_SRCDIR/tools/feed.py" --fifo "$TMP/fifo" --count 60 "${FEED_ARGS[@]}" &
FEED=$!
on_exit "kill_child $FEED"
"$MTRACECAP" -s 0 -B "pcapfile:$O" -G 1 \
    --post-rotate="$TMP/hook.sh slow 'two  words' \"q\\\"uote\" '\$HOME;x' back\\ slash" \
    "pcapfile:$TMP/fifo" 2>"$TMP/slow.err" &
MTC=$!
on_exit "kill_child -KILL $MTC"
# sample until mtracecap ends: when each file appears, and its children
: >"$TMP/appear"
: >"$TMP/ps"
T0=$(date +%s%N)
while kill -0 "$MTC" 2>/dev/null; do
	now=$(( ($(date +%s%N) - T0) / 1000000 ))
	for f in "$O"/2*; do
		grep -qF " $f" "$TMP/appear" || echo "$now $f" >>"$TMP/appear"
	done
	ps --ppid "$MTC" -o pid=,stat= 2>/dev/null | sed "s/^/$now /" >>"$TMP/ps" || true
	sleep 0.1
done
END_MS=$(( ($(date +%s%N) - T0) / 1000000 ))
rc=0
wait "$MTC" || rc=$?
wait "$FEED" || true
[ "$rc" -eq 0 ] || fail "slow hook: exit $rc: $(cat "$TMP/slow.err")"
check_once "slow hook" "$O"
nfiles=$(wc -l <"$TMP/files")
[ "$nfiles" -ge 6 ] || fail "slow hook: $nfiles files, want 6"
# arguments: 4 words of ours, then the file
f=$(head -1 "$TMP/files")
printf '%s\n' "arg $f 1 [slow]" "arg $f 2 [two  words]" "arg $f 3 [q\"uote]" \
    "arg $f 4 [\$HOME;x]" "arg $f 5 [back slash]" "arg $f 6 [$f]" >"$TMP/want.args"
grep "^arg $f " "$HLOG" >"$TMP/got.args" || true
cmp -s "$TMP/want.args" "$TMP/got.args" ||
    fail "slow hook: arguments (- want, + got): $(diff "$TMP/want.args" "$TMP/got.args")"
# rotation on time although every hook sleeps 3 s: the files appear
# about a second apart while the feed runs (the last at EOF)
awk 'NR > 1 && NR < '"$nfiles"' { g = $1 - p; if (g > max) max = g } { p = $1 } END { print max + 0 }' \
    "$TMP/appear" >"$TMP/maxgap"
[ "$(cat "$TMP/maxgap")" -le 1700 ] ||
    fail "slow hook: $(cat "$TMP/maxgap") ms between two files, want about 1000: $(cat "$TMP/appear")"
# hooks overlapped: capture did not wait for them
maxrun=$(awk '$3 !~ /Z/ {n[$1]++} END {m = 0; for (t in n) if (n[t] > m) m = n[t]; print m}' "$TMP/ps")
[ "$maxrun" -ge 2 ] || fail "slow hook: never two hooks at once (did capture wait for them?)"
# zombies: none seen for more than half a second
awk '$3 ~ /Z/ { if (!($2 in first)) first[$2] = $1; last[$2] = $1 }
    END { for (p in first) if (last[p] - first[p] > 500) print p, last[p] - first[p] }' \
    "$TMP/ps" >"$TMP/zombies"
[ ! -s "$TMP/zombies" ] || fail "slow hook: zombies (pid, ms): $(cat "$TMP/zombies")"
# shutdown waited for every hook
[ "$(grep -c '^end ' "$HLOG")" -eq "$nfiles" ] ||
    fail "slow hook: $(grep -c '^end ' "$HLOG") hooks ended of $nfiles before mtracecap exited"
echo "  $nfiles files, largest gap $(cat "$TMP/maxgap") ms, up to $maxrun hooks at once, exit $END_MS ms after start"
passed "slow hook with arguments: once per file with its final name, file complete, rotation on time, no zombie, waited for at the end"

# --- failing hooks ---------------------------------------------------------------
section
O=$TMP/fail
mkdir "$O"
: >"$HLOG"
python3 "$TESTS_SRCDIR/tools/feed.py" --fifo "$TMP/fifo" --count 40 "${FEED_ARGS[@]}" &
FEED=$!
on_exit "kill_child $FEED"
rc=0
"$MTRACECAP" -s 0 -B "pcapfile:$O" -G 1 --post-rotate="$TMP/hook.sh fail" \
    "pcapfile:$TMP/fifo" 2>"$TMP/fail.err" || rc=$?
wait "$FEED" || true
[ "$rc" -eq 0 ] || fail "failing hook: exit $rc, want 0: $(cat "$TMP/fail.err")"
check_once "failing hook" "$O"
while read -r f; do
	s=${f##*-}
	if [ $((10#$s % 2)) -eq 0 ]; then
		want="--post-rotate for '$f' exited with status 3"
	else
		want="--post-rotate for '$f' was killed by signal 15"
	fi
	grep -qE "^mtracecap: $want; (retrying in 10 s|exiting: it stays pending for the next run)\$" "$TMP/fail.err" ||
	    fail "failing hook: no '$want; retrying...' in: $(cat "$TMP/fail.err")"
done <"$TMP/files"
# every file failed: all stay pending, oldest first, for the next run
{ echo "mtracecap-delivery 1"; sed 's|.*/||' "$TMP/files"; } >"$TMP/want.state"
cmp -s "$TMP/want.state" "$O/.mtracecap-delivery" ||
    fail "failing hook: state file (- want, + got): $(diff "$TMP/want.state" "$O/.mtracecap-delivery")"
grep -q " delivered=0 pending=$(wc -l <"$TMP/files")\$" "$TMP/fail.err" ||
    fail "failing hook: exit totals: $(grep total: "$TMP/fail.err")"
grep -q "^mtracecap: total: files=$(wc -l <"$TMP/files") written=40 lost=0" "$TMP/fail.err" ||
    fail "failing hook: capture did not go on: $(grep total: "$TMP/fail.err")"
passed "a hook that exits 3 or is killed is logged with its status and its retry; capture goes on, exit 0; the files stay pending"

# --- a hook still running at the end; recovered files ----------------------------
section
O=$TMP/hang
mkdir "$O"
: >"$HLOG"
use_mkpcap
$MK "$D/a.pcap" --count 30 --start $S
sleep 0 &
DEAD=$!
wait "$DEAD"
$MK "$O/tmp-$DEAD-20231114-221000-00000007" --count 5 --start $((S - 200))
T0=$(date +%s%N)
rc=0
"$MTRACECAP" -s 0 -B "pcapfile:$O" -G 3600 --post-rotate="$TMP/hook.sh hang" \
    "pcapfile:$D/a.pcap" 2>"$TMP/hang.err" || rc=$?
MS=$(( ($(date +%s%N) - T0) / 1000000 ))
[ "$rc" -eq 0 ] || fail "hanging hook: exit $rc: $(cat "$TMP/hang.err")"
[ "$MS" -ge 9500 ] && [ "$MS" -le 12500 ] ||
    fail "hanging hook: mtracecap exited after $MS ms, want about 10000"
check_once "hanging hook and recovery" "$O"
[ -f "$O/20231114-221000-00000007" ] || fail "recovery: file not recovered: $(ls "$O")"
grep -c "still running after 10 s; exiting, it goes on by itself" "$TMP/hang.err" >"$TMP/n" || true
[ "$(cat "$TMP/n")" -eq 2 ] || fail "hanging hook: want 2 'still running' warnings: $(cat "$TMP/hang.err")"
# ...and both files are delivered again by the next run
[ "$(sed 1d "$O/.mtracecap-delivery" | sort)" = "$(sed 's|.*/||' "$TMP/files")" ] ||
    fail "hanging hook: not pending: $(cat "$O/.mtracecap-delivery")"
pids=$(pgrep -f "$TMP/hook.sh hang" || true)
[ "$(echo "$pids" | grep -c .)" -eq 2 ] || fail "hanging hook: want the 2 hooks still running, got pids '$pids'"
for p in $pids; do pkill -P "$p" 2>/dev/null || true; kill "$p" 2>/dev/null || true; done
echo "  exit $MS ms after start with 2 hooks still running"
passed "hooks still running 10 s after the end are left running, their files pending; recovered files get the hook too"

finish
