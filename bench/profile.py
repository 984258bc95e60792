"""
Where httpcore's time goes: `python bench/profile.py` (see bench/README.md).

For the sync and async APIs (the `Client`, and the low-level pool), small
body, keep-alive, sequential requests against nginx on loopback:

1. CPU microseconds per request, without a profiler: `time.process_time()`
   around a timed loop (this process only; nginx is not counted).
2. The same loop under cProfile: the top functions by self time and by
   cumulative time, per request, and self time grouped by module.

Prints the report and saves it as bench/results/profile.md.
"""

from __future__ import annotations

import pathlib
import sys

# This file shares its name with the standard library's `profile`, which
# cProfile imports: put this folder last on sys.path so that the standard
# one wins, while `harness` (unique to this folder) is still found.
_HERE = pathlib.Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if pathlib.Path(p or ".").resolve() != _HERE]
sys.path.append(str(_HERE))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import cProfile  # noqa: E402
import datetime  # noqa: E402
import pstats  # noqa: E402
import re  # noqa: E402
import subprocess  # noqa: E402
import sysconfig  # noqa: E402
import time  # noqa: E402
import typing  # noqa: E402

from harness.clients import Options, httpcore_client, httpcore_pool  # noqa: E402
from harness.envs import child_env  # noqa: E402
from harness.report import DASH  # noqa: E402
from harness.scenarios import SMALL_BODY  # noqa: E402
from harness.server import running_nginx  # noqa: E402

REPO = _HERE.parent
STDLIB = pathlib.Path(sysconfig.get_paths()["stdlib"])
SITE = pathlib.Path(sysconfig.get_paths()["purelib"])

TARGETS = {"client": httpcore_client, "pool": httpcore_pool}
LABELS = {
    "client": "`httpcore.Client` / `AsyncClient`",
    "pool": "`httpcore.ConnectionPool` / `AsyncConnectionPool`",
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--requests", type=int, default=20_000, help="requests per timed loop (max)"
    )
    parser.add_argument(
        "--seconds", type=float, default=4.0, help="seconds per timed loop (max)"
    )
    parser.add_argument("--top", type=int, default=15, help="functions per table")
    parser.add_argument(
        "--targets",
        default="client,pool",
        help="comma-separated: client (Client/AsyncClient), pool (ConnectionPool)",
    )
    parser.add_argument(
        "--output", type=pathlib.Path, default=_HERE / "results" / "profile.md"
    )
    return parser.parse_args()


# --- the loops -----------------------------------------------------------


def sync_loop(client: typing.Any, url: str, count: int, seconds: float) -> int:
    deadline = time.perf_counter() + seconds
    done = 0
    while done < count and time.perf_counter() < deadline:
        if client.get(url) != len(SMALL_BODY):
            raise RuntimeError("unexpected body")
        done += 1
    return done


async def async_loop(client: typing.Any, url: str, count: int, seconds: float) -> int:
    deadline = time.perf_counter() + seconds
    done = 0
    while done < count and time.perf_counter() < deadline:
        if await client.get(url) != len(SMALL_BODY):
            raise RuntimeError("unexpected body")
        done += 1
    return done


class Sample(typing.NamedTuple):
    requests: int
    wall: float
    cpu: float
    stats: pstats.Stats | None


class Clock:
    """Times a block in CPU and wall seconds, optionally under cProfile."""

    def __init__(self, profiled: bool) -> None:
        self.profiler = cProfile.Profile() if profiled else None
        self.cpu = self.wall = 0.0

    def __enter__(self) -> Clock:
        self.cpu, self.wall = time.process_time(), time.perf_counter()
        if self.profiler:
            self.profiler.enable()
        return self

    def __exit__(self, *args: object) -> None:
        if self.profiler:
            self.profiler.disable()
        self.cpu = time.process_time() - self.cpu
        self.wall = time.perf_counter() - self.wall

    def sample(self, requests: int) -> Sample:
        stats = pstats.Stats(self.profiler) if self.profiler else None
        return Sample(requests, self.wall, self.cpu, stats)


def measure_sync(
    module: typing.Any, url: str, options: Options, args: argparse.Namespace
) -> list[Sample]:
    """[plain run, profiled run] of the sync API."""
    client = module.open_sync(options)
    try:
        sync_loop(client, url, 500, 2.0)  # warm up: connect, fill caches
        samples = []
        for profiled in (False, True):
            with Clock(profiled) as clock:
                done = sync_loop(client, url, args.requests, args.seconds)
            samples.append(clock.sample(done))
        return samples
    finally:
        client.close()


