#!/bin/sh
# meson install, beyond copying files: the example configuration, without
# ever replacing the operator's (an absent jflowd.conf gets the example; one
# that differs is kept, and the example goes beside it as
# jflowd.conf.example); and, installing into this system as root, the user
# jflowd and /var/lib/jflowd (sysusers.d, tmpfiles.d), which a package's
# scripts or the next boot would make otherwise.
# Arguments: the example (source tree), the configuration directory, the
# directory holding sysusers.d/ and tmpfiles.d/.
set -eu
src=$1
dir="${DESTDIR:-}$2"
lib=$3
conf="$dir/jflowd.conf"

# meson 1.0 hides what an install script prints: say it on the terminal
# when there is one.
say() {
	[ -n "${MESON_INSTALL_QUIET:-}" ] && return 0
	if [ ! -t 1 ] && { true >/dev/tty; } 2>/dev/null; then
		echo "$*" >/dev/tty
	else
		echo "$*"
	fi
}

mkdir -p "$dir"
if [ ! -e "$conf" ]; then
	install -m 0644 "$src" "$conf"
	say "Installing the example configuration to $conf"
elif cmp -s "$src" "$conf"; then
	say "Configuration $conf is the example of this version"
else
	install -m 0644 "$src" "$conf.example"
	say "Kept the configuration $conf (it differs from the example);" \
		"the example of this version is $conf.example"
fi

if [ -z "${DESTDIR:-}" ] && [ "$(id -u)" = 0 ] && command -v systemd-sysusers >/dev/null; then
	systemd-sysusers "$lib/sysusers.d/jflowd.conf"
	systemd-tmpfiles --create "$lib/tmpfiles.d/jflowd.conf"
	say "User jflowd and /var/lib/jflowd made (systemd-sysusers, systemd-tmpfiles)"
fi
