"""Loads a page in headless Chromium (Debian's `chromium`) through the DevTools protocol over a
pipe (--remote-debugging-pipe: no port, no network), and returns what a test needs: the console
messages and exceptions, evaluated JavaScript values and a screenshot."""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--remote-debugging-pipe", "--window-size=1400,1000"]


@dataclass
class PageLoad:
    """What loading one page produced."""

    values: dict[str, Any]              # expression -> value (returnByValue)
    screenshot: bytes                   # PNG of the full page
    errors: list[str] = field(default_factory=list)   # console errors, exceptions, log errors


def chromium() -> str | None:
    """The chromium executable, or None when it is not installed."""
    return shutil.which("chromium")


class _Pipe:
    def __init__(self, write_fd: int, read_fd: int) -> None:
        self.write_fd, self.read_fd = write_fd, read_fd
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict] = []

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> int:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.write_fd, json.dumps(message).encode() + b"\0")
        return self.next_id

    def wait(self, reply_to: int | None = None, event: str | None = None,
             timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            while b"\0" in self.buffer:
                raw, self.buffer = self.buffer.split(b"\0", 1)
                message = json.loads(raw)
                if reply_to is not None and message.get("id") == reply_to:
                    if "error" in message:
                        raise RuntimeError(f"DevTools error: {message['error']}")
                    return message
                if "method" in message:
                    self.events.append(message)
                    if message["method"] == event:
                        return message
            ready, _, _ = select.select([self.read_fd], [], [], 0.5)
            if ready:
                chunk = os.read(self.read_fd, 1 << 20)
                if not chunk:
                    raise RuntimeError("chromium closed the DevTools pipe")
                self.buffer += chunk
        raise TimeoutError(f"no DevTools reply to {reply_to or event} in {timeout} s")

    def call(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        return self.wait(reply_to=self.send(method, params, session)).get("result", {})


def load(url: str, expressions: list[str], timeout: float = 60) -> PageLoad:
    """Opens `url`, waits for its load event, evaluates `expressions` and takes a full-page
    screenshot. Raises RuntimeError when chromium cannot start or answer."""
    executable = chromium()
    if executable is None:
        raise RuntimeError("chromium is not installed (scripts/setup installs Debian's chromium)")
    to_chrome_r, to_chrome_w = os.pipe()
    from_chrome_r, from_chrome_w = os.pipe()
    profile = tempfile.mkdtemp(prefix="scalestudy-chromium-")

    def child_fds() -> None:
        # The DevTools pipe is fd 3 (commands) and fd 4 (replies). Copy both above any fd
        # number first so that neither dup2 closes the other end.
        commands = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD, 10)
        replies = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD, 10)
        os.dup2(commands, 3)
        os.dup2(replies, 4)

    log = tempfile.TemporaryFile()
    process = subprocess.Popen([executable, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                               pass_fds=(3, 4), preexec_fn=child_fds,
                               stdout=subprocess.DEVNULL, stderr=log)
    os.close(to_chrome_r)
    os.close(from_chrome_w)
    pipe = _Pipe(to_chrome_w, from_chrome_r)
    try:
        target = pipe.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = pipe.call("Target.attachToTarget", {"targetId": target,
                                                      "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            pipe.call(f"{domain}.enable", session=session)
        pipe.send("Page.navigate", {"url": url}, session=session)
        pipe.wait(event="Page.loadEventFired", timeout=timeout)
        values = {}
        for expression in expressions:
            result = pipe.call("Runtime.evaluate", {"expression": expression,
                                                    "returnByValue": True}, session=session)
            values[expression] = result["result"].get("value")
        shot = pipe.call("Page.captureScreenshot", {"format": "png",
                                                    "captureBeyondViewport": True},
                         session=session)
        screenshot = base64.b64decode(shot["data"])
        pipe.send("Browser.close")
    except Exception as error:
        process.kill()
        process.wait(timeout=30)
        log.seek(0)
        stderr = log.read().decode(errors="replace")
        raise RuntimeError(f"chromium failed: {error}\n{stderr[-3000:]}") from error
    finally:
        os.close(to_chrome_w)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    os.close(from_chrome_r)
    log.close()
    shutil.rmtree(profile, ignore_errors=True)
    return PageLoad(values=values, screenshot=screenshot, errors=_errors(pipe.events))


def _errors(events: list[dict]) -> list[str]:
    errors = []
    for event in events:
        method, params = event["method"], event.get("params", {})
        if method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            errors.append(f"exception: {details.get('text')} "
                          f"{details.get('exception', {}).get('description', '')}")
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            errors.append("console: " + " ".join(str(a.get("value", a.get("description")))
                                                  for a in params.get("args", [])))
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            errors.append(f"log: {params['entry'].get('text')} {params['entry'].get('url', '')}")
    return errors
