"""Fixtures for the dashboard's browser tests: Playwright (sync API) driving Debian's chromium.

The tests talk to a running service at DASHBOARD_URL (default http://127.0.0.1:9000, `make dev`) only through
its public API and its page, so they run unchanged against `make dev`, `make test`'s watch or a deployment.
"""

import json
import os
import re
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect, sync_playwright

BASE_URL = os.environ.get("DASHBOARD_URL", "http://127.0.0.1:9000").rstrip("/")
ORIGIN = "{0.scheme}://{0.netloc}".format(urlsplit(BASE_URL))
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = Path(os.environ.get("SCREENSHOT_DIR") or ROOT / ".data" / "screenshots")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")

LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

# How Chromium reports a fetch that got an HTTP error status. Such a line is expected exactly when a test
# provokes an API error; anything else on the console (a CSP violation, an uncaught exception) fails the test.
HTTP_ERROR_LINE = re.compile(r"Failed to load resource: the server responded with a status of (\d{3})")

expect.set_options(timeout=15_000)


# ------------------------------------------------------------------------------------------------ the API


class Api:
    """The service's JSON API, over plain HTTP (urllib), as any client would use it."""

    def __init__(self, base_url):
        self.base_url = base_url

    def call(self, method, path, key=None, body=None):
        headers = {"Accept": "application/json"}
        data = None
        if key is not None:
            headers["Authorization"] = "Bearer " + key
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            raw = error.read()
            try:
                return error.code, json.loads(raw)
            except ValueError:
                return error.code, {"raw": raw.decode(errors="replace")}

    def ok(self, method, path, key=None, body=None, status=200):
        got, payload = self.call(method, path, key, body)
        assert got == status, f"{method} {path}: {got} {payload}"
        assert payload["success"] is True, payload
        return payload

    def signup(self):
        tag = uuid.uuid4().hex[:12]
        payload = self.ok(
            "POST",
            "/v1/signup",
            body={"name": f"Dashboard Test {tag}", "email": f"dashboard-{tag}@example.com"},
            status=201,
        )
        return payload["data"]

    def create_key(self, admin_key, **fields):
        return self.ok("POST", "/v1/account/api-keys", admin_key, fields, status=201)["data"]

    def list_keys(self, admin_key):
        out, after = [], None
        while True:
            path = "/v1/account/api-keys?limit=100" + (f"&starting_after={after}" if after else "")
            page = self.ok("GET", path, admin_key)
            out.extend(page["data"])
            if not page.get("has_more") or not page["data"]:
                return out
            after = page["data"][-1]["id"]

    def key_by_id(self, admin_key, key_id):
        return next(k for k in self.list_keys(admin_key) if k["id"] == key_id)


@pytest.fixture(scope="session")
def api():
    return Api(BASE_URL)


@pytest.fixture
def org(api):
    """A fresh organisation per test: its account and its first key (live, every scope, the only admin)."""
    data = api.signup()
    return {
        "account": data["account"],
        "admin_key": data["api_key"]["key"],
        "admin_key_id": data["api_key"]["id"],
        "admin_prefix": data["api_key"]["key_prefix"],
    }


# ------------------------------------------------------------------------------------------------ the browser


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


class Dashboard:
    """One browser tab on the dashboard, recording what could leak a key or break the page."""

    def __init__(self, context, page: Page):
        self.context = context
        self.page = page
        self.console = []  # (type, text)
        self.page_errors = []
        self.requests = []  # every URL the page asked for
        self.allowed_http_errors = set()
        self.watch(page)

    def watch(self, page):
        page.on("console", lambda m: self.console.append((m.type, m.text)))
        page.on("pageerror", lambda e: self.page_errors.append(str(e)))
        page.on("request", lambda r: self.requests.append(r.url))

    def allow_http_errors(self, *statuses):
        """The test provokes these API error statuses on purpose: Chromium's console line for them is fine."""
        self.allowed_http_errors.update(statuses)

    # ---- navigation and sign-in

    def open(self):
        response = self.page.goto(BASE_URL + "/dashboard")
        assert response is not None and response.status == 200, response and response.status
        return response

    def sign_in(self, key, expect_dashboard=True):
        page = self.page
        page.get_by_label("API key", exact=True).fill(key)
        page.get_by_role("button", name="Sign in").click()
        if expect_dashboard:
            expect(page.get_by_role("heading", name="Account")).to_be_visible()
            expect(page.locator("#sign-in-view")).to_be_hidden()

    def wait_for_keys(self):
        expect(self.page.locator("#live-keys-table tbody tr, #test-keys-table tbody tr").first).to_be_visible()

    def row(self, prefix):
        return self.page.locator(".keys-table tbody tr", has=self.page.locator("code", has_text=prefix))

    def alerts(self):
        return self.page.get_by_role("alert")

    # ---- the checks

    def storage(self, kind):
        return self.page.evaluate(f"() => JSON.stringify(Object.assign({{}}, window.{kind}))")

    def assert_key_is_nowhere(self, *keys, in_dom=True):
        """A key must never reach the URL, localStorage, a cookie, a request URL or the console; nor the page
        (with in_dom), which it may only reach in the one-time new-key dialog."""
        local_storage = self.storage("localStorage")
        cookies = json.dumps(self.context.cookies())
        dom = self.page.content() if in_dom else ""
        values = json.dumps(
            self.page.evaluate("() => Array.from(document.querySelectorAll('input, textarea'), (i) => i.value)")
        ) if in_dom else ""
        visible_text = self.page.evaluate("() => document.body.innerText") if in_dom else ""
        for key in keys:
            assert key not in self.page.url, "key in the URL"
            assert key not in local_storage, "key in localStorage"
            assert key not in cookies, "key in a cookie"
            assert not any(key in url for url in self.requests), "key in a request URL"
            assert not any(key in text for _, text in self.console), "key on the console"
            if in_dom:
                assert key not in dom, "key in the page's DOM"
                assert key not in values, "key in an input's value"
                assert key not in visible_text, "key in the page's text"

    def unexpected_console_errors(self):
        bad = []
        for kind, text in self.console:
            if kind != "error":
                continue
            m = HTTP_ERROR_LINE.search(text)
            if m and int(m.group(1)) in self.allowed_http_errors:
                continue
            bad.append(text)
        return bad + [f"uncaught: {e}" for e in self.page_errors]

    def third_party_requests(self):
        return [
            url
            for url in self.requests
            if not url.startswith(("data:", "blob:", "about:")) and not url.startswith(ORIGIN + "/")
        ]

    def assert_healthy(self):
        assert self.unexpected_console_errors() == [], "console errors (a CSP violation is one)"
        assert self.third_party_requests() == [], "requests to another origin"

    def screenshot(self, name, full_page=True):
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOT_DIR / name), full_page=full_page)


def new_dashboard(browser, viewport):
    context = browser.new_context(viewport=viewport, device_scale_factor=1)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=ORIGIN)
    context.set_default_navigation_timeout(60_000)  # a function's first request may start its process
    return Dashboard(context, context.new_page())


def healthy_dashboard(browser, viewport):
    """A dashboard tab of this size; after the test, no console error and no third-party request."""
    d = new_dashboard(browser, viewport)
    yield d
    try:
        d.assert_healthy()
    finally:
        d.context.close()


@pytest.fixture
def dash(browser):
    """The dashboard in a laptop-sized tab."""
    yield from healthy_dashboard(browser, LAPTOP)


@pytest.fixture
def phone_dash(browser):
    """The dashboard in a phone-sized tab."""
    yield from healthy_dashboard(browser, PHONE)
