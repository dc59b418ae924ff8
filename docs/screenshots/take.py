"""Screenshots of the demo's report.html at three window widths, for the docs.

    .venv/bin/python docs/screenshots/take.py            # runs `readiness demo`, then shoots

Runs the built-in demo (its sites on 127.0.0.1–127.0.0.4 only), opens its report.html from disk
in Debian's Chromium (selenium + chromedriver, as tests/test_report_browser.py does) and writes
phone.png, laptop.png and wide.png beside this file. Re-run it whenever the report's look
changes; nothing here is a test.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.support.ui import WebDriverWait

HERE = Path(__file__).resolve().parent
WIDTHS = {"phone": (390, 844), "laptop": (1366, 900), "wide": (1920, 1080)}
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars")


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "demo"
        subprocess.run([str(Path(sys.executable).parent / "readiness"), "demo", "--out",
                        str(run)], check=True, stdout=subprocess.DEVNULL)
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for flag in FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={Path(tmp) / 'profile'}")
        driver = webdriver.Chrome(service=webdriver.ChromeService("/usr/bin/chromedriver"),
                                  options=options)
        try:
            for name, (width, height) in WIDTHS.items():
                # The viewport, not the window: headless Chromium's window has no chrome.
                driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                    "width": width, "height": height, "deviceScaleFactor": 1,
                    "mobile": name == "phone"})
                driver.get((run / "report.html").as_uri())
                WebDriverWait(driver, 30).until(lambda d: d.execute_script(
                    "return document.documentElement.dataset.reportReady"))
                driver.save_screenshot(str(HERE / f"{name}.png"))
                print(f"{HERE / f'{name}.png'}: {width}×{height}")
        finally:
            driver.quit()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
