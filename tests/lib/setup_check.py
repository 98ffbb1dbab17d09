#!/usr/bin/python3
"""Every command a test asks for (need_cmd in tests/ and scripts/) must come
from a package that scripts/setup installs, from a package those depend on,
or from an Essential package: a fresh machine has only those. A command
installed by hand makes the suite pass here and skip (fail) elsewhere.
The same holds for what the package test's dpkg-buildpackage checks before
it builds: debian/control's Build-Depends, and build-essential.

usage: setup_check.py SRC_DIR"""
import os
import re
import shutil
import subprocess
import sys


def setup_packages(src):
    text = open(os.path.join(src, "scripts", "setup")).read()
    m = re.search(r"^PKGS=\((.*?)^\)", text, re.S | re.M)
    if not m:
        sys.exit("setup_check: no PKGS=( ... ) list in scripts/setup")
    words = []
    for line in m.group(1).splitlines():
        words += line.split("#", 1)[0].split()
    return set(words)


def needed_commands(src):
    cmds = {}
    for top in ("tests", "scripts"):
        for root, _, files in os.walk(os.path.join(src, top)):
            for f in files:
                path = os.path.join(root, f)
                try:
                    text = open(path, errors="replace").read()
                except OSError:
                    continue
                if not (f.endswith(".sh") or re.match(r"#!.*\b(ba)?sh\b", text)):
                    continue
                # Each call of need_cmd, at the start of a line or after ; && ||
                for m in re.finditer(r"(?:^|[;&|])[ \t]*need_cmd((?:[ \t]+[A-Za-z0-9_.+-]+)+)",
                                     text, re.M):
                    for c in m.group(1).split():
                        cmds.setdefault(c, os.path.relpath(path, src))
    cmds.pop("need_cmd", None)
    return cmds


def owner(path):
    for p in (path, os.path.realpath(path)):
        for cand in (p, p[4:] if p.startswith("/usr/") else "/usr" + p):
            r = subprocess.run(["dpkg", "-S", cand], capture_output=True, text=True)
            if r.returncode == 0 and r.stdout:
                return r.stdout.split(":", 1)[0].split(",")[0].strip()
    return None


def closure(pkgs):
    """The packages of pkgs and everything they depend on, recursively."""
    r = subprocess.run(["apt-cache", "depends", "--recurse", "--no-recommends",
                        "--no-suggests", "--no-conflicts", "--no-breaks",
                        "--no-replaces", "--no-enhances"] + sorted(pkgs),
                       capture_output=True, text=True)
    out = set(pkgs)
    for line in r.stdout.splitlines():
        line = line.strip()
        if line.startswith(("Depends:", "PreDepends:")):
            out.add(line.split()[1].strip("<>").split(":")[0])
        elif line and not line.startswith(("|", "Depends", "PreDepends")) and ":" not in line:
            out.add(line)
    return out


def build_depends(src):
    """debian/control's Build-Depends as lists of alternatives (names only),
    and build-essential, which dpkg-checkbuilddeps always adds."""
    text = open(os.path.join(src, "debian", "control")).read()
    m = re.search(r"^Build-Depends:(.*(?:\n[ \t].*)*)", text, re.M)
    if not m:
        sys.exit("setup_check: no Build-Depends in debian/control")
    groups = [["build-essential"]]
    for item in m.group(1).split(","):
        alts = [re.sub(r"\(.*?\)|\[.*?\]|<.*?>", "", a).strip().split(":")[0]
                for a in item.split("|")]
        alts = [a for a in alts if a]
        if alts:
            groups.append(alts)
    return groups


def providers(name):
    """The packages that provide the virtual package name."""
    r = subprocess.run(["apt-cache", "showpkg", name], capture_output=True, text=True)
    out, on = set(), False
    for line in r.stdout.splitlines():
        if line.startswith("Reverse Provides:"):
            on = True
        elif on and line.strip():
            out.add(line.split()[0])
    return out


def essential(pkg):
    r = subprocess.run(["dpkg-query", "-W", "-f=${Essential}", pkg],
                       capture_output=True, text=True)
    return r.stdout.strip() == "yes"


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "."
    pkgs = setup_packages(src)
    cmds = needed_commands(src)
    if not cmds:
        sys.exit("setup_check: found no need_cmd in tests/ or scripts/ (the check reads nothing)")
    deps = None
    bad = []
    for c, where in sorted(cmds.items()):
        path = shutil.which(c)
        if not path:
            bad.append(f"{c} (asked for in {where}) is not installed: add its Debian "
                       "package to PKGS in scripts/setup")
            continue
        pkg = owner(path)
        if pkg is None:
            bad.append(f"{c} ({path}, asked for in {where}) belongs to no Debian package: "
                       "a fresh machine does not have it")
            continue
        if pkg in pkgs or essential(pkg):
            continue
        if deps is None:
            deps = closure(pkgs)
        if pkg not in deps:
            bad.append(f"{c} (asked for in {where}) comes from package {pkg}, which "
                       "scripts/setup does not install, nor any package it installs "
                       "depends on: add it to PKGS")
    groups = build_depends(src)
    for alts in groups:
        if any(a in pkgs or essential(a) for a in alts):
            continue
        if deps is None:
            deps = closure(pkgs)
        if any(a in deps or providers(a) & deps for a in alts):
            continue
        bad.append(f"{' | '.join(alts)} (the package build needs it: debian/control's "
                   "Build-Depends, or build-essential, which dpkg-buildpackage checks) is "
                   "not installed by scripts/setup, nor by any package it installs: "
                   "add it to PKGS")
    for b in bad:
        print("FAIL: " + b)
    if bad:
        return 1
    print(f"setup_check: {len(cmds)} commands the tests need and {len(groups)} packages "
          f"the package build needs, each from scripts/setup's {len(pkgs)} packages or "
          "their dependencies")
    return 0


sys.exit(main())
