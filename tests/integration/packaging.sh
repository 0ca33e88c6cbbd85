#!/bin/bash
# packaging.sh - the tarball builds an rpm with everything a long-running
# install needs, and the manual matches the program.
#
# 1. A fresh build dir configured from the source tree runs `make dist`
#    (never touching the source tree); `rpmbuild -ta` builds that tarball
#    in a temp %_topdir.  rpm itself then says what the package holds:
#    binaries (mtracecap runs and prints our version), man pages, both units
#    (ExecStart pointing at the packaged binary), the sysconfig file as
#    %config(noreplace), the sysusers file declaring the user, the cron
#    collector, the rclone hook (runs: its usage, exit 2) and its man page,
#    /var/lib/mtracecap owned by that user with mode 0750; and
#    its scriptlets: %pre creates the user, %post/%preun/%postun talk to
#    systemctl, all of them valid sh with no unexpanded rpm macro.
# 2. mandoc -Tlint -Wwarning is silent on man/mtracecap.8 and the other
#    man pages (mtracecapctl.8, mtracecap-rclone.1).
# 3. Every option `mtracecap --help` lists (long and short) is in the man
#    page's OPTIONS, every option there is in --help, and every long option
#    of the getopt table in src/options.c is in --help.
# 4. The man page lists exit statuses 0, 1, 2 and SIGHUP, SIGTERM, SIGINT.
#
# Parts whose tools are missing (rpmbuild, mandoc, a configured source
# tree) are skipped with the reason; the test then exits 77 unless a
# check failed.
. "$(dirname "$0")/lib.sh"
tsan_elsewhere "the tarball, the rpm and the units"

SRC=$(cd "$TESTS_SRCDIR/.." && pwd)
MAN=$SRC/man/mtracecap.8
CTL_MAN=$SRC/man/mtracecapctl.8	# mtracecapctl's
RCLONE_MAN=$SRC/man/mtracecap-rclone.1	# the rclone hook's
SKIPPED=()
skip_part() { echo "skip: $*" >&2; SKIPPED+=("$*"); }

[ -f "$MAN" ] || { fail "no man page at $MAN"; finish; }
[ -f "$CTL_MAN" ] || { fail "no man page at $CTL_MAN"; finish; }
[ -f "$RCLONE_MAN" ] || { fail "no man page at $RCLONE_MAN"; finish; }

# ---------------------------------------------------------------- rpm ----
# The build below runs make and rpmbuild inside `make check`: keep the
# outer make's jobserver and command-line variables out of them.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES

# unpack_rpm RPM DIR: the payload of RPM into DIR.
unpack_rpm() {
	if command -v rpm2archive >/dev/null 2>&1; then
		rpm2archive - <"$1" | tar -C "$2" -xzf -
	else
		(cd "$2" && rpm2cpio "$1" | cpio -idm --quiet)
	fi
}

