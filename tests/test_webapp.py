"""The web example in process (Starlette's TestClient): its rules of security and its screens.

The browser tests (test_webapp_browser.py) walk the same screens as a person would;
these check each promise quickly and exactly, and run wherever the extra is installed.
"""

from __future__ import annotations

import logging
import re

import pytest

from debitor_core import BookView, ConsentChannel, RequiredFields
from webapp_support import BIRTHDAY, NOTE, SECRET, TODAY, demo_book, token

starlette_testclient = pytest.importorskip("starlette.testclient")
from webapp.app import create_app  # noqa: E402 - after the skip
from webapp.config import Config, ConfigError, fixed_clock  # noqa: E402
from webapp.forms import phone_rows, place_problems  # noqa: E402

TestClient = starlette_testclient.TestClient


@pytest.fixture
def setup(tmp_path, clock):
    return demo_book(tmp_path / "book.db", clock)


@pytest.fixture
def book(setup):
    return setup[1]


@pytest.fixture
def app(setup):
    config, book = setup
    return create_app(config, book=book)


def signed_in(app, user):
    client = TestClient(app, follow_redirects=True)
    page = client.get("/signin")
    client.post("/signin", data={"csrf_token": token(page.text), "user": user})
    return client


@pytest.fixture
def owner(app):
    return signed_in(app, "owner")


@pytest.fixture
def assistant(app):
    return signed_in(app, "assistant")


def post(client, path, data, **kwargs):
    """Post ``data`` from the page at ``path``'s form (with its CSRF token)."""
    page = client.get(kwargs.pop("page", path))
    return client.post(path, data={"csrf_token": token(page.text), **data}, **kwargs)


def new_customer(client, **values):
    return post(client, "/customers/new", values)


LATVIAN = {
    "name": "SIA Ābols",
    "email": "info@abols.lv",
    "phone": "2000 0002",
    "phone_type": "work",
    "tax_id": "LV 4000 3521 615",
    "address.street": "Brīvības iela 5",
    "address.postal_code": "1050",
    "address.city": "Rīga",
    "address.country": "LV",
}


FULL = {
    "email": "x@example.com",
    "phone": "+49 30 1234567",
    "address": {"street": "A 1", "postal_code": "10115", "city": "Berlin", "country": "DE"},
}
"""What the demo book's policy asks of every customer, besides a name."""


class TestConfig:
    def test_secret_required(self):
        """Without a secret and outside development mode the app refuses to start."""
        with pytest.raises(ConfigError) as caught:
            Config.from_environ({})
        assert str(caught.value) == (
            "Set DEBITOR_WEBAPP_SECRET to a long random text: it signs the session cookies. "
            "For development only, set DEBITOR_WEBAPP_DEV=1 instead."
        )

    def test_factory_reads_the_environment(self, monkeypatch):
        """create_app() with no settings reads the environment, and refuses without a secret."""
        monkeypatch.delenv("DEBITOR_WEBAPP_SECRET", raising=False)
        monkeypatch.delenv("DEBITOR_WEBAPP_DEV", raising=False)
        with pytest.raises(ConfigError):
            create_app()

    def test_dev_mode_makes_a_secret(self):
        """Development mode signs with a random secret of its own."""
        first = Config.from_environ({"DEBITOR_WEBAPP_DEV": "1"})
        second = Config.from_environ({"DEBITOR_WEBAPP_DEV": "1"})
        assert (first.dev, len(first.secret) >= 32, first.secret != second.secret) == (
            True,
            True,
            True,
        )

    def test_short_secret(self):
        """A secret shorter than 16 characters is refused."""
        with pytest.raises(ConfigError, match="at least 16 characters"):
            Config.from_environ({"DEBITOR_WEBAPP_SECRET": "short"})

    @pytest.mark.parametrize(
        ("value", "expected"),
        (
            (None, RequiredFields.complete()),
            ("default", RequiredFields.default()),
            ("complete", RequiredFields.complete()),
            ("name, email", RequiredFields.of("name", "email")),
        ),
    )
    def test_required_fields(self, value, expected):
        """DEBITOR_WEBAPP_REQUIRED names the book's required-fields policy."""
        env = {"DEBITOR_WEBAPP_SECRET": SECRET}
        if value is not None:
            env["DEBITOR_WEBAPP_REQUIRED"] = value
        assert expected == Config.from_environ(env).required

    @pytest.mark.parametrize(
        ("name", "value", "message"),
        (
            ("REQUIRED", "colour", "Unknown required field"),
            ("CLOCK", "tomorrow", "ISO 8601"),
            ("PAGE_SIZE", "0", "from 1 to 500"),
            ("PAGE_SIZE", "many", "from 1 to 500"),
        ),
    )
    def test_bad_values(self, name, value, message):
        """A setting that is not valid is refused with a sentence naming it."""
        env = {"DEBITOR_WEBAPP_SECRET": SECRET, f"DEBITOR_WEBAPP_{name}": value}
        with pytest.raises(ConfigError, match=message):
            Config.from_environ(env)

    def test_fixed_clock(self):
        """The tests' clock starts where it is told and moves a millisecond per reading."""
        config = Config.from_environ(
            {"DEBITOR_WEBAPP_SECRET": SECRET, "DEBITOR_WEBAPP_CLOCK": "2026-11-26T09:00:00"}
        )
        assert config.clock is not None
        first, second = config.clock(), config.clock()
        assert (first.isoformat(), (second - first).microseconds) == (
            "2026-11-26T09:00:00+00:00",
            1000,
        )

    def test_flags(self, tmp_path):
        """The flags and the book's place come from the environment."""
        config = Config.from_environ(
            {
                "DEBITOR_WEBAPP_SECRET": SECRET,
                "DEBITOR_WEBAPP_SECURE_COOKIES": "yes",
                "DEBITOR_WEBAPP_WORKER_HEADER": "1",
                "DEBITOR_WEBAPP_BOOK": str(tmp_path / "b.db"),
                "DEBITOR_WEBAPP_PAGE_SIZE": "5",
            }
        )
        assert (
            config.secure_cookies,
            config.worker_header,
            config.book_path,
            config.page_size,
        ) == (
            True,
            True,
            tmp_path / "b.db",
            5,
        )


