# SPDX-License-Identifier: GPL-2.0
#
# p2pbuf top-level Makefile for people.  Kbuild reads ./Kbuild instead.
#
#   make              build the modules in the test bed's guest rootfs
#   make KDIR=<dir>   build the modules against the kernel tree <dir>
#   make demo         boot the guest and run the zero-copy demo
#   make check        static checks + the test suite in every topology
#                     (TOPO=<name> and TEST=<igt subtest glob> narrow it)
#   make bench        map/unmap cost: p2pbuf helper vs legacy mode vs VFIO,
#                     into results/bench/ (Documentation/benchmarks.rst)
#   make clean

KDIR ?=
TB := tools/testbed

.PHONY: all modules demo check bench clean

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

clean:
	@if [ -n "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	find . -name '*.o' -o -name '*.ko' -o -name '*.mod' -o -name '*.mod.c' \
		-o -name '.*.cmd' -o -name 'modules.order' -o -name 'Module.symvers' \
		| xargs rm -f
