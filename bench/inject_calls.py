"""The call-heavy Python program of bench/inject_overhead.sh: N calls of a
small function, timed inside the program; prints the loop's nanoseconds."""
import sys
import time


def leaf(x):
    return (x * 2654435761) ^ (x >> 3)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200000
    acc = 0
    t0 = time.perf_counter_ns()
    for i in range(n):
        acc += leaf(i)
    t1 = time.perf_counter_ns()
    print(t1 - t0, acc & 0xFFFF)


main()