def post_routes(app):
    """Every (path, route) that accepts POST, with its path parameters filled in."""
    found = {
        route.path.replace("{number}", "1")
        for route in app.routes
        if "POST" in (getattr(route, "methods", None) or ())
    }
    return sorted(found)


class TestCsrf:
    def test_every_post_route_is_covered(self, app):
        """The app's POST routes are the ones this class checks."""
        assert post_routes(app) == [
            "/categories",
            "/customers/1/archive",
            "/customers/1/attachments",
            "/customers/1/consent",
            "/customers/1/edit",
            "/customers/1/notes",
            "/customers/new",
            "/fields",
            "/language",
            "/signin",
            "/signout",
        ]

    @pytest.mark.parametrize("sent", [None, "", "forged-token"])
    def test_refused_without_the_token(self, app, owner, book, sent):
        """A post without the session's token is refused with 403 and changes nothing."""
        before = (len(book), book.get_by_number(1).version, len(book.categories()))
        for path in post_routes(app):
            data = {"name": "SIA Jauns", "address.country": "LV", "action": "save", "text": "x"}
            if sent is not None:
                data["csrf_token"] = sent
            response = owner.post(path, data=data)
            assert (path, 403) == (path, response.status_code)
            assert "This form has expired or did not come from this app." in response.text
        assert before == (len(book), book.get_by_number(1).version, len(book.categories()))

    def test_token_of_another_session(self, app, owner, book):
        """A token from another session (a forged cross-site post) is refused."""
        other = signed_in(app, "owner")
        stolen = token(other.get("/customers/new").text)
        response = owner.post(
            "/customers/new", data={"csrf_token": stolen, "action": "save", **LATVIAN}
        )
        assert (403, 4) == (response.status_code, len(book))

    @pytest.mark.parametrize(
        "path",
        [
            "/customers",
            "/customers/new",
            "/customers/1",
            "/customers/1/edit",
            "/categories",
            "/fields",
            "/signin",
        ],
    )
    def test_every_form_carries_the_token(self, owner, path):
        """Every form that posts carries the CSRF token."""
        html = owner.get(path).text
        forms = re.findall(r"<form[^>]*method=\"post\".*?</form>", html, re.DOTALL)
        assert forms
        for form in forms:
            assert 'name="csrf_token"' in form

    def test_signing_in_renews_the_token(self, app):
        """Signing in starts a new session, so a token seen before is worth nothing."""
        client = TestClient(app)
        before = token(client.get("/signin").text)
        client.post("/signin", data={"csrf_token": before, "user": "owner"})
        after = token(client.get("/customers/new").text)
        assert before != after


class TestSignIn:
    def test_pages_need_a_user(self, app):
        """A page asked for without signing in sends to the sign-in page, keeping the address."""
        client = TestClient(app, follow_redirects=False)
        response = client.get("/customers?q=koks")
        assert (303, "/signin?next=%2Fcustomers%3Fq%3Dkoks") == (
            response.status_code,
            response.headers["location"],
        )

    def test_back_where_asked(self, app):
        """After signing in the user lands on the page first asked for."""
        client = TestClient(app, follow_redirects=False)
        page = client.get("/signin?next=/customers/2")
        response = client.post(
            "/signin",
            data={"csrf_token": token(page.text), "user": "owner", "next": "/customers/2"},
        )
        assert "/customers/2" == response.headers["location"]

    @pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example", "/\\evil"])
    def test_no_open_redirect(self, app, target):
        """A next address off the site is not followed."""
        client = TestClient(app, follow_redirects=False)
        page = client.get("/signin")
        response = client.post(
            "/signin", data={"csrf_token": token(page.text), "user": "owner", "next": target}
        )
        assert "/customers" == response.headers["location"]

    def test_unknown_user(self, app):
        """Only the demo users can sign in."""
        client = TestClient(app)
        page = client.get("/signin")
        response = client.post("/signin", data={"csrf_token": token(page.text), "user": "root"})
        assert 400 == response.status_code

    def test_sign_out(self, owner):
        """Signing out ends the session."""
        post(owner, "/signout", {}, page="/customers")
        assert owner.get("/customers").url.path == "/signin"

    def test_cookie(self, app):
        """The session cookie is signed, HTTP-only and same-site, and names no customer."""
        client = TestClient(app)
        page = client.get("/signin")
        response = client.post(
            "/signin",
            data={"csrf_token": token(page.text), "user": "owner"},
            follow_redirects=False,
        )
        cookie = response.headers["set-cookie"].lower()
        assert cookie.startswith("debitor_session=")
        assert ("httponly" in cookie, "samesite=lax" in cookie) == (True, True)

    def test_security_headers(self, owner):
        """Every page forbids scripts and framing."""
        headers = owner.get("/customers").headers
        assert "script-src 'none'" in headers["content-security-policy"]
        assert ("nosniff", "DENY") == (
            headers["x-content-type-options"],
            headers["x-frame-options"],
        )
        assert "x-worker" not in headers


