"""Where a profiled process spent its time: py-spy's raw (collapsed) output summed up."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^():]*?)(?::(?P<line>\d+))?\)$")


def _short(frame: str) -> str:
    """'fetch (asyncpg/connection.py:690)' with the site-packages / project prefix cut off."""
    m = _FRAME.match(frame.strip())
    if not m:
        return frame.strip()
    path = m["file"]
    for cut in ("site-packages/", "/work/main/", "lib/python3.11/"):
        if cut in path:
            path = path.split(cut, 1)[1]
    return f"{m['func']} ({path})"


def summarize(raw: Path, top: int = 15) -> dict[str, Any]:
    """Self and inclusive sample shares per function, and the share of idle samples
    (the event loop waiting in select/epoll, i.e. for PostgreSQL)."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = idle = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_short(f) for f in stack.split(";") if f and not f.startswith("process ")]
        frames = [f for f in frames if not f.startswith("thread ")]
        if not frames:
            continue
        total += count
        leaf = frames[-1]
        own[leaf] += count
        if leaf.startswith(("select (", "poll (", "epoll")) or "selectors.py" in leaf:
            idle += count
        for f in set(frames):
            inclusive[f] += count
    share = (lambda n: round(100.0 * n / total, 1)) if total else (lambda n: 0.0)
    return {
        "samples": total,
        "idle_pct": share(idle),
        "self": [(f, share(n)) for f, n in own.most_common(top)],
        "inclusive": [(f, share(n)) for f, n in inclusive.most_common(top * 2)],
    }
