"""Headless Chromium for the report tests: a page loaded, a probe's findings read back."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars",
]
"""Headless Chromium, with nothing that reaches the network or the user's profile."""


def chromium(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium with ``args`` and a profile in ``folder``; fails the test
    with how to install it when it is missing."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("headless Chromium is needed to check the report: run `make browser` "
                    "(apt-get install chromium) and try again")
    return subprocess.run([found, *CHROMIUM_FLAGS, f"--user-data-dir={folder / 'profile'}",
                           "--virtual-time-budget=5000", *args],
                          capture_output=True, text=True, timeout=180, check=False)


def probe_in_chromium(page: str, probe: str, folder: Path, *args: str) -> dict[str, Any]:
    """What ``probe`` (a script writing JSON into ``<pre id="result">``) reports once
    ``page`` is loaded in headless Chromium."""
    path = folder / "probe.html"
    path.write_text(page.replace("</body>", probe + "</body>"), encoding="utf-8")
    proc = chromium(folder, *args, "--dump-dom", path.as_uri())
    found = re.search(r'<pre id="result">(\{.*?\})</pre>', proc.stdout)
    assert found, f"no result from Chromium (exit {proc.returncode}): {proc.stderr[-2000:]}"
    return dict(json.loads(found.group(1)))