def rendered(client, paths):
    return "\n".join(client.get(p).text for p in paths)


ASSISTANT_PAGES = [
    "/customers",
    "/customers?show=all",
    "/customers?q=berzins",
    "/customers/1",
    "/customers/1/edit",
    "/customers/3",
    "/customers/3/edit",
    "/fields",
]


class TestPrivateData:
    @pytest.fixture
    def private(self, book):
        """Give customer 1 an attachment and customer 3 a private text field too."""
        book.define_field("nickname", "Nickname", personal_data=True)
        anna = book.get_by_number(3)
        book.update(
            anna.id,
            {"custom_fields": {"birthday": BIRTHDAY, "nickname": "Sunny Zebra"}},
            expected_version=anna.version,
        )
        book.attach(
            book.get_by_number(1).id,
            file_name="secret-contract.pdf",
            media_type="application/pdf",
            size=3,
            sha256="a" * 64,
        )
        return ["Pays by card", "secret-contract.pdf", BIRTHDAY, "1985", "Sunny Zebra", "Birthday"]

    def test_owner_sees_it(self, owner, private):
        """The owner's pages show the private note, the attachment and personal data."""
        html = rendered(owner, ["/customers/1", "/customers/3"])
        for secret in private:
            assert secret in html

    def test_assistant_does_not(self, assistant, private):
        """No page the assistant sees holds any private value."""
        html = rendered(assistant, ASSISTANT_PAGES)
        for secret in private:
            assert secret not in html
        assert "shown to the owner only" in html

    def test_search_never_matches_private_text(self, owner, assistant, private):
        """A search by a personal-data value finds the customer for the owner only."""
        del private
        assert "Anna Ozola" in owner.get("/customers?q=sunny zebra").text
        page = assistant.get("/customers?q=sunny zebra").text
        assert ("Anna Ozola" not in page, "No customers match." in page) == (True, True)
        assert "Anna Ozola" in assistant.get("/customers?q=ozola").text

    def test_assistant_search_pages(self, book, assistant, private):
        """The assistant's redacted search keeps its total and pages right."""
        del private
        book.define_field("motto", "Motto")
        for number in (1, 2, 4):
            customer = book.get_by_number(number)
            book.update(
                customer.id,
                {"custom_fields": {**dict(customer.custom_fields), "motto": "Sunny days"}},
                expected_version=customer.version,
            )
        page = assistant.get("/customers?q=sunny").text
        assert "1\u20133 of 3" in page
        assert "Anna Ozola" not in page

    def test_assistant_edit_keeps_personal_data(self, assistant, book, private):
        """An edit by the assistant leaves the personal data it could not see as it was."""
        del private
        response = post(
            assistant,
            "/customers/3/edit",
            {**values_of(assistant, "/customers/3/edit"), "contact_person": "Pēteris"},
        )
        anna = book.get_by_number(3)
        assert (response.status_code, anna.contact_person, str(anna.custom_fields["birthday"])) == (
            200,
            "Pēteris",
            BIRTHDAY,
        )
        assert anna.custom_fields["nickname"] == "Sunny Zebra"

    @pytest.mark.parametrize("path", ["/customers/1/notes", "/customers/1/attachments", "/fields"])
    def test_assistant_may_not_write_private_things(self, assistant, book, path):
        """Notes, attachments and custom fields are refused to the assistant."""
        before = book.get_by_number(1).version
        response = post(assistant, path, {"text": "x", "action": "define"}, page="/customers/1")
        assert (403, before) == (response.status_code, book.get_by_number(1).version)

    def test_assistant_may_not_download(self, assistant, private):
        """An attachment cannot be fetched by the assistant."""
        del private
        assert 403 == assistant.get("/customers/1/attachments/0").status_code

    def test_assistant_registers_without_private_inputs(self, assistant, book):
        """The assistant's form has no note and no personal-data field; a posted note is dropped."""
        page = assistant.get("/customers/new").text
        assert ('name="notes"' not in page, "custom_fields.birthday" not in page) == (True, True)
        new_customer(assistant, action="save", notes="smuggled", **LATVIAN)
        assert book.get_by_number(5).notes == ()

    def test_no_private_data_in_logs(self, owner, assistant, private, caplog):
        """Nothing private reaches the logs, whatever either user does."""
        caplog.set_level(logging.DEBUG)
        post(
            owner,
            "/customers/1/notes",
            {"text": "Owes us a favour (private)."},
            page="/customers/1",
        )
        rendered(assistant, ASSISTANT_PAGES)
        post(assistant, "/customers/3/edit", values_of(assistant, "/customers/3/edit"))
        new_customer(owner, action="save", notes="Second private note", **LATVIAN)
        logged = caplog.text
        assert "Customer 5 registered by owner." in logged
        for secret in [*private, "Owes us a favour", "Second private note"]:
            assert secret not in logged


