"""perfprof_spans: the runtime of the timing wrappers perfinject puts on Python code.

perfinject adds, to each instrumented module, an import block that does

    from perfprof_spans import site_decorator as _perfinject_factory
    _perfinject_span = _perfinject_factory("pkg/mod.py")

and, above each wrapped ``def``, a decorator ``@_perfinject_span("pkg.mod.f", 12)``.

Spans are measured here with time.perf_counter_ns(), not through
libperfshim: a ctypes call costs more than most Python functions, and the
shim's nesting is per native thread while Python spans nest per thread and,
for coroutines, per asyncio task.  Nothing is recorded unless PERFSHIM_OUT
names a directory; then the process writes PERFSHIM_OUT/pyspans.<pid>.json
(or pyspans.<pid>.<k>.json, k = 1, 2, ... when taken) at exit, with the
fields of the shim's spans[]:

    {"schema": "perfinject-pyspans", "version": 1, "pid": N,
     "spans": [{"name", "file", "line", "calls", "total_ns", "self_ns",
                "min_ns", "max_ns"}]}

calls counts finished activations.  total_ns is inclusive time, where for
a recursive site only the outermost activation adds (so it never exceeds
the wall time of the threads that ran it); self_ns is inclusive time minus
that of wrapped functions running inside it; min_ns and max_ns are over
single activations.  A generator's activation is its whole life from first
resume to exhaustion or close, timed only while it runs (time spent
suspended at ``yield`` is not counted); a coroutine's is from its start to
its return, suspension included (its latency), with nesting tracked per
task.

The report is written by an atexit handler, and also just before
os._exit(), os.exec*() and in a child after os.fork() (the child starts
empty and writes its own file).  A process killed by a signal that Python
does not turn into an exception (SIGKILL, or SIGTERM without a handler)
writes nothing.
"""

import atexit
import contextvars
import functools
import inspect
import json
import os
import threading
import time

__all__ = ["site_decorator", "span", "flush"]

_now = time.perf_counter_ns
_out_dir = os.environ.get("PERFSHIM_OUT") or None

# Per thread: {site_key: [name, file, line, calls, total, self, min, max]}.
_tables = []
_tables_lock = threading.Lock()
_local = threading.local()

# The innermost open activation of the running context (thread or task).
_current = contextvars.ContextVar("perfprof_spans_current", default=None)


class _Frame:
    """One open activation: its site, its parent, and the time of its children."""

    __slots__ = ("site", "parent", "child_ns", "outer")

    def __init__(self, site, parent):
        self.site = site
        self.parent = parent
        self.child_ns = 0
        outer = True
        p = parent
        while p is not None:
            if p.site is site:
                outer = False
                break
            p = p.parent
        self.outer = outer


def _table():
    t = getattr(_local, "table", None)
    if t is None:
        t = {}
        _local.table = t
        with _tables_lock:
            _tables.append(t)
    return t


def _record(site, inclusive, child_ns, outer):
    row = _table().get(site)
    if row is None:
        row = [site[0], site[1], site[2], 0, 0, 0, inclusive, inclusive]
        _local.table[site] = row
    row[3] += 1
    if outer:
        row[4] += inclusive
    own = inclusive - child_ns
    row[5] += own if own > 0 else 0
    if inclusive < row[6]:
        row[6] = inclusive
    if inclusive > row[7]:
        row[7] = inclusive


def _wrap_plain(f, site):
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        parent = _current.get()
        frame = _Frame(site, parent)
        token = _current.set(frame)
        t0 = _now()
        try:
            return f(*args, **kwargs)
        finally:
            dt = _now() - t0
            _current.reset(token)
            if parent is not None:
                parent.child_ns += dt
            _record(site, dt, frame.child_ns, frame.outer)

    return wrapper


def _wrap_coroutine(f, site):
    @functools.wraps(f)
    async def wrapper(*args, **kwargs):
        parent = _current.get()
        frame = _Frame(site, parent)
        token = _current.set(frame)
        t0 = _now()
        try:
            return await f(*args, **kwargs)
        finally:
            dt = _now() - t0
            _current.reset(token)
            if parent is not None:
                parent.child_ns += dt
            _record(site, dt, frame.child_ns, frame.outer)

    return wrapper


