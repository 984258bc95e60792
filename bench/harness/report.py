"""
From the runs' numbers to `bench/results/latest.md`: medians, ratios, targets.

Every ratio reads the same way: above 1.0 means httpcore is faster. For rates
(req/s, MB/s) it is `httpcore / peer`; for cold start, a time, it is
`peer ms / httpcore ms`.
"""

from __future__ import annotations

import statistics
import typing

Data = dict[str, typing.Any]

DASH = "\u2013"  # an en dash: no value
TIMES = "\u00d7"  # the multiplication sign of ratios

OURS = "httpcore"
POOL = "httpcore-pool"

# The targets of issue 4: (label, scenario, peer or None for "own rate at
# another scenario", that scenario, minimum ratio).
TARGETS: list[tuple[str, str, str | None, str | None, float]] = [
    ("async, 100 concurrent >= 1.0x aiohttp", "async-100", "aiohttp", None, 1.0),
    ("async, sequential >= 1.0x aiohttp", "async-seq", "aiohttp", None, 1.0),
    (
        "async, 1,000 concurrent >= 0.9x own rate at 100",
        "async-1000",
        None,
        "async-100",
        0.9,
    ),
    ("sync, sequential >= 1.5x urllib3", "sync-seq", "urllib3", None, 1.5),
    ("sync, 20 threads >= 1.5x urllib3", "sync-20-threads", "urllib3", None, 1.5),
    ("10 MiB download, plain >= 1.0x urllib3", "dl-plain", "urllib3", None, 1.0),
    ("10 MiB download, TLS >= 1.0x urllib3", "dl-tls", "urllib3", None, 1.0),
    ("cold start no slower than urllib3", "cold-start", "urllib3", None, 1.0),
]


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return DASH
    if unit == "ms" or value < 100:
        return f"{value:,.1f}"
    return f"{value:,.0f}"


def cell(data: Data, scenario: str, client: str) -> Data | None:
    return typing.cast("Data | None", data["cells"].get(scenario, {}).get(client))


def value(data: Data, scenario: str, client: str) -> float | None:
    found = cell(data, scenario, client)
    return median(found["values"]) if found else None


def ratio(data: Data, scenario: Data, ours: str, peer: str) -> float | None:
    mine, theirs = value(data, scenario["id"], ours), value(data, scenario["id"], peer)
    if not mine or not theirs:
        return None
    return mine / theirs if scenario["higher_is_better"] else theirs / mine