async def measure_async(
    module: typing.Any, url: str, options: Options, args: argparse.Namespace
) -> list[Sample]:
    """[plain run, profiled run] of the async API."""
    client = await module.open_async(options)
    try:
        await async_loop(client, url, 500, 2.0)
        samples = []
        for profiled in (False, True):
            with Clock(profiled) as clock:
                done = await async_loop(client, url, args.requests, args.seconds)
            samples.append(clock.sample(done))
        return samples
    finally:
        await client.close()


# --- the report ----------------------------------------------------------

Key = tuple[str, int, str]


def where(key: Key) -> str:
    """A short, readable name for a profiled function."""
    filename, line, name = key
    if filename == "~":  # a built-in: "<method 'recv' of '_socket.socket' objects>"
        method = re.fullmatch(r"<method '(\w+)' of '([\w.]+)' objects>", name)
        if method:
            return f"{method[2]}.{method[1]} (built-in)"
        return name
    path = pathlib.Path(filename)
    for root in (REPO, SITE, STDLIB):
        try:
            path = path.relative_to(root)
            break
        except ValueError:
            continue
    return f"{path}:{line} {name}"


def group(key: Key) -> str:
    """The module (for httpcore) or package a function belongs to."""
    filename = key[0]
    if filename == "~":
        return "built-ins (socket, ssl, select, ...)"
    path = pathlib.Path(filename)
    try:
        parts = path.relative_to(REPO).parts
        return "/".join(parts[:2]) if parts[0] == "httpcore" else parts[0]
    except ValueError:
        pass
    try:
        return path.relative_to(SITE).parts[0]
    except ValueError:
        pass
    try:
        parts = path.relative_to(STDLIB).parts
        return f"stdlib {parts[0].removesuffix('.py')}"
    except ValueError:
        return str(path)


Entry = tuple[int, int, float, float, typing.Any]  # calls, ncalls, self, cumul, callers


def entries_of(stats: pstats.Stats) -> dict[Key, Entry]:
    # `Stats.stats` is documented (as the raw table) but missing from typeshed.
    return typing.cast(dict[Key, Entry], typing.cast(typing.Any, stats).stats)


def top_table(stats: pstats.Stats, requests: int, column: int, count: int) -> list[str]:
    entries = entries_of(stats)
    ranked = sorted(entries.items(), key=lambda item: item[1][column], reverse=True)
    lines = [
        "| function | calls / request | self µs / request | cumulative µs / request |",
        "|---|---:|---:|---:|",
    ]
    for key, (_, ncalls, tottime, cumtime, _) in ranked[:count]:
        lines.append(
            f"| `{where(key)}` | {ncalls / requests:.1f} | "
            f"{tottime / requests * 1e6:.1f} | {cumtime / requests * 1e6:.1f} |"
        )
    return lines


def group_table(stats: pstats.Stats, requests: int) -> list[str]:
    entries = entries_of(stats)
    totals: dict[str, float] = {}
    for key, (_, _, tottime, _, _) in entries.items():
        totals[group(key)] = totals.get(group(key), 0.0) + tottime
    everything = sum(totals.values()) or 1.0
    lines = ["| module or package | self µs / request | share |", "|---|---:|---:|"]
    for name, total in sorted(totals.items(), key=lambda item: -item[1])[:12]:
        lines.append(
            f"| {name} | {total / requests * 1e6:.1f} | {total / everything:.0%} |"
        )
    return lines


def section(
    target: str, mode: str, plain: Sample, profiled: Sample, top: int
) -> list[str]:
    assert profiled.stats is not None
    per_request = plain.cpu / plain.requests * 1e6
    return [
        f"## {LABELS[target]}: {mode}, sequential",
        "",
        f"- **{per_request:.0f} µs of CPU per request** without a profiler "
        f"({plain.requests:,} requests, {plain.requests / plain.wall:,.0f} req/s, "
        f"{plain.cpu / plain.wall:.0%} of one core in this process).",
        f"- Under cProfile: {profiled.cpu / profiled.requests * 1e6:.0f} µs per "
        f"request ({profiled.requests:,} requests); the profiler's own cost inflates "
        "the per-function figures below, most for small functions called often.",
        "",
        "Self time by module:",
        "",
        *group_table(profiled.stats, profiled.requests),
        "",
        f"Top {top} functions by self time:",
        "",
        *top_table(profiled.stats, profiled.requests, 2, top),
        "",
        f"Top {top} functions by cumulative time:",
        "",
        *top_table(profiled.stats, profiled.requests, 3, top),
        "",
    ]


