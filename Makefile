# SPDX-License-Identifier: GPL-2.0
#
# p2pbuf top-level Makefile for people.  Kbuild reads ./Kbuild instead.
#
#   make              build the modules in the test bed's guest rootfs
#   make KDIR=<dir>   build the modules against the kernel tree <dir>
#   make demo         boot the guest and run the zero-copy demo
#   make check        static checks + the test suite in every topology
#                     (TOPO=<name> and TEST=<igt subtest glob> narrow it)
#   make bench        map/unmap cost: sg_table vs importer PAL vs per range vs VFIO,
#                     into results/bench/ (Documentation/benchmarks.rst)
#   make deb           the Debian package p2pbuf-dkms (DKMS), in the rootfs
#   make htmldocs      Documentation/ as HTML, the kernel's way
#   make intree        the in-tree build check (drivers/p2pbuf/ of Linux 7.3)
#   make clean
#   make help          every target

KDIR ?=
TB := tools/testbed

.PHONY: all modules demo check bench deb htmldocs intree clean help

all: modules

ifneq ($(KDIR),)
modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules
else
modules:
	$(TB)/build.sh
endif

demo:
	$(TB)/demo.sh

check:
	$(TB)/check.sh

bench:
	tools/bench/bench.sh

deb:
	tools/packaging/build-deb.sh $(CURDIR)/results/deb

# The check scripts record verdicts (summary.tsv) and exit 0: make fails
# on a "fail" line.
htmldocs:
	tools/docs/htmldocs.sh $(CURDIR)/results/htmldocs
	@! grep -P '\tfail\t' $(CURDIR)/results/htmldocs/summary.tsv

intree:
	tools/intree/check-intree.sh $(CURDIR)/results/intree
	@cat $(CURDIR)/results/intree/summary.tsv
	@! grep -P '\tfail\t' $(CURDIR)/results/intree/summary.tsv

clean:
	@if [ -n "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	find . -name '*.o' -o -name '*.ko' -o -name '*.mod' -o -name '*.mod.c' \
		-o -name '.*.cmd' -o -name 'modules.order' -o -name 'Module.symvers' \
		| xargs rm -f

# Every target above, one line each (tools/check-make-help.sh checks that
# none is missing).
help:
	@echo 'p2pbuf targets:'
	@echo '  all, modules  build the modules in the test bed'"'"'s guest rootfs;'
	@echo '                with KDIR=<dir>, against the kernel tree <dir>'
	@echo '  demo          boot the guest in every topology, run the zero-copy demo'
	@echo '  check         static checks + the IGT suite in every topology'
	@echo '                (TOPO=<name>, TEST=<subtest globs> narrow it)'
	@echo '  bench         map/unmap cost: sg_table, importer PAL, per range, VFIO (results/bench/)'
	@echo '  deb           p2pbuf-dkms_<version>_all.deb, built in the rootfs (results/deb/)'
	@echo '  htmldocs      Documentation/ as HTML with kernel-doc (results/htmldocs/)'
	@echo '  intree        build drivers/p2pbuf/ in a copy of Linux 7.3 at W=1 (results/intree/)'
	@echo '  clean         remove build output'
	@echo '  help          this list'
