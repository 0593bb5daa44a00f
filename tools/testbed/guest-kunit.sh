#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# In the guest, on the proving kernel: load each KUnit test module, read the
# KTAP results of the suites it registered from debugfs, and print one
# summary.tsv line per test case:
#
#   kunit@<suite>@<test> TAB pass|fail|skip TAB <reason>
#
#   guest-kunit.sh [sysctl:NAME=VALUE] [param:MODULE.NAME=VALUE] MODULE[:SUITE_GLOB]...
#
# A module that does not load, or registers no suite, is a failure.  A
# "sysctl:" argument sets a kernel sysctl, a "param:" one a module
# parameter (/sys/module/MODULE/parameters/NAME), for the modules after it
# (the value before it is restored at the end), e.g. a hung-task or KUnit
# timeout that a slow suite under TCG needs.
set -u
DIR=/sys/kernel/debug/kunit

record() { printf '%s\t%s\t%s\n' "$1" "$2" "$(printf '%s' "$3" | tr '\t\n' '  ')"; }

suites() { ls -1 "$DIR" 2>/dev/null | sort; }

# The test cases of one suite's KTAP: the "ok"/"not ok" lines one level
# below the suite's own (parameterised cases nest further and are folded
# into their case's line).
ktap_cases() {
	awk -v suite="$1" '
	match($0, /^ *(not )?ok [0-9]+ /) {
		ind = match($0, /[^ ]/) - 1
		line[NR] = $0; indent[NR] = ind
		if (min == "" || ind < min) min = ind
	}
	END {
		for (i in indent) if (indent[i] > min && (lvl == "" || indent[i] < lvl)) lvl = indent[i]
		for (i = 1; i <= NR; i++) {
			if (!(i in indent) || indent[i] != lvl) continue
			s = line[i]; sub(/^ */, "", s)
			verdict = "pass"
			if (s ~ /^not ok/) { verdict = "fail"; sub(/^not ok [0-9]+ /, "", s) }
			else sub(/^ok [0-9]+ /, "", s)
			reason = ""
			if (s ~ / # SKIP/) { verdict = "skip"; reason = s; sub(/.* # SKIP ?/, "", reason); sub(/ # SKIP.*/, "", s) }
			if (verdict == "fail") reason = "KUnit case failed (see dmesg.txt)"
			printf "kunit@%s@%s\t%s\t%s\n", suite, s, verdict, reason
		}
	}'
}

[ -d "$DIR" ] || { record "kunit@debugfs" fail "no $DIR: not a KUnit kernel"; exit 0; }
GLOB=/sys/module/kunit/parameters/filter_glob
restore=()
for arg in "$@"; do
	if [[ $arg == sysctl:*=* || $arg == param:*.*=* ]]; then
		kv=${arg#*:}
		if [[ $arg == sysctl:* ]]; then
			f=/proc/sys/$(printf '%s' "${kv%%=*}" | tr . /)
		else
			f=${kv%%=*}
			f=/sys/module/${f%%.*}/parameters/${f#*.}
		fi
		if ! old=$(cat "$f" 2>/dev/null) || ! echo "${kv#*=}" >"$f" 2>/dev/null; then
			record "kunit@$arg" fail "cannot set $f"
			continue
		fi
		restore=("$f=$old" "${restore[@]}")
		continue
	fi
	# MODULE:GLOB runs only the suites GLOB matches (KUnit's filter_glob).
	m=${arg%%:*}
	glob='*'
	[[ $arg == *:* ]] && glob=${arg#*:}
	printf '%s' "$glob" >"$GLOB"	# no newline: it would be part of the glob
	before=$(suites)
	t0=$(date +%s)
	if ! out=$(modprobe "$m" 2>&1); then
		record "kunit@$m" fail "modprobe $m: $out"
		printf '*' >"$GLOB"
		continue
	fi
	printf '*' >"$GLOB"
	echo "guest-kunit: $arg: $(($(date +%s) - t0)) s" >&2
	# No process substitution: the guest's /dev has no fd/ for it.
	new=$(suites | BEFORE=$before awk '
		BEGIN { n = split(ENVIRON["BEFORE"], b, "\n"); for (i = 1; i <= n; i++) old[b[i]] = 1 }
		!($0 in old)')
	[ -n "$new" ] || { record "kunit@$m" fail "module $m registered no KUnit suite"; continue; }
	for s in $new; do
		cases=$(ktap_cases "$s" <"$DIR/$s/results")
		if [ -n "$cases" ]; then
			printf '%s\n' "$cases"
		else
			record "kunit@$s" fail "no test case results in $DIR/$s/results"
		fi
	done
	rmmod "$m" 2>/dev/null
done
for r in "${restore[@]}"; do
	echo "${r#*=}" >"${r%%=*}"
done
