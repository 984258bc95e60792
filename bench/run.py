"""
The httpcore benchmark: `python bench/run.py` (see bench/README.md).

Starts nginx on loopback, makes sure the peers' virtual environments exist,
runs every (client, scenario) pair in its own fresh process for several
rounds, alternating the order of the clients, and writes medians and
`httpcore / peer` ratios to bench/results/ (markdown, JSON, and a PNG chart).
nginx is stopped and its temporary folder removed however the run ends.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import pathlib
import platform
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import sysconfig
import time
import typing

from harness import envs, report
from harness.clients import BY_NAME, CLIENTS, ClientSpec
from harness.loops import DRAIN, Timing
from harness.scenarios import BY_ID, SCENARIOS, Scenario
from harness.server import Server, running_nginx

BENCH = pathlib.Path(__file__).resolve().parent
RESULTS = BENCH / "results"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark httpcore against peer clients, on nginx on loopback."
    )
    parser.add_argument("--rounds", type=int, default=5, help="rounds (default 5)")
    parser.add_argument(
        "--duration", type=float, default=2.0, help="measured seconds per run"
    )
    parser.add_argument(
        "--warmup", type=float, default=0.5, help="warm-up seconds per run"
    )
    parser.add_argument(
        "--max-requests",
        type=int,
        default=5_000_000,
        help="stop a run early after this many measured requests",
    )
    parser.add_argument(
        "--cold-runs", type=int, default=5, help="cold-start spawns per round"
    )
    parser.add_argument(
        "--scenarios",
        default="all",
        help="comma-separated scenario ids, or 'all': "
        + ", ".join(s.id for s in SCENARIOS),
    )
    parser.add_argument(
        "--clients",
        default="all",
        help="comma-separated clients, or 'all': " + ", ".join(c.name for c in CLIENTS),
    )
    parser.add_argument(
        "--nginx-workers", type=int, default=1, help="nginx worker processes"
    )
    parser.add_argument("--note", default="", help="a caveat for the results header")
    parser.add_argument(
        "--output",
        type=pathlib.Path,
        default=RESULTS,
        help="folder for latest.md/json/png and the dated copy",
    )
    args = parser.parse_args(argv)
    args.scenario_list = pick(args.scenarios, BY_ID, "scenario")
    args.client_list = pick(args.clients, BY_NAME, "client")
    if args.rounds < 1 or args.duration <= 0 or args.cold_runs < 1:
        parser.error("--rounds, --duration and --cold-runs must be positive")
    return args


T = typing.TypeVar("T")


def pick(choice: str, known: dict[str, T], kind: str) -> list[T]:
    if choice == "all":
        return list(known.values())
    names = [name.strip() for name in choice.split(",") if name.strip()]
    unknown = [name for name in names if name not in known]
    if unknown:
        raise SystemExit(f"unknown {kind}(s): {', '.join(unknown)}")
    return [known[name] for name in names]


def log(message: str) -> None:
    print(message, flush=True)


# --- one run -------------------------------------------------------------


def snapshot_httpcore(server: Server) -> pathlib.Path:
    """Copy httpcore's source into the server's temporary folder.

    Every httpcore run imports this copy, so that all rounds measure the same
    code even while the working tree is being edited.
    """
    folder = server.folder / "src"
    shutil.copytree(
        envs.REPO / "httpcore",
        folder / "httpcore",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    return folder


def run_worker(
    client: ClientSpec,
    scenario: Scenario,
    server: Server,
    timing: Timing,
    snapshot: pathlib.Path,
) -> dict[str, typing.Any]:
    spec = {
        "client": client.name,
        "pythonpath": str(snapshot) if client.env == "main" else None,
        "scenario": scenario.id,
        "url": server.url,
        "tls_url": server.tls_url,
        "ca_file": server.ca_file,
        "timing": {
            "warmup": timing.warmup,
            "duration": timing.duration,
            "max_requests": timing.max_requests,
        },
    }
    limit = timing.warmup_limit + timing.duration + 2 * DRAIN + 30
    try:
        done = subprocess.run(
            [envs.python_for(client.env), str(BENCH / "worker.py"), json.dumps(spec)],
            capture_output=True,
            text=True,
            timeout=limit,
            env=envs.child_env(),
            cwd=server.folder,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"no answer after {limit:.0f} s"}
    lines = done.stdout.strip().splitlines()
    try:
        return typing.cast(dict[str, typing.Any], json.loads(lines[-1]))
    except (IndexError, json.JSONDecodeError):
        tail = done.stderr.strip().splitlines()[-1:] or [f"exit code {done.returncode}"]
        return {"error": f"worker crashed: {tail[0][:200]}"}


def cold_command(client: ClientSpec, code: str, snapshot: pathlib.Path) -> list[str]:
    """`python -c code` in the client's environment (see the note on `-S`)."""
    python = envs.python_for(client.env)
    if client.env != "main":
        return [python, "-I", "-c", code]
    # The main interpreter's site hooks would import certifi and pathlib before
    # httpcore does: start without `site` and put httpcore's snapshot and the
    # site-packages folders on sys.path by hand.
    paths = [str(snapshot), sysconfig.get_paths()["purelib"]]
    if sysconfig.get_paths()["platlib"] not in paths:
        paths.append(sysconfig.get_paths()["platlib"])
    return [python, "-I", "-S", "-c", f"import sys; sys.path[:0] = {paths!r}\n{code}"]


