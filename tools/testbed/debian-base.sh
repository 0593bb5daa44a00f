# SPDX-License-Identifier: GPL-2.0
# A Debian trixie tree with apt set up for the host's mirror, trixie,
# trixie-backports and (pinned low) sid: the start of the guest rootfs and
# of the debug kernel's build chroot.  Sourced after lib.sh; part of both
# recipes' hashes.

# debian_base DIR: DIR becomes that tree (the bare debootstrap result is
# cached in $CACHE_DIR/trixie-minbase.tar and reused by every recipe).
debian_base() {
	local dir=$1 base="$CACHE_DIR/trixie-minbase.tar" mirror

	mirror=$(mirror_uri)
	mkdir -p "$dir"
	if [ ! -f "$base" ]; then
		debootstrap --variant=minbase --include=ca-certificates trixie "$dir" \
			"$mirror" >"$CACHE_DIR/debootstrap.log" 2>&1 ||
			{ tail -n 30 "$CACHE_DIR/debootstrap.log" >&2; die "debootstrap failed"; }
		tar -C "$dir" -cf "$base.tmp" . && mv "$base.tmp" "$base"
	else
		tar -C "$dir" -xf "$base"
	fi

	cat >"$dir/etc/apt/sources.list" <<-SRC
	deb $mirror trixie main
	deb $mirror trixie-backports main
	deb $mirror sid main
	SRC
	cat >"$dir/etc/apt/apt.conf.d/90p2pbuf" <<-'CONF'
	Acquire::Check-Valid-Until "false";
	Acquire::Retries "3";
	APT::Install-Recommends "false";
	APT::Install-Suggests "false";
	Dpkg::Use-Pty "false";
	CONF
	# sid only for what is named explicitly with /sid.
	cat >"$dir/etc/apt/preferences.d/sid" <<-'PIN'
	Package: *
	Pin: release n=sid
	Pin-Priority: 50
	PIN
}