class Notes:
    """Numbered footnotes for cells that carry an explanation."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def mark(self, text: str) -> str:
        if text not in self.texts:
            self.texts.append(text)
        return f"[{self.texts.index(text) + 1}]"

    def render(self) -> list[str]:
        return [f"{i}. {text}" for i, text in enumerate(self.texts, 1)]


def value_cell(data: Data, scenario: Data, client: Data, notes: Notes) -> str:
    found = cell(data, scenario["id"], client["name"])
    if found is None:
        return DASH
    if found.get("skip"):
        reason = found["skip"]
        if client["name"] in (OURS, POOL) and scenario["http2"]:
            return "not supported yet"
        return "skipped " + notes.mark(
            f"{client['name']}, {scenario['title']}: {reason}"
        )
    text = fmt(median(found["values"]), scenario["unit"])
    if found["errors"]:
        errors = sorted(set(found["errors"]))
        note = notes.mark(
            f"{client['name']}, {scenario['title']}: {len(found['errors'])} of "
            f"{len(found['errors']) + len(found['values'])} runs failed: "
            + "; ".join(errors)
        )
        text = f"error {note}" if not found["values"] else f"{text} {note}"
    if found.get("api") == "async" and scenario["api"] == "prefer-sync":
        text += " ᵃ"
    return text


def ratio_table(data: Data, ours: str, notes_header: str) -> list[str]:
    peers = [c for c in data["clients"] if c["name"] not in (OURS, POOL)]
    extra = [POOL] if ours == OURS else []
    names = extra + [c["name"] for c in peers]
    lines = [
        notes_header,
        "",
        "| scenario | " + " | ".join(names) + " |",
        "|---|" + "---:|" * len(names),
    ]
    for scenario in data["scenarios"]:
        cells = []
        for name in names:
            found = ratio(data, scenario, ours, name)
            cells.append(DASH if found is None else f"{found:.2f}{TIMES}")
        lines.append(f"| {scenario['title']} | " + " | ".join(cells) + " |")
    return lines


def targets_table(data: Data) -> list[str]:
    lines = [
        "| target (issue 4) | httpcore | httpcore-pool | met (httpcore) |",
        "|---|---:|---:|:---:|",
    ]
    by_id = {s["id"]: s for s in data["scenarios"]}
    for label, scenario_id, peer, other, minimum in TARGETS:
        found: list[float | None] = []
        for ours in (OURS, POOL):
            if scenario_id not in by_id:
                found.append(None)
            elif peer is not None:
                found.append(ratio(data, by_id[scenario_id], ours, peer))
            else:
                here = value(data, scenario_id, ours)
                there = value(data, other or "", ours)
                found.append(here / there if here and there else None)
        shown = [DASH if r is None else f"{r:.2f}{TIMES}" for r in found]
        met = DASH if found[0] is None else ("yes" if found[0] >= minimum else "**no**")
        lines.append(f"| {label} | {shown[0]} | {shown[1]} | {met} |")
    return lines


def spread_table(data: Data) -> list[str]:
    names = [c["name"] for c in data["clients"]]
    lines = [
        "| scenario | " + " | ".join(names) + " |",
        "|---|" + "---:|" * len(names),
    ]
    for scenario in data["scenarios"]:
        cells = []
        for name in names:
            found = cell(data, scenario["id"], name)
            values = found["values"] if found else []
            if len(values) < 2:
                cells.append(DASH)
            else:
                middle = statistics.median(values)
                cells.append(f"{(max(values) - min(values)) / middle * 100:.0f}%")
        lines.append(f"| {scenario['title']} | " + " | ".join(cells) + " |")
    return lines


def cold_table(data: Data) -> list[str]:
    cold = data.get("cold", {})
    if not cold:
        return []
    lines = [
        "| client | wall, whole process (ms) | bare interpreter (ms) | net (ms) |",
        "|---|---:|---:|---:|",
    ]
    for client in data["clients"]:
        found = cold.get(client["name"])
        if not found or not found["wall"]:
            continue
        wall, bare = median(found["wall"]), median(found["bare"])
        net = value(data, "cold-start", client["name"])
        lines.append(
            f"| {client['name']} | {fmt(wall, 'ms')} | {fmt(bare, 'ms')} | "
            f"{fmt(net, 'ms')} |"
        )
    return lines


def render(data: Data) -> str:
    meta = data["meta"]
    notes = Notes()
    clients = data["clients"]
    header = [
        f"{c['name']} (ref)" if c.get("reference") else c["name"] for c in clients
    ]
    table = [
        "| scenario | unit | " + " | ".join(header) + " |",
        "|---|---|" + "---:|" * len(clients),
    ]
    for scenario in data["scenarios"]:
        unit = scenario["unit"] + (" (net)" if scenario["id"] == "cold-start" else "")
        cells = [value_cell(data, scenario, client, notes) for client in clients]
        table.append(f"| {scenario['title']} | {unit} | " + " | ".join(cells) + " |")

    versions = ", ".join(
        f"{c['name']} {c['version']}" for c in clients if c.get("version")
    )
    missing = [f"{c['name']} ({c['missing']})" for c in clients if c.get("missing")]
    out = [
        "# httpcore benchmark results",
        "",
        f"`{meta['command']}` — {meta['date']}, commit {meta['commit']}.",
        "",
    ]
    if meta.get("note"):
        out += [f"> **Caveat:** {meta['note']}", ""]
    out += [
        f"- Machine: {meta['machine']}; load average {meta['load_start']} at the "
        f"start, {meta['load_end']} at the end.",
        f"- Server: nginx {meta['nginx']} on loopback ({meta['nginx_workers']} "
        "worker process), keep-alive; TLS with a throwaway trustme CA, ALPN h2 + "
        "http/1.1 (HTTP/1.1 forced except on the HTTP/2 rows).",
        f"- Python {meta['python']}, default asyncio event loop. Each (client, "
        f"scenario) ran in its own fresh process, {meta['rounds']} rounds, client "
        "order reversed every other round; each run is "
        f"{meta['warmup']} s of warm-up then {meta['duration']} s measured. "
        "Cells are medians over the rounds.",
        f"- Versions: {versions}. httpcore is a snapshot of the working tree "
        "copied at the start of the run, imported by every httpcore process.",
    ]
    if missing:
        out.append(f"- Not installed: {', '.join(missing)}.")
    out += [
        "",
        "## Medians",
        "",
        *table,
        "",
        "MB/s are 10^6 bytes per second of response body (downloads) or request body "
        "(uploads). Cold start: milliseconds, lower is better, net of the bare "
        "interpreter's start (see below). "
        "ᵃ: async API (the client has no sync one). (ref): reference row, a "
        f"native (C or Rust) core. {DASH}: the client has no API for this scenario "
        "(or no HTTP/2 at all).",
    ]
    if notes.texts:
        out += ["", *notes.render()]
    out += [
        "",
        "## Ratios",
        "",
        *ratio_table(
            data,
            OURS,
            "**httpcore (`Client` / `AsyncClient`) / peer.** Above 1.0: httpcore is "
            "faster. Cold start: peer ms / httpcore ms, so above 1.0 is faster there "
            "too.",
        ),
        "",
        *ratio_table(
            data,
            POOL,
            "**httpcore-pool (`ConnectionPool` / `AsyncConnectionPool`) / peer**, "
            "read the same way.",
        ),
        "",
        "## Targets",
        "",
        *targets_table(data),
        "",
        "## Cold start",
        "",
        "A new process imports the client, builds it and sends one HTTPS request "
        "(full TLS handshake). Wall time from spawn to exit, median of "
        f"{meta['cold_runs']} spawns per round; the bare interpreter time "
        "(the same command with `pass` as the snippet) is subtracted to give the net "
        "figure used above. httpcore runs with `python -I -S` and an explicit "
        "`sys.path`, so that this machine's site hooks (`.pth` files that import "
        "certifi and pathlib at startup) neither slow it down nor pre-import its "
        "dependencies.",
        "",
        *cold_table(data),
        "",
        "## Spread",
        "",
        "(max - min) / median over the rounds, per cell: how far to trust a ratio.",
        "",
        *spread_table(data),
        "",
    ]
    return "\n".join(out)
