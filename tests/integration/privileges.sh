#!/bin/bash
# privileges.sh - privilege drop, child commands and file safety, for real.
#
# A throwaway system user (with a supplementary group) is created for the
# test and removed at exit; live captures use veth pairs in network
# namespaces (live_lib.sh), frames from 198.18.0.0/15.
#  1. --relinquish-privileges=USER on two veth inputs: once the first temp
#     file exists, every thread of mtracecap has USER's uid and gid in all
#     four slots (real, effective, saved, fs), exactly USER's groups (no 0)
#     and empty inherited/permitted/effective/ambient capability sets; every
#     file it wrote (segments, temp files, the -N seqfile) belongs to USER;
#     every frame sent after the drop is captured (tcpdump, capinfos,
#     tracestats).
#  2. the --pipeout and --post-rotate commands of that run (a probe script)
#     run as USER with no capabilities, are children of mtracecap itself
#     (no shell in between: words like '$MTC_SECRET' and 'x;touch FILE' reach
#     them literally), see only PATH and LC_ALL (not MTC_SECRET, exported by
#     the test) and only fds 0-2 (the test leaves fd 7 open on purpose).
#  2b. the decompressor of a compressed input, which starts before the
#     drop, runs as USER without capabilities too, also when started by a
#     non-root run holding ambient capabilities.
#  2c. so do the threads that start while the inputs open (the relay of
#     an erf: FIFO and libwandio's read-ahead): USER's ids and groups, no
#     capabilities, in every thread.
#  3. without root, through file capabilities: a copy of the binary with
#     cap_net_raw,cap_net_admin+ep run as USER (setpriv) captures a veth and
#     holds no other capability; reading an erf: FIFO (through the relay
#     thread) none of its threads keeps a capability; a copy without them
#     exits 1 with one line naming the input.
#  4. modes: temp and final files are 0640 with umask 022 and 000, 0600 with
#     umask 077 (single file; -B with -Z gz).
#  5. planted names (as root, file inputs, -W to learn the pid first): a
#     symlink at the temp name (single file) and a dangling one (-B) are
#     never followed, the run fails with an error naming it; a symlink or
#     hard link at a single output's final name is replaced, its target
#     never written; in -B mode a file or symlink at the first segment's
#     name is kept and the data goes to NAME.1; a symlink or hard link at
#     the seqfile's temp name never gets its target written.
# Every planted target lives outside the output directory with known
# contents that must not change.
. "$(dirname "$0")/lib.sh"
# (Under TSan the per-thread capability check could not hold either: TSan
# starts a thread of its own with the first pthread_create, the control
# thread's, before the capabilities are dropped, and no code of ours runs
# on it.)
tsan_elsewhere "privilege drop and file safety (live capture too)"
. "$(dirname "$0")/live_lib.sh"

need_root
need_cmd ip tcpreplay tcpdump capinfos tracestats traceconvert mergecap python3 useradd userdel \
    groupadd groupdel setpriv setcap getcap

# --- the throwaway user ---

# (retry: live_lib.sh)
U=$(uniq_name mtcu)
G=$(uniq_name mtcg)
! getent passwd "$U" >/dev/null && ! getent group "$U" >/dev/null &&
    ! getent group "$G" >/dev/null || skip "user or group $U/$G exists, rerun"
# registered first, so they run after everything that may use the user
on_exit "retry groupdel $G"
on_exit "retry userdel $U"
retry groupadd -r "$G" || skip "cannot create group $G: $(cat "$TMP/retry.err")"
retry useradd -r -M -s /usr/sbin/nologin -U -G "$G" "$U" ||
    skip "cannot create user $U: $(cat "$TMP/retry.err")"
UID_U=$(id -u "$U")
GID_U=$(id -g "$U")
GROUPS_U=$(id -G "$U" | tr ' ' '\n' | sort -n | tr '\n' ' ')
# the user must reach things under TMP (mktemp -d made it 0700)
chmod 711 "$TMP"

live_setup mtcp lp
use_mkpcap

python3 "$MKPCAP" "$TMP/s1.pcap" --id 1 --size 100 --count 300 --step-us 1000 \
    --start 1700000000.00001
