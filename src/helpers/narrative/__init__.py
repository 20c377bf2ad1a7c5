"""Floor 3: every sentence a reviewer reads, worded from result objects.

All wording lives in one message catalogue per language (``messages/<lang>/*.yaml``); numbers are
formatted by locale (decimal comma and thin-space grouping in Russian) in ``narrative.fmt``.
"""
