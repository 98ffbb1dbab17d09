#!/bin/bash
# Pins the Debian package: dpkg-buildpackage -us -uc -b builds
# jflowd_VERSION_amd64.deb from a copy of the tree, lintian reports no error
# and no warning, and in a throwaway root (an overlay of this machine's, so
# the machine itself is not touched): dpkg -i makes the user jflowd and
# /var/lib/jflowd, enables jflowd.service, whose start condition leaves it
# down saying why (no interface); dpkg -i of a rebuilt newer version keeps
# a changed conffile (the new example as .dpkg-dist); dpkg -r removes the
# programs and keeps the configuration; dpkg -P removes the conffile, the
# state and the units' enablement.
. "$(dirname "$0")/../net/lib.sh"
need_root
need_cmd dpkg-buildpackage dpkg-deb dpkg-parsechangelog lintian git tar
need_cmd unshare chroot mount

# The source tree as it is (committed or not), in a git clone of its own so
# that the build, which writes in the tree and beside it, leaves it alone and
# jflowd --version still finds the commit.
S="$WORK/src"
git clone -q --shared --no-checkout "$SRC" "$S"
git -C "$S" reset -q "$(git -C "$SRC" rev-parse HEAD)"
(cd "$SRC" && git ls-files -z --cached --others --exclude-standard \
	| while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
	| tar --null -T - -cf -) | tar -C "$S" -xf -
VERSION=$(cd "$S" && dpkg-parsechangelog -S Version)
ARCH=$(dpkg --print-architecture)

build() { # LOG [dpkg-buildpackage options]: the packages, into $WORK
	local log=$1
	shift
	(cd "$S" && dpkg-buildpackage -us -uc -b "$@") >"$WORK/$log" 2>&1 \
		|| { tail -40 "$WORK/$log"; fail "dpkg-buildpackage $*"; }
}
t0=$(date +%s)
build build1.log
DEB="$WORK/jflowd_${VERSION}_$ARCH.deb"
[ -f "$DEB" ] || fail "no ${DEB##*/}: $(ls "$WORK")"
log "built ${DEB##*/} in $(( $(date +%s) - t0 )) s"

# lintian: no error, no warning (overrides, if any, say why in a comment).
lintian --fail-on error,warning "$WORK/jflowd_${VERSION}_$ARCH.changes" >"$WORK/lintian.txt" 2>&1 \
	|| { cat "$WORK/lintian.txt"; fail "lintian"; }
log "lintian: $(grep -c . "$WORK/lintian.txt") lines, none an error or a warning"

# What the package holds.
dpkg-deb -c "$DEB" | awk '{print $6}' | sed 's|^\./|/|' >"$WORK/files.txt"
for f in /usr/sbin/jflowd /usr/sbin/jflowctl /usr/share/man/man8/jflowd.8.gz \
	/usr/share/man/man8/jflowctl.8.gz /usr/share/man/man5/jflowd.conf.5.gz \
	/etc/jflowd/jflowd.conf /lib/systemd/system/jflowd.service \
	/lib/systemd/system/jflowd@.service /usr/lib/sysusers.d/jflowd.conf \
	/usr/lib/tmpfiles.d/jflowd.conf /usr/share/doc/jflowd/changelog.gz; do
	grep -qx "$f" "$WORK/files.txt" || fail "not in the package: $f"
done
expect_eq "conffiles" "$(dpkg-deb -I "$DEB" conffiles)" "/etc/jflowd/jflowd.conf"

# The newer version: the same tree with a changed example configuration
# and a changelog entry, built again (the compiled tree is reused).
NEW="$VERSION+pkgtest1"
echo "# a line the newer version's example adds" >>"$S/dist/etc/jflowd.conf"
{ printf 'jflowd (%s) unstable; urgency=medium\n\n  * Package test.\n\n' "$NEW"
  printf ' -- Package Test <pkgtest@example.org>  %s\n\n' "$(date -R)"
  cat "$S/debian/changelog"; } >"$WORK/changelog" && mv "$WORK/changelog" "$S/debian/changelog"