python3 "$MKPCAP" "$TMP/s2.pcap" --id 2 --size 200 --count 300 --step-us 1000 \
    --start 1700000000.00002
N1=$(npackets "$TMP/s1.pcap")
N2=$(npackets "$TMP/s2.pcap")
mergecap -F pcap -w "$TMP/sent.pcap" "$TMP/s1.pcap" "$TMP/s2.pcap"

# status_is WHAT FILE - a /proc status file says: USER in all four uid and
# gid slots, exactly USER's groups, no capabilities
status_is_user() {
	local what=$1 f=$2 v
	v=$(awk '/^Uid:/ {print $2, $3, $4, $5}' "$f")
	[ "$v" = "$UID_U $UID_U $UID_U $UID_U" ] ||
	    fail "$what: Uid: $v, want $UID_U in all four slots"
	v=$(awk '/^Gid:/ {print $2, $3, $4, $5}' "$f")
	[ "$v" = "$GID_U $GID_U $GID_U $GID_U" ] ||
	    fail "$what: Gid: $v, want $GID_U in all four slots"
	v=$(awk '/^Groups:/ {for (i = 2; i <= NF; i++) print $i}' "$f" |
	    sort -n | tr '\n' ' ')
	[ "$v" = "$GROUPS_U" ] || fail "$what: Groups: $v, want $GROUPS_U"
	caps_zero "$what" "$f" CapInh CapPrm CapEff CapAmb
}

# caps_zero WHAT STATUSFILE SET...: each capability SET (CapPrm, ...) of a
# /proc status file is empty
caps_zero() {
	local what=$1 f=$2 c v
	shift 2
	for c; do
		v=$(awk -v c="$c:" '$1 == c {print $2}' "$f")
		[ "$v" = 0000000000000000 ] || fail "$what: $c: $v, want 0"
	done
}

# caps_none WHAT STATUSFILE: no capability held or usable
caps_none() { caps_zero "$1" "$2" CapPrm CapEff CapAmb; }

# threads_checked WHAT PID CHECK: every thread of PID passes CHECK WHAT
# STATUSFILE, except the one opener thread (comm mtc-opener, #15), which
# may hold CAP_NET_RAW and CAP_NET_ADMIN permitted (0x3000) and nothing
# else, to reopen live inputs; sets NTHREADS
threads_checked() {
	local what=$1 pid=$2 check=$3 t comm openers=0 v
	NTHREADS=0
	for t in /proc/"$pid"/task/*; do
		cp "$t/status" "$TMP/thread.status" 2>/dev/null || continue
		comm=$(cat "$t/comm" 2>/dev/null)
		NTHREADS=$((NTHREADS + 1))
		if [ "$comm" = mtc-opener ]; then
			openers=$((openers + 1))
			v=$(awk '$1 == "CapPrm:" {print $2}' "$TMP/thread.status")
			[ "$v" = 0000000000003000 ] ||
			    fail "$what: opener thread ${t##*/}: CapPrm: $v, want 0000000000003000 (net_raw, net_admin)"
			caps_zero "$what: opener thread ${t##*/}" "$TMP/thread.status" CapInh CapEff CapAmb
			# its ids are the user's all the same
			[ "$check" = status_is_user ] || continue
			sed -i 's/^CapPrm:.*/CapPrm:\t0000000000000000/' "$TMP/thread.status"
		fi
		"$check" "$what: thread ${t##*/} ($comm)" "$TMP/thread.status"
	done
	[ "$openers" -eq 1 ] ||
	    fail "$what: $openers opener threads (mtc-opener), want exactly 1"
}

# --- 1 and 2: --relinquish-privileges, with --pipeout and --post-rotate ---

REC=$TMP/rec
mkdir "$REC"
chown "$U:$GID_U" "$REC"
chmod 700 "$REC"
PROBE=$TMP/probe
cat >"$PROBE" <<'EOF'
#!/bin/sh
# probe KIND RECDIR ARG... - write down what this child of mtracecap got:
# RECDIR/KIND.PID.info (parent, fds, ids, capabilities, arguments) and
# RECDIR/KIND.PID.env; KIND pipe then copies stdin to stdout.
kind=$1 rec=$2
shift 2
# the fd numbers first: anything run later opens fds of its own
fds= n=0
while [ $n -lt 1024 ]; do
	[ -e /proc/$$/fd/$n ] && fds="$fds $n"
	n=$((n + 1))
