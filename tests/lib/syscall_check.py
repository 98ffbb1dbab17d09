#!/usr/bin/python3
"""Check that every system call in an strace log is allowed by a systemd
unit's SystemCallFilter= lines, the way systemd reads them: the first line
without '~' makes an allow list, later '~' lines remove from it, later
plain lines add to it. Groups (@name) are expanded by systemd-analyze.

usage: syscall_check.py UNIT STRACE_LOG
Exit 1 listing the calls the filter would refuse."""
import re
import subprocess
import sys

_groups = {}


def expand(item):
    """Syscall names of one filter item (a name or an @group)."""
    if not item.startswith("@"):
        return {item}
    if item not in _groups:
        out = subprocess.run(["systemd-analyze", "syscall-filter", item],
                             check=True, capture_output=True, text=True).stdout
        names = set()
        for line in out.splitlines()[1:]:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            names |= expand(line)
        _groups[item] = names
    return _groups[item]


def allowed_set(unit):
    allow = None
    for line in open(unit):
        m = re.match(r"\s*SystemCallFilter=(.*)", line)
        if not m:
            continue
        spec = m.group(1).strip()
        deny = spec.startswith("~")
        names = set()
        for item in spec.lstrip("~").split():
            names |= expand(item)
        if allow is None:
            if deny:
                sys.exit(f"{unit}: a deny list first is not what this check reads")
            allow = names
        elif deny:
            allow -= names
        else:
            allow |= names
    if allow is None:
        sys.exit(f"{unit}: no SystemCallFilter=")
    return allow


def used(log):
    calls = set()
    for line in open(log):
        m = re.match(r"(?:\[pid\s+\d+\]\s+|\d+\s+)?([a-z_0-9]+)\(", line)
        if m:
            calls.add(m.group(1))
    return calls


def main():
    unit, log = sys.argv[1], sys.argv[2]
    allow = allowed_set(unit)
    calls = used(log)
    if not calls:
        sys.exit(f"{log}: no system calls read")
    refused = sorted(c for c in calls if c not in allow)
    print(f"{len(calls)} distinct system calls, {len(allow)} allowed by {unit}")
    if refused:
        print("refused by the filter: " + " ".join(refused))
        sys.exit(1)


if __name__ == "__main__":
    main()
