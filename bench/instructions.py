"""
CPU instructions per request, counted by valgrind: `python bench/instructions.py`.

Timings on a shared or busy machine swing by tens of percent; instruction
counts do not. Each client runs in its own process under
`valgrind --tool=callgrind`, twice: once to start up and warm up only, once to
also send `--requests` sequential small GETs to nginx on loopback (keep-alive,
13-byte body). The difference, divided by the request count, is what one
request costs that client: parsing, bookkeeping and the system call
wrappers in user space, the kernel's own work excluded. Fewer instructions is
not the same thing as more requests per second (cache misses and system calls
cost differently), but a change that removes instructions from the hot path
shows up here the same on any machine, loaded or not.

Needs `valgrind` (`apt-get install valgrind`); peers run in the bench's
virtual environments (see `bench/README.md`; `python bench/run.py` makes them).
"""

from __future__ import annotations

import argparse
import datetime
import pathlib
import shutil
import subprocess
import sys

_HERE = pathlib.Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if pathlib.Path(p or ".").resolve() != _HERE]
sys.path.append(str(_HERE))

from harness.clients import BY_NAME, ClientSpec  # noqa: E402
from harness.envs import child_env, python_for  # noqa: E402
from harness.server import running_nginx  # noqa: E402

REPO = _HERE.parent
DEFAULT_OUTPUT = _HERE / "results" / "instructions.md"
WARMUP = 50
DASH, TIMES = "\u2013", "\u00d7"  # an en dash and a multiplication sign

# The child: build the bench's own client wrapper, warm up, then `count`
# requests. The same wrapper classes as `run.py` uses, so the same settings.
CHILD = """
import asyncio, sys
sys.path.append({bench!r})
from harness.clients import BY_NAME, Options
module = BY_NAME[{name!r}].load()
options = Options(ca_file={ca!r}, pool_size=1, http2=False)
url, count = {url!r}, {warmup} + int(sys.argv[1])
if {api!r} == "sync":
    client = module.Sync(options)
    for _ in range(count):
        client.get(url)
    client.close()
else:
    async def main():
        client = module.Async(options)
        for _ in range(count):
            await client.get(url)
        await client.close()
    asyncio.run(main())
"""

# One client request and the response nginx sends to it, with no I/O: the
# exchange the parsers below run, each in a loop.
EXCHANGE = """
import sys
response = (
    b"HTTP/1.1 200 OK\\r\\nServer: nginx\\r\\nDate: Sun, 22 Nov 2026 00:00:00 GMT\\r\\n"
    b"Content-Type: application/octet-stream\\r\\nContent-Length: 13\\r\\n"
    b"Connection: keep-alive\\r\\n\\r\\nHello, world!"
)
headers = [
    (b"Host", b"127.0.0.1:8080"), (b"Accept", b"*/*"),
    (b"Accept-Encoding", b"gzip, deflate, br, zstd"),
    (b"Connection", b"keep-alive"), (b"User-Agent", b"python-httpcore"),
]
"""

# h11 alone, through its state machine: the floor under any h11-based
# HTTP/1.1 client.
H11_CHILD = (
    EXCHANGE
    + """
import h11
connection = h11.Connection(h11.CLIENT)
for _ in range(50 + int(sys.argv[1])):
    connection.send(h11.Request(method=b"GET", target=b"/small", headers=headers))
    connection.send(h11.EndOfMessage())
    connection.receive_data(response)
    while type(connection.next_event()) is not h11.EndOfMessage:
        pass
    connection.start_next_cycle()
"""
)

# httpcore's own HTTP/1.1 wire (`_dispatch/http11_wire.py`) alone: what
# parsing costs httpcore now that h11 is off its path.
WIRE_CHILD = (
    EXCHANGE
    + """
from httpcore._dispatch.http11_wire import END, ClientWire
wire = ClientWire()
for _ in range(50 + int(sys.argv[1])):
    wire.start_request(b"GET", b"/small", headers)
    wire.send_end()
    wire.receive_data(response)
    while wire.next_event() is not END:
        pass
    wire.start_next_cycle()
"""
)

TARGETS: list[tuple[str, str]] = [
    ("httpcore", "sync"),
    ("httpcore-pool", "sync"),
    ("urllib3", "sync"),
    ("requests", "sync"),
    ("httpx", "sync"),
    ("httpcore", "async"),
    ("httpcore-pool", "async"),
    ("aiohttp", "async"),
    ("httpx", "async"),
    ("h11", "none"),
    ("wire", "none"),
]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument(
        "--clients",
        default="all",
        help="comma-separated 'name:api' pairs, e.g. httpcore:sync,urllib3:sync",
    )
    parser.add_argument("--output", type=pathlib.Path, default=DEFAULT_OUTPUT)
    return parser.parse_args()