def values_of(client, path):
    """The values a form's inputs hold now (text inputs, selected options, checked boxes)."""
    html = client.get(path).text
    values: dict[str, object] = {}
    for name, value in re.findall(
        r'<input id="[^"]*" name="([^"]+)" type="[^"]+" value="([^"]*)"', html
    ):
        values[name] = _unescape(value)
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html):
        values.setdefault(name, _unescape(value))
    for name, body in re.findall(
        r'<textarea id="[^"]*" name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.DOTALL
    ):
        values[name] = _unescape(body)
    for name, body in re.findall(
        r'<select id="[^"]*" name="([^"]+)"[^>]*>(.*?)</select>', html, re.DOTALL
    ):
        chosen = re.search(r'<option value="([^"]*)" selected>', body)
        values[name] = _unescape(chosen[1]) if chosen else ""
    for name, value in re.findall(r'name="([^"]+)" value="([^"]*)" checked', html):
        values.setdefault(name, [])
        if isinstance(values[name], list):
            values[name].append(_unescape(value))
    values.pop("csrf_token", None)
    return values


def _unescape(text):
    import html

    return html.unescape(text)


class TestNewCustomer:
    def test_required_marks(self, owner):
        """Fields the book's policy requires are marked *, and only those."""
        html = owner.get("/customers/new").text
        marked = set(re.findall(r'<label for="f-([^"]+)">[^<]*<span class="req"', html))
        assert {
            "name",
            "email",
            "phone",
            "address-street",
            "address-postal_code",
            "address-city",
            "address-country",
        } == marked

    def test_required_marks_follow_the_policy(self, tmp_path, clock):
        """Another policy marks other fields (a required custom field too)."""
        config, book = demo_book(tmp_path / "b.db", clock)
        book.required = RequiredFields.of("name", "tax_id")
        book.change_field("tier", required=True)
        client = signed_in(create_app(config, book=book), "owner")
        html = client.get("/customers/new").text
        marked = set(re.findall(r'<label for="f-([^"]+)">[^<]*<span class="req"', html))
        assert {"name", "tax_id", "custom_fields-tier"} == marked

    def test_every_problem_beside_its_field(self, owner, book):
        """Every problem is shown at once, tied to its input, and the typed values stay."""
        response = new_customer(
            owner,
            action="review",
            **{**LATVIAN, "email": "info@@abols.lv", "phone": "12", "address.postal_code": "10500"},
        )
        html = response.text
        assert (422, 4) == (response.status_code, len(book))
        assert "Problems to correct: 3" in html
        email = re.search(
            r'<input id="f-email" name="email" type="email" value="([^"]*)"[^>]*>', html
        )
        assert email is not None
        assert 'value="info@@abols.lv"' in email[0]
        assert 'aria-invalid="true"' in email[0]
        described = re.search(r'aria-describedby="([^"]+)"', email[0])
        assert described is not None
        (problem_id,) = described[1].split()
        assert re.search(
            rf'<p class="problem error" id="{problem_id}">The email address &#39;info@@abols.lv&#39; is not valid',
            html,
        )
        assert 'value="10500"' in html
        assert 'value="12"' in html

    def test_problem_in_latvian(self, owner):
        """With Latvian chosen, problems are said in Latvian."""
        post(owner, "/language", {"locale": "lv", "next": "/customers/new"}, page="/customers")
        html = new_customer(owner, action="review", **{**LATVIAN, "email": "nav-pareizs"}).text
        assert "E-pasta adrese &#39;nav-pareizs&#39; nav derīga." in html
        assert '<html lang="lv">' in html
        assert "Pārskatīt" in html

    def test_review_shows_normalised_values(self, owner, book):
        """The review shows the values as they will be stored, the number and the welcome invoice."""
        html = new_customer(owner, action="review", **LATVIAN).text
        for shown in [
            "+37120000002",
            "LV40003521615",
            "LV-1050",
            "The customer will get number 5.",
        ]:
            assert shown in html
        assert "Welcome, SIA Ābols!" in html
        assert "€12.10" in html
        assert len(book) == 4

    def test_review_warns_of_duplicates(self, owner):
        """A likely duplicate is named with a link to it."""
        html = new_customer(owner, action="review", **{**LATVIAN, "email": "info@berzins.lv"}).text
        assert (
            "This may be a customer you already have: Customer 1 (SIA Bērziņš un Partneri) has "
            "the same email address." in html
        )
        assert '<a href="/customers/1">Open customer 1</a>' in html

    def test_duplicate_in_latvian(self, owner):
        """The duplicate warning is said in the chosen language too."""
        post(owner, "/language", {"locale": "lv"}, page="/customers")
        html = new_customer(owner, action="review", **{**LATVIAN, "email": "info@berzins.lv"}).text
        assert "Customer 1 (" not in html
        assert "Atvērt klientu 1" in html

    def test_save_and_new(self, owner, book):
        """Save and new stores the customer and opens a blank form that says so."""
        response = new_customer(owner, action="save_new", reviewed_number="5", **LATVIAN)
        assert response.url.path == "/customers/new"
        assert "Customer 5 (SIA Ābols) was saved." in response.text
        assert 'id="f-name" name="name" type="text" value=""' in response.text
        saved = book.get_by_number(5)
        assert (str(saved.phone), saved.phone.type.value, saved.address.postal_code) == (
            "+37120000002",
            "work",
            "LV-1050",
        )

    def test_save_opens_the_profile(self, owner):
        """Save stores the customer and shows its profile."""
        response = new_customer(owner, action="save", **LATVIAN)
        assert response.url.path == "/customers/5"

    def test_number_taken_meanwhile(self, owner, book):
        """When another worker takes the reviewed number, saving gives the next and says so."""
        html = new_customer(owner, action="review", **LATVIAN).text
        assert 'name="reviewed_number" value="5"' in html
        book.register({**FULL, "name": "Someone Else"})
        response = new_customer(owner, action="save", reviewed_number="5", **LATVIAN)
        assert (
            "SIA Ābols was saved as customer 6: number 5, shown in the review, was taken by "
            "someone else meanwhile." in response.text
        )

    def test_book_changed_since_review(self, owner, book):
        """A category deleted between review and save sends the form back with the problem."""
        response = new_customer(owner, action="save", categories="Retailers", **LATVIAN)
        assert response.status_code == 200
        book.delete_category("Food", detach=True)
        response = new_customer(owner, action="save", categories="Food", **LATVIAN)
        assert response.status_code == 422
        assert "There is no category &#39;Food&#39;" in response.text

    def test_everything_the_form_takes(self, owner, book):
        """Every input reaches the library: lists, rows, categories, custom fields, consent, note."""
        new_customer(
            owner,
            action="save",
            **{
                **LATVIAN,
                "kind": "person",
                "name": "Bērziņa, Ilze",
                "contact_person": "Ilze",
                "other_emails": "ilze@example.com\nilze@example.org",
                "other_phones-0-number": "+371 2600 0000",
                "other_phones-0-type": "mobile",
                "other_phones-1-number": "",
                "website": "ilze.lv",
                "company_id": "",
                "payment_terms": "net 30",
                "currency": "eur",
                "language": "lv",
                "address.region": "Rīga",
                "categories": ["Retailers", "Food"],
                "custom_fields.discount": "7,5",
                "custom_fields.tier": "Silver",
                "custom_fields.birthday": "1990-01-02",
                "notes": "Met at the fair.",
                "consent.email": "yes",
                "consent.sms": "yes",
                "consent.source": "fair",
                "tax_id": "",
            },
        )
        ilze = book.get_by_number(5)
        names = {c.id: c.name for c in book.categories()}
        assert (ilze.name, ilze.other_emails, [str(p) for p in ilze.other_phones]) == (
            "Ilze Bērziņa",
            ("ilze@example.com", "ilze@example.org"),
            ["+37126000000"],
        )
        assert (ilze.website, str(ilze.payment_terms), ilze.currency, ilze.language) == (
            "https://ilze.lv",
            "net 30 days",
            "EUR",
            "lv",
        )
        assert sorted(names[c] for c in ilze.categories) == ["Food", "Retailers"]
        assert (str(ilze.custom_fields["discount"]), ilze.custom_fields["tier"]) == (
            "7.5",
            "Silver",
        )
        assert (ilze.notes[0].text, ilze.notes[0].author) == ("Met at the fair.", "owner")
        consents = {c.value for c in ConsentChannel if ilze.consent_to(c)}
        assert (consents, ilze.consents[0].source) == ({"email", "sms"}, "fair")

    def test_other_phone_problem_beside_its_row(self, owner):
        """A wrong other phone is shown beside the row it was typed in."""
        html = new_customer(
            owner,
            action="review",
            **{**LATVIAN, "other_phones-0-number": "", "other_phones-1-number": "12"},
        ).text
        row = re.search(r'<input id="f-other_phones-1" name="other_phones-1-number"[^>]*>', html)
        assert row is not None
        assert "aria-describedby" in row[0]

    def test_hostile_name_is_text(self, owner, book):
        """A name with markup is shown as text everywhere."""
        hostile = "<script>alert(1)</script>"
        new_customer(owner, action="save", **{**LATVIAN, "name": hostile})
        for path in ["/customers", "/customers/5", "/customers/5/edit", "/customers?q=script"]:
            html = owner.get(path).text
            assert hostile not in html
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert book.get_by_number(5).name == hostile


