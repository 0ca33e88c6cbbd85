#!/bin/sh
# tools/setup.sh - the one script behind the two commands in README.
#
#   sh tools/setup.sh demo   install dependencies, build, merge synthetic
#                            pcaps into rotated files, capture live on a
#                            veth pair in a network namespace, show results
#   sh tools/setup.sh test   install dependencies, then
#                            (a) --enable-werror build + make check   build/
#                            (b) ASan+UBSan build + make check         build-asan/
#                            (c) TSan build + unit and file-input tests build-tsan/
#                            (d) make distcheck of the (a) build
#                            and print "N passed, N failed[, N skipped]"
#
# Meant for root on Debian 12 (bookworm); CI runs it with CI=true and no
# standard input.  It never builds inside the source tree: autoreconf runs
# there, configure and make only in build*/.  Every phase logs to
# build-logs/; a failing phase prints its test-suite.log (or the end of its
# build log).
#
# Environment:
#   MTC_JOBS=N         parallel make jobs (default: number of CPUs)
#   MTC_CHECK_JOBS=N   parallel tests within make check (default: MTC_JOBS)
#   MTC_NO_APT=1       never run apt-get (fail if something is missing)
#   MTC_STRICT=1       tests listed in Makefile.am whose source does not
#                      exist yet count as failed, not skipped, and
#                      distcheck runs anyway
#   CORPUS_DIR         pcap corpus for tests/integration/corpus.sh
#                      (default: ../shared/corpus/tcpdump-tests if present)
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
LOGDIR=$ROOT/build-logs
JOBS=${MTC_JOBS:-$(nproc 2>/dev/null || echo 2)}
CHECK_JOBS=${MTC_CHECK_JOBS:-$JOBS}

# Everything the build and the tests use, named so that a minimal image
# (debootstrap --variant=minbase, a container) gets it all: apt-get runs
# with --no-install-recommends, so nothing may come in as a Recommends.
# capinfos, editcap and mergecap are in wireshark-common, tracestats and
# tracemerge in libtrace-tools; tests/integration/compression.sh needs
# zstd and lz4 when CI=true; systemd-analyze, libsystemd (sd_notify),
# setcap, rpmbuild, clang and valgrind serve the service, packaging, fuzz
# and memcheck tests.  man-db: systemd-analyze verify runs man(1) for the
# units' Documentation= line.  libclang-rt-dev (the compiler-rt of the
# default clang, only a Recommends of clang): libFuzzer and clang's ASan
# runtime, without which tests/integration/fuzz.sh cannot build a harness.
DEB_PACKAGES="build-essential autoconf automake libtool pkg-config make
	libtrace3-dev libwandio1-dev libpcap-dev libcmocka-dev libtrace-tools
	tcpdump tshark wireshark-common tcpreplay iproute2 python3 mandoc
	procps psmisc util-linux mount coreutils gzip bzip2 xz-utils lzop
	zstd lz4 file systemd libsystemd-dev libcap2-bin rpm clang
	libclang-rt-dev valgrind strace binutils passwd man-db"

say() { printf '%s\n' "$*"; }
# nwords LIST: number of blank-separated words
nwords() { set -f; set -- $1; set +f; echo $#; }
die() { printf 'setup.sh: %s\n' "$*" >&2; exit 1; }

usage() {
	cat >&2 <<EOF
usage: sh tools/setup.sh demo|test
  demo   build mtracecap and show it merging and rotating captures
  test   build with -Werror, ASan+UBSan and TSan, run every test and
         make distcheck; the last line says "N passed, N failed"
EOF
	exit 2
}

# --- dependencies ----------------------------------------------------

missing_packages() {
	for p in $DEB_PACKAGES; do
		s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
		case $s in
		*" installed") ;;
		*) printf '%s ' "$p" ;;
		esac
	done
}

# apt_retry CMD...: CMD, tried up to three times
apt_retry() {
	for i in 1 2 3; do
		"$@" && return 0
		[ "$i" -eq 3 ] || sleep 10
	done
	return 1
}