rpm_part() {
	local b=$TMP/build top=$TMP/rpm tarball rpmfile ver want_ver out
	local -a rpmopts
	mkdir -p "$b" "$top/tmp"
	# configure -q and make dist; the *=true overrides keep a stale
	# Makefile.in or configure from regenerating files in the source tree.
	if ! (cd "$b" && "$SRC/configure" -q --with-systemd=no \
	    >"$TMP/configure.log" 2>&1); then
		fail "configure of a fresh build dir failed:"
		tail -20 "$TMP/configure.log" >&2
		return
	fi
	if ! make -C "$b" ACLOCAL=true AUTOMAKE=true AUTOCONF=true \
	    AUTOHEADER=true dist >"$TMP/dist.log" 2>&1; then
		fail "make dist failed:"
		tail -20 "$TMP/dist.log" >&2
		return
	fi
	tarball=$(ls "$b"/mtracecap-*.tar.gz 2>/dev/null | head -n 1 || true)
	[ -n "$tarball" ] || { fail "make dist wrote no mtracecap-*.tar.gz"; return; }
	pass "make dist: $(basename "$tarball")"

	rpmopts=(--define "_topdir $top" --define "_tmppath $top/tmp"
	    --without check)
	# the spec links libsystemd unless told not to (--nodeps does not
	# make a missing libsystemd-dev appear)
	pkg-config --exists libsystemd 2>/dev/null || rpmopts+=(--without systemd)
	if ! rpmbuild -ta --nodeps "${rpmopts[@]}" "$tarball" \
	    >"$TMP/rpmbuild.log" 2>&1; then
		fail "rpmbuild -ta --nodeps failed:"
		tail -30 "$TMP/rpmbuild.log" >&2
		return
	fi
	rpmfile=$(ls "$top"/RPMS/*/mtracecap-[0-9]*.rpm 2>/dev/null | head -n 1 || true)
	[ -n "$rpmfile" ] || { fail "rpmbuild wrote no binary rpm"; return; }
	pass "rpmbuild -ta: $(basename "$rpmfile")"

	q() { rpm --eval "$1"; }
	local sbindir bindir unitdir sysusersdir sysconfdir mandir rc
	sbindir=$(q '%{_sbindir}')
	bindir=$(q '%{_bindir}')
	mandir=$(q '%{_mandir}')
	sysconfdir=$(q '%{_sysconfdir}')
	# the spec falls back to these where systemd-rpm-macros is missing
	unitdir=$(q '%{?_unitdir}%{!?_unitdir:%{_prefix}/lib/systemd/system}')
	sysusersdir=$(q '%{?_sysusersdir}%{!?_sysusersdir:%{_prefix}/lib/sysusers.d}')

	rpm -qp --qf '[%{FILENAMES}\t%{FILEMODES:perms}\t%{FILEUSERNAME}\t%{FILEGROUPNAME}\t%{FILEFLAGS:fflags}\n]' \
	    "$rpmfile" >"$TMP/files" 2>"$TMP/rpmq.err" ||
	    { fail "rpm -qp cannot read $rpmfile: $(cat "$TMP/rpmq.err")"; return; }
	rpm -qlp "$rpmfile" >"$TMP/list" || true
	local f
	for f in "$sbindir/mtracecap" "$unitdir/mtracecap.service" \
	    "$unitdir/mtracecap@.service" "$sysconfdir/sysconfig/mtracecap" \
	    "$sysusersdir/mtracecap.conf" "$sbindir/mtracecapctl" \
	    "$bindir/mtracecap-rclone"; do
		if grep -qxF -- "$f" "$TMP/list"; then
			pass "rpm holds $f"
		else
			fail "rpm -qlp lacks $f"
		fi
	done
	local m
	for m in mtracecap mtracecapctl; do
		if grep -qE "^$mandir/man8/$m\.8(\.[a-z0-9]+)?\$" "$TMP/list"; then
			pass "rpm holds the man page $m.8"
		else
			fail "rpm -qlp lacks $mandir/man8/$m.8*"
		fi
	done
	if grep -qE "^$mandir/man1/mtracecap-rclone\.1(\.[a-z0-9]+)?\$" "$TMP/list"; then
		pass "rpm holds the man page mtracecap-rclone.1"
	else
		fail "rpm -qlp lacks $mandir/man1/mtracecap-rclone.1*"
	fi
	if grep -qE '/mtracecap-collect$' "$TMP/list"; then
		pass "rpm holds the cron collector ($(grep -E '/mtracecap-collect$' "$TMP/list"))"
	else
		fail "rpm -qlp lacks mtracecap-collect"
	fi
	# %config(noreplace): flags c and n
	if awk -F'\t' -v f="$sysconfdir/sysconfig/mtracecap" \
	    '$1 == f && $5 ~ /c/ && $5 ~ /n/ {ok = 1} END {exit !ok}' "$TMP/files"; then
		pass "sysconfig file is %config(noreplace)"
	else
		fail "$sysconfdir/sysconfig/mtracecap is not %config(noreplace):" \
		    "$(grep -F "$sysconfdir/sysconfig/mtracecap" "$TMP/files" || true)"
	fi
	if awk -F'\t' '$1 == "/var/lib/mtracecap" && $2 == "drwxr-x---" &&
	    $3 == "mtracecap" && $4 == "mtracecap" {ok = 1} END {exit !ok}' "$TMP/files"; then
		pass "/var/lib/mtracecap: drwxr-x--- mtracecap:mtracecap"
	else
		fail "/var/lib/mtracecap is not a 0750 directory owned by mtracecap:" \
		    "$(grep -F /var/lib/mtracecap "$TMP/files" || echo missing)"
	fi

	# What the files say, unpacked from the payload.
	local x=$TMP/x
	mkdir -p "$x"
	if ! unpack_rpm "$rpmfile" "$x" 2>"$TMP/unpack.err"; then
		fail "cannot unpack the rpm: $(cat "$TMP/unpack.err")"
		return
	fi
	want_ver=$("$MTRACECAP" --version 2>&1 | awk '{print $NF; exit}' || true)
	ver=$(rpm -qp --qf '%{VERSION}' "$rpmfile" || true)
	if [ "$ver" = "$want_ver" ]; then
		pass "rpm version $ver is mtracecap --version's"
	else
		fail "rpm version '$ver', mtracecap --version says '$want_ver'"
	fi
	if [ -x "$x$sbindir/mtracecap" ]; then
		out=$("$x$sbindir/mtracecap" --version 2>&1 || true)
		if [ "$out" = "mtracecap $want_ver" ]; then
			pass "packaged binary runs: $out"
		else
			fail "packaged binary --version printed '$out'"
		fi
	fi
	if [ -x "$x$bindir/mtracecap-rclone" ]; then
		rc=0
		"$x$bindir/mtracecap-rclone" >/dev/null 2>"$TMP/hook.err" || rc=$?
		if [ "$rc" -eq 2 ] && grep -q '^usage: mtracecap-rclone ' "$TMP/hook.err"; then
			pass "packaged mtracecap-rclone runs: $(cat "$TMP/hook.err")"
		else
			fail "packaged mtracecap-rclone: exit $rc, want 2 and its usage: $(cat "$TMP/hook.err")"
		fi
	else
		fail "packaged $bindir/mtracecap-rclone is not executable"
	fi
	local u exec_bin
	for u in mtracecap.service mtracecap@.service; do
		[ -f "$x$unitdir/$u" ] || continue
		exec_bin=$(sed -n 's/^ExecStart=[-@:+!]*\([^ ]*\).*/\1/p' "$x$unitdir/$u" | head -n 1 || true)
		if [ "$exec_bin" = "$sbindir/mtracecap" ]; then
			pass "$u: ExecStart runs $exec_bin"
		else
			fail "$u: ExecStart runs '$exec_bin', not the packaged $sbindir/mtracecap"
		fi
	done
	if [ -f "$x$sysusersdir/mtracecap.conf" ]; then
		if grep -qE '^u!?[[:space:]]+mtracecap[[:space:]]' "$x$sysusersdir/mtracecap.conf"; then
			pass "sysusers file declares user mtracecap"
		else
			fail "$sysusersdir/mtracecap.conf declares no user mtracecap"
		fi
	fi

	# Scriptlets: one file per scriptlet, split at rpm's headers.
	rpm -qp --scripts "$rpmfile" >"$TMP/scripts" || true
	awk -v d="$TMP" '
		/^[a-z]+ scriptlet \(using [^)]*\):$/ {
			out = d "/scriptlet." $1; printf "" > out; next
		}
		out != "" { print > out }' "$TMP/scripts"
	local s
	for s in preinstall postinstall preuninstall postuninstall; do
		if [ ! -f "$TMP/scriptlet.$s" ]; then
			fail "rpm has no $s scriptlet"
			continue
		fi
		if ! sh -n "$TMP/scriptlet.$s" 2>"$TMP/sh.err"; then
			fail "$s scriptlet is not valid sh: $(cat "$TMP/sh.err")"
		elif grep -nE '%[{(a-z_]' "$TMP/scriptlet.$s" >"$TMP/macro"; then
			fail "$s scriptlet holds an unexpanded rpm macro: $(cat "$TMP/macro")"
		else
			pass "$s scriptlet is valid sh"
		fi
	done
	if grep -qE '(useradd|adduser)([[:space:]].*)?[[:space:]]mtracecap([[:space:]]|$)|systemd-sysusers' \
	    "$TMP/scriptlet.preinstall" 2>/dev/null; then
		pass "%pre creates the user mtracecap"
	else
		fail "%pre does not create the user mtracecap"
	fi
	if grep -qE 'systemctl.*(preset|enable)|systemd-update-helper' "$TMP/scriptlet.postinstall" 2>/dev/null &&
	    grep -qE 'systemctl.*(disable|stop)|systemd-update-helper' "$TMP/scriptlet.preuninstall" 2>/dev/null &&
	    grep -qE 'systemctl|systemd-update-helper' "$TMP/scriptlet.postuninstall" 2>/dev/null; then
		pass "%post/%preun/%postun handle the units"
	else
		fail "%post/%preun/%postun do not preset/disable/reload the units"
	fi
}

