#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run make targets of the bed as an ordinary user, from root: what CI's
# unprivileged step does (.ci/run; README, "Without root").
#
#   as-user.sh USER RESULTS_DIR MAKE_ARGS...
#
# Creates USER (with subordinate uid and gid ranges, which a user
# namespace needs) when it does not exist, puts the tree into ~USER/p2pbuf
# (a clone with the work tree's files over it, tracked and untracked that
# git does not ignore; a plain copy outside git), runs
# make MAKE_ARGS there as USER with USER's own cache (~USER/.cache/p2pbuf;
# P2PBUF_CACHE is not passed on) and results in ~USER/p2pbuf/results, and
# copies those to RESULTS_DIR.  Exits with make's status.  Host packages
# must be installed first (host-deps.sh, as root).
set -euo pipefail
TB_NO_USERNS=1 . "$(dirname "$0")/lib.sh"

[ $# -ge 2 ] || die "usage: as-user.sh USER RESULTS_DIR MAKE_ARGS..."
U=$1
OUT=$2
shift 2
[ "$(id -u)" = 0 ] && [ -z "${P2PBUF_IN_USERNS:-}" ] || die "as-user.sh runs as root (it may create $U)"
if ! id "$U" >/dev/null 2>&1; then
	log "creating user $U"
	useradd --create-home --shell /bin/bash "$U"
fi
# useradd gives a new user subordinate ids (login.defs SUB_UID_*); an
# older user may have none.
if ! grep -q "^$U:" /etc/subuid || ! grep -q "^$U:" /etc/subgid; then
	usermod --add-subuids 200000-265535 --add-subgids 200000-265535 "$U"
fi
H=$(getent passwd "$U" | cut -d: -f6)
SRC="$H/p2pbuf"

runuser -u "$U" -- rm -rf "$SRC"
if git -C "$TOP_DIR" rev-parse --git-dir >/dev/null 2>&1; then
	# A clone (the checks list files with git ls-files), then the work
	# tree's own state over it, handed to the user.  Root clones: git
	# refuses a user a repository that root owns.
	git clone -q --no-hardlinks "$TOP_DIR" "$SRC"
	git -C "$TOP_DIR" ls-files -co --exclude-standard -z | grep -zv '^results' |
		tar -C "$TOP_DIR" --null -T - -cf - | tar -C "$SRC" -xf -
	chown -R "$U:" "$SRC"
else
	runuser -u "$U" -- mkdir -p "$SRC"
	tar -C "$TOP_DIR" --exclude=.git --exclude='results*' -cf - . |
		runuser -u "$U" -- tar -C "$SRC" -xf -
fi

rc=0
runuser -u "$U" -- env -u P2PBUF_CACHE -u P2PBUF_RESULTS_DIR HOME="$H" USER="$U" \
	LOGNAME="$U" make -C "$SRC" "$@" || rc=$?
rm -rf "$OUT"
mkdir -p "$OUT"
cp -r "$SRC/results/." "$OUT/" 2>/dev/null || true
exit "$rc"