install_deps() {
	command -v dpkg-query >/dev/null 2>&1 ||
	    die "not a Debian system: install the equivalents of: $DEB_PACKAGES"
	missing=$(missing_packages)
	if [ -z "$missing" ]; then
		say "== dependencies: all installed"
		return 0
	fi
	[ "${MTC_NO_APT:-0}" != 1 ] || die "missing packages: $missing"
	[ "$(id -u)" -eq 0 ] || die "run as root to install: $missing"
	say "== dependencies: installing $missing(log: build-logs/apt.log)"
	export DEBIAN_FRONTEND=noninteractive
	# tshark must not ask whether non-root users may capture
	echo "wireshark-common wireshark-common/install-setuid boolean false" |
	    debconf-set-selections
	# a mirror hiccup should not fail a CI run: three tries
	if ! { apt_retry apt-get update &&
	    apt_retry apt-get install -y --no-install-recommends \
	    $DEB_PACKAGES; } >"$LOGDIR/apt.log" 2>&1 </dev/null; then
		tail -n 30 "$LOGDIR/apt.log" >&2
		die "apt-get failed; see build-logs/apt.log"
	fi
}

# --- building --------------------------------------------------------

bootstrap() {
	if [ -f "$ROOT/config.status" ]; then
		die "$ROOT was configured in place; run 'make distclean' there" \
		    "first (builds go to build*/ only)"
	fi
	say "== autoreconf -fi (log: build-logs/autoreconf.log)"
	if ! (cd "$ROOT" && autoreconf -fi) >"$LOGDIR/autoreconf.log" 2>&1; then
		cat "$LOGDIR/autoreconf.log" >&2
		die "autoreconf failed"
	fi
}

# configure_build DIR LOG [configure args...]: a fresh build directory
configure_build() {
	dir=$1 log=$2
	shift 2
	# a failed distcheck leaves a read-only tree in build/
	[ ! -d "$dir" ] || chmod -R u+w "$dir"
	rm -rf "$dir"
	mkdir -p "$dir"
	(cd "$dir" && "$ROOT/configure" "$@" && make -j"$JOBS") >"$log" 2>&1
}

# print_var DIR VAR: the value of a make variable in DIR/Makefile
print_var() {
	printf 'include Makefile\n__mtc_print:\n\t@echo $(%s)\n' "$2" \
	    >"$1/.mtc-print.mk"
	make -s --no-print-directory -C "$1" -f .mtc-print.mk __mtc_print
	rm -f "$1/.mtc-print.mk"
}

# A test named in Makefile.am "exists" once its script or C source does.
test_exists() {
	[ -f "$ROOT/$1" ] || [ -f "$ROOT/$1.c" ]
}

# --- counting --------------------------------------------------------

PASSED=0
FAILED=0
SKIPPED=0
FAILED_PHASES=""

# count_log FILE: add the totals of an automake test-suite.log
count_log() {
	lp=0 lf=0 lsk=0
	eval "$(awk '
	    /^# PASS:/  { p += $3 } /^# XFAIL:/ { p += $3 }
	    /^# FAIL:/  { f += $3 } /^# XPASS:/ { f += $3 }
	    /^# ERROR:/ { f += $3 } /^# SKIP:/  { s += $3 }
	    END { printf "lp=%d lf=%d lsk=%d\n", p, f, s }' "$1")"
	PASSED=$((PASSED + lp))
	FAILED=$((FAILED + lf))
	SKIPPED=$((SKIPPED + lsk))
}

phase_failed() {
	FAILED_PHASES="$FAILED_PHASES $1"
}

# show_failure NAME LOG SUITE [TAIL]: print the test-suite.log SUITE of a
# failed phase (or the end of its LOG when there is none); TAIL=1 adds the
# end of LOG anyway
show_failure() {
	name=$1 log=$2 suite=$3
	say "---- $name failed; log: ${log#"$ROOT"/}"
	if [ -n "$suite" ] && [ -f "$suite" ]; then
		say "---- ${suite#"$ROOT"/}:"
		cat "$suite"
		if [ "${4:-0}" = 1 ]; then
			say "---- end of ${log#"$ROOT"/}:"
			tail -n 30 "$log"
		fi
	else
		tail -n 60 "$log"
	fi
	say "---- end of $name"
}