if ! command -v rpmbuild >/dev/null 2>&1; then
	skip_part "rpm: needs rpmbuild (Debian: apt-get install rpm)"
elif ! command -v rpm2archive >/dev/null 2>&1 &&
    { ! command -v rpm2cpio >/dev/null 2>&1 || ! command -v cpio >/dev/null 2>&1; }; then
	skip_part "rpm: needs rpm2archive, or rpm2cpio and cpio, to unpack the rpm"
elif [ ! -x "$SRC/configure" ]; then
	skip_part "rpm: $SRC has no configure (run autoreconf -fi)"
elif [ -f "$SRC/config.status" ]; then
	skip_part "rpm: $SRC is configured in place, so a separate build dir cannot be (build out of tree)"
else
	rpm_part
fi

# ------------------------------------------------------------- manual ----
if command -v mandoc >/dev/null 2>&1; then
	for m in "$MAN" "$CTL_MAN" "$RCLONE_MAN"; do
		if mandoc -Tlint -Wwarning "$m" >"$TMP/lint" 2>&1 && [ ! -s "$TMP/lint" ]; then
			pass "mandoc -Tlint -Wwarning is clean on ${m##*/}"
		else
			fail "mandoc -Tlint -Wwarning on ${m##*/}:"
			cat "$TMP/lint" >&2
		fi
	done
