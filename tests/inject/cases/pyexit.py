"""perfinject test case: spans survive os.fork(), os._exit() and exec.

The parent calls work() 3 times, forks a child that calls it 2 times and
leaves with os._exit(0), then waits and replaces itself with `true` through
os.execvp.  Expected: two pyspans files, with 3 and 2 calls of work.
"""
import os


def work(n):
    return sum(range(n))


def main():
    for i in range(3):
        work(i)
    pid = os.fork()
    if pid == 0:
        work(1)
        work(2)
        os._exit(0)
    os.waitpid(pid, 0)
    os.execvp("true", ["true"])


main()