# run_check NAME DIR LOG TESTLIST PROGLIST MISSING [WRAP]:
#   make check in DIR (run by the function WRAP if given), restricted to
#   TESTLIST/PROGLIST when MISSING (the tests of Makefile.am not written
#   yet) is not empty.
run_check() {
	name=$1 dir=$2 log=$3 tests=$4 progs=$5 miss=$6 wrap=${7:-}
	nmiss=$(nwords "$miss")
	rm -f "$dir/test-suite.log"
	if [ "$nmiss" -gt 0 ]; then
		say "   not written yet, counted as $( [ "${MTC_STRICT:-0}" = 1 ] &&
		    echo failed || echo skipped):$miss"
		set -- TESTS="$tests" check_PROGRAMS="$progs"
	else
		set --
	fi
	rc=0
	(cd "$dir" && $wrap make -j"$CHECK_JOBS" check "$@") >>"$log" 2>&1 ||
	    rc=$?
	if [ -f "$dir/test-suite.log" ]; then
		count_log "$dir/test-suite.log"
		say "   $name: $lp passed, $lf failed, $lsk skipped"
	else
		lf=1
		FAILED=$((FAILED + 1))
		say "   $name: the tests did not build or run"
	fi
	if [ "${MTC_STRICT:-0}" = 1 ]; then
		FAILED=$((FAILED + nmiss))
	else
		SKIPPED=$((SKIPPED + nmiss))
	fi
	if [ "$rc" -ne 0 ] || [ "$lf" -gt 0 ]; then
		phase_failed "$name"
		show_failure "$name" "$log" "$dir/test-suite.log"
	fi
}

# setarch -R (no ASLR) keeps gcc 12's sanitizer runtimes working on
# kernels with vm.mmap_rnd_bits > 28 (ASan loops on DEADLYSIGNAL, TSan
# dies); used only where it is allowed.
no_aslr() {
	if command -v setarch >/dev/null 2>&1 &&
	    setarch "$(uname -m)" -R true 2>/dev/null; then
		setarch "$(uname -m)" -R "$@"
	else
		"$@"
	fi
}

# warn_aslr: say why sanitizer phases may fail when setarch -R is refused
warn_aslr() {
	bits=$(cat /proc/sys/vm/mmap_rnd_bits 2>/dev/null || echo 0)
	if [ "$bits" -gt 28 ] && ! setarch "$(uname -m)" -R true 2>/dev/null
	then
		say "   warning: vm.mmap_rnd_bits=$bits and setarch -R is not" \
		    "allowed here: sanitizer builds may crash or hang (until" \
		    "the per-test timeout); sysctl vm.mmap_rnd_bits=28 helps"
	fi
}

# build_phase NAME DIR [configure args...]: configure + make; 0 if built
build_phase() {
	name=$1 dir=$2
	shift 2
	log=$LOGDIR/$name.log
	say "== $name: configure $* && make (log: ${log#"$ROOT"/})"
	if ! configure_build "$dir" "$log" "$@"; then
		FAILED=$((FAILED + 1))
		phase_failed "$name"
		show_failure "$name" "$log" ""
		return 1
	fi
	return 0
}

