#!/bin/bash
# fuzz.sh - the libFuzzer harnesses of tests/fuzz/ (see tests/fuzz/run.sh):
# option parsing, command/URI splitting, file names, the seqfile, crash
# recovery, the pcap file reader, the control socket's line protocol and
# the packet header parser (--headers-only, anonymisation),
# each built with ASan+UBSan and run for FUZZ_SECONDS (default 20) after
# replaying every past crash kept in tests/fuzz/regressions/.  Fails on
# any crash, leak, timeout or broken invariant, printing the reproducer.
# Without a clang that can build a harness it skips, except in CI
# (CI=true), where that is a failure.
#
# The harnesses are built here, with ASan+UBSan, whatever the build under
# test is: running them in every build's make check would fuzz the same
# code several times per CI run.  So it runs in the ASan build only (CI's
# phase b) and skips elsewhere; MTC_FUZZ=1 runs it in any build.
. "$(dirname "$0")/lib.sh"

: "${FUZZ_CC:=clang}"
if [ "${MTC_FUZZ:-}" != 1 ] && ! sanitizer_build asan; then
	skip "fuzzing runs once, in the ASan build (its harnesses are built" \
	    "with ASan+UBSan whatever this build is); MTC_FUZZ=1 runs it here"
fi
# no_fuzzer WHY: skip, except in CI (CI=true), whose image must fuzz:
# tools/setup.sh installs clang and libclang-rt-dev (libFuzzer and clang's
# ASan runtime, only a Recommends of clang, so missing on a minimal image)
no_fuzzer() {
	if [ "${CI:-}" = true ]; then
		fail "$*, which CI (CI=true) must have (Debian: clang libclang-rt-dev)"
		finish
	fi
	skip "$*"
}
need_cmd make
command -v "$FUZZ_CC" >/dev/null 2>&1 || no_fuzzer "needs $FUZZ_CC"
export FUZZ_SECONDS=${FUZZ_SECONDS:-20}
# one fuzzer at a time under make check: with two on a 2-core CI machine
# the live-capture tests running beside them are starved of CPU for long
# enough that packets reach mtracecap later than -w allows
export FUZZ_JOBS=${FUZZ_JOBS:-1}
export FUZZ_BUILD_DIR=$TMP/build
export FUZZ_CC MTRACECAP
rc=0
start=$(date +%s)
bash "$TESTS_SRCDIR/fuzz/run.sh" || rc=$?
case $rc in
0)	pass "fuzzing found nothing in $(( $(date +%s) - start )) s" ;;
77)	no_fuzzer "no clang with -fsanitize=fuzzer (see above)" ;;
*)	fail "fuzzing found problems (above; status $rc)"
	# keep what was found: $TMP is removed at exit
	keep=$(mktemp -d "${TMPDIR:-/tmp}/mtc-fuzz-found.XXXXXX")
	cp -r "$FUZZ_BUILD_DIR/work" "$keep/" 2>/dev/null || true
	echo "artifacts copied to $keep/work" >&2 ;;
esac
finish
