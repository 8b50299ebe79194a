"""pytest set-up for the chapters (run by nbval).

On a machine where matplotlib has never run, its first import builds a font
cache and may say so on stderr; inside a chapter that message would be an
extra output and fail the comparison. Building the cache here, before any
kernel starts, keeps the chapters' outputs the same on every machine.
"""

import matplotlib.font_manager  # noqa: F401  (builds and saves the font cache)