cmd_test() {
	if [ -z "${CORPUS_DIR:-}" ] &&
	    [ -d "$ROOT/../shared/corpus/tcpdump-tests" ]; then
		CORPUS_DIR=$(cd "$ROOT/../shared/corpus/tcpdump-tests" && pwd)
		export CORPUS_DIR
	fi
	warn_aslr
	# ASAN_OPTIONS, LSAN_OPTIONS (with tests/lsan.supp), UBSAN_OPTIONS
	# and TSAN_OPTIONS come from AM_TESTS_ENVIRONMENT in Makefile.am, so
	# that a plain `make check` gets them too; options already in the
	# environment are appended there and win.

	# (a) -Werror build, make check
	built_a=0
	if build_phase a-werror "$ROOT/build" --enable-werror; then
		built_a=1
		all_tests=$(print_var "$ROOT/build" TESTS)
		all_progs=$(print_var "$ROOT/build" check_PROGRAMS)
		tests="" progs="" miss="" unit="" unit_miss=""
		for t in $all_tests; do
			if test_exists "$t"; then tests="$tests $t"
			else miss="$miss $t"; fi
		done
		for p in $all_progs; do
			if test_exists "$p"; then progs="$progs $p" unit="$unit $p"
			else unit_miss="$unit_miss $p"; fi
		done
		say "   tests in Makefile.am: $(nwords "$all_tests")," \
		    "written: $(nwords "$tests")"
		run_check a-werror "$ROOT/build" "$LOGDIR/a-werror.log" \
		    "$tests" "$progs" "$miss"
	fi

	# (b) AddressSanitizer + UndefinedBehaviorSanitizer, make check
	if build_phase b-asan "$ROOT/build-asan" --enable-asan; then
		if [ "$built_a" -eq 0 ]; then
			tests=$(print_var "$ROOT/build-asan" TESTS)
			progs=$(print_var "$ROOT/build-asan" check_PROGRAMS)
			miss="" unit=$progs unit_miss=""
		fi
		run_check b-asan "$ROOT/build-asan" "$LOGDIR/b-asan.log" \
		    "$tests" "$progs" "$miss" no_aslr
	fi

	# (c) ThreadSanitizer: the unit tests (which drive the queue, merger
	# and writer threads deterministically) and the integration tests
	# that run the whole daemon on file inputs, rotation and signals
	# (live capture stays out: libtrace and libpcap are not TSan-clean)
	if build_phase c-tsan "$ROOT/build-tsan" --enable-tsan; then
		if [ "$built_a" -eq 0 ]; then
			unit=$(print_var "$ROOT/build-tsan" check_PROGRAMS)
			unit_miss=""
		fi
		tsan_tests=$unit
		for t in merge_files rotation signals; do
			t=tests/integration/$t.sh
			if test_exists "$t"; then tsan_tests="$tsan_tests $t"
			else unit_miss="$unit_miss $t"; fi
		done
		log=$LOGDIR/c-tsan.log
		rm -f "$ROOT/build-tsan/test-suite.log"
		[ -z "$unit_miss" ] || say "   not written yet:$unit_miss"
		rc=0
		(cd "$ROOT/build-tsan" && no_aslr make -j"$CHECK_JOBS" check \
		    TESTS="$tsan_tests" check_PROGRAMS="$unit") >>"$log" 2>&1 ||
		    rc=$?
		nmiss=$(nwords "$unit_miss")
		if [ "${MTC_STRICT:-0}" = 1 ]; then
			FAILED=$((FAILED + nmiss))
		else
			SKIPPED=$((SKIPPED + nmiss))
		fi
		if [ -f "$ROOT/build-tsan/test-suite.log" ]; then
			count_log "$ROOT/build-tsan/test-suite.log"
			say "   c-tsan: $lp passed, $lf failed, $lsk skipped"
		else
			lf=1
			FAILED=$((FAILED + 1))
			say "   c-tsan: the tests did not build or run"
		fi
		if [ "$rc" -ne 0 ] || [ "$lf" -gt 0 ]; then
			phase_failed c-tsan
			show_failure c-tsan "$log" "$ROOT/build-tsan/test-suite.log"
		fi
	fi

	# (d) make distcheck on the normal build: one test
	log=$LOGDIR/d-distcheck.log
	if [ "$built_a" -eq 0 ]; then
		say "== d-distcheck: not run, the (a) build failed"
		FAILED=$((FAILED + 1))
		phase_failed d-distcheck
	elif [ -n "$miss" ] && [ "${MTC_STRICT:-0}" != 1 ]; then
		say "== d-distcheck: skipped, Makefile.am lists tests that are" \
		    "not written yet (make dist needs them)"
		SKIPPED=$((SKIPPED + 1))
	else
		say "== d-distcheck: make distcheck (log: ${log#"$ROOT"/})"
		# --enable-werror: AM_DISTCHECK_CONFIGURE_FLAGS
		if (cd "$ROOT/build" && make -j"$JOBS" distcheck) >"$log" 2>&1
		then
			PASSED=$((PASSED + 1))
			say "   d-distcheck: passed"
		else
			FAILED=$((FAILED + 1))
			phase_failed d-distcheck
			suite=$(find "$ROOT/build" -path '*/_build/*' \
			    -name test-suite.log 2>/dev/null | head -n 1)
			# the test-suite.log alone would hide a packaging error
			show_failure d-distcheck "$log" "$suite" 1
		fi
	fi

	say "== logs: build-logs/; failed phases:${FAILED_PHASES:- none}"
	if [ "$SKIPPED" -gt 0 ]; then
		say "$PASSED passed, $FAILED failed, $SKIPPED skipped"
	else
		say "$PASSED passed, $FAILED failed"
	fi
	[ "$FAILED" -eq 0 ]
}

# --- demo ------------------------------------------------------------

DEMO_TMP=""
DEMO_NS=""
DEMO_PID=""

demo_cleanup() {
	if [ -n "$DEMO_PID" ]; then
		kill -KILL "$DEMO_PID" 2>/dev/null || true
		wait "$DEMO_PID" 2>/dev/null || true
	fi
	[ -z "$DEMO_NS" ] || ip netns del "$DEMO_NS" 2>/dev/null || true
	[ -z "$DEMO_TMP" ] || rm -rf "$DEMO_TMP"
}

