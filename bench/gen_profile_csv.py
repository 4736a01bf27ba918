#!/usr/bin/python3
"""Writes a large mixed-type CSV for bench/profile_bench.sh.

Usage: gen_profile_csv.py OUT.csv [MEGABYTES]   (default 1100 MB)

Columns: a unique integer id, small and large integers, floats (one with
10% missing cells), a 20-value category, a 50k-value category, a boolean,
an ISO timestamp (5% missing), and two free-text columns whose values hold
commas, doubled quotes and, now and then, an embedded newline (so they are
quoted). Deterministic (seeded), so runs are comparable.
"""
import random
import sys


def main():
    out = sys.argv[1]
    target = int(sys.argv[2] if len(sys.argv) > 2 else 1100) * 1024 * 1024
    rng = random.Random(42)
    words = ["alpha", "beta", "gamma", "delta", "omega", "river", "stone", "cloud", "night", "light",
             "green", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "data", "model"]

    def sentence():
        n = rng.randint(3, 14)
        s = " ".join(rng.choice(words) for _ in range(n))
        r = rng.random()
        if r < 0.3:
            s = s.replace(" ", ", ", 1)
        elif r < 0.4:
            s = 'he said ""' + s + '"" loudly'
        elif r < 0.42:
            s = s + "\nsecond line"
        return '"' + s + '"'

    texts = [sentence() for _ in range(20000)]
    cats = ["cat_%d" % i for i in range(20)]
    big_cats = ["code%05d" % i for i in range(50000)]
    floats = ["%.6f" % rng.gauss(100.0, 25.0) for _ in range(200000)]
    small_floats = ["%.3g" % rng.random() for _ in range(50000)] + [""] * 5555
    dates = ["20%02d-%02d-%02d %02d:%02d:%02d" % (rng.randint(0, 23), rng.randint(1, 12), rng.randint(1, 28),
                                                    rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59))
             for _ in range(100000)] + [""] * 5000
    bools = ["True", "False"]
    header = "id,small_int,big_int,value,ratio,category,code,flag,when,title,body\n"
    written = 0
    row_id = 0
    chunk = 50000
    with open(out, "w", encoding="utf-8", newline="") as f:
        f.write(header)
        written += len(header)
        while written < target:
            ids = range(row_id, row_id + chunk)
            row_id += chunk
            c = rng.choices
            cols = zip(ids, c(range(100), k=chunk), c(range(10**9), k=chunk), c(floats, k=chunk),
                       c(small_floats, k=chunk), c(cats, k=chunk), c(big_cats, k=chunk), c(bools, k=chunk),
                       c(dates, k=chunk), c(texts, k=chunk), c(texts, k=chunk))
            block = "".join("%d,%d,%d,%s,%s,%s,%s,%s,%s,%s,%s\r\n" % row for row in cols)
            f.write(block)
            written += len(block)


if __name__ == "__main__":
    main()