else
	skip_part "lint: needs mandoc"
fi

# The man page's sections: section NAME -> its lines.
man_section() { awk -v s=".Sh $1" '$0 == s {f = 1; next} /^\.Sh / {f = 0} f' "$MAN"; }

# Options in --help: the lines that start with an option, "-X, --long"
# or "--long"; descriptions may mention options but are not parsed.
"$MTRACECAP" --help >"$TMP/help" 2>&1 || true
grep -E '^[[:space:]]+-' "$TMP/help" >"$TMP/help.opts" || true
grep -oE '^[[:space:]]+(-[[:alnum:]], +)?--[[:alnum:]_-]+' "$TMP/help.opts" |
    grep -oE -- '--[[:alnum:]_-]+$' | sort -u >"$TMP/help.long" || true
grep -oE '^[[:space:]]+-[[:alnum:]]([, ]|$)' "$TMP/help.opts" |
    grep -oE -- '-[[:alnum:]]' | sort -u >"$TMP/help.short" || true
# Options in the man page: the .It lines of OPTIONS, "Fl X" and "Fl \-long".
man_section OPTIONS | grep -E '^\.It ' >"$TMP/man.opts" || true
grep -oE 'Fl \\-[[:alnum:]_-]+' "$TMP/man.opts" | sed 's/^Fl \\/-/' | sort -u >"$TMP/man.long" || true
grep -oE 'Fl [[:alnum:]]( |$)' "$TMP/man.opts" | sed 's/^Fl \(.\).*/-\1/' | sort -u >"$TMP/man.short" || true
# The table of options getopt's is built from: KIND("name", ...
awk '/struct opt_def [a-z_]+\[\] = \{/ {f = 1; next} f && /^\};/ {f = 0} f' "$SRC/src/options.c" |
    grep -oE '^[[:space:]]*[A-Z]+\("[^"]+"' | grep -oE '"[^"]+"' | tr -d '"' | sed 's/^/--/' |
    sort -u >"$TMP/code.long" || true

n_help=$(wc -l <"$TMP/help.long")
n_man=$(wc -l <"$TMP/man.long")
if [ "$n_help" -lt 10 ] || [ "$n_man" -lt 10 ]; then
	fail "option parsing broke: $n_help long options in --help, $n_man in the man page"
fi
# compare LABEL_A FILE_A LABEL_B FILE_B: everything in A is in B
compare() {
	local missing
	missing=$(comm -23 "$2" "$4" | tr '\n' ' ')
	if [ -n "$missing" ]; then
		fail "in $1 but not in $3: $missing"
	else
		pass "every option in $1 ($(wc -l <"$2")) is in $3"
	fi
}
compare "--help (long)" "$TMP/help.long" "the man page" "$TMP/man.long"
compare "the man page (long)" "$TMP/man.long" "--help" "$TMP/help.long"
compare "--help (short)" "$TMP/help.short" "the man page" "$TMP/man.short"
compare "the man page (short)" "$TMP/man.short" "--help" "$TMP/help.short"
if [ -s "$TMP/code.long" ]; then
	compare "src/options.c's getopt table" "$TMP/code.long" "--help" "$TMP/help.long"
else
	fail "found no long options in $SRC/src/options.c"
fi

# Exit statuses and signals, as list items of their sections.
man_section "EXIT STATUS" >"$TMP/man.exit"
for st in 0 1 2; do
	if grep -qE "^\.It $st\$" "$TMP/man.exit"; then
		pass "EXIT STATUS lists $st"
	else
		fail "EXIT STATUS has no '.It $st'"
	fi
done
man_section SIGNALS | grep -E '^\.It ' >"$TMP/man.sig" || true
for sig in SIGHUP SIGTERM SIGINT; do
	if grep -qE "Dv $sig\b" "$TMP/man.sig"; then
		pass "SIGNALS lists $sig"
	else
		fail "SIGNALS has no item for $sig"
	fi
done

if [ "$FAILS" -eq 0 ] && [ "${#SKIPPED[@]}" -gt 0 ]; then
	skip "the rest passed, but skipped: ${SKIPPED[*]}"
fi
finish
