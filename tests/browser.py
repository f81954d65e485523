"""Headless Chromium for the browser tests (Selenium), and the lecture neuron they open.

Every test using ``chromium`` is skipped, with the reason, where Chromium or its
WebDriver is not installed; CI installs both (``.ci/run``).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from micrograd_plus import Value

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1000",
)


def _find(*names: str) -> str | None:
    for name in names:
        found = shutil.which(name) or (name if Path(name).exists() else None)
        if found:
            return found
    return None


def start_chromium():
    """A headless Chromium driven by Selenium, with a fresh profile; or pytest.skip."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("selenium is not installed (pip install -e '.[dev]')")
    binary = _find("/usr/bin/chromium", "chromium", "chromium-browser")
    driver_path = _find("/usr/bin/chromedriver", "chromedriver")
    if binary is None or driver_path is None:
        pytest.skip(
            "Chromium or chromedriver is not installed "
            "(Debian/Ubuntu: apt-get install chromium chromium-driver)"
        )
    profile = tempfile.mkdtemp(prefix="mgp-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(60)
    return driver, profile


def lecture_neuron() -> Value:
    """micrograd's lecture neuron o = tanh(x1*w1 + x2*w2 + b), every node labelled."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1w1"
    x2w2 = x2 * w2
    x2w2.label = "x2w2"
    s = x1w1 + x2w2
    s.label = "x1w1x2w2"
    n = s + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o