t0=$(date +%s)
build build2.log -nc
DEB2="$WORK/jflowd_${NEW}_$ARCH.deb"
[ -f "$DEB2" ] || fail "no ${DEB2##*/}"
log "rebuilt ${DEB2##*/} in $(( $(date +%s) - t0 )) s"

# A throwaway root: this machine's, under an overlay whose upper layer is a
# tmpfs of this test, in a mount namespace of its own. dpkg, the
# maintainer scripts, systemd-sysusers and deb-systemd-helper write there.
R="$WORK/root"
host_before=$(dpkg-query -W -f='${Status}' jflowd 2>&1; getent passwd jflowd || true)
cat >"$WORK/inner.sh" <<'INNER'
#!/bin/bash
# Runs in the throwaway root: install, upgrade, remove, purge.
set -eu
fail() { echo "FAIL: $*"; exit 1; }
log() { echo "[test_package] $*"; }
DEB=$1 DEB2=$2 VERSION=$3 NEW=$4
CONF=/etc/jflowd/jflowd.conf
WANTS=/etc/systemd/system/multi-user.target.wants/jflowd.service
# PID 1 is not systemd here: deb-systemd-invoke does nothing (it tests
# /run/systemd/system), deb-systemd-helper's enable/disable/purge run.
[ ! -d /run/systemd/system ] || fail "systemd runs here: the throwaway root would start units"

dpkg -i "$DEB" >/tmp/install.log 2>&1 || { cat /tmp/install.log; fail "dpkg -i"; }
[ "$(dpkg-query -W -f='${Version} ${Status}' jflowd)" = "$VERSION install ok installed" ] \
	|| fail "not installed: $(dpkg-query -W -f='${Version} ${Status}' jflowd)"
getent passwd jflowd >/dev/null || fail "no user jflowd"
[ "$(stat -c '%U %a' /var/lib/jflowd)" = "jflowd 755" ] \
	|| fail "/var/lib/jflowd: $(stat -c '%U %a' /var/lib/jflowd 2>&1)"
[ -L "$WANTS" ] || fail "jflowd.service not enabled"
# deb-systemd-helper's record of what it enabled (purge undoes it).
DSH=/var/lib/systemd/deb-systemd-helper-enabled/jflowd.service.dsh-also
grep -qx "$WANTS" "$DSH" || fail "deb-systemd-helper: no record of the enablement"
grep -q '_dh_action=start' /var/lib/dpkg/info/jflowd.postinst \
	&& grep -q "deb-systemd-invoke \$_dh_action 'jflowd.service'" /var/lib/dpkg/info/jflowd.postinst \
	|| fail "postinst does not start jflowd.service (when systemd runs)"
log "installed $VERSION: user jflowd, /var/lib/jflowd, jflowd.service enabled"
/usr/sbin/jflowd --version | grep -qE "^jflowd ${VERSION//./\\.} \(git [0-9a-f]+" \
	|| fail "--version: $(/usr/sbin/jflowd --version)"
log "$(/usr/sbin/jflowd --version)"
# The unit's start condition, as systemd would run it: the shipped
# configuration names no interface, the unit stays down (exit 1, not 255)
# and says why.
cond=$(sed -n 's/^ExecCondition=//p' /lib/systemd/system/jflowd.service)
rc=0; $cond >/tmp/cond.log 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "ExecCondition: exit $rc: $(cat /tmp/cond.log)"
grep -q "names no interface to meter" /tmp/cond.log || fail "ExecCondition: $(cat /tmp/cond.log)"
log "start condition, as installed: exit 1: $(cat /tmp/cond.log)"
echo "interface = lo" >>"$CONF"
rc=0; $cond >/tmp/cond.log 2>&1 || rc=$?
[ "$rc" = 0 ] || fail "ExecCondition with an interface: exit $rc: $(cat /tmp/cond.log)"
echo "bogus-option = 1" >>"$CONF"
rc=0; $cond >/tmp/cond.log 2>&1 || rc=$?
[ "$rc" = 255 ] || fail "ExecCondition, configuration error: exit $rc (the unit must fail)"
sed -i '$d' "$CONF"
# ExecStart as the unit gives it parses (the user exists, --user jflowd).
start=$(sed -n 's/^ExecStart=//p' /lib/systemd/system/jflowd.service)
$start --check-config >/tmp/check.log 2>&1 || fail "ExecStart --check-config: $(cat /tmp/check.log)"
jflowctl --help | grep -q "/run/jflowd/jflowd.sock" || fail "jflowctl's default socket"

