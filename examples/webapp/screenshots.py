"""Take a screenshot of each screen into docs/screenshots/ (``make screenshots``).

Runs the real server (two workers) on a fresh demo book with the fixed clock that is
meant for tests and screenshots, so that dates and amounts in the pictures do not
change from one run to the next, and drives Debian's Chromium with Playwright.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import BrowserContext, Page, sync_playwright

from webapp.books import open_book, seed_demo
from webapp.config import Config, fixed_clock
from webapp.devserver import running

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
"""How this project starts Chromium: headless, and no calls to the outside world."""

START = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)
SECRET = "screenshots-only-secret-not-for-use"  # noqa: S105 - a throwaway server's


def _sign_in(page: Page, base: str, user: str) -> None:
    page.goto(f"{base}/signin")
    page.locator(f"button[value={user}]").click()


def _photograph(context: BrowserContext, base: str, shot: Callable[[str], None]) -> None:
    """Walk the screens as the owner, then as the assistant, photographing each."""
    page = context.pages[0]
    page.goto(f"{base}/signin")
    shot("signin")
    _sign_in(page, base, "owner")
    page.goto(f"{base}/customers?q=berzins")
    shot("customers")
    page.goto(f"{base}/customers/new")
    page.fill("#f-name", "SIA Ābols")
    page.fill("#f-email", "info@@abols.lv")
    page.fill("#f-phone", "12")
    page.fill("#f-address-postal_code", "10500")
    page.select_option("#f-address-country", "LV")
    page.fill("#f-tax_id", "LV40003521601")
    page.get_by_role("button", name="Review").click()
    shot("new-customer-problems")
    page.fill("#f-email", "info@abols.lv")
    page.fill("#f-phone", "2000 0002")
    page.fill("#f-address-street", "Brīvības iela 5")
    page.fill("#f-address-postal_code", "1050")
    page.fill("#f-address-city", "Rīga")
    page.fill("#f-tax_id", "")
    page.fill("#f-other_emails", "info@berzins.lv")
    page.fill("#f-email", "info@berzins.lv")
    page.get_by_role("button", name="Review").click()
    shot("review")
    page.goto(f"{base}/customers/1")
    shot("profile")
    _edit_and_settings(context, base, shot)


def _edit_and_settings(context: BrowserContext, base: str, shot: Callable[[str], None]) -> None:
    """The edit form and its conflict, the settings, Latvian, and the assistant's view."""
    page = context.pages[0]
    page.goto(f"{base}/customers/1/edit")
    shot("edit")
    other = context.new_page()
    other.goto(f"{base}/customers/1/edit")
    other.fill("#f-contact_person", "Ilze Bērziņa")
    other.get_by_role("button", name="Save changes").click()
    page.fill("#f-contact_person", "Jānis Bērziņš jr.")
    page.get_by_role("button", name="Save changes").click()
    shot("edit-conflict")
    page.goto(f"{base}/categories")
    shot("categories")
    page.goto(f"{base}/fields")
    shot("custom-fields")
    page.select_option("#language", "lv")
    page.get_by_role("button", name="Change").click()
    page.goto(f"{base}/customers/new")
    page.fill("#f-email", "nav-pareizs")
    page.get_by_role("button", name="Pārskatīt").click()
    shot("new-customer-latvian")
    page.select_option("#language", "en")
    page.get_by_role("button", name="Mainīt").click()
    page.get_by_role("button", name="Sign out").click()
    _sign_in(page, base, "assistant")
    page.goto(f"{base}/customers/1")
    shot("profile-assistant")


def take(folder: Path) -> list[Path]:
    """Run the app on a fresh demo book and photograph each screen into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    made: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        book_path = Path(tmp) / "book.db"
        config = Config(secret=SECRET, book_path=book_path, clock=fixed_clock(START))
        book = open_book(config)
        seed_demo(book, today=START.date())
        book.store.close()
        env = {
            "DEBITOR_WEBAPP_SECRET": SECRET,
            "DEBITOR_WEBAPP_BOOK": str(book_path),
            "DEBITOR_WEBAPP_CLOCK": START.isoformat(),
        }
        with running(env) as base, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1200, "height": 900})
            page = context.new_page()

            def shot(name: str) -> None:
                path = folder / f"{name}.png"
                page.screenshot(path=path, full_page=True)
                made.append(path)

            _photograph(context, base, shot)
            browser.close()
    return made


def main(argv: list[str] | None = None) -> int:
    """Take the screenshots; print where they went."""
    parser = argparse.ArgumentParser(prog="python -m webapp.screenshots", description=__doc__)
    parser.add_argument("folder", type=Path, nargs="?", default=Path("docs/screenshots"))
    args = parser.parse_args(argv)
    for path in take(args.folder):
        print(path)  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