class TestList:
    def names(self, client, query=""):
        html = client.get(f"/customers{query}").text
        return re.findall(r'<td><a href="/customers/\d+">([^<]+)</a>', html)

    def test_search_ignores_accents(self, owner):
        """Searching "berzins" finds "Bērziņš"."""
        assert ["SIA Bērziņš un Partneri"] == self.names(owner, "?q=berzins")

    def test_category_includes_subcategories(self, owner, book):
        """A category filter includes its sub-categories unless asked not to."""
        wholesalers = book.category("Wholesalers").id
        assert ["Maize AS", "Koks GmbH"] == self.names(owner, f"?category={wholesalers}")
        assert ["Koks GmbH"] == self.names(owner, f"?category={wholesalers}&direct=1")

    def test_country(self, owner):
        """The country filter."""
        assert ["Koks GmbH"] == self.names(owner, "?country=DE")

    def test_archived_toggle(self, owner, book):
        """Archived customers show only when asked for."""
        book.archive(book.get_by_number(2).id)
        assert "Maize AS" not in self.names(owner)
        assert ["Maize AS"] == self.names(owner, "?show=archived")
        assert 4 == len(self.names(owner, "?show=all"))

    def test_stable_pages(self, tmp_path, clock):
        """Pages of a list never overlap and together hold every match."""
        config, book = demo_book(tmp_path / "b.db", clock, page_size=3)
        for n in range(5):
            book.register({**FULL, "name": f"Koks {n}"})
        client = signed_in(create_app(config, book=book), "owner")
        pages = [self.names(client, f"?page={n}") for n in (1, 2, 3)]
        assert [3, 3, 3] == [len(p) for p in pages]
        assert 9 == len({name for page in pages for name in page})
        html = client.get("/customers?page=2").text
        assert "4\u20136 of 9" in html
        assert 'rel="next" href="/customers?page=3"' in html

    def test_bad_filters_are_ignored(self, owner):
        """Unknown filter values show the whole list rather than an error."""
        assert 4 == len(self.names(owner, "?category=nope&country=XX&page=abc&show=?"))


