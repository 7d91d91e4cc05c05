"""The web example as a person uses it: headless Chromium against the real server.

One browser for the session and one server for the module: ``python -m webapp`` with
two worker processes on one SQLite book, started on the fixed clock that is meant for
tests (``DEBITOR_WEBAPP_CLOCK``), so that no page depends on the day the tests run.
Each test opens a fresh browser context (its own cookies) and signs in.

Chromium comes from Debian's packages (/usr/bin/chromium), driven by Playwright's
Python client; ``playwright install`` is never needed. Without a browser the tests skip
with one line, unless DEBITOR_REQUIRE_BROWSER=1 (set by .ci/run) turns that into a
failure.
"""

from __future__ import annotations

import os
import re
import shutil

import pytest

from webapp.screenshots import CHROMIUM, CHROMIUM_ARGS
from webapp_support import NOTE, real_server

ENV_REQUIRE = "DEBITOR_REQUIRE_BROWSER"
SKIP_PREFIX = "Browser tests skipped: "


def unavailable(reason: str):
    """Skip the module (or, when a browser is required, fail) with one line."""
    if os.environ.get(ENV_REQUIRE) == "1":
        pytest.fail(f"A browser is required ({ENV_REQUIRE}=1) but {reason}", pytrace=False)
    pytest.skip(SKIP_PREFIX + reason, allow_module_level=True)


try:
    from playwright.sync_api import Error, sync_playwright
except ImportError:
    unavailable("Playwright is not installed (pip install 'debitor-core[dev]').")
if shutil.which(CHROMIUM) is None:
    unavailable(f"{CHROMIUM} is missing (apt-get install -y chromium chromium-driver).")


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Error as error:
            unavailable(f"Chromium did not start: {str(error).splitlines()[0]}")
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with real_server(tmp_path_factory.mktemp("webapp")) as base:
        yield base


def context_as(browser, server, user):
    """A fresh browser context (cookies of its own), signed in as ``user``."""
    context = browser.new_context(base_url=server)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/signin")
    page.locator(f"button[value={user}]").click()
    page.wait_for_url("**/customers")
    return context, page


@pytest.fixture
def owner(browser, server):
    context, page = context_as(browser, server, "owner")
    yield page
    context.close()


@pytest.fixture
def assistant(browser, server):
    context, page = context_as(browser, server, "assistant")
    yield page
    context.close()


def problem_beside(page, selector):
    """The problem sentences an input is described by (its aria-describedby)."""
    ids = page.locator(selector).get_attribute("aria-describedby") or ""
    return [page.locator(f"#{i}").inner_text() for i in ids.split() if i.startswith("problem-")]


def listed(page):
    return page.locator("table.customers tbody td:nth-child(2) a").all_inner_texts()


