"""
The Python environments the clients run in.

- `main`: the interpreter running `run.py`, where httpcore (this repository)
  is installed. No peer is ever installed into it: httpx depends on PyPI's
  `httpcore`, which has the same import name.
- `peers`: `bench/.venv-peers`, from `requirements.txt`, then each line of
  `requirements-optional.txt` on its own (a reference client that fails to
  build is reported and skipped, not fatal).
- `niquests`: `bench/.venv-niquests`, from `requirements-niquests.txt`:
  niquests installs urllib3-future, which takes over the `urllib3` name.

A venv is (re)built when missing or when its requirement files changed (a
stamp file inside it holds their hash).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import pathlib
import subprocess
import sys
import typing

BENCH = pathlib.Path(__file__).resolve().parent.parent
REPO = BENCH.parent
STAMP = ".bench-stamp.json"


@dataclasses.dataclass(frozen=True)
class VenvSpec:
    folder: str
    requirements: str
    optional: str | None = None


VENVS: dict[str, VenvSpec] = {
    "peers": VenvSpec(".venv-peers", "requirements.txt", "requirements-optional.txt"),
    "niquests": VenvSpec(".venv-niquests", "requirements-niquests.txt"),
}


def python_for(env: str) -> str:
    if env == "main":
        return sys.executable
    return str(BENCH / VENVS[env].folder / "bin" / "python")


# Variables that would change what a client does: where Python finds modules,
# proxies (loopback traffic must go straight to nginx), and CA bundles (every
# client is given the bench's CA explicitly).
_DROPPED = ("PYTHON", "SSL_CERT_", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


def child_env() -> dict[str, str]:
    """The environment of every timed child process."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.upper().startswith(_DROPPED) and not name.lower().endswith("_proxy")
    }


def _requirement_lines(path: pathlib.Path) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]


def _digest(spec: VenvSpec) -> str:
    digest = hashlib.sha256(sys.version.encode())
    for name in (spec.requirements, spec.optional):
        if name:
            digest.update((BENCH / name).read_bytes())
    return digest.hexdigest()


def ensure(env: str, log: typing.Callable[[str], None] = print) -> dict[str, str]:
    """Create or refresh one venv; returns {optional package: why it is missing}."""
    spec = VENVS[env]
    folder = BENCH / spec.folder
    stamp = folder / STAMP
    digest = _digest(spec)
    if stamp.exists():
        recorded = json.loads(stamp.read_text())
        if recorded.get("digest") == digest:
            return typing.cast(dict[str, str], recorded.get("missing", {}))
    python = python_for(env)
    if not os.path.exists(python):
        log(f"Creating {folder.relative_to(REPO)} ...")
        subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    log(f"Installing {spec.requirements} into {spec.folder} ...")
    subprocess.run([*pip, "-r", str(BENCH / spec.requirements)], check=True)
    missing: dict[str, str] = {}
    if spec.optional:
        for requirement in _requirement_lines(BENCH / spec.optional):
            log(f"Installing {requirement} (optional) into {spec.folder} ...")
            done = subprocess.run([*pip, requirement], capture_output=True, text=True)
            if done.returncode != 0:
                lines = (done.stderr or done.stdout).strip().splitlines()
                missing[requirement] = lines[-1] if lines else "pip failed"
                log(f"  {requirement} did not install: {missing[requirement]}")
    stamp.write_text(json.dumps({"digest": digest, "missing": missing}))
    return missing


PROBE = """
import importlib.metadata, importlib.util, json, sys
found = {}
for name in sys.argv[1:]:
    try:
        found[name] = importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        found[name] = None
spec = importlib.util.find_spec("httpcore")
found["httpcore-path"] = spec.origin if spec else None
print(json.dumps(found))
"""


def probe(env: str, distributions: list[str]) -> dict[str, str | None]:
    """The installed version of each distribution in `env` (None: not installed)."""
    done = subprocess.run(
        [python_for(env), "-I", "-c", PROBE, *distributions],
        capture_output=True,
        text=True,
        check=True,
        env=child_env(),
        cwd=BENCH,
    )
    return typing.cast(dict[str, "str | None"], json.loads(done.stdout))
