"""perfprof_spans: the runtime of the timing wrappers perfinject puts on Python code.

perfinject adds, to each instrumented module, an import block that does

    from perfprof_spans import site_decorator as _perfinject_factory
    _perfinject_span = _perfinject_factory("pkg/mod.py")

and, above each wrapped ``def``, a decorator ``@_perfinject_span("pkg.mod.f", 12)``.

Spans are measured here with time.perf_counter_ns(), not through
libperfshim: a ctypes call costs more than most Python functions.  Nesting
is tracked per thread, on a stack that generators and coroutines join only
while they run, so the activations of concurrent asyncio tasks never nest
in one another.  Nothing is recorded unless PERFSHIM_OUT names a directory;
then the process writes PERFSHIM_OUT/pyspans.<pid>.json (or
pyspans.<pid>.<k>.json, k = 1, 2, ... when taken) at exit, with the fields
of the shim's spans[]:

    {"schema": "perfinject-pyspans", "version": 1, "pid": N,
     "spans": [{"name", "file", "line", "calls", "total_ns", "self_ns",
                "min_ns", "max_ns"}]}

calls counts finished activations.  total_ns is inclusive time, where for
a recursive site only the outermost activation adds; self_ns is inclusive
time minus that of wrapped functions running inside it; min_ns and max_ns
are over single activations.  A generator's activation is its whole life
from first resume to exhaustion or close, timed only while it runs (time
spent suspended at ``yield`` is not counted); a coroutine's is from its
start to its return, suspension included (its latency), and what it awaits
counts as nested in it; an async generator's is the time spent producing
its items (awaits inside included), not the time it waits at ``yield``.

The report is written by an atexit handler, and also just before
os._exit(), os.exec*() and in a child after os.fork() (the child starts
empty and writes its own file).  A process killed by a signal that Python
does not turn into an exception (SIGKILL, or SIGTERM without a handler)
writes nothing.
"""

import atexit
import functools
import inspect
import json
import os
import threading
import time
import types

__all__ = ["site_decorator", "span", "flush"]

_now = time.perf_counter_ns
_out_dir = os.environ.get("PERFSHIM_OUT") or None
if _out_dir is not None:
    _out_dir = os.path.abspath(_out_dir)  # as the shim does: later chdir() does not move it

# Per thread: a stack of open activations (each a one-item list holding the
# time of its wrapped children) and {site: row}.  A row is
# [name, file, line, calls, total, self, min, max, active], `active` counting
# this thread's activations of the site that are running now.
_NAME, _FILE, _LINE, _CALLS, _TOTAL, _SELF, _MIN, _MAX, _ACTIVE = range(9)
_threads = []
_threads_lock = threading.Lock()
_tls = threading.local()


def _thread_state():
    state = ([], {})
    _tls.s = state
    with _threads_lock:
        _threads.append(state[1])
    return state


_NO_MIN = 1 << 62


def _row(rows, site):
    row = [site[0], site[1], site[2], 0, 0, 0, _NO_MIN, 0, 0]
    rows[site] = row
    return row


def _close(row, child, dt, running):
    """Accounts one finished activation of `dt` ns whose wrapped children took `child`."""
    if dt < row[_MIN]:
        row[_MIN] = dt
    if dt > row[_MAX]:
        row[_MAX] = dt
    row[_CALLS] += 1
    if not running:
        row[_TOTAL] += dt
    own = dt - child
    if own > 0:
        row[_SELF] += own


def _wrap_plain(f, site):
    # The hot path: everything inlined, names bound in the closure.
    now = _now
    tls = _tls
    new_state = _thread_state
    new_row = _row

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        try:
            stack, rows = tls.s
        except AttributeError:
            stack, rows = new_state()
        row = rows.get(site) or new_row(rows, site)
        stack.append(0)
        row[8] += 1
        t0 = now()
        try:
            return f(*args, **kwargs)
        finally:
            dt = now() - t0
            own = dt - stack.pop()
            if stack:
                stack[-1] += dt
            row[8] -= 1
            if dt < row[6]:
                row[6] = dt
            if dt > row[7]:
                row[7] = dt
            row[3] += 1
            if not row[8]:
                row[4] += dt
            if own > 0:
                row[5] += own

    return wrapper


def _state():
    try:
        return _tls.s
    except AttributeError:
        return _thread_state()