class TestEdit:
    def test_save(self, owner, book):
        """An edit saves and says so."""
        values = values_of(owner, "/customers/1/edit")
        response = post(owner, "/customers/1/edit", {**values, "contact_person": "Ilze"})
        assert "Customer 1 was saved." in response.text
        saved = book.get_by_number(1)
        assert (saved.contact_person, saved.version, saved.notes[0].text) == ("Ilze", 2, NOTE)

    def test_unchanged_form_changes_nothing_but_the_version(self, owner, book):
        """An edit form given back unchanged keeps every value."""
        before = book.get_by_number(1)
        post(owner, "/customers/1/edit", values_of(owner, "/customers/1/edit"))
        after = book.get_by_number(1)
        assert (before.name, before.phone, before.categories, dict(before.custom_fields)) == (
            after.name,
            after.phone,
            after.categories,
            dict(after.custom_fields),
        )

    def test_conflict(self, owner, book):
        """Someone saved first: the conflict screen shows both values and keeps the user's."""
        values = values_of(owner, "/customers/1/edit")
        first = book.get_by_number(1)
        book.update(first.id, {"contact_person": "Ilze Bērziņa"}, expected_version=1)
        response = post(owner, "/customers/1/edit", {**values, "contact_person": "Jānis jr."})
        html = response.text
        assert 409 == response.status_code
        assert "You started from version 1; the customer is now at version 2." in html
        assert re.search(r"Contact person</th>\s*<td>Ilze Bērziņa</td><td>Jānis jr.</td>", html)
        assert 'name="version" value="2"' in html
        assert 'value="Jānis jr."' in html
        assert book.get_by_number(1).contact_person == "Ilze Bērziņa"

    def test_problems(self, owner, book):
        """A wrong value is shown beside its field and nothing changes."""
        values = values_of(owner, "/customers/1/edit")
        response = post(owner, "/customers/1/edit", {**values, "email": "nope"})
        assert (422, 1) == (response.status_code, book.get_by_number(1).version)
        assert "The email address &#39;nope&#39; is not valid" in response.text

    def test_missing_customer(self, owner):
        """An unknown number is a 404 page."""
        assert (404, 404) == (
            owner.get("/customers/99").status_code,
            owner.get("/customers/abc/edit").status_code,
        )