done
info="ppid $PPID"
for n in $fds; do
	t=$(readlink /proc/$$/fd/$n)
	# the shell reads this script through an fd of its own
	[ "$t" = "$0" ] || info="$info
fd $n $t"
done
out=$rec/$kind.$$
{
	printf '%s\n' "$info"
	grep -E '^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapAmb):' /proc/$$/status
	for a in "$@"; do printf 'arg %s\n' "$a"; done
} >"$out.tmp"
tr '\0' '\n' </proc/$$/environ >"$out.env"
mv "$out.tmp" "$out.info"
[ "$kind" != pipe ] || exec cat
EOF
chmod 755 "$PROBE"

# an fd the children must not inherit, and a variable they must not see
exec 7>"$TMP/leaked-fd"
export MTC_SECRET=leak$$
umask 000	# start_capture's mkdir: a directory USER can write to
CD=$TMP/drop
if start_capture "$CD" -B "pcapfile:$CD" -G 60 -s 0 -w 1000 -N "$CD/.seq" \
    --pipeout="$PROBE pipe $REC" \
    --post-rotate="$PROBE hook $REC '\$MTC_SECRET' 'x;touch $REC/pwned' '*'" \
    --relinquish-privileges="$U" "pcapint:$IF1" "pcapint:$IF2"; then
	umask 022
	unset MTC_SECRET
	exec 7>&-
	threads_checked "drop" "$CAP_PID" status_is_user
	[ "$NTHREADS" -ge 4 ] ||
	    fail "drop: $NTHREADS thread(s) seen, want the readers, the writer and the opener too"
	for f in "$CD"/tmp-*; do
		v=$(stat -c '%u:%g %a' "$f" 2>&1) || true
		[ "$v" = "$UID_U:$GID_U 640" ] ||
		    fail "drop: temp file $f is $v, want $UID_U:$GID_U 640"
	done
	replay "$NS1" "${IF1}p" "$TMP/s1.pcap" 1000 \
	    "$NS2" "${IF2}p" "$TMP/s2.pcap" 1000
	sleep 0.3
	kill -HUP "$CAP_PID"	# a second file, a second pipeout and hook
	sleep 0.3
	pid=$CAP_PID
	stop_capture "drop"
	check_report "drop" 2 0 "$N1" "$N2"
	mapfile -t files < <(find "$CD" -maxdepth 1 -name '2*' | sort)
	if [ "${#files[@]}" -ne 2 ]; then
		fail "drop: ${#files[@]} capture file(s), want 2: $(ls -a "$CD")"
	else
		compare_records "drop" 1 "$TMP/sent.pcap" "${files[@]}"
	fi
	# everything mtracecap wrote is USER's (stderr is the test's)
	bad=$(find "$CD" -mindepth 1 ! -name stderr ! \( -uid "$UID_U" -gid "$GID_U" \) \
	    -printf '%p %u:%g\n')
	[ -z "$bad" ] || fail "drop: written as someone else: $bad"
	[ -f "$CD/.seq" ] && [ "$(cat "$CD/.seq")" = 1 ] ||
	    fail "drop: seqfile says '$(cat "$CD/.seq" 2>&1)', want 1"
	for f in "${files[@]}"; do
		v=$(stat -c %a "$f" 2>&1) || true
		[ "$v" = 640 ] || fail "drop: $f has mode $v with umask 000, want 640"
	done
	pass "drop: $NTHREADS threads all uid/gid $UID_U/$GID_U, groups $GROUPS_U, no capabilities but the opener's two permitted; $((N1 + N2)) frames captured into ${#files[@]} files owned by $U, seqfile too"

	# --- 2: what the children got ---
	for kind in pipe hook; do
		n=0
		for info in "$REC/$kind".*.info; do
			[ -e "$info" ] || continue
			n=$((n + 1))
			w="drop: $kind ${info##*/}"
			status_is_user "$w" "$info"
			v=$(awk '$1 == "ppid" {print $2}' "$info")
			[ "$v" = "$pid" ] ||
			    fail "$w: parent is $v, want mtracecap itself ($pid): a shell in between?"
			v=$(awk '$1 == "fd" {printf "%s ", $2}' "$info")
			[ "$v" = "0 1 2 " ] || fail "$w: open fds $v, want 0 1 2 only"
			v=$(sed 's/=.*//' "${info%.info}.env" | sort | tr '\n' ' ')
			[ "$v" = "LC_ALL PATH " ] ||
			    fail "$w: environment has $v, want LC_ALL PATH only"
			! grep -q MTC_SECRET "${info%.info}.env" ||
			    fail "$w: sees the test's MTC_SECRET"
			if [ "$kind" = pipe ]; then
				grep -q "^fd 0 pipe:" "$info" ||
				    fail "$w: stdin is not a pipe: $(grep '^fd 0' "$info")"
				grep -q "^fd 1 $CD/tmp-$pid-2" "$info" ||
				    fail "$w: stdout is not the temp file: $(grep '^fd 1' "$info")"
			else
				v=$(sed -n 's/^arg //p' "$info" | head -3 | tr '\n' '|')
				[ "$v" = "\$MTC_SECRET|x;touch $REC/pwned|*|" ] ||
				    fail "$w: arguments $v, want them literally"
				v=$(sed -n 's/^arg //p' "$info" | sed -n 4p)
				case $v in
				"$CD"/2*) [ -f "$v" ] || fail "$w: file $v does not exist" ;;
				*) fail "$w: last argument '$v' is not a capture file" ;;
				esac
			fi
		done
		[ "$n" -eq 2 ] || fail "drop: $n $kind command(s) ran, want 2 (one per file)"
	done
	[ ! -e "$REC/pwned" ] || fail "drop: a shell ran 'touch' from --post-rotate"
	pass "drop: --pipeout and --post-rotate ran as $U without capabilities, straight from mtracecap, with fds 0-2 and PATH, LC_ALL only"