# Upgrade: the operator's change stays, the new example goes beside it.
dpkg -i --force-confold "$DEB2" >/tmp/upgrade.log 2>&1 || { cat /tmp/upgrade.log; fail "upgrade"; }
[ "$(dpkg-query -W -f='${Version}' jflowd)" = "$NEW" ] || fail "not upgraded"
grep -qx "interface = lo" "$CONF" || fail "the upgrade replaced the changed $CONF"
grep -q "a line the newer version's example adds" "$CONF.dpkg-dist" \
	|| fail "no new example beside the kept conffile"
[ -L "$WANTS" ] || fail "jflowd.service not enabled after the upgrade"
log "upgraded to $NEW: $CONF kept, the new example as $CONF.dpkg-dist"

# Remove: programs gone, configuration kept, the unit no longer wanted.
dpkg -r jflowd >/tmp/remove.log 2>&1 || { cat /tmp/remove.log; fail "dpkg -r"; }
[ "$(dpkg-query -W -f='${Status}' jflowd)" = "deinstall ok config-files" ] \
	|| fail "after -r: $(dpkg-query -W -f='${Status}' jflowd)"
[ ! -e /usr/sbin/jflowd ] && [ ! -e /lib/systemd/system/jflowd.service ] \
	|| fail "dpkg -r left the programs or the unit"
[ -f "$CONF" ] || fail "dpkg -r removed the configuration"
log "removed: programs and units gone, $CONF kept"

# Purge: configuration, state and enablement gone.
dpkg -P jflowd >/tmp/purge.log 2>&1 || { cat /tmp/purge.log; fail "dpkg -P"; }
dpkg-query -W jflowd >/dev/null 2>&1 && fail "still known to dpkg after -P"
[ ! -e "$CONF" ] || fail "dpkg -P left $CONF"
[ ! -e /var/lib/jflowd ] || fail "dpkg -P left /var/lib/jflowd"
[ ! -e "$WANTS" ] || fail "dpkg -P left $WANTS"
[ ! -e "$DSH" ] || fail "dpkg -P left deb-systemd-helper's state"
log "purged: $CONF, /var/lib/jflowd and the enablement gone (the user jflowd stays)"
INNER
chmod +x "$WORK/inner.sh"
mkdir -p "$R" "$WORK/ov"
unshare --mount --propagation private bash -ec '
	W=$1 R=$2
	mount -t tmpfs jfpkg "$W/ov"
	mkdir "$W/ov/upper" "$W/ov/work"
	mount -t overlay jfpkg -o "lowerdir=/,upperdir=$W/ov/upper,workdir=$W/ov/work" "$R"
	mount -t proc proc "$R/proc"
	mount --rbind /dev "$R/dev"
	mount --rbind /sys "$R/sys"
	mount -t tmpfs jfpkg "$R/run"
	mount -t tmpfs jfpkg "$R/tmp"
	cp "$W/inner.sh" "$3" "$4" "$R/tmp/"
	exec chroot "$R" /tmp/inner.sh "/tmp/${3##*/}" "/tmp/${4##*/}" "$5" "$6"
' jfpkg "$WORK" "$R" "$DEB" "$DEB2" "$VERSION" "$NEW" 2>&1 | tee "$WORK/inner.log" || true
grep -q "^\[test_package\] purged:" "$WORK/inner.log" || fail "install, upgrade, remove, purge"
expect_eq "this machine's dpkg state and user jflowd, unchanged" \
	"$(dpkg-query -W -f='${Status}' jflowd 2>&1; getent passwd jflowd || true)" "$host_before"
log "ok"
