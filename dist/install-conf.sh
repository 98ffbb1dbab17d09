#!/bin/sh
# meson install: the example configuration, without ever replacing the
# operator's. An absent jflowd.conf gets the example; one that differs is
# kept, and the example goes beside it as jflowd.conf.example.
# Arguments: the example (source tree) and the configuration directory.
set -eu
src=$1
dir="${DESTDIR:-}$2"
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
