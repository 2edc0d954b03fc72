"""What the embeddable chat costs a health system's page: the loader's size (raw and
gzip), the time until its launcher can be used on a host page from another origin, and the
time from a click on it to the chat ready to type in. Cold browser cache on every round.

The bot service runs on its own (the greeting is the page's: no engine needed), on a fresh
SQLite database and BENCH_REDIS_URL (default redis://127.0.0.1:6379/13); the host pages come
from tests.support.host_site. Chromium: CHROMIUM_PATH or /usr/bin/chromium.

Usage: .venv/bin/python bench/widget.py [ROUNDS]   (default 10)
"""

from __future__ import annotations

import gzip
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from channels.twilio_standin import free_port  # noqa: E402
from tests.support.host_site import serving_host_site  # noqa: E402


def migrate(url: str) -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "bot" / "migrations"))
    cfg.attributes["database_url"] = url
    command.upgrade(cfg, "head")


def main(rounds: int) -> None:

    work = Path(tempfile.mkdtemp(prefix="bench-widget-"))
    database = f"sqlite:///{work / 'app.db'}"
    migrate(database)
    port = free_port()
    bot_url = f"http://127.0.0.1:{port}"
    with serving_host_site() as site:
        site.bot_url = bot_url
        env = {**os.environ, "APP_ENV_FILE": "", "APP_ENV": "test", "DATABASE_URL": database,
               "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"),
               "PUBLIC_BASE_URL": bot_url, "ENGINE_URL": "http://127.0.0.1:9",
               "WIDGET_ALLOWED_ORIGINS": site.allowed_origin}
        log = (work / "bot.log").open("wb")
        bot = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "uvicorn"), "--factory", "bot.main:create_app",
             "--host", "127.0.0.1", "--port", str(port), "--no-access-log"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            for _ in range(300):
                try:
                    if httpx.get(bot_url + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            loader = httpx.get(bot_url + "/widget.js").content
            print(f"loader /widget.js: {len(loader)} bytes raw, "
                  f"{len(gzip.compress(loader, 9))} bytes gzip")
            launcher_ms, loaded_ms, open_ms = measure(site.allowed_origin, rounds)
        finally:
            bot.terminate()
            bot.wait(timeout=20)
    print(f"host page ({rounds} rounds, cold cache, loopback), median / max:")
    print(f"  page load event:             {statistics.median(loaded_ms):6.0f} / "
          f"{max(loaded_ms):.0f} ms")
    print(f"  launcher ready to use:       {statistics.median(launcher_ms):6.0f} / "
          f"{max(launcher_ms):.0f} ms after navigation start")
    print(f"  click to chat ready to type: {statistics.median(open_ms):6.0f} / "
          f"{max(open_ms):.0f} ms")


def measure(host: str, rounds: int) -> tuple[list[float], list[float], list[float]]:
    from playwright.sync_api import expect, sync_playwright

    chromium = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
    launcher_ms: list[float] = []
    loaded_ms: list[float] = []
    open_ms: list[float] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        for _ in range(rounds + 1):  # the first round warms the service up: not counted
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            page = context.new_page()
            # When the launcher enters the page: the loader appends it last, once its
            # handlers are set, so from then on it can be used.
            page.add_init_script("""new MutationObserver((_, seen) => {
                if (document.querySelector("pa-chat-widget")) {
                    window.launcherAt = performance.now();
                    seen.disconnect();
                }
            }).observe(document, {childList: true, subtree: true});""")
            page.goto(host + "/billing")
            ready = page.evaluate("() => window.launcherAt")
            page.wait_for_load_state("load")
            loaded = page.evaluate(
                "() => performance.getEntriesByType('navigation')[0].loadEventEnd")
            started = time.perf_counter()
            page.get_by_role("button", name="Chat with us").click()
            expect(page.frame_locator("pa-chat-widget iframe").get_by_label(
                "Type your message")).to_be_focused(timeout=30_000)
            opened = (time.perf_counter() - started) * 1000
            if _ > 0:
                launcher_ms.append(float(ready))
                loaded_ms.append(float(loaded))
                open_ms.append(opened)
            context.close()
        browser.close()
    return launcher_ms, loaded_ms, open_ms


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