class _Activation:
    """A generator's or coroutine's activation across its resumes."""

    __slots__ = ("row", "child", "started", "nested")

    def __init__(self, site):
        rows = _state()[1]
        self.row = rows.get(site) or _row(rows, site)
        self.child = 0
        self.started = False
        self.nested = False

    def enter(self):
        """Joins the thread's stack for one resume; returns the stack."""
        stack = _state()[0]
        stack.append(0)
        self.row[_ACTIVE] += 1
        if not self.started:
            self.started = True
            self.nested = self.row[_ACTIVE] > 1  # inside an activation of itself
        return stack

    def leave(self, stack, dt):
        """Leaves after a resume of dt ns; dt < 0: do not add it to the caller."""
        self.child += stack.pop()
        self.row[_ACTIVE] -= 1
        if stack and dt >= 0:
            stack[-1] += dt


def _wrap_generator(f, site):
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        gen = f(*args, **kwargs)
        act = _Activation(site)
        active = 0
        to_send = None
        to_throw = None
        try:
            while True:
                stack = act.enter()
                t0 = _now()
                dt = 0
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
                    active += dt
                    act.leave(stack, dt)
                try:
                    to_send = yield value
                except GeneratorExit:
                    stack = act.enter()
                    t0 = _now()
                    try:
                        gen.close()
                    finally:
                        dt = _now() - t0
                        active += dt
                        act.leave(stack, dt)
                    raise
                except BaseException as exc:  # forwarded into the generator
                    to_send = None
                    to_throw = exc
        finally:
            if act.started:
                _close(act.row, act.child, active, act.nested)

    return wrapper


@types.coroutine
def _steps(aw, act):
    """Runs awaitable `aw` (a coroutine, or an async generator's asend/athrow)
    with `act` on the thread's stack during each of its resumes only."""
    to_send = None
    to_throw = None
    while True:
        stack = act.enter()
        try:
            if to_throw is not None:
                exc, to_throw = to_throw, None
                value = aw.throw(exc)
            else:
                value = aw.send(to_send)
        except StopIteration as stop:
            return stop.value
        finally:
            act.leave(stack, -1)
        try:
            to_send = yield value
        except GeneratorExit:
            aw.close()
            raise
        except BaseException as exc:  # cancellation and the like go to the awaitable
            to_send = None
            to_throw = exc


def _add_to_caller(dt):
    stack = getattr(_tls, "s", ((),))[0]  # empty if it ends on another thread
    if stack:
        stack[-1] += dt


def _wrap_coroutine(f, site):
    @functools.wraps(f)
    async def wrapper(*args, **kwargs):
        coro = f(*args, **kwargs)
        act = _Activation(site)
        t0 = _now()
        try:
            return await _steps(coro, act)
        finally:
            dt = _now() - t0
            _add_to_caller(dt)
            _close(act.row, act.child, dt, act.nested)

    return wrapper


def _wrap_async_generator(f, site):
    @functools.wraps(f)
    async def wrapper(*args, **kwargs):
        agen = f(*args, **kwargs)
        act = _Activation(site)
        busy = 0  # time producing items: suspensions inside a step count, waits at yield do not
        to_send = None
        to_throw = None
        try:
            while True:
                t0 = _now()
                try:
                    if to_throw is not None:
                        exc, to_throw = to_throw, None
                        value = await _steps(agen.athrow(exc), act)
                    else:
                        value = await _steps(agen.asend(to_send), act)
                except StopAsyncIteration:
                    return
                finally:
                    dt = _now() - t0
                    busy += dt
                    _add_to_caller(dt)
                try:
                    to_send = yield value
                except GeneratorExit:
                    t0 = _now()
                    try:
                        await _steps(agen.aclose(), act)
                    finally:
                        dt = _now() - t0
                        busy += dt
                        _add_to_caller(dt)
                    raise
                except BaseException as exc:  # forwarded into the generator
                    to_send = None
                    to_throw = exc
        finally:
            if act.started:
                _close(act.row, act.child, busy, act.nested)

    return wrapper


def span(name, file, line):
    """A decorator that records calls of the function it wraps as span `name`."""

    site = (str(name), str(file), int(line))

    def decorate(f):
        if _out_dir is None:
            return f
        if inspect.isasyncgenfunction(f):
            return _wrap_async_generator(f, site)
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
    with _threads_lock:
        tables = list(_threads)
    for rows in tables:
        for key, row in list(rows.items()):
            if not row[_CALLS]:
                continue
            m = merged.get(key)
            if m is None:
                merged[key] = list(row)
                continue
            m[_CALLS] += row[_CALLS]
            m[_TOTAL] += row[_TOTAL]
            m[_SELF] += row[_SELF]
            m[_MIN] = min(m[_MIN], row[_MIN])
            m[_MAX] = max(m[_MAX], row[_MAX])
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
    """The child starts with no data; activations open at the fork finish here."""
    global _flushed_pid
    _flushed_pid = None
    with _threads_lock:
        for rows in _threads:
            for row in rows.values():
                row[_CALLS] = row[_TOTAL] = row[_SELF] = row[_MAX] = 0
                row[_MIN] = _NO_MIN


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