class TestProfile:
    def test_summary(self, owner):
        """The profile shows the account: totals, statuses, payments."""
        html = owner.get("/customers/1").text
        for shown in ["€496.05", "€100.00", "€396.05", "€20.95", "overdue", "As of Nov 26, 2026."]:
            assert shown in html

    def test_amounts_in_latvian(self, owner):
        """Latvian writes amounts its own way."""
        post(owner, "/language", {"locale": "lv"}, page="/customers")
        assert "496,05\xa0€" in owner.get("/customers/1").text

    def test_archive_and_restore(self, owner, book):
        """The profile archives and restores."""
        post(owner, "/customers/2/archive", {"version": "1"}, page="/customers/2")
        assert book.get_by_number(2).archived
        post(owner, "/customers/2/archive", {"version": "2", "restore": "yes"}, page="/customers/2")
        assert not book.get_by_number(2).archived

    def test_archive_stale(self, owner, book):
        """Archiving from a stale page says the customer changed."""
        html = post(owner, "/customers/2/archive", {"version": "7"}, page="/customers/2").text
        assert "You started from version 7" in html
        assert not book.get_by_number(2).archived

    def test_note(self, owner, book):
        """The owner adds a note, or is told why not."""
        post(owner, "/customers/2/notes", {"text": "Call after 10."}, page="/customers/2")
        html = post(owner, "/customers/2/notes", {"text": "  "}, page="/customers/2").text
        assert [n.text for n in book.get_by_number(2).notes] == ["Call after 10."]
        assert 'class="flash error"' in html

    def test_consent(self, owner, book):
        """Consent is recorded from the profile."""
        post(
            owner,
            "/customers/2/consent",
            {"channel": "post", "given": "yes", "source": "letter"},
            page="/customers/2",
        )
        assert book.get_by_number(2).consent_to(ConsentChannel.POST)
        response = post(
            owner,
            "/customers/2/consent",
            {"channel": "pigeon", "given": "yes"},
            page="/customers/2",
        )
        assert response.status_code in {200, 400}

    def test_attachment(self, owner, book, setup):
        """A file is kept beside the book and downloaded as an attachment, never inline."""
        page = owner.get("/customers/2")
        response = owner.post(
            "/customers/2/attachments",
            data={"csrf_token": token(page.text)},
            files={"file": ("contract.html", b"<script>alert(1)</script>", "text/html")},
        )
        assert "contract.html was attached." in response.text
        (attachment,) = book.get_by_number(2).attachments
        download = owner.get("/customers/2/attachments/0")
        assert (download.content, download.headers["content-type"]) == (
            b"<script>alert(1)</script>",
            "application/octet-stream",
        )
        assert download.headers["content-disposition"].startswith("attachment;")
        assert (setup[0].book_path.parent / "book.db.files" / attachment.sha256).is_file()
        assert 404 == owner.get("/customers/2/attachments/5").status_code

    def test_attachment_without_file(self, owner, book):
        """Attaching without a file says so."""
        page = owner.get("/customers/2")
        response = owner.post("/customers/2/attachments", data={"csrf_token": token(page.text)})
        assert "Choose a file to attach." in response.text
        assert book.get_by_number(2).attachments == ()


class TestCategories:
    def test_create_rename_move_delete(self, owner, book):
        """Categories are made, renamed, moved and deleted from their screen."""
        post(owner, "/categories", {"action": "create", "name": "Bakeries"})
        bakeries = book.category("Bakeries")
        post(owner, "/categories", {"action": "rename", "id": str(bakeries.id), "name": "Bakers"})
        food = book.category("Food")
        post(
            owner, "/categories", {"action": "move", "id": str(bakeries.id), "parent": str(food.id)}
        )
        assert book.category("Bakers").parent == food.id
        html = post(owner, "/categories", {"action": "delete", "id": str(bakeries.id)}).text
        assert "Category Bakers was deleted." in html

    def test_delete_in_use(self, owner, book):
        """A category customers are in is deleted only when asked to detach it."""
        retailers = str(book.category("Retailers").id)
        html = post(owner, "/categories", {"action": "delete", "id": retailers}).text
        assert "Customers are in Retailers." in html
        post(owner, "/categories", {"action": "delete", "id": retailers, "detach": "yes"})
        assert "Retailers" not in [c.name for c in book.categories()]

    def test_problem_beside_the_form(self, owner):
        """A taken name is said beside the new-category form."""
        response = post(owner, "/categories", {"action": "create", "name": "retailers"})
        assert 422 == response.status_code
        assert re.search(r'id="f-category-new-name"[^>]*aria-invalid="true"', response.text)

    def test_counts(self, owner):
        """The tree shows how many customers each category has."""
        html = owner.get("/categories").text
        assert re.search(r"Wholesalers</a></th>\s*<td class=\"num\">2 <small>\(1 directly\)", html)


class TestCustomFields:
    def test_define(self, owner, book):
        """The owner defines a field with its rules."""
        post(
            owner,
            "/fields",
            {
                "action": "define",
                "key": "size",
                "label": "Size",
                "type": "choice",
                "choices": "S\nM\nL",
            },
        )
        assert book.field("size").choices == ("S", "M", "L")

    def test_define_problems(self, owner):
        """A definition with mistakes comes back with every problem, values kept."""
        response = post(
            owner, "/fields", {"action": "define", "key": "Bad Key", "label": "", "type": "choice"}
        )
        assert 422 == response.status_code
        assert 'value="Bad Key"' in response.text
        assert re.search(r'id="f-field-new-key"[^>]*aria-invalid="true"', response.text)

    def test_change_and_deactivate(self, owner, book):
        """The owner renames, deactivates and activates a field."""
        post(
            owner,
            "/fields",
            {
                "action": "change",
                "key": "tier",
                "label": "Level",
                "choices": "Gold\nSilver\nBronze",
            },
        )
        post(owner, "/fields", {"action": "deactivate", "key": "tier"})
        assert (book.field("tier").label, book.field("tier").active) == ("Level", False)
        post(owner, "/fields", {"action": "activate", "key": "tier"})
        assert book.field("tier").active

    def test_unknown(self, owner):
        """An unknown field or action is refused."""
        assert 404 == post(owner, "/fields", {"action": "activate", "key": "nope"}).status_code
        assert 400 == post(owner, "/fields", {"action": "explode", "key": "tier"}).status_code


