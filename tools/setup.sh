#!/bin/sh
# tools/setup.sh - the one script behind the two commands in README.
#
#   sh tools/setup.sh demo   install dependencies, build in build/, then
#                            run tools/demo.sh: synthetic pcaps merged into
#                            rotated files, a live capture on a veth pair
#                            in a network namespace, the results shown
#   sh tools/setup.sh test   install dependencies, then
#                            (a) --enable-werror build + make check   build/
#                            (b) ASan+UBSan build (-Werror) + make check  build-asan/
#                            (c) TSan build (-Werror) + make check     build-tsan/
#                            (d) make distcheck of the (a) build
#                            and print "N passed, N failed[, N skipped]"
#
# Each phase runs the whole `make check`: a test that cannot (or need not)
# run in that build skips itself with a reason (valgrind.sh under a
# sanitizer, live capture under TSan, fuzz.sh outside the ASan build; see
# skip_sanitizer in tests/integration/lib.sh), so that `make check` by
# hand in any build directory runs what CI runs there.
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
# rclone: contrib/mtracecap-rclone and its test against rclone's own
# WebDAV server (tests/integration/rclone_hook.sh).
DEB_PACKAGES="build-essential autoconf automake libtool pkg-config make
	libtrace3-dev libwandio1-dev libpcap-dev libcmocka-dev libtrace-tools
	libjansson-dev libssl-dev libmicrohttpd-dev curl
	tcpdump tshark wireshark-common tcpreplay iproute2 python3 mandoc
	procps psmisc util-linux mount coreutils gzip bzip2 xz-utils lzop
	zstd lz4 file systemd libsystemd-dev libcap2-bin rpm clang
	libclang-rt-dev valgrind strace binutils passwd man-db rclone"

# `test` only, and best effort: a real Prometheus server and promtool for
# tests/integration/metrics.sh, which skips (saying why) without them.
DEB_TEST_PACKAGES="prometheus"

say() { printf '%s\n' "$*"; }
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

# The test-only packages: a failure is a warning (their tests skip).
install_test_deps() {
	missing=
	for p in $DEB_TEST_PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		    grep -q ' installed$' || missing="$missing$p "
	done
	[ -n "$missing" ] || return 0
	[ "${MTC_NO_APT:-0}" != 1 ] && [ "$(id -u)" -eq 0 ] || {
		say "== test packages missing: $missing(their tests skip)"
		return 0
	}
	say "== test packages: installing $missing(log: build-logs/apt-test.log)"
	if ! DEBIAN_FRONTEND=noninteractive apt_retry apt-get install -y \
	    --no-install-recommends $missing >"$LOGDIR/apt-test.log" 2>&1 \
	    </dev/null; then
		say "== test packages: could not install $missing(their tests" \
		    "skip; see build-logs/apt-test.log)"
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

# run_check NAME DIR [WRAP]: make check in DIR (run by the function WRAP
# if given), logged to build-logs/NAME.log; adds up its test-suite.log
run_check() {
	name=$1 dir=$2 wrap=${3:-} log=$LOGDIR/$1.log
	rm -f "$dir/test-suite.log"
	rc=0
	(cd "$dir" && $wrap make -j"$CHECK_JOBS" check) >>"$log" 2>&1 || rc=$?
	if [ -f "$dir/test-suite.log" ]; then
		count_log "$dir/test-suite.log"
		say "   $name: $lp passed, $lf failed, $lsk skipped"
	else
		lf=1
		FAILED=$((FAILED + 1))
		say "   $name: the tests did not build or run"
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

	# (a) -Werror, (b) AddressSanitizer + UndefinedBehaviorSanitizer,
	# (c) ThreadSanitizer: make check in each
	built_a=0
	if build_phase a-werror "$ROOT/build" --enable-werror; then
		built_a=1
		run_check a-werror "$ROOT/build"
	fi
	# -Werror in every build: the sanitizers' instrumentation and -O
	# levels bring warnings of their own (-Wformat-truncation,
	# -Wstringop-overread) that the plain build never sees
	if build_phase b-asan "$ROOT/build-asan" --enable-asan --enable-werror; then
		run_check b-asan "$ROOT/build-asan" no_aslr
	fi
	if build_phase c-tsan "$ROOT/build-tsan" --enable-tsan --enable-werror; then
		run_check c-tsan "$ROOT/build-tsan" no_aslr
	fi

	# (d) make distcheck on the normal build: one test
	log=$LOGDIR/d-distcheck.log
	if [ "$built_a" -eq 0 ]; then
		say "== d-distcheck: not run, the (a) build failed"
		FAILED=$((FAILED + 1))
		phase_failed d-distcheck
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

# cmd_demo: build in build/ (configure first if needed), run tools/demo.sh
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
	MTRACECAP=$ROOT/build/mtracecap sh "$ROOT/tools/demo.sh"
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
test) install_test_deps; cmd_test ;;
esac
