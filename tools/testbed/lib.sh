# SPDX-License-Identifier: GPL-2.0
# Common settings of the p2pbuf test bed; sourced by the other scripts.

TB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP_DIR=$(cd "$TB_DIR/../.." && pwd)
CACHE_DIR=${P2PBUF_CACHE:-$HOME/.cache/p2pbuf}

# The kernel series the guest runs, from trixie-backports.
KSERIES=${P2PBUF_KSERIES:-7.3}

log() { printf '[testbed] %s\n' "$*" >&2; }
die() { printf '[testbed] error: %s\n' "$*" >&2; exit 1; }

# The Debian mirror this host already uses (never a hard-coded host name).
mirror_uri() {
	local uri
	uri=$(apt-get indextargets --format '$(REPO_URI)' 'Identifier: Packages' \
		2>/dev/null | grep -v -- '-security' | sort -u | head -n 1)
	if [ -z "$uri" ]; then
		uri=$(sed -n 's/^URIs:[[:space:]]*//p' \
			/etc/apt/sources.list.d/*.sources 2>/dev/null |
			grep -v -- '-security' | head -n 1)
	fi
	[ -n "$uri" ] || die "no Debian mirror found in the host's apt configuration"
	echo "${uri%/}"
}

# An ordinary user's run goes on as root of a user namespace (userns.sh);
# host-deps.sh, which only checks and installs host packages, stays out.
. "$TB_DIR/userns.sh"
[ -n "${TB_NO_USERNS:-}" ] || userns_enter "$@"

# Hash of everything the rootfs is made from: a change rebuilds it.
rootfs_recipe_hash() {
	cat "$TB_DIR/rootfs.sh" "$TB_DIR/debian-base.sh" "$TB_DIR/rootfs-packages.txt" | sha256sum | cut -c1-12
}

rootfs_dir() { echo "$CACHE_DIR/rootfs-$(rootfs_recipe_hash)"; }

# The guest kernel release installed in a rootfs.
rootfs_kver() {
	local d
	d=$(ls -1d "$1"/lib/modules/"$KSERIES".*-amd64 2>/dev/null | sort -V | tail -n 1)
	[ -n "$d" ] || die "no $KSERIES kernel in $1"
	basename "$d"
}

# Run a command inside the rootfs (Debian's 7.3 kbuild needs its glibc),
# with /proc and a minimal /dev in a private mount namespace that vanishes
# with the command.  The /dev is a tmpfs with only the character devices a
# build needs bound in: binding the host's whole /dev let package scripts
# in the rootfs re-own host nodes (udev's postinst gave /dev/kvm the
# rootfs's kvm group, a gid the host does not have).
# In the bed's user namespace (userns.sh) a new proc is not allowed: /proc
# is bound recursively from the host instead (the same view).
in_rootfs() {
	local root=$1 proc="mount -t proc proc"
	shift
	if bed_in_userns; then
		proc="mount --rbind /proc"
	fi
	unshare --mount --propagation private /bin/sh -c '
		proc=$1 root=$2; shift 2
		mountpoint -q "$root/proc" || $proc "$root/proc"
		if ! mountpoint -q "$root/dev"; then
			mount -t tmpfs -o mode=755,size=64m p2pbuf-dev "$root/dev"
			for n in null zero full random urandom tty; do
				: >"$root/dev/$n"
				mount --bind "/dev/$n" "$root/dev/$n"
			done
			mkdir "$root/dev/pts" "$root/dev/shm"
			chmod 1777 "$root/dev/shm"
			mount -t devpts -o newinstance,ptmxmode=0666 devpts "$root/dev/pts" ||
				true
			ln -s pts/ptmx "$root/dev/ptmx"
			ln -s /proc/self/fd "$root/dev/fd"
			ln -s /proc/self/fd/0 "$root/dev/stdin"
			ln -s /proc/self/fd/1 "$root/dev/stdout"
			ln -s /proc/self/fd/2 "$root/dev/stderr"
		fi
		exec chroot "$root" /usr/bin/env -i \
			PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
			LANG=C.UTF-8 "$@"' in_rootfs "$proc" "$root" "$@"
}

# The rootfs copy of the tree and its installed modules are shared by every
# guest: a build takes this lock exclusively, a running guest shared.
rootfs_lock() {
	mkdir -p "$CACHE_DIR"
	exec 9>"$CACHE_DIR/rootfs.lock"
	flock "$1" 9
}

# The proving kernel: compiled by $KCC in a chroot of its own
# (kernel/chroot.sh), from the recipe in kernel/ and the upstream patch
# series applied to it.  The tree and build products live inside the chroot.
# The compiler is part of the chroot's key, so another one builds anew
# (the kernel's tree and build live in the chroot).
KCC=gcc-15
kbuild_chroot_dir() {
	echo "$CACHE_DIR/kbuild-$({ cat "$TB_DIR/kernel/chroot.sh" "$TB_DIR/debian-base.sh"
		echo "KCC=$KCC"; } | sha256sum | cut -c1-12)"
}

kernel_debug_hash() {
	# shellcheck disable=SC2046 # the series may be empty
	cat "$TB_DIR/kernel/build.sh" "$TB_DIR/kernel/"*.config \
		$(ls "$TOP_DIR"/upstream/linux-"$KSERIES"/0*.patch 2>/dev/null) |
		sha256sum | cut -c1-12
}

# In the chroot: /usr/src/kernel-debug/, rebuilt incrementally when the
# recipe changes (kernel/build.sh).
kernel_debug_dir() { echo "$(kbuild_chroot_dir)/usr/src/kernel-debug"; }

# Its unpatched flavour (kernel/build-unpatched.sh): the same build with
# none of the series, /usr/src/kernel-unpatched/ in the chroot.
kernel_unpatched_dir() { echo "$(kbuild_chroot_dir)/usr/src/kernel-unpatched"; }
kernel_unpatched_hash() {
	{ kernel_debug_hash; cat "$TB_DIR/kernel/build-unpatched.sh"; } | sha256sum | cut -c1-12
}
