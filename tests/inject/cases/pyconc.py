"""perfinject test case: spans from threads and from concurrent asyncio tasks.

EXPECT span "pyconc.step" 4000
EXPECT span "pyconc.worker" 4
EXPECT span "pyconc.fetch" 3
EXPECT span "pyconc.gather_all" 1
EXPECT span "pyconc.main" 1
"""
import asyncio
import threading


def step(i):
    return i * i


def worker():
    for i in range(1000):
        step(i)


async def fetch(delay):
    await asyncio.sleep(delay)
    return delay


async def gather_all():
    return await asyncio.gather(fetch(0.02), fetch(0.01), fetch(0.03))


def main():
    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(asyncio.run(gather_all()))


main()
