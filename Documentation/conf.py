# SPDX-License-Identifier: GPL-2.0
#
# Sphinx configuration of p2pbuf's Documentation/, rendered the way the
# kernel renders its own: Debian's python3-sphinx with Linux 7.3's
# kernel-doc extension (Documentation/sphinx/kerneldoc.py of a kernel tree
# named by $srctree, as in the kernel's "make htmldocs").  ".. kernel-doc::"
# paths are relative to the top of this repository.
# tools/docs/htmldocs.sh runs it.

import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
top = os.path.dirname(here)
sys.path.insert(0, os.path.join(os.environ["srctree"], "Documentation", "sphinx"))

project = "p2pbuf"
author = "p2pbuf maintainers"
copyright = "p2pbuf maintainers, GPL-2.0"
with open(os.path.join(top, "VERSION"), encoding="utf-8") as f:
    version = release = f.read().strip()

extensions = ["kerneldoc"]
kerneldoc_srctree = top

root_doc = "index"
exclude_patterns = ["output"]
primary_domain = "c"
highlight_language = "none"
# Attributes of kernel declarations the C domain must see past.
c_id_attributes = ["__counted_by", "__packed", "__aligned", "__user", "__iomem",
                   "__must_check", "__always_inline", "__maybe_unused"]
c_paren_attributes = ["__counted_by", "__aligned"]

html_theme = "alabaster"
html_title = f"p2pbuf {version}"
html_show_sourcelink = False
html_copy_source = False