def time_process(command: list[str], cwd: pathlib.Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=60,
        env=envs.child_env(),
        cwd=cwd,
    )
    elapsed = (time.perf_counter() - started) * 1000
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or [f"exit code {done.returncode}"]
        raise RuntimeError(tail[0][:200])
    return elapsed


def run_cold(
    client: ClientSpec, server: Server, runs: int, snapshot: pathlib.Path
) -> dict[str, typing.Any]:
    code = client.load().COLD_START.format(
        url=server.tls_url + "/small", ca=server.ca_file
    )
    command = cold_command(client, code, snapshot)
    bare = cold_command(client, "pass", snapshot)
    try:
        time_process(command, server.folder)  # compiles and caches the bytecode
        walls, bares = [], []
        for _ in range(runs):
            bares.append(time_process(bare, server.folder))
            walls.append(time_process(command, server.folder))
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
    wall, base = statistics.median(walls), statistics.median(bares)
    return {"value": wall - base, "wall": wall, "bare": base, "api": "cold"}


# --- the whole bench -----------------------------------------------------


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}"


def git_commit() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=BENCH,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", "httpcore"],
            capture_output=True,
            text=True,
            cwd=envs.REPO,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"`{head}`" + (" with uncommitted changes to httpcore/" if dirty else "")


def load_average() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def prepare_clients(
    selected: list[ClientSpec],
) -> tuple[list[ClientSpec], dict[str, dict[str, typing.Any]]]:
    """Make the venvs; keep the clients that are installed; note versions."""
    info: dict[str, dict[str, typing.Any]] = {}
    missing: dict[str, str] = {}
    for env in sorted({c.env for c in selected} - {"main"}):
        missing.update(envs.ensure(env, log))
    available = []
    for env in sorted({c.env for c in selected}):
        names = [c for c in selected if c.env == env]
        found = envs.probe(env, [c.distribution for c in names])
        if env == "main":
            origin = found.get("httpcore-path") or ""
            if not origin.startswith(str(envs.REPO / "httpcore")):
                raise SystemExit(
                    f"the main environment's httpcore is {origin!r}, not ours"
                )
        for client in names:
            version = found.get(client.distribution)
            info[client.name] = {"version": version}
            if version is None:
                info[client.name]["missing"] = missing.get(
                    client.distribution, "not installed"
                )
                log(f"{client.name} is not installed: it is left out.")
            else:
                available.append(client)
    return [c for c in selected if c in available], info


