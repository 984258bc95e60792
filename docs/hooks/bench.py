"""
An mkdocs hook: the performance page shows the latest benchmark results.

`bench/run.py` writes `bench/results/latest.md` (tables) and `latest.png`
(a chart). At build time this hook puts the chart into the site and the
tables into `performance.md`, where the page says `<!-- bench-results -->`.
Without results (a fresh checkout), the page says how to make them, and the
build stays strict-clean.
"""

from __future__ import annotations

import re
import typing
from pathlib import Path

from mkdocs.structure.files import File, Files

if typing.TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.pages import Page

RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results"
MARKER = "<!-- bench-results -->"
CHART = "bench-latest.png"

MISSING = """\
!!! note "No results in this build"
    `bench/results/latest.md` was not there when this site was built. Run
    `python bench/run.py` (see `bench/README.md`) and build the site again.
"""


def on_files(files: Files, config: MkDocsConfig) -> Files:
    chart = RESULTS / "latest.png"
    if chart.is_file():
        files.append(File.generated(config, CHART, abs_src_path=str(chart)))
    return files


def on_page_markdown(
    markdown: str, page: Page, config: MkDocsConfig, files: Files
) -> str:
    if MARKER not in markdown:
        return markdown
    return markdown.replace(MARKER, results_markdown())


def results_markdown() -> str:
    """The results file, fitted into a page: headings one level down, no H1."""
    table = RESULTS / "latest.md"
    if not table.is_file():
        return MISSING
    text = table.read_text(encoding="utf-8")
    # The file's own title: the page has one already.
    text = re.sub(r"\A# .*\n+", "", text)
    text = re.sub(r"^(#{2,5}) ", r"#\1 ", text, flags=re.M)
    # Links relative to bench/results/ mean nothing on the site: keep the text.
    text = re.sub(r"\[([^\]]+)\]\((?!https?://)[^)]*\)", r"`\1`", text)
    chart = ""
    if (RESULTS / "latest.png").is_file():
        # The chart links to itself: the column is narrower than its details.
        image = f"![The latest benchmark results, as a chart]({CHART})"
        chart = f"[{image}]({CHART})\n\nClick the chart for its full size.\n\n"
    return chart + text
