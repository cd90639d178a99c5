"""The runtime: the calling convention's conversions (``marshal``); later buffers, the thread
pool and the compile cache."""