fi
umask 022
unset MTC_SECRET
exec 7>&-

# --- 2b: the decompressor of a compressed input ---
# Inputs open as root, before the drop, so a compressed file's "gzip -dc"
# child starts then.  It must run as USER too, and without capabilities
# when mtracecap itself is not root but holds ambient ones (as under a
# unit's AmbientCapabilities=): it parses untrusted bytes.  A gzip first in
# PATH writes down what it got, then runs the real one.
GZIP_REAL=$(command -v gzip)
DB=$TMP/decbin
mkdir -m 755 "$DB"
cat >"$DB/gzip" <<EOF
#!/bin/sh
grep -E '^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapAmb):' /proc/\$\$/status \\
    >"$REC/dec.\$\$.tmp" && mv "$REC/dec.\$\$.tmp" "$REC/dec.\$\$.info"
exec "$GZIP_REAL" "\$@"
EOF
chmod 755 "$DB/gzip"
gzip -c "$TMP/s1.pcap" >"$TMP/secret.pcap.gz"
chmod 600 "$TMP/secret.pcap.gz"	# only root reads it: opened before the drop
cp "$TMP/secret.pcap.gz" "$TMP/public.pcap.gz"
chmod 644 "$TMP/public.pcap.gz"
mkdir -m 777 "$TMP/dec"
# dec_run WHAT OUT CMD...: run CMD (mtracecap reading a .gz, writing OUT)
# with the probing gzip first in PATH; exactly one decompressor must have
# run, its record is left in $REC/dec.info, and OUT must hold s1.pcap
dec_run() {
	local what=$1 out=$2 rc=0 n
	shift 2
	rm -f "$REC"/dec.*
	PATH=$DB:$PATH timeout 20 "$@" >/dev/null 2>"$TMP/dec.err" || rc=$?
	[ "$rc" = 0 ] || { fail "$what: exit $rc: $(cat "$TMP/dec.err")"; return 1; }
	compare_records "$what" 1 "$TMP/s1.pcap" "$out"
	n=$(find "$REC" -name 'dec.*.info' | wc -l)
	[ "$n" = 1 ] || { fail "$what: $n decompressor records, want 1"; return 1; }
	mv "$REC"/dec.*.info "$REC/dec.info"
}
if dec_run "decompressor" "$TMP/dec/out.pcap" "$MTRACECAP" -s 0 \
    --relinquish-privileges="$U" "pcapfile:$TMP/dec/out.pcap" \
    "$TMP/secret.pcap.gz"; then
	status_is_user "decompressor of a root-only input" "$REC/dec.info"
	pass "decompressor: a root-only .gz input read by a gzip child running as $U without capabilities"