def run_all(args: argparse.Namespace) -> dict[str, typing.Any]:
    timing = Timing(args.warmup, args.duration, args.max_requests)
    clients, info = prepare_clients(args.client_list)
    scenarios = args.scenario_list
    plan = [(s, c) for s in scenarios for c in clients if c.api_for(s)]
    seconds = len(plan) * args.rounds * (args.warmup + args.duration + 0.8)
    log(
        f"{len(plan)} (client, scenario) pairs x {args.rounds} rounds: about "
        f"{seconds / 60:.0f} minutes."
    )
    cells: dict[str, dict[str, dict[str, typing.Any]]] = {}
    cold: dict[str, dict[str, list[float]]] = {}
    load_start = load_average()
    with running_nginx(args.nginx_workers, log) as server:
        log(f"nginx {server.version}: {server.url} and {server.tls_url}")
        snapshot = snapshot_httpcore(server)
        for round_number in range(args.rounds):
            order = clients if round_number % 2 == 0 else clients[::-1]
            for scenario in scenarios:
                for client in order:
                    if not client.api_for(scenario):
                        continue
                    found = cells.setdefault(scenario.id, {}).setdefault(
                        client.name, {"values": [], "errors": []}
                    )
                    if found.get("skip"):
                        continue
                    if scenario.api == "cold":
                        result = run_cold(client, server, args.cold_runs, snapshot)
                        if "value" in result:
                            entry = cold.setdefault(
                                client.name, {"wall": [], "bare": []}
                            )
                            entry["wall"].append(result["wall"])
                            entry["bare"].append(result["bare"])
                    else:
                        result = run_worker(client, scenario, server, timing, snapshot)
                    record(found, result)
                    shown = (
                        f"{report.fmt(result['value'], scenario.unit)} {scenario.unit}"
                        if "value" in result
                        else result.get("skip") or f"ERROR {result.get('error')}"
                    )
                    log(
                        f"round {round_number + 1}/{args.rounds}  {scenario.id:<16} "
                        f"{client.name:<14} {shown}"
                    )
    return {
        "meta": {
            "command": "python bench/run.py " + shlex.join(sys.argv[1:]),
            "date": datetime.datetime.now(datetime.timezone.utc).strftime(
                "%Y-%m-%d %H:%M UTC"
            ),
            "commit": git_commit(),
            "note": args.note,
            "machine": machine(),
            "load_start": load_start,
            "load_end": load_average(),
            "nginx": server.version,
            "nginx_workers": args.nginx_workers,
            "python": platform.python_version(),
            "rounds": args.rounds,
            "warmup": args.warmup,
            "duration": args.duration,
            "cold_runs": args.cold_runs,
        },
        "scenarios": [
            dict(
                id=s.id,
                title=s.title,
                unit=s.unit,
                api=s.api,
                http2=s.http2,
                higher_is_better=s.higher_is_better,
            )
            for s in scenarios
        ],
        "clients": [
            dict(
                name=c.name,
                env=c.env,
                reference=c.reference,
                note=c.note,
                **info.get(c.name, {}),
            )
            for c in args.client_list
        ],
        "cells": cells,
        "cold": cold,
    }


def record(found: dict[str, typing.Any], result: dict[str, typing.Any]) -> None:
    if "value" in result:
        found["values"].append(result["value"])
        found["api"] = result.get("api")
        found["protocol"] = result.get("protocol")
    elif "skip" in result:
        found["skip"] = result["skip"]
    else:
        found["errors"].append(str(result.get("error")))


def write_results(data: dict[str, typing.Any], output: pathlib.Path) -> None:
    output.mkdir(parents=True, exist_ok=True)
    markdown = report.render(data)
    stamp = datetime.datetime.now().strftime("%Y-%m-%d-%H%M")
    (output / "latest.md").write_text(markdown)
    (output / f"{stamp}.md").write_text(markdown)
    (output / "latest.json").write_text(json.dumps(data, indent=1) + "\n")
    log(f"\nWrote {output / 'latest.md'} and {output / (stamp + '.md')}.")
    chart = output / "latest.png"
    python = envs.python_for("peers")
    if not os.path.exists(python):
        log("No peers venv, so no chart (it renders with the venv's matplotlib).")
        return
    done = subprocess.run(
        [python, str(BENCH / "chart.py"), str(output / "latest.json"), str(chart)],
        capture_output=True,
        text=True,
        env=envs.child_env(),
    )
    if done.returncode == 0:
        log(f"Wrote {chart}.")
    else:
        log(f"The chart failed: {done.stderr.strip().splitlines()[-1:]}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # A plain `kill` stops the bench like Ctrl-C: `finally` blocks stop nginx.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        data = run_all(args)
    except KeyboardInterrupt:
        log("\nInterrupted: nginx stopped, nothing written.")
        return 130
    write_results(data, args.output)
    print()
    print(report.render(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