# npackets FILE: packets in a capture file (0 if unreadable)
npackets() {
	capinfos -M -c "$1" 2>/dev/null |
	    awk -F': *' '/Number of packets/ { n = $2 + 0 } END { print n + 0 }'
}

show_files() {
	for f in "$1"/*; do
		[ -f "$f" ] || continue
		printf '   %-36s %9s bytes %6s packets\n' "${f##*/}" \
		    "$(wc -c <"$f")" "$(npackets "$f")"
	done
}

demo_live() {
	if [ "$(id -u)" -ne 0 ]; then
		say "== live capture: skipped (needs root for a network namespace)"
		return 0
	fi
	DEMO_NS=mtcdemo$$
	if ! ip netns add "$DEMO_NS" 2>/dev/null; then
		DEMO_NS=""
		say "== live capture: skipped (cannot create a network namespace here)"
		return 0
	fi
	nsx() { ip netns exec "$DEMO_NS" "$@"; }
	if ! { nsx ip link add mtca type veth peer name mtcb &&
	    nsx ip link set lo up && nsx ip link set mtca up &&
	    nsx ip link set mtcb up; } 2>/dev/null; then
		say "== live capture: skipped (no veth pairs here)"
		return 0
	fi
	nsx sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null || true
	say "== live capture: a veth pair mtca<->mtcb inside network namespace" \
	    "$DEMO_NS; tcpreplay sends 198.18.0.0/15 frames into mtca,"
	say "   mtracecap captures both ends (pcapint:mtca ring:mtcb), so each" \
	    "frame appears twice, in timestamp order"
	python3 "$ROOT/tests/tools/mkpcap.py" "$DEMO_TMP/replay.pcap" \
	    --count 300 --id 9 --size 200
	mkdir "$DEMO_TMP/live"
	say "   \$ mtracecap -v -s 0 -G 2 -w 5 -B pcapfile:live --file-ext=.pcap" \
	    "pcapint:mtca ring:mtcb"
	# started directly (not through a function or subshell) so that $!
	# is mtracecap itself; stopped with SIGTERM because a background job
	# of a non-interactive shell starts with SIGINT ignored
	ip netns exec "$DEMO_NS" "$ROOT/build/mtracecap" -v -s 0 -G 2 -w 5 \
	    -B "pcapfile:$DEMO_TMP/live" --file-ext=.pcap \
	    pcapint:mtca ring:mtcb 2>"$DEMO_TMP/live.err" &
	DEMO_PID=$!
	sleep 1
	if ! kill -0 "$DEMO_PID" 2>/dev/null; then
		sed 's/^/   /' "$DEMO_TMP/live.err"
		DEMO_PID=""
		say "== live capture: mtracecap did not start"
		return 0
	fi
	say "   \$ tcpreplay -i mtca --pps 200 replay.pcap   (300 frames)"
	nsx tcpreplay -q -i mtca --pps 200 "$DEMO_TMP/replay.pcap" \
	    >"$DEMO_TMP/tcpreplay.out" 2>&1 ||
	    sed 's/^/   /' "$DEMO_TMP/tcpreplay.out"
	sleep 1
	say "   \$ kill -TERM <pid>"
	kill -TERM "$DEMO_PID" 2>/dev/null || true
	i=0
	while kill -0 "$DEMO_PID" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$DEMO_PID" 2>/dev/null && say "   (did not stop in 10 s)"
	rc=0
	wait "$DEMO_PID" || rc=$?
	DEMO_PID=""
	sed 's/^/   /' "$DEMO_TMP/live.err"
	say "   mtracecap exited with status $rc; files (a quiet interval gets a" \
	    "header-only file):"
	show_files "$DEMO_TMP/live"
	first=""
	for f in "$DEMO_TMP"/live/*; do
		[ "$(npackets "$f")" -gt 0 ] || continue
		first=${f##*/}
		break
	done
	if [ -n "$first" ]; then
		say "   \$ tcpdump -nn -e -r $first | head -n 4"
		tcpdump -nn -e -r "$DEMO_TMP/live/$first" 2>/dev/null |
		    head -n 4 | sed 's/^/   /'
	fi
	ip netns del "$DEMO_NS" 2>/dev/null || true
	DEMO_NS=""
}