fi
# not root but holding ambient CAP_NET_RAW and CAP_NET_ADMIN, which
# mtracecap gives up only after its inputs (and their decompressors) start
if dec_run "decompressor, ambient caps" "$TMP/dec/amb.pcap" \
    setpriv --reuid="$U" --regid="$U" --init-groups \
    --inh-caps=+net_raw,+net_admin --ambient-caps=+net_raw,+net_admin -- \
    "$MTRACECAP" -s 0 "pcapfile:$TMP/dec/amb.pcap" "$TMP/public.pcap.gz"; then
	status_is_user "decompressor of a process with ambient capabilities" "$REC/dec.info"
	pass "decompressor: started by $U holding ambient cap_net_raw,cap_net_admin, it holds none"
fi

# --- 2c: threads started while the inputs open ---
# Reading a stream in a format only libtrace reads (erf: on a FIFO) starts
# two threads while the inputs open, before the drop: the relay and
# libwandio's read-ahead.  relay_run WHAT DIR CHECK CMD...: CMD followed
# by "-s 0 pcapfile:DIR/out.pcap erf:FIFO", with s1 as ERF in a FIFO that
# stays open; once running, CHECK WHAT-thread STATUSFILE runs on every
# thread's /proc status; then SIGTERM: exit 0, s1's records written.
pcap_to_erf "$TMP/s1.pcap" "$TMP/s1.erf"
relay_run() {
	local what=$1 dir=$TMP/$2 check=$3 hold rpid n t v
	shift 3
	mkdir -m 777 "$dir"
	mkfifo -m 666 "$dir.fifo"
	hold_fifo "$TMP/s1.erf" "$dir.fifo"
	hold=$HOLD_PID
	"$@" -s 0 "pcapfile:$dir/out.pcap" "erf:$dir.fifo" 2>"$dir.err" &
	rpid=$!
	on_exit "kill_child -KILL $rpid"
	if await_start "$rpid" "$dir.err" "$what: did not start" 100 0.1 \
	    compgen -G "$dir/tmp-$rpid-*"; then
		sleep 0.5	# the records arrive; the stream stays open
		n=0
		for t in /proc/"$rpid"/task/*; do
			cp "$t/status" "$dir.status" 2>/dev/null || continue
			n=$((n + 1))
			"$check" "$what: thread ${t##*/} ($(cat "$t/comm" 2>/dev/null))" "$dir.status"
		done
		[ "$n" -ge 4 ] || fail "$what: $n thread(s) seen, want the relay, libwandio's, the reader and the writer"
		kill -TERM "$rpid"
		reap_pid "$rpid" 5 "$what"
		[ "$RC" = 0 ] || fail "$what: exit $RC: $(cat "$dir.err")"
		v=$(npackets "$dir/out.pcap")
		[ "$v" = "$N1" ] || fail "$what: $v packets written, want $N1"
		pass "$what: an erf: FIFO, $n threads checked, $v packets"
	fi
	kill_child "$hold"
}
relay_run "drop, relay" "relay-drop" status_is_user \
    "$MTRACECAP" --relinquish-privileges="$U"

# --- 3: without root, through file capabilities ---

CB=$TMP/bin
mkdir -m 755 "$CB"
cp "$MTRACECAP" "$CB/mtracecap-caps"
cp "$MTRACECAP" "$CB/mtracecap-plain"
chmod 755 "$CB"/mtracecap-*
part3=1
if ! head -c 4 "$MTRACECAP" | grep -q ELF; then
	echo "note: part 3 skipped: $MTRACECAP is not an ELF binary (libtool wrapper?)" >&2
	part3=0
