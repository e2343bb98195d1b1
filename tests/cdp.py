"""A small DevTools-protocol client for headless Chromium over ``--remote-debugging-pipe``.

Chromium reads commands on file descriptor 3 and writes replies and events on 4, each a JSON
object followed by a NUL byte; nothing beyond the standard library is needed. The layout
tests use it to set the viewport width, emulate print media and measure the page with
``Runtime.evaluate`` (DevTools evaluation runs even where the page's Content-Security-Policy
forbids scripts, and the page itself runs none).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

__all__ = ["Browser"]


def _fds(commands: int, replies: int) -> None:
    """In the child: the pipes as fds 3 and 4 (copied away first: either may be 3 or 4)."""
    a, b = os.dup(commands), os.dup(replies)
    os.dup2(a, 3)
    os.dup2(b, 4)


class Browser:
    """One headless Chromium with one page; use as a context manager."""

    def __init__(self, chromium: str, profile: Path, flags: tuple[str, ...] = ()) -> None:
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()
        # the child sees our pipe ends as its fds 3 (commands) and 4 (replies)
        self._proc = subprocess.Popen(
            [
                chromium,
                *flags,
                "--remote-debugging-pipe",
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(3, 4),  # kept open in the child once _fds has put the pipes there
            preexec_fn=lambda: _fds(to_chrome_r, from_chrome_w),  # noqa: PLW1509
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buf = b""
        self._id = 0
        self._events: list[dict[str, Any]] = []
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        self._session = self.send("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        self.call("Page.enable")

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with contextlib.suppress(OSError, RuntimeError):  # already gone
            self.send("Browser.close")
        try:
            self._proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        for fd in (self._to_chrome, self._from_chrome):
            with contextlib.suppress(OSError):
                os.close(fd)

    # -- the protocol ---------------------------------------------------------------------

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buf:
            if time.monotonic() > deadline:
                raise RuntimeError("Chromium did not answer in time")
            chunk = os.read(self._from_chrome, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buf += chunk
        msg, _, self._buf = self._buf.partition(b"\0")
        parsed: dict[str, Any] = json.loads(msg)
        return parsed

    def send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        """Send one command and wait for its reply (events met meanwhile are kept)."""
        self._id += 1
        msg: dict[str, Any] = {"id": self._id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        os.write(self._to_chrome, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + 120
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            if "method" in reply:
                self._events.append(reply)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """A command to the page."""
        return self.send(method, self._session, **params)

    def wait_event(self, method: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            for i, e in enumerate(self._events):
                if e.get("method") == method:
                    return self._events.pop(i)
            self._events.append(self._read(deadline))

    # -- what the tests use ---------------------------------------------------------------

    def open(self, page: Path, width: int, height: int = 900, *, media: str = "") -> None:
        """Load ``page`` in a viewport ``width`` CSS pixels wide, as screen or print."""
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        self.call("Emulation.setEmulatedMedia", media=media)
        self._events.clear()
        self.call("Page.navigate", url=page.as_uri())
        self.wait_event("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (JSON-able)."""
        got = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in got:
            raise RuntimeError(str(got["exceptionDetails"]))
        return got["result"].get("value")