def _wrap_generator(f, site):
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        gen = f(*args, **kwargs)
        frame = None
        active = 0
        started = False
        to_send = None
        to_throw = None
        try:
            while True:
                parent = _current.get()
                if frame is None:
                    frame = _Frame(site, parent)
                frame.parent = parent
                token = _current.set(frame)
                t0 = _now()
                started = True
                try:
                    if to_throw is not None:
                        exc, to_throw = to_throw, None
                        value = gen.throw(exc)
                    else:
                        value = gen.send(to_send)
                except StopIteration as stop:
                    return stop.value
                finally:
                    dt = _now() - t0
                    _current.reset(token)
                    active += dt
                    if parent is not None:
                        parent.child_ns += dt
                try:
                    to_send = yield value
                except GeneratorExit:
                    t0 = _now()
                    try:
                        gen.close()
                    finally:
                        active += _now() - t0
                    raise
                except BaseException as exc:  # forwarded into the generator
                    to_send = None
                    to_throw = exc
        finally:
            if started:
                _record(site, active, frame.child_ns, frame.outer)

    return wrapper


def span(name, file, line):
    """A decorator that records calls of the function it wraps as span `name`."""

    site = (str(name), str(file), int(line))

    def decorate(f):
        if _out_dir is None:
            return f
        if inspect.isasyncgenfunction(f):
            return f  # not timed: see docs/perfinject.md
        if inspect.isgeneratorfunction(f):
            return _wrap_generator(f, site)
        if inspect.iscoroutinefunction(f):
            return _wrap_coroutine(f, site)
        return _wrap_plain(f, site)

    return decorate


def site_decorator(file):
    """Returns the `_perfinject_span(name, line)` decorator factory of one source file."""

    def factory(name, line):
        return span(name, file, line)

    return factory


_flushed_pid = None


def _merge():
    merged = {}
    with _tables_lock:
        tables = list(_tables)
    for t in tables:
        for key, row in list(t.items()):
            m = merged.get(key)
            if m is None:
                merged[key] = list(row)
                continue
            m[3] += row[3]
            m[4] += row[4]
            m[5] += row[5]
            m[6] = min(m[6], row[6])
            m[7] = max(m[7], row[7])
    return merged


def flush():
    """Writes this process's report now (once per process); returns its path or None."""

    global _flushed_pid
    pid = os.getpid()
    if _out_dir is None or _flushed_pid == pid:
        return None
    _flushed_pid = pid
    spans = [
        {
            "name": r[0],
            "file": r[1],
            "line": r[2],
            "calls": r[3],
            "total_ns": r[4],
            "self_ns": r[5],
            "min_ns": r[6],
            "max_ns": r[7],
        }
        for r in sorted(_merge().values(), key=lambda r: (r[1], r[2], r[0]))
    ]
    data = json.dumps(
        {"schema": "perfinject-pyspans", "version": 1, "pid": pid, "spans": spans},
        indent=1,
    ).encode()
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    flags |= getattr(os, "O_CLOEXEC", 0)
    k = 0
    while True:
        name = "pyspans.%d.json" % pid if k == 0 else "pyspans.%d.%d.json" % (pid, k)
        path = os.path.join(_out_dir, name)
        try:
            fd = os.open(path, flags, 0o600)
            break
        except FileExistsError:
            k += 1
        except OSError:
            return None
    try:
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]
    except OSError:
        return None
    finally:
        os.close(fd)
    return path


def _after_fork_child():
    global _flushed_pid
    _flushed_pid = None
    with _tables_lock:
        del _tables[:]
    _local.__dict__.clear()
    # Wrapped functions open in the parent stay open here; their exits count in the child.


def _wrap_exit(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        flush()
        return fn(*args, **kwargs)

    return wrapper


if _out_dir is not None:
    atexit.register(flush)
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_after_fork_child)
    for _name in ("_exit", "execv", "execve", "execl", "execle", "execlp", "execlpe",
                  "execvp", "execvpe"):
        if hasattr(os, _name):
            setattr(os, _name, _wrap_exit(getattr(os, _name)))