class TestNewCustomer:
    def test_latvian_company_with_mistakes(self, owner):
        """Register a Latvian company with mistakes, fix them, review, save and new."""
        page = owner
        page.get_by_role("link", name="New customer").click()
        page.get_by_label("Name").first.fill("SIA Ābols")
        page.get_by_role("textbox", name="Email", exact=True).fill("info@@abols.lv")
        page.get_by_role("textbox", name="Phone", exact=True).fill("12")
        page.get_by_label("Street").fill("Brīvības iela 5")
        page.get_by_label("Postal code").fill("10500")
        page.get_by_label("City").fill("Rīga")
        page.get_by_label("Country").select_option("LV")
        page.get_by_label("VAT number").fill("LV 4000 3521 601")
        page.get_by_label("Retailers").check()
        page.get_by_role("button", name="Review").click()

        assert page.get_by_role("heading", name="Problems to correct: 4").is_visible()
        assert problem_beside(page, "#f-email") == [
            (
                "The email address 'info@@abols.lv' is not valid. The part after the @-sign "
                "contains invalid characters: '@'."
            )
        ]
        assert problem_beside(page, "#f-phone") == [
            "The phone number '12' is not a valid number in Latvia."
        ]
        assert problem_beside(page, "#f-address-postal_code") == [
            "The postal code 10500 is not valid in Latvia; it should look like LV-1073 or LV-1000."
        ]
        assert len(problem_beside(page, "#f-tax_id")) == 1
        assert page.get_by_label("Postal code").input_value() == "10500"
        assert page.get_by_label("Retailers").is_checked()

        page.get_by_role("textbox", name="Email", exact=True).fill("info@abols.lv")
        page.get_by_role("textbox", name="Phone", exact=True).fill("2000 0002")
        page.get_by_label("Postal code").fill("1050")
        page.get_by_label("VAT number").fill("LV 4000 3521 615")
        page.get_by_role("button", name="Review").click()

        assert page.get_by_role("heading", name="Check the new customer").is_visible()
        text = page.locator("main").inner_text()
        for normalised in ["+37120000002", "LV40003521615", "LV-1050", "Latvia", "Retailers"]:
            assert normalised in text
        number = re.search(r"The customer will get number (\d+)\.", text)
        assert number is not None
        assert "Welcome, SIA Ābols!" in text

        page.get_by_role("button", name="Save and new").click()
        page.wait_for_url("**/customers/new")
        assert page.get_by_role("status").first.inner_text() == (
            f"Customer {number[1]} (SIA Ābols) was saved."
        )
        assert page.get_by_label("Name").first.input_value() == ""

    def test_likely_duplicate(self, owner):
        """A customer with a stored customer's email gets a warning that links to it."""
        page = owner
        page.goto("/customers/new")
        page.get_by_label("Name").first.fill("Bērziņš un Partneri SIA")
        page.get_by_role("textbox", name="Email", exact=True).fill("INFO@berzins.lv")
        page.get_by_role("button", name="Review").click()
        duplicates = page.locator("section.duplicates")
        assert "Customer 1 (SIA Bērziņš un Partneri) has the same email address." in (
            duplicates.inner_text()
        )
        duplicates.get_by_role("link", name="Open customer 1").click()
        assert page.get_by_role("heading", level=1).inner_text() == (
            "Customer 1 SIA Bērziņš un Partneri"
        )

    def test_problems_in_latvian(self, owner):
        """With Latvian chosen, problems beside the fields are in Latvian."""
        page = owner
        page.get_by_label("Language").select_option("lv")
        page.get_by_role("button", name="Change").click()
        page.goto("/customers/new")
        page.get_by_role("textbox", name="E-pasts", exact=True).fill("nav-pareizs")
        page.get_by_role("button", name="Pārskatīt").click()
        assert problem_beside(page, "#f-email") == ["E-pasta adrese 'nav-pareizs' nav derīga."]
        assert problem_beside(page, "#f-name") == ["Nosaukums ir obligāts."]

    def test_hostile_name_renders_as_text(self, owner):
        """A customer named <script>alert(1)</script> is shown as that text; nothing runs."""
        page = owner
        dialogs = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        hostile = "<script>alert(1)</script>"
        page.goto("/customers/new")
        page.get_by_label("Name").first.fill(hostile)
        page.get_by_role("textbox", name="Email", exact=True).fill("x@example.com")
        page.get_by_role("textbox", name="Phone", exact=True).fill("+49 30 1234567")
        page.get_by_label("Street").fill("Hauptstraße 1")
        page.get_by_label("Postal code").fill("10115")
        page.get_by_label("City").fill("Berlin")
        page.get_by_label("Country").select_option("DE")
        page.get_by_role("button", name="Review").click()
        page.get_by_role("button", name="Save", exact=True).click()
        page.wait_for_url(re.compile(r".*/customers/\d+$"))
        assert hostile in page.get_by_role("heading", level=1).inner_text()
        page.goto("/customers?q=script")
        assert listed(page) == [hostile]
        assert dialogs == []


class TestCustomers:
    def test_search_berzins(self, owner):
        """Searching "berzins" finds Bērziņš."""
        page = owner
        page.get_by_label("Search").fill("berzins")
        page.get_by_label("Search").press("Enter")
        page.wait_for_url("**/customers?q=berzins*")
        assert listed(page) == ["SIA Bērziņš un Partneri"]

    def test_filter_by_category(self, owner):
        """A category filter includes sub-categories, unless they are left out."""
        page = owner
        page.get_by_label("Category", exact=True).select_option(label="Wholesalers")
        page.get_by_role("button", name="Find").click()
        assert listed(page) == ["Maize AS", "Koks GmbH"]
        page.get_by_label("Leave out sub-categories").check()
        page.get_by_role("button", name="Find").click()
        assert listed(page) == ["Koks GmbH"]


class TestProfile:
    def test_edit_conflict_from_a_second_tab(self, browser, server):
        """Two tabs edit one customer: the second to save sees the conflict, keeps its work."""
        context, first = context_as(browser, server, "owner")
        second = context.new_page()
        first.goto("/customers/2/edit")
        second.goto("/customers/2/edit")
        second.get_by_label("Contact person").fill("Ilze Kalniņa")
        second.get_by_role("button", name="Save changes").click()
        second.wait_for_url("**/customers/2")

        first.get_by_label("Contact person").fill("Juris Kalniņš")
        first.get_by_role("button", name="Save changes").click()
        conflict = first.locator("section.conflict")
        assert first.get_by_role(
            "heading", name="Someone else saved this customer first"
        ).is_visible()
        assert re.search(r"version \d+; the customer is now at version \d+", conflict.inner_text())
        row = conflict.get_by_role("row", name=re.compile("Contact person"))
        assert row.get_by_role("cell").all_inner_texts() == ["Ilze Kalniņa", "Juris Kalniņš"]
        assert first.get_by_label("Contact person").input_value() == "Juris Kalniņš"

        first.get_by_role("button", name="Save changes").click()
        first.wait_for_url("**/customers/2")
        assert "Juris Kalniņš" in first.locator("main").inner_text()
        context.close()

    def test_assistant_cannot_see_a_private_note(self, owner, assistant):
        """The owner sees the private note; the assistant's profile has no trace of it."""
        owner.goto("/customers/1")
        assert NOTE in owner.locator("main").inner_text()
        assistant.goto("/customers/1")
        assert NOTE not in assistant.content()
        assert assistant.get_by_text("shown to the owner only").is_visible()
        assert assistant.get_by_role("heading", name="Private notes").count() == 0
