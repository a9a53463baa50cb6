import os

# Keep the suite's thread count fixed and small; results do not depend on it.
os.environ.setdefault("NUMBA_NUM_THREADS", "2")