class TestForms:
    @pytest.mark.parametrize(
        ("values", "expected"),
        (
            ({}, [0, 1]),
            ({"other_phones-0-number": "1"}, [0, 1, 2]),
            ({"other_phones-3-number": "1", "other_phones-0-type": "fax"}, [3, 4, 5]),
        ),
    )
    def test_phone_rows(self, values, expected):
        """Filled rows of other phones, then two blank ones."""
        assert expected == phone_rows(values)

    def test_problem_of_no_input(self):
        """A problem of a field not on the screen is listed above the form."""
        from debitor_core import Problem

        placed = place_problems(
            [Problem("custom_fields.secret", "custom_field.required", "Needed.")], "en", ["name"]
        )
        assert ([p.message for p in placed.general], dict(placed.by_field)) == (["Needed."], {})


class TestServedTogether:
    def test_two_apps_one_book(self, tmp_path, clock):
        """Two apps (as two workers) on one SQLite file see each other's writes at once."""
        config, book = demo_book(tmp_path / "b.db", clock)
        book.store.close()
        first = signed_in(create_app(config), "owner")
        second = signed_in(create_app(config), "owner")
        new_customer(first, action="save", **LATVIAN)
        assert "SIA Ābols" in second.get("/customers?q=abols").text

    def test_postgres(self, postgres_url, clock):
        """The app keeps its book in PostgreSQL when given a URL."""
        config = Config(
            secret=SECRET, database_url=postgres_url, book_id="webapp-test", clock=clock
        )
        with TestClient(create_app(config)) as raw:
            page = raw.get("/signin")
            raw.post("/signin", data={"csrf_token": token(page.text), "user": "owner"})
            new_customer(raw, action="save", **LATVIAN)
            with TestClient(create_app(config)) as other:
                page = other.get("/signin")
                other.post("/signin", data={"csrf_token": token(page.text), "user": "owner"})
                assert "SIA Ābols" in other.get("/customers?q=abols").text


def test_fixed_clock_is_for_tests(clock):
    """The fixed clock counts on from its start."""
    start = clock()
    tick = fixed_clock(start)
    assert [tick(), tick()] == [start, start.replace(microsecond=1000)]


def test_today_is_the_books(owner):
    """The account's day comes from the book's clock, never the machine's."""
    assert f"As of {TODAY:%b} {TODAY.day}, {TODAY.year}." in owner.get("/customers/1").text


class TestAccessibility:
    @pytest.mark.parametrize(
        "path",
        [
            "/signin",
            "/customers",
            "/customers/new",
            "/customers/1",
            "/customers/1/edit",
            "/categories",
            "/fields",
        ],
    )
    def test_every_input_has_a_label(self, owner, path):
        """Every visible input, select and textarea has a label (or sits in one)."""
        html = owner.get(path).text
        labelled = set(re.findall(r'<label[^>]* for="([^"]+)"', html))
        wrapped = set(re.findall(r"<label[^>]*>\s*<input[^>]*name=\"([^\"]+)\"", html))
        controls = re.findall(r"<(input|select|textarea)\b([^>]*)>", html)
        assert controls
        for tag, attributes in controls:
            if 'type="hidden"' in attributes:
                continue
            control_id = re.search(r'id="([^"]+)"', attributes)
            name = re.search(r'name="([^"]+)"', attributes)
            assert (control_id and control_id[1] in labelled) or (name and name[1] in wrapped), (
                f"<{tag}{attributes}> has no label"
            )

    def test_problems_are_described(self, owner):
        """Each problem shown beside an input is named by that input's aria-describedby."""
        html = new_customer(
            owner, action="review", **{**LATVIAN, "email": "x", "address.postal_code": "9"}
        ).text
        shown = re.findall(r'<p class="problem error" id="(problem-\d+)">', html)
        described = " ".join(re.findall(r'aria-describedby="([^"]+)"', html)).split()
        assert len(shown) == 2
        assert set(shown) <= set(described)

    def test_no_scripts(self, owner):
        """No page needs JavaScript: there is no script at all."""
        html = rendered(owner, ["/customers", "/customers/new", "/customers/1", "/categories"])
        assert "<script" not in html


class TestErrors:
    def test_unexpected_failure(self, app, owner, monkeypatch, caplog):
        """A failure is a quiet 500 page and one log line naming only the exception's type."""

        def failing(*_args, **_kwargs):
            msg = "Secret value typed by someone"
            raise RuntimeError(msg)

        monkeypatch.setattr(BookView, "search", failing)  # every screen reads through a view
        caplog.set_level(logging.INFO)
        response = owner.get("/customers?q=x")
        assert (500, True) == (
            response.status_code,
            "The app failed to answer. The error was logged." in response.text,
        )
        assert "GET /customers failed: RuntimeError" in caplog.text
        assert "Secret value" not in caplog.text
        del app

    @pytest.mark.parametrize(
        "case",
        (
            ("StoreLocked", 503, "The customer book is busy. Try again in a moment."),
            ("StorageError", 503, "The customer book could not be reached. Try again later."),
        ),
    )
    def test_storage_failures(self, owner, monkeypatch, case):
        """A store that is busy or down is said as such, with 503."""
        error, status, sentence = case
        import debitor_core

        def failing(*_args, **_kwargs):
            raise getattr(debitor_core, error)("disk on fire at /srv/book.db")

        monkeypatch.setattr(BookView, "search", failing)
        response = owner.get("/customers")
        assert (status, True, False) == (
            response.status_code,
            sentence in response.text,
            "/srv/book.db" in response.text,
        )
