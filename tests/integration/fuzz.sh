#!/bin/bash
# fuzz.sh - the libFuzzer harnesses of tests/fuzz/ (see tests/fuzz/run.sh):
# option parsing, command/URI splitting, file names, the seqfile, crash
# recovery and the pcap file reader, each built with ASan+UBSan and run
# for FUZZ_SECONDS (default 20) after replaying every past crash kept in
# tests/fuzz/regressions/.  Fails on any crash, leak, timeout or broken
# invariant, printing the reproducer.
. "$(dirname "$0")/lib.sh"

: "${FUZZ_CC:=clang}"
need_cmd "$FUZZ_CC" make
# a TSan suite gains nothing from an ASan fuzzing run and would double it
if sanitizer_build tsan; then
	skip "the build under test is a TSan build"
fi
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
77)	skip "no clang with -fsanitize=fuzzer (see above)" ;;
*)	fail "fuzzing found problems (above; status $rc)"
	# keep what was found: $TMP is removed at exit
	keep=$(mktemp -d "${TMPDIR:-/tmp}/mtc-fuzz-found.XXXXXX")
	cp -r "$FUZZ_BUILD_DIR/work" "$keep/" 2>/dev/null || true
	echo "artifacts copied to $keep/work" >&2 ;;
esac
finish
