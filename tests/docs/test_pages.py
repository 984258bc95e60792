"""
The site's structure: every page in the navigation, no web fonts, test files
named by the pages that exist, and the hook that brings the benchmark results
in. (`mkdocs build --strict` itself runs in `.ci/run`.)
"""

from __future__ import annotations

import importlib.util
import re
import types
import typing
from pathlib import Path

import pytest
import yaml

from tests.docs.examples import DOCS, ROOT, pages


class _Loader(yaml.SafeLoader):
    """mkdocs.yml may hold `!!python/name:` tags: keep them as text."""


_Loader.add_multi_constructor(
    "tag:yaml.org,2002:python/", lambda loader, suffix, node: suffix
)


def config() -> dict[str, typing.Any]:
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    return typing.cast(dict[str, typing.Any], yaml.load(text, Loader=_Loader))


def nav_files(nav: typing.Any) -> list[str]:
    if isinstance(nav, str):
        return [nav]
    if isinstance(nav, list):
        return [name for item in nav for name in nav_files(item)]
    if isinstance(nav, dict):
        return [name for value in nav.values() for name in nav_files(value)]
    return []


def test_every_page_is_in_the_nav():
    listed = nav_files(config()["nav"])
    on_disk = [str(path.relative_to(DOCS)) for path in pages()]
    assert sorted(on_disk) == sorted(set(listed) & set(on_disk))
    assert {"index.md", "features.md", "low-level.md", "api.md"} <= set(listed)
    assert len(listed) == len(set(listed))


def test_no_web_fonts():
    assert config()["theme"]["font"] is False


def test_the_test_files_named_by_the_pages_exist():
    named = set()
    for path in pages():
        named |= set(re.findall(r"`(tests/[\w/]+\.py)`", path.read_text("utf-8")))
    assert named, "the guarantees page names its tests"
    assert sorted(name for name in named if not (ROOT / name).is_file()) == []


def test_the_tests_named_by_the_guarantees_page_exist():
    text = (DOCS / "guarantees.md").read_text("utf-8")
    named = re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", text)
    assert len(named) >= 50, "each guarantee names the test that proves it"
    missing = []
    for file, test in named:
        path = ROOT / file
        source = path.read_text("utf-8") if path.is_file() else ""
        if not re.search(rf"^(async )?def {test}\(", source, re.MULTILINE):
            missing.append(f"{file}::{test}")
    assert missing == []


# --- The benchmark hook ---------------------------------------------------------


@pytest.fixture
def hook() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(
        "docs_hook_bench", DOCS / "hooks" / "bench.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_results_fit_into_the_page(hook, tmp_path, monkeypatch):
    (tmp_path / "latest.md").write_text(
        "# httpcore benchmark results\n\nIntro, see [the notes](notes.md).\n\n"
        "## Medians\n\n| a |\n|---|\n| 1 |\n\n### Detail\n\n"
        "[a site](https://example.org/)\n"
    )
    monkeypatch.setattr(hook, "RESULTS", tmp_path)
    text = hook.results_markdown()
    assert text.startswith("Intro, see `the notes`.")
    assert "\n### Medians\n" in text
    assert "\n#### Detail\n" in text
    assert "[a site](https://example.org/)" in text
    assert "bench-latest.png" not in text
    (tmp_path / "latest.png").write_bytes(b"\x89PNG")
    assert hook.results_markdown().startswith("[![")


def test_results_missing(hook, tmp_path, monkeypatch):
    monkeypatch.setattr(hook, "RESULTS", tmp_path)
    assert "No results in this build" in hook.results_markdown()
    page = "# Performance\n\n<!-- bench-results -->\n"
    assert "No results" in hook.on_page_markdown(page, None, None, None)
    assert hook.on_page_markdown("# Other\n", None, None, None) == "# Other\n"


def test_the_performance_page_asks_for_the_results():
    text = (DOCS / "performance.md").read_text(encoding="utf-8")
    assert "<!-- bench-results -->" in text


def test_the_site_builds_strictly(tmp_path):
    """The real build, as `.ci/run` does it: any warning fails it."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    site = tmp_path / "site"
    build(load_config(str(ROOT / "mkdocs.yml"), site_dir=str(site), strict=True))
    assert (site / "index.html").is_file()
    assert (site / "api" / "index.html").is_file()
    performance = (site / "performance" / "index.html").read_text("utf-8")
    if (ROOT / "bench" / "results" / "latest.md").is_file():
        assert "Medians" in performance
    else:  # pragma: no cover - depends on the checkout
        assert "No results in this build" in performance
    chart = (ROOT / "bench" / "results" / "latest.png").is_file()
    assert (site / "bench-latest.png").is_file() == chart


def test_readme_starts_with_the_command_line():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = re.search(r"```(\w+)\n(.*?)```", readme, re.S)
    assert first_block is not None
    assert first_block.group(1) == "shell"
    assert "httpcore https://" in first_block.group(2)


def test_the_console_script_is_declared():
    setup = (ROOT / "setup.py").read_text(encoding="utf-8")
    assert '"httpcore=httpcore._cli:main"' in setup
    assert Path(ROOT / "httpcore" / "__main__.py").is_file()
