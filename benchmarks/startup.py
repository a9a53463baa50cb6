"""Start-up of the command line against Python with NumPy (and SciPy): whole processes, paired.

Each command and its yardstick run in turn (A B A B …) as fresh processes after one warm-up
each (Numba's cache and the page cache warm), and the ratio is taken pair by pair, so a drift
of the machine's speed moves both.  Prints a table on stderr and one JSON object on stdout.

    python benchmarks/startup.py [--runs 9]
"""

import argparse
import json
import statistics
import subprocess
import sys
import time

PY = sys.executable
CASES = [
    ("lehmberg --version", [PY, "-m", "lehmberg", "--version"], [PY, "-c", "import numpy"], 1.5),
    ("lehmberg --help", [PY, "-m", "lehmberg", "--help"], [PY, "-c", "import numpy"], 1.5),
    ("lehmberg rates --kL 30", [PY, "-m", "lehmberg", "rates", "--kL", "30"],
     [PY, "-c", "import numpy, scipy"], 2.0),
    ("lehmberg entangle --d 30 --Z 1.5", [PY, "-m", "lehmberg", "entangle", "--d", "30", "--Z", "1.5"],
     [PY, "-c", "import numpy, scipy"], None),
    ("python -c 'import lehmberg'", [PY, "-c", "import lehmberg"], [PY, "-c", "import numpy"], None),
]


def wall(cmd):
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=9)
    args = ap.parse_args()
    rows = []
    for name, a, b, target in CASES:
        wall(a), wall(b)
        ta, tb = [], []
        for _ in range(args.runs):
            ta.append(wall(a))
            tb.append(wall(b))
        ratios = [x / y for x, y in zip(ta, tb)]
        rows.append({"command": name, "yardstick": " ".join(b[1:]) if b[0] == PY else " ".join(b),
                     "median_s": statistics.median(ta), "yardstick_median_s": statistics.median(tb),
                     "ratio_min": min(ratios), "ratio_median": statistics.median(ratios),
                     "ratio_max": max(ratios), "target": target})
        r = rows[-1]
        print(f"{name:30s} {r['median_s']:.3f} s  vs  python {r['yardstick']:22s} "
              f"{r['yardstick_median_s']:.3f} s   ratio {r['ratio_median']:.2f} "
              f"({r['ratio_min']:.2f}–{r['ratio_max']:.2f})"
              + (f"  target <= {target}" if target else ""), file=sys.stderr)
    json.dump({"runs": args.runs, "cases": rows}, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