elif ! setcap cap_net_raw,cap_net_admin+ep "$CB/mtracecap-caps" 2>"$TMP/setcap.err"; then
	echo "note: part 3 skipped: setcap failed: $(cat "$TMP/setcap.err")" >&2
	part3=0
elif ! setpriv --reuid="$U" --regid="$U" --init-groups -- \
    "$CB/mtracecap-caps" --version >/dev/null 2>"$TMP/caps.err"; then
	# ASan and secure-execution (file capabilities) may not get along
	if sanitizer_build asan; then
		echo "note: part 3 skipped: this ASan build does not start with file capabilities: $(head -2 "$TMP/caps.err")" >&2
		part3=0
	else
		fail "caps: the binary with file capabilities does not start as $U: $(head -3 "$TMP/caps.err")"
		part3=0
	fi
fi
if [ "$part3" = 1 ]; then
	printf '#!/bin/sh\nexec setpriv --reuid=%s --regid=%s --init-groups -- %s "$@"\n' \
	    "$U" "$U" "$CB/mtracecap-caps" >"$TMP/as-user"
	chmod 755 "$TMP/as-user"
	real=$MTRACECAP
	MTRACECAP=$TMP/as-user	# exec keeps the pid start_capture saw
	umask 000
	CD=$TMP/caps
	if start_capture "$CD" -s 0 "pcapfile:$CD/out.pcap" "pcapint:$IF1"; then
		umask 022
		v=$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$CAP_PID/status")
		[ "$v" = "$UID_U $UID_U $UID_U $UID_U" ] ||
		    fail "caps: Uid: $v, want $UID_U (not root)"
		# CAP_NET_ADMIN and CAP_NET_RAW were needed to open the
		# input only: given up before capture starts, by every thread
		# but the opener (permitted only)
		caps_none "caps, once capturing" "/proc/$CAP_PID/status"
		threads_checked "caps, once capturing" "$CAP_PID" caps_none
		replay "$NS1" "${IF1}p" "$TMP/s1.pcap" 1000
		sleep 0.3
		stop_capture "caps"
		check_report "caps" 1 0 "$N1"
		check_valid "caps" "$CD/out.pcap" "$N1"
		compare_records "caps" 1 "$TMP/s1.pcap" "$CD/out.pcap"
		v=$(stat -c %u "$CD/out.pcap" 2>&1) || true
		[ "$v" = "$UID_U" ] || fail "caps: out.pcap belongs to uid $v, want $UID_U"
		pass "caps: as $U with cap_net_raw,cap_net_admin only: $N1 frames captured"
	fi
	umask 022
	MTRACECAP=$real

	# an erf: FIFO goes through the relay thread, which, like libwandio's
	# reader, starts while the inputs open (capabilities are per thread)
	relay_run "caps, relay" "relay-caps" caps_none \
	    setpriv --reuid="$U" --regid="$U" --init-groups -- \
	    "$CB/mtracecap-caps"

	mkdir -m 777 "$TMP/nocap"
	rc=0
	timeout 10 setpriv --reuid="$U" --regid="$U" --init-groups -- \
	    "$CB/mtracecap-plain" "pcapfile:$TMP/nocap/out.pcap" "pcapint:$IF1" \
	    >/dev/null 2>"$TMP/nocap.err" || rc=$?
	lines=$(wc -l <"$TMP/nocap.err")
	[ "$rc" = 1 ] || fail "nocaps: exit status $rc, want 1: $(cat "$TMP/nocap.err")"
	[ "$lines" = 1 ] && grep -q "'pcapint:$IF1'" "$TMP/nocap.err" ||
	    fail "nocaps: want one line naming pcapint:$IF1, got: $(cat "$TMP/nocap.err")"
	[ -z "$(ls -A "$TMP/nocap")" ] || fail "nocaps: left files: $(ls -A "$TMP/nocap")"
	pass "nocaps: exit 1: $(cat "$TMP/nocap.err")"
fi

# --- 4: file modes follow the umask ---