def instructions(command: list[str], env: dict[str, str]) -> int:
    """The instructions valgrind counted for `command` (user space, all threads)."""
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
        capture_output=True,
        text=True,
        env=env,
        cwd=_HERE,  # not the repository root: peers must not import its httpcore
        timeout=1800,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    for line in done.stderr.splitlines():
        if "Collected :" in line:
            return int(line.rsplit(":", 1)[1].replace(",", ""))
    raise RuntimeError("valgrind printed no instruction count")


def per_request(
    spec: ClientSpec, api: str, url: str, ca_file: str, count: int
) -> float:
    code = CHILD.format(
        bench=str(_HERE), name=spec.name, ca=ca_file, url=url, warmup=WARMUP, api=api
    )
    env = child_env()
    if spec.env == "main":
        python = sys.executable
        env["PYTHONPATH"] = str(REPO)  # this checkout's httpcore
    else:
        python = python_for(spec.env)
    # Once without valgrind first: compiling the bytecode caches would
    # otherwise be counted in the first run only.
    warm = subprocess.run(
        [python, "-c", code, "0"], env=env, cwd=_HERE, capture_output=True, text=True
    )
    if warm.returncode != 0:
        raise RuntimeError(warm.stderr.strip().splitlines()[-1])
    base = instructions([python, "-c", code, "0"], env)
    loaded = instructions([python, "-c", code, str(count)], env)
    return (loaded - base) / count


def alone(child: str, count: int) -> float:
    """A no-I/O snippet's instructions per cycle (`H11_CHILD`, `WIRE_CHILD`)."""
    env = child_env()
    env["PYTHONPATH"] = str(REPO)  # this checkout's httpcore
    command = [sys.executable, "-c", child]
    subprocess.run([*command, "0"], env=env, cwd=_HERE, check=True)  # compile
    base = instructions([*command, "0"], env)
    return (instructions([*command, str(count)], env) - base) / count


def main() -> None:
    args = parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is needed: apt-get install valgrind")
    targets = TARGETS
    if args.clients != "all":
        targets = [
            (name, api)
            for name, api in (pair.split(":") for pair in args.clients.split(","))
        ]
    rows: list[tuple[str, str, float | None, str]] = []
    with running_nginx(log=lambda line: None) as server:
        url = server.url + "/small"
        for name, api in targets:
            try:
                if name in ("h11", "wire"):
                    child = H11_CHILD if name == "h11" else WIRE_CHILD
                    count = alone(child, args.requests)
                else:
                    spec = BY_NAME[name]
                    count = per_request(spec, api, url, server.ca_file, args.requests)
            except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
                rows.append((name, api, None, str(exc).strip().splitlines()[-1]))
            else:
                rows.append((name, api, count, ""))
            print(f"{name} {api}: {rows[-1][2] or rows[-1][3]}", flush=True)
    write_report(args, rows)


def write_report(
    args: argparse.Namespace, rows: list[tuple[str, str, float | None, str]]
) -> None:
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    reference = {api: count for name, api, count, _ in rows if name == "httpcore"}
    lines = [
        "# httpcore: instructions per request",
        "",
        f"`python bench/instructions.py --requests {args.requests}` — {now}. "
        "valgrind's count of CPU instructions per sequential small GET (13-byte "
        "body, keep-alive, nginx on loopback), start-up and warm-up subtracted; "
        "user space only. Unlike timings, it does not move with the machine's "
        "load. Lower is better; the ratio is peer / httpcore `Client` of the same "
        "API, so above 1.0 means httpcore runs fewer instructions.",
        "",
        "| client | API | instructions / request | peer / httpcore |",
        "|---|---|---:|---:|",
    ]
    for name, api, count, error in rows:
        if count is None:
            lines.append(f"| {name} | {api} | not available ({error}) | {DASH} |")
            continue
        ratio = reference.get(api)
        shown = f"{count / ratio:.2f}{TIMES}" if ratio and name != "httpcore" else DASH
        lines.append(f"| {name} | {api} | {count:,.0f} | {shown} |")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text("\n".join(lines) + "\n")
    print(f"Wrote {args.output}.")


if __name__ == "__main__":
    main()
