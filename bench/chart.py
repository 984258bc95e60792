"""
`python chart.py latest.json latest.png`: the results as bar charts.

One panel per scenario, one bar per client (the median), httpcore's bars in
colour, each peer's bar labelled with the `httpcore / peer` ratio. `run.py`
runs this with the peers' venv python, which has matplotlib, so that the main
environment needs no plotting library.
"""

from __future__ import annotations

import json
import math
import sys
import typing

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from harness import report

OURS_COLOURS = {report.OURS: "#d9480f", report.POOL: "#f59f00"}
PEER_COLOUR = "#868e96"
REFERENCE_COLOUR = "#ced4da"


def panel(ax: typing.Any, data: report.Data, scenario: report.Data) -> None:
    names, values, colours, labels = [], [], [], []
    for client in data["clients"]:
        name = client["name"]
        found = report.cell(data, scenario["id"], name)
        if found is None:
            continue
        middle = report.median(found["values"])
        names.append(name + (" (ref)" if client.get("reference") else ""))
        values.append(middle or 0.0)
        if name in OURS_COLOURS:
            colours.append(OURS_COLOURS[name])
        else:
            colours.append(REFERENCE_COLOUR if client.get("reference") else PEER_COLOUR)
        if middle is None:
            is_h2 = scenario["http2"] and name in OURS_COLOURS
            labels.append("not supported yet" if is_h2 else "n/a")
            continue
        label = report.fmt(middle, scenario["unit"])
        ratio = report.ratio(data, scenario, report.OURS, name)
        if name not in OURS_COLOURS and ratio is not None:
            label += f"   httpcore {ratio:.2f}{report.TIMES}"
        labels.append(label)
    positions = list(range(len(names)))[::-1]
    ax.barh(positions, values, color=colours, height=0.7)
    ax.set_yticks(positions, names, fontsize=8)
    top = max(values, default=0.0) or 1.0
    ax.set_xlim(0, top * 1.75)
    for position, value, label in zip(positions, values, labels, strict=True):
        ax.text(value + top * 0.02, position, label, va="center", fontsize=7)
    better = "higher is better" if scenario["higher_is_better"] else "lower is better"
    unit = scenario["unit"] + (" net" if scenario["id"] == "cold-start" else "")
    ax.set_title(f"{scenario['title']}\n{unit}, {better}", fontsize=9)
    ax.tick_params(axis="x", labelsize=7)
    ax.spines[["top", "right"]].set_visible(False)


def main() -> int:
    source, target = sys.argv[1], sys.argv[2]
    with open(source) as file:
        data = json.load(file)
    scenarios = data["scenarios"]
    columns = 3
    rows = math.ceil(len(scenarios) / columns)
    figure, axes = plt.subplots(
        rows, columns, figsize=(6.2 * columns, 3.0 * rows), squeeze=False
    )
    for ax, scenario in zip(axes.flat, scenarios, strict=False):
        panel(ax, data, scenario)
    for ax in list(axes.flat)[len(scenarios) :]:
        ax.set_visible(False)
    meta = data["meta"]
    figure.suptitle(
        f"httpcore vs peer clients, nginx on loopback — medians of {meta['rounds']} "
        f"rounds, {meta['date']}\n"
        "labels on peer bars: httpcore / peer (above 1.0: httpcore faster; cold "
        "start: peer ms / httpcore ms)",
        fontsize=11,
    )
    figure.tight_layout(rect=(0, 0, 1, 0.96))
    figure.savefig(target, dpi=110)
    return 0


if __name__ == "__main__":
    sys.exit(main())
