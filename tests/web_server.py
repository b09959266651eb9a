"""The workspace served by uvicorn on 127.0.0.1 and a free port, in a thread, for browser tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import uvicorn

from metareview.store.project import Project
from metareview.web import create_app
from tests.web_client import PASSWORD

CHROMIUM = {
    "executable_path": "/usr/bin/chromium",
    "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--no-first-run", "--disable-sync"],
}  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_serving(base: str, seconds: float = 30) -> None:
    """Until the server at ``base`` answers ``GET /login`` (at most ``seconds``: then the
    caller's first request fails)."""
    for _ in range(round(seconds * 10)):
        try:
            httpx.get(f"{base}/login", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)


@contextmanager
def live_server(project: Project) -> Iterator[str]:
    """The workspace on ``project``, listening until the block ends; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(create_app(project), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(600):
        if server.started:
            break
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture
def chromium():
    """Headless Chromium (Debian's), for one test."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**CHROMIUM)
        yield browser
        browser.close()


def sign_in(chromium, base: str, name: str, errors: list[str]):
    """A page of a new browser context signed in as ``name``; console errors, page errors
    and dialogs are collected in ``errors``."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.on("console", lambda m: errors.append(f"{name}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"{name}: {exc}"))
    page.on("dialog", lambda d: errors.append(f"{name}: dialog {d.message}"))
    page.goto(f"{base}/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/dashboard")
    return page