# modes WHAT UMASK WANT ARGS... - start_capture ARGS under UMASK; the temp
# file while capturing and the final file afterwards have mode WANT
modes() {
	local what=$1 um=$2 want=$3 f v
	shift 3
	umask "$um"
	if start_capture "$@"; then
		umask 022
		for f in "$CAP_DIR"/tmp-*; do
			v=$(stat -c %a "$f" 2>&1) || true
			[ "$v" = "$want" ] || fail "$what: temp file has mode $v, want $want"
		done
		stop_capture "$what"
		for f in "$CAP_DIR"/*; do
			[ "$f" != "$CAP_ERR" ] || continue
			v=$(stat -c %a "$f" 2>&1) || true
			[ "$v" = "$want" ] || fail "$what: $f has mode $v, want $want"
		done
		pass "$what: temp and final files $want"
	fi
	umask 022
}
modes "umask 022" 022 640 "$TMP/m022" "pcapfile:$TMP/m022/out.pcap" "pcapint:$IF1"
modes "umask 077, -B -Z gz" 077 600 "$TMP/m077" -B "pcapfile:$TMP/m077" -Z gz \
    "pcapint:$IF1"

# --- 5: planted symlinks, hard links and files ---

$MK "$D/a.pcap" --count 50 --start "$S" --step-us 1000
NA=50
FIRST=$(date -u -d "@$S" +%Y%m%d-%H%M%S)-00000000	# -U -B: first segment
OUT=$TMP/outside	# planted links point here
mkdir "$OUT"

WPID=
on_exit 'kill_child -KILL "$WPID"'
# start_waiting NAME ARGS... - mtracecap -W (a watchfile that does not exist
# yet) ARGS in the background: returns once it waits, before it opens any
# output file; WPID, WERR.  release: create the watchfile, wait for the
# exit; WRC its status, WP its pid.
start_waiting() {
	WFILE=$TMP/$1.w
	WERR=$TMP/$1.err
	shift
	"$MTRACECAP" -W "$WFILE" "$@" 2>"$WERR" &
	WPID=$!
	await_start "$WPID" "$WERR" "mtracecap $* did not wait for $WFILE" \
	    200 0.05 grep -q "waiting for watchfile" "$WERR" ||
	    { WPID=; return 1; }
}
release() {
	touch "$WFILE"
	wait_exit "$WPID" 10 || kill -9 "$WPID"
	WRC=0
	wait "$WPID" || WRC=$?
	WP=$WPID
	WPID=
}
# target NAME - a file outside every output directory, with known contents
target() { printf 'do not touch %s\n' "$1" >"$OUT/$1"; echo "$OUT/$1"; }
unchanged() {
	printf 'do not touch %s\n' "$2" | cmp -s - "$OUT/$2" ||
	    fail "$1: the target of the planted link changed: $(head -c 80 "$OUT/$2" | od -c | head -2)"
}

# 5a: symlink at the temp name of a single output
O=$TMP/p-a
mkdir "$O"
t=$(target a)
if start_waiting pa "pcapfile:$O/out.pcap" "$D/a.pcap"; then
	ln -s "$t" "$O/tmp-$WPID-out.pcap"
	release
	unchanged "temp symlink" a
	[ -L "$O/tmp-$WP-out.pcap" ] || fail "temp symlink: the planted link is gone"
	[ "$WRC" = 1 ] || fail "temp symlink: exit status $WRC, want 1"
	grep -q "cannot create '$O/tmp-$WP-out.pcap': File exists" "$WERR" ||
	    fail "temp symlink: no error naming the temp file: $(cat "$WERR")"
	grep -q "total: .* lost=$NA" "$WERR" ||
	    fail "temp symlink: the lost packets are not reported: $(tail -1 "$WERR")"
	[ ! -e "$O/out.pcap" ] || fail "temp symlink: out.pcap was written"
	pass "temp symlink: not followed; exit 1: $(grep 'cannot create' "$WERR")"
fi

# 5b: dangling symlink at the temp name of the first -B segment
O=$TMP/p-b
mkdir "$O"
if start_waiting pb -B "pcapfile:$O" -U "$D/a.pcap"; then
	ln -s "$OUT/b-new" "$O/tmp-$WPID-$FIRST"
	release
	[ ! -e "$OUT/b-new" ] || fail "-B temp symlink: its target was created"
	[ "$WRC" = 1 ] || fail "-B temp symlink: exit status $WRC, want 1"
	grep -q "cannot create '$O/tmp-$WP-$FIRST': File exists" "$WERR" ||
	    fail "-B temp symlink: no error naming the temp file: $(cat "$WERR")"
	pass "-B temp symlink: not followed, nothing created through it"
fi

# 5c, 5d: symlink and hard link at the final name of a single output
for kind in symlink hardlink; do
	O=$TMP/p-$kind
	mkdir "$O"
	t=$(target "$kind")
	if [ "$kind" = symlink ]; then ln -s "$t" "$O/out.pcap"; else ln "$t" "$O/out.pcap"; fi
	rc=0
	"$MTRACECAP" "pcapfile:$O/out.pcap" "$D/a.pcap" 2>"$TMP/$kind.err" || rc=$?
	unchanged "final $kind" "$kind"
	[ "$rc" = 0 ] || fail "final $kind: exit status $rc: $(cat "$TMP/$kind.err")"
	[ -f "$O/out.pcap" ] && [ ! -L "$O/out.pcap" ] &&
	    [ "$(stat -c %h "$O/out.pcap")" = 1 ] &&
	    [ "$(npackets "$O/out.pcap")" = "$NA" ] ||
	    fail "final $kind: out.pcap is not a new file of $NA packets: $(ls -l "$O")"
	pass "final $kind: replaced by the capture, its target untouched"
done

# 5e, 5f: a file and a symlink at the first -B segment's name
for kind in file symlink; do
	O=$TMP/pB-$kind
	mkdir "$O"
	t=$(target "B$kind")
	if [ "$kind" = symlink ]; then
		ln -s "$t" "$O/$FIRST"
	else
		cp "$t" "$O/$FIRST"
	fi
	rc=0
	"$MTRACECAP" -B "pcapfile:$O" -U "$D/a.pcap" 2>"$TMP/B$kind.err" || rc=$?
	unchanged "-B $kind" "B$kind"
	if [ "$kind" = symlink ]; then
		[ "$(readlink "$O/$FIRST")" = "$t" ] || fail "-B symlink: the link was replaced"
	else
		printf 'do not touch B%s\n' "$kind" | cmp -s - "$O/$FIRST" ||
		    fail "-B file: the existing file was overwritten"
	fi
	[ "$rc" = 0 ] || fail "-B $kind: exit status $rc: $(cat "$TMP/B$kind.err")"
	[ "$(npackets "$O/$FIRST.1" 2>/dev/null)" = "$NA" ] ||
	    fail "-B $kind: $FIRST.1 does not hold the $NA packets: $(ls -l "$O")"
	grep -q "'$O/$FIRST' exists already; wrote '$O/$FIRST.1' instead" \
	    "$TMP/B$kind.err" || fail "-B $kind: no warning: $(cat "$TMP/B$kind.err")"
	pass "-B $kind at the final name: kept, the capture went to $FIRST.1"
done

# 5g, 5h: symlink and hard link at the seqfile's temp name
for kind in symlink hardlink; do
	O=$TMP/pN-$kind
	mkdir "$O"
	t=$(target "N$kind")
	if start_waiting "N$kind" -B "pcapfile:$O" -U -N "$O/.seq" "$D/a.pcap"; then
		if [ "$kind" = symlink ]; then
			ln -s "$t" "$O/.seq.tmp-$WPID"
		else
			ln "$t" "$O/.seq.tmp-$WPID"
		fi
		release
		unchanged "seqfile temp $kind" "N$kind"
		# safe either way: saved through a new file, or refused
		if [ "$WRC" = 0 ]; then
			[ "$(cat "$O/.seq")" = 0 ] && [ "$(stat -c %h "$O/.seq")" = 1 ] ||
			    fail "seqfile temp $kind: .seq is '$(cat "$O/.seq")' with $(stat -c %h "$O/.seq") link(s)"
		else
			grep -q "cannot save seqfile '$O/.seq'" "$WERR" ||
			    fail "seqfile temp $kind: exit $WRC without naming the seqfile: $(cat "$WERR")"
		fi
		pass "seqfile temp $kind: its target untouched (exit $WRC)"
	fi
done

finish