def run_one(
    target: str, mode: str, url: str, options: Options, args: argparse.Namespace
) -> tuple[str, list[str]]:
    """(the summary row, the report section) of one API in one mode."""
    module = TARGETS[target]
    try:
        if mode == "sync":
            plain, profiled = measure_sync(module, url, options, args)
        else:
            plain, profiled = asyncio.run(measure_async(module, url, options, args))
    except (AttributeError, ImportError) as exc:  # e.g. the Client is not there yet
        print(f"{target} {mode}: not available ({exc})", flush=True)
        return f"| {LABELS[target]} | {mode} | not available | {DASH} |", []
    cpu = plain.cpu / plain.requests * 1e6
    print(f"{target} {mode}: {cpu:.0f} µs CPU / request", flush=True)
    row = (
        f"| {LABELS[target]} | {mode} | {cpu:.0f} | "
        f"{plain.requests / plain.wall:,.0f} |"
    )
    return row, section(target, mode, plain, profiled, args.top)


IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)")


def import_times(runs: int = 5) -> list[tuple[int, int, int, str]]:
    """`python -X importtime` of `import httpcore`: the run with the median total.

    As for the bench's cold start, the interpreter starts without `site`, so that
    modules imported by this machine's start-up hooks are counted as httpcore's.
    Returns (self µs, cumulative µs, depth, module) in import order.
    """
    paths = [str(REPO), sysconfig.get_paths()["purelib"]]
    code = f"import sys; sys.path[:0] = {paths!r}; import httpcore"
    samples = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-I", "-S", "-X", "importtime", "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env=child_env(),
        )
        rows = [
            (int(m[1]), int(m[2]), len(m[3]) // 2, m[4])
            for m in map(IMPORT_LINE.match, done.stderr.splitlines())
            if m
        ]
        samples.append((sum(row[0] for row in rows), rows))
    samples.sort(key=lambda sample: sample[0])
    return samples[len(samples) // 2][1]


def import_section(top: int) -> list[str]:
    rows = import_times()
    total = sum(row[0] for row in rows)
    packages: dict[str, tuple[int, int]] = {}
    for own, _, _, name in rows:
        parts = name.split(".")
        key = ".".join(parts[:2]) if parts[0] == "httpcore" else parts[0]
        time_us, count = packages.get(key, (0, 0))
        packages[key] = (time_us + own, count + 1)
    lines = [
        "## Import time (`import httpcore`)",
        "",
        f"**{total / 1000:.1f} ms** for {len(rows)} modules (`python -I -S -X "
        "importtime`, the run with the median total of 5), the first part of the "
        "cold start. Self time grouped by package (httpcore by module):",
        "",
        "| package | modules | ms |",
        "|---|---:|---:|",
    ]
    ranked = sorted(packages.items(), key=lambda item: -item[1][0])
    for name, (time_us, count) in ranked[:top]:
        lines.append(f"| `{name}` | {count} | {time_us / 1000:.1f} |")
    lines += [
        "",
        "Modules by self time (their own code, without what they import):",
        "",
        "| module | ms |",
        "|---|---:|",
    ]
    for own, _, _, name in sorted(rows, key=lambda row: -row[0])[:top]:
        lines.append(f"| `{name}` | {own / 1000:.1f} |")
    return [*lines, ""]


def main() -> int:
    args = parse_args()
    targets = [name.strip() for name in args.targets.split(",") if name.strip()]
    unknown = [name for name in targets if name not in TARGETS]
    if unknown:
        raise SystemExit(f"unknown target(s): {', '.join(unknown)}")
    out = [
        "# httpcore: where the time goes",
        "",
        f"`python bench/profile.py` — "
        f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}. "
        "Small body (13 bytes), keep-alive, sequential requests to nginx on "
        f"loopback; up to {args.requests:,} requests or {args.seconds} s per loop. "
        "CPU time is this process's only (user + system), so it is the client's "
        "cost per request whatever else runs on the machine.",
        "",
    ]
    summary = ["| API | mode | CPU µs / request | req/s |", "|---|---|---:|---:|"]
    sections: list[str] = []
    with running_nginx() as server:
        url = server.url + "/small"
        options = Options(server.ca_file, 10, False)
        for target in targets:
            for mode in ("sync", "async"):
                row, lines = run_one(target, mode, url, options, args)
                summary.append(row)
                sections += lines
    sections += import_section(args.top)
    text = "\n".join([*out, *summary, "", *sections])
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print()
    print(text)
    print(f"Wrote {args.output}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
