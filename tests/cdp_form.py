"""A small client of the Chrome DevTools Protocol, to drive headless Chromium in tests: type
and press keys, click with the mouse, read the page, reload it, catch downloads.

Chromium is started with ``--remote-debugging-port=0`` and a fresh profile; the page's session
is attached over the browser's one WebSocket (websocket-client, a dev dependency).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.test_browser import FLAGS

KEYS = {
    "Tab": (9, "Tab"),
    "Space": (32, " "),
    "ArrowDown": (40, "ArrowDown"),
    "ArrowUp": (38, "ArrowUp"),
    "Enter": (13, "Enter"),
}


class Browser:
    """One headless Chromium with one page, driven over the DevTools protocol."""

    def __init__(self, chromium: str, profile: Path, downloads: Path) -> None:
        import websocket

        self.proc = subprocess.Popen(
            [chromium, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0",
             "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        assert self.proc.stderr is not None
        url = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            found = re.search(r"DevTools listening on (ws://\S+)", line)
            if found:
                url = found.group(1)
                break
        assert url, "chromium did not open its DevTools port"
        self.ws = websocket.create_connection(url, timeout=60, suppress_origin=True)
        self.ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []
        self.session: str | None = None
        targets = self.call("Target.getTargets")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.session = self.call("Target.attachToTarget", targetId=page["targetId"], flatten=True)[
            "sessionId"
        ]
        self.call(
            "Browser.setDownloadBehavior",
            browser=True,
            behavior="allow",
            downloadPath=str(downloads),
            eventsEnabled=True,
        )
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable")

    def call(self, method: str, *, browser: bool = False, **params: Any) -> dict[str, Any]:
        n = next(self.ids)
        msg: dict[str, Any] = {"id": n, "method": method, "params": params}
        if self.session and not browser:
            msg["sessionId"] = self.session
        self.ws.send(json.dumps(msg))
        while True:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == n:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})  # type: ignore[no-any-return]
            self.events.append(reply)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.ws.close()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=20)
        if self.proc.stderr is not None:
            self.proc.stderr.close()

    # -- the page ------------------------------------------------------------------------

    def js(self, expression: str, *, wait: bool = False) -> Any:
        """The value of a JavaScript expression in the page (``wait``: of a promise)."""
        r = self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=wait
        )
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expression}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def until(self, expression: str, timeout: float = 30) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.js(expression)
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {expression}")

    def open(self, url: str) -> None:
        self.call("Page.navigate", url=url)
        self.until("document.readyState === 'complete'")

    def reload(self) -> None:
        self.js("document.documentElement.removeAttribute('data-ready')")
        self.call("Page.reload")
        self.until("document.readyState === 'complete'")

    def key(self, name: str, times: int = 1) -> None:
        code, key = KEYS[name]
        for _ in range(times):
            for kind in ("rawKeyDown", "keyUp"):
                self.call(
                    "Input.dispatchKeyEvent",
                    type=kind,
                    key=key,
                    code="Space" if name == "Space" else name,
                    windowsVirtualKeyCode=code,
                    nativeVirtualKeyCode=code,
                )
                typed = {"Space": " ", "Enter": "\r"}.get(name)
                if kind == "rawKeyDown" and typed:
                    self.call("Input.dispatchKeyEvent", type="char", text=typed, key=key)

    def type(self, text: str) -> None:
        """Type text into the focused field, a key press per character."""
        for ch in text:
            self.call("Input.dispatchKeyEvent", type="keyDown", text=ch, key=ch, unmodifiedText=ch)
            self.call("Input.dispatchKeyEvent", type="keyUp", key=ch)

    def click(self, selector: str) -> None:
        """A mouse click in the middle of the element (scrolled into view first)."""
        box = self.js(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            "e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
            "return [r.left + r.width / 2, r.top + r.height / 2]; })()"
        )
        x, y = box
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def focused(self) -> str:
        """The focused element as ``tag#id[name=value]``."""
        return str(
            self.js(
                "(() => { const e = document.activeElement; return e.tagName.toLowerCase() + "
                "'#' + (e.id || '') + '[' + (e.name || '') + '=' + (e.value || '') + ']'; })()"
            )
        )


@contextlib.contextmanager
def browser(chromium: str, tmp: Path) -> Iterator[Browser]:
    profile, downloads = tmp / "profile", tmp / "downloads"
    profile.mkdir(exist_ok=True)
    downloads.mkdir(exist_ok=True)
    b = Browser(chromium, profile, downloads)
    try:
        yield b
    finally:
        b.close()
