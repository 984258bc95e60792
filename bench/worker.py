"""
One timed run: `python bench/worker.py '<json spec>'`, spawned by `run.py`.

Runs one scenario with one client in this fresh process (whichever virtual
environment's python runs it) and prints one JSON line on stdout: the rate,
or why there is none. Standard library only, besides the client under test.
"""

from __future__ import annotations

import asyncio
import functools
import importlib.metadata
import json
import resource
import sys
import traceback
import typing

from harness.clients import BY_NAME, Options
from harness.loops import Measure, Timing, run_sequential, run_tasks, run_threads
from harness.scenarios import BY_ID, UPLOAD_SIZE, Scenario

UPLOAD_BODY = bytes(range(256)) * (UPLOAD_SIZE // 256)


class Skip(Exception):
    """The client cannot run this scenario (yet)."""


def raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = 65536 if hard == resource.RLIM_INFINITY else hard
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def expected_protocol(scenario: Scenario) -> str:
    return "HTTP/2" if scenario.http2 else "HTTP/1.1"


def check_protocol(scenario: Scenario, protocol: str) -> str:
    """The protocol, normalized (`HTTP/2.0` -> `HTTP/2`), if it is the expected one."""
    if protocol.upper() in ("HTTP/2.0", "HTTP/2", "H2"):
        protocol = "HTTP/2"
    expected = expected_protocol(scenario)
    if protocol == expected:
        return protocol
    if scenario.http2 and protocol == "HTTP/1.1":
        raise Skip("HTTP/2 was asked for, HTTP/1.1 was negotiated")
    raise RuntimeError(f"negotiated {protocol}, expected {expected}")


def check_origin(package: str, pythonpath: str | None) -> None:
    """The library that ran is the one the parent asked for."""
    module = sys.modules.get(package)
    origin = getattr(module, "__file__", None) or ""
    if pythonpath and not origin.startswith(pythonpath):
        raise RuntimeError(f"{package} was imported from {origin}, not {pythonpath}")


def run_sync(
    module: typing.Any, scenario: Scenario, url: str, options: Options, timing: Timing
) -> tuple[Measure, str]:
    try:
        client = module.open_sync(options)
    except NotImplementedError as exc:
        raise Skip(str(exc) or "not supported yet") from exc
    try:
        protocol = check_protocol(scenario, client.http_version(url))
        if scenario.method == "POST":
            expected = len(b"ok")  # nginx's answer to an upload
            call = functools.partial(client.post, url, UPLOAD_BODY)
        else:
            expected = scenario.body_size
            call = functools.partial(client.get, url)
        if scenario.threads > 1:
            return run_threads(call, expected, scenario.threads, timing), protocol
        return run_sequential(call, expected, timing), protocol
    finally:
        client.close()


async def run_async(
    module: typing.Any, scenario: Scenario, url: str, options: Options, timing: Timing
) -> tuple[Measure, str]:
    try:
        client = await module.open_async(options)
    except NotImplementedError as exc:
        raise Skip(str(exc) or "not supported yet") from exc
    try:
        protocol = check_protocol(scenario, await client.http_version(url))
        if scenario.method == "POST":
            expected = len(b"ok")
            call = functools.partial(client.post, url, UPLOAD_BODY)
        else:
            expected = scenario.body_size
            call = functools.partial(client.get, url)
        return await run_tasks(call, expected, scenario.concurrency, timing), protocol
    finally:
        await client.close()


def main() -> int:
    spec = json.loads(sys.argv[1])
    client = BY_NAME[spec["client"]]
    scenario = BY_ID[spec["scenario"]]
    timing = Timing(**spec["timing"])
    url = (spec["tls_url"] if scenario.tls else spec["url"]) + scenario.path
    options = Options(spec["ca_file"], max(scenario.pool_size, 10), scenario.http2)
    api = client.api_for(scenario)
    result: dict[str, typing.Any] = {"client": client.name, "scenario": scenario.id}
    raise_fd_limit()
    if spec.get("pythonpath"):
        sys.path.insert(0, spec["pythonpath"])
    try:
        result["version"] = importlib.metadata.version(client.distribution)
        module = client.load()
        if api == "custom":
            measure, protocol = module.CUSTOM[scenario.id](
                scenario, url, options, timing
            )
        elif api == "sync":
            measure, protocol = run_sync(module, scenario, url, options, timing)
        elif api == "async":
            measure, protocol = asyncio.run(
                run_async(module, scenario, url, options, timing)
            )
        else:
            raise Skip(f"{client.name} has no API for {scenario.id}")
        protocol = check_protocol(scenario, protocol)
        check_origin(client.distribution, spec.get("pythonpath"))
    except Skip as exc:
        result["skip"] = str(exc)
    except Exception as exc:
        traceback.print_exc()
        result["error"] = f"{type(exc).__name__}: {exc}"[:300]
    else:
        size = UPLOAD_SIZE if scenario.method == "POST" else scenario.body_size
        rate = measure.requests / measure.seconds
        result.update(
            value=rate * size / 1e6 if scenario.unit == "MB/s" else rate,
            unit=scenario.unit,
            requests=measure.requests,
            seconds=round(measure.seconds, 4),
            api=api,
            protocol=protocol,
        )
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
