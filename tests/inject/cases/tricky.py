#!/usr/bin/env python3
# -*- coding: utf-8 -*-
"""perfinject test case: what a Python lexer and parser must get right.

The EXPECT lines give the exact calls the runtime must record after
`perfinject tricky.py`, with PERFSHIM_OUT set.

EXPECT span "tricky.plain" 3
EXPECT span "tricky.deco" 1
EXPECT span "tricky.deco.wrap" 1
EXPECT span "tricky.deco.wrap.inner" 2
EXPECT span "tricky.decorated" 2
EXPECT span "tricky.one_liner" 1
EXPECT span "tricky.fib" 177
EXPECT span "tricky.gen" 2
EXPECT span "tricky.echo" 1
EXPECT span "tricky.coro" 2
EXPECT span "tricky.runner" 1
EXPECT span "tricky.agen" 1
EXPECT span "tricky.outer" 1
EXPECT span "tricky.outer.inner" 2
EXPECT span "tricky.Shape.__init__" 2
EXPECT span "tricky.Shape.area" 2
EXPECT span "tricky.Shape.make" 1
EXPECT span "tricky.Shape.unit" 1
EXPECT span "tricky.Shape.side" 3
EXPECT span "tricky.Shape.Inner.deep" 1
EXPECT span "tricky.factory" 1
EXPECT span "tricky.factory.Local.method" 1
EXPECT span "tricky.raises" 2
EXPECT span "tricky.main" 1
"""
from __future__ import annotations

import asyncio
import functools

FAKE = """
def fake():
    pass
@decorator
"""
TEXT = f"{'def'} {FAKE!r:>{3}} {{braces}}"
joined = 1 + \
    2


def plain(x):
    return x + 1


def deco(tag):
    def wrap(f):
        @functools.wraps(f)
        def inner(*a, **k):
            return f(*a, **k)
        return inner
    return wrap


@deco(
    "multi-line arguments",
)
def decorated(x):
    # a comment between the decorator and the body
    return x * 2


def one_liner(x): return x - 1


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def gen(n):
    for i in range(n):
        yield i


def echo():
    got = []
    try:
        while True:
            v = yield len(got)
            got.append(v)
    except GeneratorExit:
        pass


async def coro(x):
    await asyncio.sleep(0)
    return x * 3


async def agen(n):
    for i in range(n):
        await asyncio.sleep(0)
        yield i


async def runner():
    return await coro(1) + await coro(2) + sum([x async for x in agen(3)])


def outer(v):
    def inner(k):
        return k + v
    return inner(1) + inner(2)


class Shape:
    count = 0

    def __init__(self, side):
        self._side = side

    def area(self):
        return self._side ** 2

    @classmethod
    def make(cls, side):
        return cls(side)

    @staticmethod
    def unit(): return 1

    @property
    def side(self):
        return self._side

    class Inner:
        def deep(self):
            return "deep"


def factory():
    class Local:
        def method(self):
            return 7
    return Local().method()


def raises(flag):
    if flag:
        raise ValueError("boom")
    return 0


lam = lambda q: q  # noqa: E731


def main():
    s = plain(1) + plain(2) + plain(3)
    s += decorated(1) + decorated(2) + one_liner(5) + fib(10)
    s += sum(gen(3)) + sum(gen(2))
    e = echo()
    next(e)
    e.send("a")
    e.send("b")
    e.close()
    s += asyncio.run(runner())
    s += outer(1)
    a = Shape(2)
    b = Shape.make(3)
    s += a.area() + b.area() + Shape.unit() + a.side + b.side + a.side
    s += len(Shape.Inner().deep()) + factory() + raises(False) + lam(1)
    try:
        raises(True)
    except ValueError:
        s += 1
    print("s=%d text=%s joined=%d" % (s, TEXT.count("def"), joined))


if __name__ == "__main__":
    main()
