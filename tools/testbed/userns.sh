# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# The bed without root: an ordinary user's run re-executes itself in a user
# namespace where that user is root (uid 0 inside, the user outside) and
# its subordinate ids (/etc/subuid, /etc/subgid) are uids 1..65535, so the
# rootfs keeps Debian's ownership (apt's _apt, dpkg's chowns) as files the
# user and those ids own.  Everything the bed does as root then works as
# it does for real root: chroot, mount namespaces, dpkg, apt, and QEMU,
# whose 9p export shows the guest the rootfs owned by root as in a root
# run.  Sourced by lib.sh; real root never enters one (its path is
# unchanged).  Documentation/testbed.rst, "Without root".

# True in a user namespace other than the initial one (uid 0 there is not
# the machine's root: no device nodes, no new proc or non-recursive bind
# of /dev).
bed_in_userns() {
	[ "$(awk 'NR == 1 { print $1, $2, $3 }' /proc/self/uid_map)" != "0 0 4294967295" ]
}

# The minimal Debian base (debian-base.sh reads $CACHE_DIR/trixie-minbase.tar
# when it exists and runs debootstrap, which needs real root, only when it
# does not): made by mmdebstrap in its unshare mode as the user, before the
# bed enters its namespace.  Device nodes cannot be made in a user
# namespace: /dev stays empty (chroots bind the host's, the guest mounts
# devtmpfs).
userns_minbase() {
	local base="$CACHE_DIR/trixie-minbase.tar" mirror t0
	[ -f "$base" ] && return 0
	command -v mmdebstrap >/dev/null ||
		die "mmdebstrap is missing: run tools/testbed/host-deps.sh as root"
	mkdir -p "$CACHE_DIR"
	exec 5>"$CACHE_DIR/minbase.lock"
	flock 5
	[ -f "$base" ] && { exec 5>&-; return 0; }
	mirror=$(mirror_uri)
	t0=$(date +%s)
	log "Debian base without root: mmdebstrap --mode=unshare (cold: about a minute)"
	mmdebstrap --mode=unshare --format=tar --variant=minbase --include=ca-certificates \
		trixie "$base.tmp" "deb $mirror trixie main" >"$CACHE_DIR/mmdebstrap.log" 2>&1 &&
		tar --delete --wildcards -f "$base.tmp" './dev/?*' ||
		{ tail -n 30 "$CACHE_DIR/mmdebstrap.log" >&2; rm -f "$base.tmp"; die "mmdebstrap failed"; }
	mv "$base.tmp" "$base"
	log "Debian base in $(($(date +%s) - t0)) s"
	exec 5>&-
}

# userns_enter "$@": called by lib.sh with the sourcing script's arguments.
# Root (real, or already in the bed's namespace) goes on; an ordinary user
# re-executes the script as root of a new user namespace.
userns_enter() {
	local t
	[ "$(id -u)" = 0 ] && return 0
	for t in unshare newuidmap newgidmap; do
		command -v $t >/dev/null ||
			die "$t is missing: run tools/testbed/host-deps.sh as root (package uidmap)"
	done
	unshare --map-root-user --map-auto true 2>/dev/null ||
		die "cannot enter a user namespace as $(id -un): it needs subordinate ids in /etc/subuid and /etc/subgid (as root: usermod --add-subuids 100000-165535 --add-subgids 100000-165535 $(id -un)) and user namespaces enabled (sysctl user.max_user_namespaces)"
	userns_minbase
	# Marks the bed's own namespace (root there cannot install packages);
	# bed_in_userns() is also true for real root in a container's.
	export P2PBUF_IN_USERNS=1
	exec unshare --map-root-user --map-auto -- "$BASH" "$0" "$@"
}