cmd_demo() {
	if [ ! -x "$ROOT/build/mtracecap" ] || [ ! -f "$ROOT/build/Makefile" ]
	then
		say "== build: configure && make in build/ (log: build-logs/demo-build.log)"
		if ! configure_build "$ROOT/build" "$LOGDIR/demo-build.log"; then
			tail -n 60 "$LOGDIR/demo-build.log"
			die "build failed"
		fi
	else
		say "== build: make in build/ (log: build-logs/demo-build.log)"
		(cd "$ROOT/build" && make -j"$JOBS") \
		    >"$LOGDIR/demo-build.log" 2>&1 ||
		    { tail -n 60 "$LOGDIR/demo-build.log"; die "build failed"; }
	fi
	MTC=$ROOT/build/mtracecap
	DEMO_TMP=$(mktemp -d "${TMPDIR:-/tmp}/mtracecap-demo.XXXXXX")
	trap demo_cleanup EXIT
	trap 'exit 1' INT TERM HUP
	cd "$DEMO_TMP"

	say "== $("$MTC" --version), demo files in $DEMO_TMP"
	say "== three synthetic captures of 3 s each (198.18.0.0/15 UDP):"
	say "   a.pcap (1 ms apart), b.pcap.gz (gzip, 0-700 us jitter)," \
	    "c.pcapng (every 5th timestamp repeated)"
	python3 "$ROOT/tests/tools/mkpcap.py" a.pcap --count 3000 --id 1
	python3 "$ROOT/tests/tools/mkpcap.py" b.pcap --count 3000 --id 2 \
	    --jitter-us 700 --seed 7
	gzip -f b.pcap
	python3 "$ROOT/tests/tools/mkpcap.py" c.pcap --count 3000 --id 3 \
	    --tie-every 5 --nsec
	if command -v editcap >/dev/null 2>&1; then
		editcap -F pcapng c.pcap c.pcapng && rm c.pcap
		c=c.pcapng
	else
		c=c.pcap
	fi

	mkdir out
	say ""
	say "== merge into files rotated every second, with a sequence file:"
	say "   \$ mtracecap -v -s 0 -G 1 -N seq -B pcapfile:out --file-ext=.pcap" \
	    "a.pcap b.pcap.gz $c"
	rc=0
	"$MTC" -v -s 0 -G 1 -N seq -B pcapfile:out --file-ext=.pcap \
	    a.pcap b.pcap.gz "$c" 2>&1 | sed 's/^/   /' || rc=$?
	say "   files (mode 0640, named by interval start and sequence number):"
	ls -l out | sed 's/^/   /'
	say "   seq holds the last number used: $(cat seq)"
	first=$(ls out | head -n 1)
	say "   \$ capinfos -c -a -e out/$first"
	capinfos -c -a -e "out/$first" | sed 's/^/   /'
	say "   \$ tcpdump -nn -r out/$first -c 6   (ties go to the earlier input)"
	tcpdump -nn -r "out/$first" -c 6 2>/dev/null | sed 's/^/   /'
	say "   \$ capinfos -o out/*   (are the merged files in time order?)"
	capinfos -o -M out/* | grep -E 'File name|Strict time order' |
	    sed 's/^/   /'

	mkdir gz
	say ""
	say "== the same, gzip-compressed, cut at 1 MiB of pcap, with a command run"
	say "   on every completed file:"
	say "   \$ mtracecap -s 0 -S 1 -Z gz -z 1 --file-ext=.pcap.gz" \
	    "--post-rotate='echo completed:' -B pcapfile:gz a.pcap b.pcap.gz $c"
	"$MTC" -s 0 -S 1 -Z gz -z 1 --file-ext=.pcap.gz \
	    --post-rotate='echo completed:' \
	    -B pcapfile:gz a.pcap b.pcap.gz "$c" 2>&1 | sed 's/^/   /'
	show_files gz

	say ""
	say "== to standard output, into tcpdump:"
	say "   \$ mtracecap -F 'src 198.18.2.1' pcapfile:- a.pcap b.pcap.gz |" \
	    "tcpdump -nn -r - | head -n 3"
	"$MTC" -F 'src 198.18.2.1' pcapfile:- a.pcap b.pcap.gz 2>/dev/null |
	    tcpdump -nn -r - 2>/dev/null | head -n 3 | sed 's/^/   /'

	say ""
	demo_live
	say ""
	say "== demo done; see man/mtracecap.8 (man -l man/mtracecap.8)"
}

# --- main ------------------------------------------------------------

[ $# -eq 1 ] || usage
case $1 in
demo|test) ;;
*) usage ;;
esac
mkdir -p "$LOGDIR"
install_deps
bootstrap
case $1 in
demo) cmd_demo ;;
test) cmd_test ;;
esac
