"""The dashboard (GET /dashboard) in a real browser: one behaviour per test.

Every test signs up a fresh organisation through the API, then uses the page as a person would. After each
step the keys involved are checked to be nowhere a key must not be (URL, localStorage, cookies, request URLs,
console, and the page itself outside the one-time new-key dialog); after each test, the console has no error
(a CSP violation is one) and no request went to another origin (see conftest.py).
"""

import base64
import datetime as dt
import json
import re
import subprocess
import urllib.request
import uuid
from urllib.parse import urlsplit

from conftest import BASE_URL, LAPTOP, PHONE, ROOT, SCREENSHOT_DIR
from playwright.sync_api import expect

WARNING = "The full key is only shown once. Save it securely!"
FULL_KEY = re.compile(r"^mem_(live|test)_[A-Za-z0-9]{32,64}$")
CONTROL_BUTTONS = re.compile(r"^(Create key|Edit|Roll|Revoke)\b")
SECRET_SCANNING_URL = BASE_URL + "/v1/secret-scanning/github"
# The TEST-ONLY key pair that `make dev` and `make test` serve as GitHub's (dev/secret-scanning/README.md).
TEST_SIGNING_KEY = ROOT / "dev" / "secret-scanning" / "TEST-ONLY-signing-key.pem"
TEST_KEY_IDENTIFIER = "test-only-local-dev-key"
# What scripts/report-leak.sh reports as the place a token was found.
SCRIPT_LEAK_URL = "https://github.com/example/repo/blob/main/.env"


def prefix_of(key):
    return key[:15] + "..."


def fmt(n):
    return f"{n:,}"


def open_create_and_submit(dash, name, environment=None, scopes=("read",), expires_in_days=None):
    page = dash.page
    page.get_by_role("button", name="Create key").click()
    dialog = page.get_by_role("dialog", name="Create a key")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Name", exact=True).fill(name)
    if environment:
        dialog.get_by_role("radio", name=re.compile("^" + environment.capitalize())).check()
    for scope in ("read", "write", "delete", "admin"):
        box = dialog.get_by_role("checkbox", name=re.compile("^" + scope + r"\b"))
        box.set_checked(scope in scopes)
    if expires_in_days is not None:
        dialog.get_by_label("Expires after (days)").fill(str(expires_in_days))
    dialog.get_by_role("button", name="Create key").click()
    return dialog


def report_leak(*leaks):
    """Reports each (token, url, source) as GitHub's secret scanning would: the JSON array signed over its
    exact bytes with the TEST-ONLY key (openssl, as scripts/report-leak.sh does). Returns the labels."""
    body = json.dumps(
        [{"token": token, "type": "memory_api_key", "url": url, "source": source} for token, url, source in leaks]
    ).encode()
    signature = subprocess.run(
        ["openssl", "dgst", "-sha256", "-sign", str(TEST_SIGNING_KEY)], input=body, capture_output=True, check=True
    ).stdout
    request = urllib.request.Request(
        SECRET_SCANNING_URL,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Github-Public-Key-Identifier": TEST_KEY_IDENTIFIER,
            "Github-Public-Key-Signature": base64.b64encode(signature).decode(),
        },
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        labels = json.loads(response.read())
    assert [label["label"] for label in labels] == ["true_positive"] * len(leaks), labels
    return labels


def activity_rows(page):
    return page.locator("#activity-table tbody tr")


def wait_for_activity(dash):
    expect(activity_rows(dash.page).first).to_be_visible()


def read_new_key(dash):
    dialog = dash.page.locator("#new-key-dialog")
    expect(dialog).to_be_visible()
    key = dialog.locator("#new-key-value").inner_text().strip()
    assert FULL_KEY.match(key), "the new-key dialog shows a full key"
    return dialog, key


# ------------------------------------------------------------------------------------------------ serving


def test_page_is_served_with_a_strict_content_security_policy(dash):
    response = dash.open()
    headers = response.headers
    csp = headers.get("content-security-policy", "")
    for directive in ("default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'",
                      "frame-ancestors 'none'", "base-uri 'none'", "form-action 'none'"):
        assert directive in csp, directive
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers.get("x-frame-options", "").upper() == "DENY"
    assert headers.get("content-type", "").startswith("text/html")
    modules = dash.page.evaluate(
        "() => Array.from(document.querySelectorAll('script[src], link[rel=modulepreload]'),"
        " (e) => new URL(e.src || e.href).pathname)"
    )
    assert "/dashboard/main.js" in modules and "/dashboard/constants.js" in modules, modules
    assets = [(module, "javascript") for module in modules] + [("/dashboard/style.css", "text/css")]
    for asset, media_type in assets:
        r = dash.page.request.get(BASE_URL + asset)
        assert r.status == 200, asset
        assert media_type in r.headers.get("content-type", ""), asset
    # Nothing on the page that such a policy would block: no inline script, style or handler.
    inline = dash.page.evaluate(
        """() => ({
            scripts: document.querySelectorAll('script:not([src])').length,
            styles: document.querySelectorAll('style, [style]').length,
            handlers: Array.from(document.querySelectorAll('*')).filter(
                (e) => Array.from(e.attributes).some((a) => a.name.startsWith('on'))).length,
        })"""
    )
    assert inline == {"scripts": 0, "styles": 0, "handlers": 0}


def test_every_module_loads_under_the_policy_and_the_page_uses_the_services_constants(dash):
    page = dash.page
    # Before any of the page's code: count what the policy blocks (none of the page's own scripts can see this).
    page.add_init_script(
        "window.__violations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    loaded = {}
    page.on("response", lambda r: loaded.__setitem__(urlsplit(r.url).path, r.status))
    dash.open()
    expect(page.get_by_label("API key", exact=True)).to_be_focused()  # main.js ran to its end
    modules = page.evaluate(
        "() => Array.from(document.querySelectorAll('script[src], link[rel=modulepreload]'),"
        " (e) => new URL(e.src || e.href).pathname)"
    )
    for module in modules:
        assert loaded.get(module) == 200, (module, loaded.get(module))
    assert page.evaluate("() => window.__violations") == []

    # The page's limits are the ones constants.js states, which the route tests hold to the service's own.
    constants = {}
    for line in page.request.get(BASE_URL + "/dashboard/constants.js").text().splitlines():
        if line.startswith("export const "):
            name, value = line[len("export const "):].rstrip(";").split(" = ", 1)
            constants[name] = json.loads(value)
    form = page.evaluate(
        """() => ({
            scopes: Array.from(document.querySelectorAll('#create-scopes input'), (i) => i.value),
            createName: document.getElementById('create-name').maxLength,
            editName: document.getElementById('edit-name').maxLength,
            expiresMax: document.getElementById('create-expires').max,
            rollMax: document.getElementById('roll-hours').max,
            rollDefault: document.getElementById('roll-hours').defaultValue,
            eventTypes: Array.from(document.querySelectorAll('#activity-type option'), (o) => o.value).slice(1),
            createIpsHint: document.getElementById('create-allowed-ips-hint').textContent,
            editIpsHint: document.getElementById('edit-allowed-ips-hint').textContent,
        })"""
    )
    at_most = f"at most {constants['MAX_ALLOWED_IPS']}."
    assert at_most in form.pop("createIpsHint") and at_most in form.pop("editIpsHint"), at_most
    assert form == {
        "scopes": constants["SCOPES"],
        "createName": constants["MAX_NAME_CHARS"],
        "editName": constants["MAX_NAME_CHARS"],
        "expiresMax": str(constants["MAX_EXPIRES_IN_DAYS"]),
        "rollMax": str(constants["MAX_ROLL_OVERLAP_HOURS"]),
        "rollDefault": str(constants["DEFAULT_ROLL_OVERLAP_HOURS"]),
        "eventTypes": constants["EVENT_TYPES"],
    }


def test_page_loads_and_signs_in_without_console_errors_or_third_party_requests(dash, org):
    dash.open()
    expect(dash.page.get_by_role("heading", name="Sign in with an API key")).to_be_visible()
    dash.sign_in(org["admin_key"])
    dash.wait_for_keys()
    expect(dash.page.locator("#usage-body")).to_be_visible()
    dash.page.wait_for_load_state("networkidle")
    # No allowance at all here: not even an API error status.
    dash.assert_healthy()
    dash.assert_key_is_nowhere(org["admin_key"])


# ------------------------------------------------------------------------------------------------ signing in


def test_signing_in_by_pasting_a_key_shows_the_account_and_the_keys_table(dash, org):
    page = dash.page
    dash.open()
    key_input = page.get_by_label("API key", exact=True)
    assert key_input.get_attribute("type") == "password"
    dash.assert_key_is_nowhere(org["admin_key"])
    dash.sign_in(org["admin_key"])
    account = page.locator("#account-section")
    expect(account).to_contain_text(org["account"]["name"])
    expect(account).to_contain_text(org["account"]["email"])
    expect(account).to_contain_text(org["account"]["plan"]["name"])
    expect(page.locator("#mode-badge")).to_have_text("Live mode")
    dash.wait_for_keys()
    live = page.locator("#live-keys-table")
    for column in ("Name", "Prefix", "Scopes", "Allowed IPs", "Created", "Last used", "Expires", "Status", "Actions"):
        expect(live.get_by_role("columnheader", name=column, exact=True)).to_be_visible()
    row = dash.row(org["admin_prefix"])
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Default Key")
    expect(row).to_contain_text("this key")
    expect(row.locator(".status")).to_have_text("Active")
    expect(page.get_by_role("heading", name=re.compile("^Test keys"))).to_be_visible()
    # Kept for this tab only: sessionStorage is allowed, nothing else.
    assert org["admin_key"] in dash.storage("sessionStorage")
    dash.assert_key_is_nowhere(org["admin_key"])


def test_signing_in_with_an_unknown_key_shows_the_api_message(dash, api):
    page = dash.page
    dash.allow_http_errors(401)
    unknown = "mem_live_" + uuid.uuid4().hex + "ABCDEFGH"
    status, body = api.call("GET", "/v1/account", unknown)
    assert status == 401
    dash.open()
    with page.expect_response(lambda r: r.url.endswith("/v1/account")) as answer:
        dash.sign_in(unknown, expect_dashboard=False)
    message = answer.value.json()["error"]["message"]
    assert message == body["error"]["message"]
    expect(dash.alerts().filter(has_text=message)).to_be_visible()
    expect(page.locator("#sign-in-view")).to_be_visible()
    expect(page.locator("#dashboard-view")).to_be_hidden()
    assert unknown not in dash.storage("sessionStorage")
    dash.assert_key_is_nowhere(unknown)


def test_the_key_survives_a_reload_of_the_tab_but_not_a_new_tab(dash, org):
    page = dash.page
    dash.open()
    dash.sign_in(org["admin_key"])
    page.reload()
    expect(page.locator("#account-section")).to_contain_text(org["account"]["email"])
    dash.assert_key_is_nowhere(org["admin_key"])
    other = dash.context.new_page()
    dash.watch(other)
    other.goto(BASE_URL + "/dashboard")
    expect(other.get_by_role("heading", name="Sign in with an API key")).to_be_visible()
    expect(other.locator("#dashboard-view")).to_be_hidden()
    assert other.evaluate("() => sessionStorage.length") == 0
    other.close()


def test_signing_out_forgets_the_key(dash, org):
    page = dash.page
    dash.open()
    dash.sign_in(org["admin_key"])
    dash.wait_for_keys()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in with an API key")).to_be_visible()
    expect(page.locator("#dashboard-view")).to_be_hidden()
    assert org["admin_key"] not in dash.storage("sessionStorage")
    assert page.evaluate("() => sessionStorage.length") == 0
    # The page state is gone too: no account, no key list left in the DOM.
    html = page.content()
    assert org["account"]["email"] not in html
    assert org["admin_prefix"] not in html
    dash.assert_key_is_nowhere(org["admin_key"])
    page.reload()
    expect(page.get_by_role("heading", name="Sign in with an API key")).to_be_visible()
    expect(page.locator("#dashboard-view")).to_be_hidden()
    dash.assert_key_is_nowhere(org["admin_key"])


# ------------------------------------------------------------------------------------------------ managing keys


def test_creating_a_key_shows_the_full_key_once_with_a_copy_button_and_the_warning(dash, org, api):
    page = dash.page
    dash.open()
    dash.sign_in(org["admin_key"])
    dash.wait_for_keys()
    open_create_and_submit(dash, "CI deploy", environment="live", scopes=("read", "write"), expires_in_days=90)
    dialog, new_key = read_new_key(dash)
    expect(dialog).to_contain_text(WARNING)
    expect(dialog.get_by_role("button", name="Copy")).to_be_visible()
    dash.assert_key_is_nowhere(org["admin_key"])
    dash.assert_key_is_nowhere(new_key, in_dom=False)
    page.evaluate("() => window.scrollTo(0, 0)")
    dash.screenshot("dashboard-new-key.png", full_page=False)
    dialog.get_by_role("button", name="Copy").click()
    expect(dialog.get_by_role("status")).to_contain_text("Copied")
    assert page.evaluate("() => navigator.clipboard.readText()") == new_key
    dialog.get_by_role("button", name=re.compile("^Done")).click()
    expect(dialog).to_be_hidden()
    # Closed: the full key is nowhere on the page any more.
    dash.assert_key_is_nowhere(new_key, org["admin_key"])
    row = dash.row(prefix_of(new_key))
    expect(row).to_contain_text("CI deploy")
    expect(row.locator(".scope")).to_have_text(["read", "write"])
    expect(row.locator(".status")).to_have_text("Active")
    expect(row.locator("td[data-label='Expires'] time")).to_have_count(1)  # 90 days: a date, not "Never"
    # It is a real key of this organisation.
    assert api.ok("GET", "/v1/account", new_key)["data"]["org_id"] == org["account"]["org_id"]
    dash.assert_key_is_nowhere(new_key, org["admin_key"])


def test_copy_falls_back_to_selecting_the_key_without_a_clipboard(dash, org):
    page = dash.page
    # A browser that refuses clipboard access (an insecure origin, a denied permission).
    page.add_init_script(
        "Object.defineProperty(navigator, 'clipboard', { value: { writeText: () => Promise.reject(new Error('denied')) } })"
    )
    dash.open()
    dash.sign_in(org["admin_key"])
    dash.wait_for_keys()
    open_create_and_submit(dash, "No clipboard")
    dialog, new_key = read_new_key(dash)
    dialog.get_by_role("button", name="Copy").click()
    expect(dialog.get_by_role("status")).to_contain_text("selected")
    assert page.evaluate("() => window.getSelection().toString()").strip() == new_key
    dialog.get_by_role("button", name=re.compile("^Done")).click()
    expect(dialog).to_be_hidden()
    assert page.evaluate("() => window.getSelection().toString()") == ""
    dash.assert_key_is_nowhere(new_key, org["admin_key"])


def test_revoking_a_key_asks_for_confirmation_first(dash, org, api):
    page = dash.page
    victim = api.create_key(org["admin_key"], name="Old laptop", scopes=["read"])
    dash.open()
    dash.sign_in(org["admin_key"])
    row = dash.row(victim["key_prefix"])
    expect(row).to_have_count(1)
    # Cancel: nothing happens.
    row.get_by_role("button", name=re.compile("^Revoke")).click()
    confirm = page.get_by_role("dialog", name=re.compile("^Revoke"))
    expect(confirm).to_be_visible()
    expect(confirm).to_contain_text(victim["key_prefix"])
    confirm.get_by_role("button", name="Cancel").click()
    expect(confirm).to_be_hidden()
    assert api.key_by_id(org["admin_key"], victim["id"])["revoked_at"] is None
    expect(row.locator(".status")).to_have_text("Active")
    # Confirm: revoked.
    row.get_by_role("button", name=re.compile("^Revoke")).click()
    expect(confirm).to_be_visible()
    confirm.get_by_role("button", name="Revoke key").click()
    expect(confirm).to_be_hidden()
    expect(row.locator(".status")).to_have_text("Revoked")
    expect(row.get_by_role("button")).to_have_count(0)
    assert api.key_by_id(org["admin_key"], victim["id"])["revoked_at"] is not None
    dash.assert_key_is_nowhere(org["admin_key"], victim["key"])


def test_rolling_a_key_shows_the_new_key_once_and_keeps_the_old_one_for_the_overlap(dash, org, api):
    page = dash.page
    old = api.create_key(org["admin_key"], name="Worker", scopes=["read", "write"])
    dash.open()
    dash.sign_in(org["admin_key"])
    old_row = dash.row(old["key_prefix"])
    old_row.get_by_role("button", name=re.compile("^Roll")).click()
    roll = page.get_by_role("dialog", name=re.compile("^Roll"))
    expect(roll).to_be_visible()
    roll.get_by_label(re.compile("^Overlap")).fill("2")
    before = dt.datetime.now(dt.timezone.utc)
    roll.get_by_role("button", name="Roll key").click()
    dialog, new_key = read_new_key(dash)
    expect(dialog).to_contain_text(WARNING)
    expect(dialog).to_contain_text("keeps working until")
    assert new_key != old["key"]
    dash.assert_key_is_nowhere(old["key"], org["admin_key"])
    dialog.get_by_role("button", name=re.compile("^Done")).click()
    expect(dialog).to_be_hidden()
    dash.assert_key_is_nowhere(new_key, old["key"], org["admin_key"])
    # The old key: still listed, working until the overlap ends, not rollable again.
    expect(old_row.locator(".status")).to_have_text("Expires soon")
    expect(old_row).to_contain_text("Rolled")
    expect(old_row.get_by_role("button", name=re.compile("^Roll"))).to_have_count(0)
    new_row = dash.row(prefix_of(new_key))
    expect(new_row.locator(".status")).to_have_text("Active")
    expect(new_row).to_contain_text("Worker")
    listed = api.key_by_id(org["admin_key"], old["id"])
    assert listed["is_active"] is True and listed["revoked_at"] is None
    ends = dt.datetime.fromisoformat(listed["expires_at"].replace("Z", "+00:00"))
    assert abs((ends - before).total_seconds() - 2 * 3600) < 600, listed["expires_at"]
    assert api.call("GET", "/v1/account", old["key"])[0] == 200
    assert api.call("GET", "/v1/account", new_key)[0] == 200


def test_renaming_a_key(dash, org, api):
    page = dash.page
    k = api.create_key(org["admin_key"], name="Temp name", scopes=["read", "write"])
    dash.open()
    dash.sign_in(org["admin_key"])
    row = dash.row(k["key_prefix"])
    row.get_by_role("button", name=re.compile("^Edit")).click()
    edit = page.get_by_role("dialog", name=re.compile("^Edit"))
    edit.get_by_label("Name", exact=True).fill("Analytics export")
    edit.get_by_role("button", name="Save").click()
    expect(edit).to_be_hidden()
    expect(row).to_contain_text("Analytics export")
    assert api.key_by_id(org["admin_key"], k["id"])["name"] == "Analytics export"
    dash.assert_key_is_nowhere(org["admin_key"], k["key"])


def test_setting_and_clearing_allowed_ips_through_the_edit_dialog(dash, org, api):
    page = dash.page
    k = api.create_key(org["admin_key"], name="Office only", scopes=["read"])
    dash.open()
    dash.sign_in(org["admin_key"])
    row = dash.row(k["key_prefix"])
    expect(row.locator(".key-ips")).to_have_text("Anywhere")
    # Set: one entry a line, or comma-separated.
    row.get_by_role("button", name=re.compile("^Edit")).click()
    edit = page.get_by_role("dialog", name=re.compile("^Edit"))
    ips = edit.get_by_label("Allowed IPs")
    expect(ips).to_have_value("")
    ips.fill("203.0.113.7\n198.51.100.0/24, 2001:db8::/32")
    with page.expect_response(lambda r: r.request.method == "PATCH") as answer:
        edit.get_by_role("button", name="Save").click()
    assert answer.value.request.post_data_json == {"allowed_ips": ["203.0.113.7", "198.51.100.0/24", "2001:db8::/32"]}
    expect(edit).to_be_hidden()
    expect(row.locator(".key-ips li")).to_have_text(["203.0.113.7", "198.51.100.0/24", "2001:db8::/32"])
    assert api.key_by_id(org["admin_key"], k["id"])["allowed_ips"] == ["203.0.113.7", "198.51.100.0/24", "2001:db8::/32"]
    # The change is in the activity panel, refreshed after the save.
    edited = activity_rows(page).first
    expect(edited).to_contain_text("Key edited")
    expect(edited).to_contain_text("Allowed IPs: Anywhere → 203.0.113.7, 198.51.100.0/24, 2001:db8::/32")
    # Clear: the field emptied sends [], and the key works from anywhere again.
    row.get_by_role("button", name=re.compile("^Edit")).click()
    expect(ips).to_have_value("203.0.113.7\n198.51.100.0/24\n2001:db8::/32")
    ips.fill("")
    with page.expect_response(lambda r: r.request.method == "PATCH") as answer:
        edit.get_by_role("button", name="Save").click()
    assert answer.value.request.post_data_json == {"allowed_ips": []}
    expect(edit).to_be_hidden()
    expect(row.locator(".key-ips")).to_have_text("Anywhere")
    assert api.key_by_id(org["admin_key"], k["id"])["allowed_ips"] == []
    expect(activity_rows(page).first).to_contain_text("Allowed IPs: 203.0.113.7, 198.51.100.0/24, 2001:db8::/32 → Anywhere")
    dash.assert_key_is_nowhere(org["admin_key"], k["key"])


def test_creating_a_key_with_allowed_ips_shows_the_apis_message_for_a_bad_entry(dash, org, api):
    page = dash.page
    dash.allow_http_errors(400)
    dash.open()
    dash.sign_in(org["admin_key"])
    dash.wait_for_keys()
    page.get_by_role("button", name="Create key").click()
    dialog = page.get_by_role("dialog", name="Create a key")
    dialog.get_by_label("Name", exact=True).fill("Bound")
    dialog.get_by_label(re.compile("^Allowed IPs")).fill("203.0.113.7, 10.0.0.0/8, not-an-address")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        dialog.get_by_role("button", name="Create key").click()
    assert answer.value.status == 400
    error = answer.value.json()["error"]
    assert error["param"] == "allowed_ips[2]", error
    expect(dialog.get_by_role("alert")).to_have_text(error["message"])
    # Corrected: created with the list, which the key table shows.
    dialog.get_by_label(re.compile("^Allowed IPs")).fill("203.0.113.7\n10.0.0.0/8")
    dialog.get_by_role("button", name="Create key").click()
    new_dialog, new_key = read_new_key(dash)
    new_dialog.get_by_role("button", name=re.compile("^Done")).click()
    row = dash.row(prefix_of(new_key))
    expect(row.locator(".key-ips li")).to_have_text(["203.0.113.7", "10.0.0.0/8"])
    dash.assert_key_is_nowhere(new_key, org["admin_key"])


def test_binding_the_last_admin_key_away_from_the_callers_address_shows_the_apis_message(dash, org):
    """The organisation's only staying admin key, bound to an address the browser is not at: 409."""
    page = dash.page
    dash.allow_http_errors(409)
    dash.open()
    dash.sign_in(org["admin_key"])
    row = dash.row(org["admin_prefix"])
    row.get_by_role("button", name=re.compile("^Edit")).click()
    edit = page.get_by_role("dialog", name=re.compile("^Edit"))
    edit.get_by_label("Allowed IPs").fill("203.0.113.7")
    with page.expect_response(lambda r: r.request.method == "PATCH") as answer:
        edit.get_by_role("button", name="Save").click()
    assert answer.value.status == 409
    error = answer.value.json()["error"]
    assert error["code"] == "last_admin_key"
    expect(edit.get_by_role("alert")).to_have_text(error["message"])
    edit.get_by_role("button", name="Cancel").click()
    expect(row.locator(".key-ips")).to_have_text("Anywhere")
    dash.assert_key_is_nowhere(org["admin_key"])


# ------------------------------------------------------------------------------------------------ activity, leaks


def test_the_activity_panel_lists_the_signup_and_a_created_key_newest_first_and_loads_more(dash, org, api):
    page = dash.page
    # The signup, then 20 keys: 21 events, one more than the panel's first page.
    for n in range(1, 21):
        api.create_key(org["admin_key"], name=f"Worker {n}", scopes=["read"])
    dash.open()
    dash.sign_in(org["admin_key"])
    wait_for_activity(dash)
    rows = activity_rows(page)
    expect(rows).to_have_count(20)
    newest = rows.first
    expect(newest.locator("[data-label=What]")).to_have_text("Key created")
    expect(newest.locator("[data-label=Details]")).to_contain_text("Name: “Worker 20”")
    expect(newest.locator("[data-label=Who]")).to_contain_text(org["admin_prefix"])
    expect(newest.locator("[data-label=Who]")).to_contain_text("this key")
    expect(newest.locator("[data-label=From] code")).to_have_text(re.compile(r"^[0-9a-f.:]+$"))
    expect(rows.nth(19).locator("[data-label=Details]")).to_contain_text("Worker 1”")
    more = page.get_by_role("button", name="Load more")
    expect(more).to_be_visible()
    expect(page.locator("#activity-count")).to_contain_text("Showing 20 events")
    with page.expect_response(lambda r: "/v1/account/events?" in r.url) as answer:
        more.click()
    assert "starting_after=evt_" in answer.value.url
    expect(rows).to_have_count(21)
    signup = rows.last
    expect(signup.locator("[data-label=What]")).to_have_text("Signed up")
    expect(signup.locator("[data-label=Who]")).to_have_text("Sign-up")
    expect(signup.locator("[data-label=Key]")).to_have_text(org["admin_prefix"])
    expect(signup.locator("[data-label=Details]")).to_contain_text(org["account"]["name"])
    expect(more).to_be_hidden()
    expect(signup).to_be_focused()  # the button gone from under the focus: it moved to the row it brought
    times = page.evaluate(
        "() => Array.from(document.querySelectorAll('#activity-table tbody time'), (t) => t.getAttribute('datetime'))"
    )
    assert times == sorted(times, reverse=True), "newest first"
    dash.screenshot("dashboard-activity.png")
    dash.assert_key_is_nowhere(org["admin_key"])


def test_the_activity_panel_filters_by_type(dash, org, api):
    page = dash.page
    kept = api.create_key(org["admin_key"], name="Kept", scopes=["read", "write"])
    gone = api.create_key(org["admin_key"], name="Gone", scopes=["read"])
    api.ok("PATCH", f"/v1/account/api-keys/{kept['id']}", org["admin_key"], {"scopes": ["read"]})
    api.ok("DELETE", f"/v1/account/api-keys/{gone['id']}", org["admin_key"])
    dash.open()
    dash.sign_in(org["admin_key"])
    wait_for_activity(dash)
    rows = activity_rows(page)
    expect(rows.locator("[data-label=What]")).to_have_text(
        ["Key revoked", "Key edited", "Key created", "Key created", "Signed up"]
    )
    show = page.get_by_label("Show", exact=True)
    with page.expect_response(lambda r: "/v1/account/events?" in r.url) as answer:
        show.select_option(label="Key revoked")
    assert "type=api_key.revoked" in answer.value.url
    expect(rows).to_have_count(1)
    expect(rows.first.locator("[data-label=Key]")).to_have_text(gone["key_prefix"])
    show.select_option(label="Key edited")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("[data-label=Details]")).to_have_text("Scopes: read, write → read")
    show.select_option(label="Key leaked, revoked")
    expect(rows).to_have_count(0)
    expect(page.locator("#activity-empty")).to_have_text("No events of this type.")
    show.select_option(label="All events")
    expect(rows).to_have_count(5)
    dash.assert_key_is_nowhere(org["admin_key"], kept["key"], gone["key"])


def test_a_leaked_key_shows_the_leaked_badge_where_it_was_found_and_its_event(dash, org, api):
    page = dash.page
    leaked = api.create_key(org["admin_key"], name="Pushed to GitHub", scopes=["read", "write"])
    # The README's one-line report, against this server: signed with the TEST-ONLY key, as GitHub would.
    answer = subprocess.run(
        ["bash", str(ROOT / "scripts" / "report-leak.sh"), leaked["key"], SECRET_SCANNING_URL],
        capture_output=True, text=True, check=True,
    ).stdout
    assert json.loads(answer)[0]["label"] == "true_positive", answer
    assert api.call("GET", "/v1/account", leaked["key"])[0] == 401
    dash.open()
    dash.sign_in(org["admin_key"])
    row = dash.row(leaked["key_prefix"])
    status = row.locator(".status")
    expect(status).to_have_text("Leaked")
    assert "status-leaked" in status.get_attribute("class") and "status-revoked" not in status.get_attribute("class")
    detail = row.locator(".leak-detail")
    expect(detail).to_contain_text(re.compile(r"^Found at "))
    expect(detail).to_contain_text(re.compile(r"\(commit\)$"))
    expect(detail.locator(".report-url bdi")).to_have_text(SCRIPT_LEAK_URL)  # the URL as text, isolated
    link = detail.get_by_role("link", name=SCRIPT_LEAK_URL + " (opens in a new tab)")
    expect(link).to_have_attribute("href", SCRIPT_LEAK_URL)
    expect(link).to_have_attribute("target", "_blank")
    assert set(link.get_attribute("rel").split()) >= {"noopener", "noreferrer"}
    expect(row.get_by_role("button")).to_have_count(0)
    # The activity panel: the leak, newest, by GitHub's secret scanning, where the key was found.
    wait_for_activity(dash)
    event = activity_rows(page).first
    expect(event.locator("[data-label=What]")).to_have_text("Key leaked, revoked")
    expect(event.locator("[data-label=Who]")).to_have_text("GitHub secret scanning")
    expect(event.locator("[data-label=Key]")).to_have_text(leaked["key_prefix"])
    expect(event.locator("[data-label=Details] .report-url bdi")).to_have_text(SCRIPT_LEAK_URL)
    expect(event.locator("[data-label=Details]")).to_contain_text(re.compile(r"\(commit\)$"))
    expect(event.get_by_role("link")).to_have_attribute("href", SCRIPT_LEAK_URL)
    dash.screenshot("dashboard-leaked.png")
    dash.assert_key_is_nowhere(org["admin_key"], leaked["key"])


def test_a_leak_url_that_is_not_https_is_shown_as_text_never_as_a_link(dash, org, api):
    """GitHub sends https URLs; the endpoint takes any string, so a crafted report signed with the test key
    stands for one that is not: javascript:, data: and plain http: stay text, markup in them stays text."""
    page = dash.page
    urls = {
        "javascript": "javascript:alert(document.domain)",
        "data": "data:text/html,<img src=x onerror=alert(1)>",
        "http": "http://example.com/leak",
        "spaced": " https://example.com/leading-space",
    }
    keys = {name: api.create_key(org["admin_key"], name=f"Leak {name}", scopes=["read"]) for name in urls}
    report_leak(*[(keys[name]["key"], url, "commit") for name, url in urls.items()])
    dash.open()
    dash.sign_in(org["admin_key"])
    wait_for_activity(dash)
    for name, url in urls.items():
        row = dash.row(keys[name]["key_prefix"])
        expect(row.locator(".status")).to_have_text("Leaked")
        expect(row.locator(".leak-detail .report-url")).to_have_text(url.strip())
        expect(row.locator("a")).to_have_count(0)
        event = page.locator("#activity-table tbody tr[data-type='api_key.leaked']").filter(
            has=page.locator("[data-label=Key] code", has_text=keys[name]["key_prefix"])
        )
        expect(event.locator("[data-label=What]")).to_have_text("Key leaked, revoked")
        expect(event.locator(".report-url")).to_have_text(url.strip())
        expect(event.locator("a")).to_have_count(0)
    assert page.locator("a[href]:not([href^='#'])").count() == 0, "no link on the page at all"
    assert page.locator("img").count() == 0, "the markup in a URL stays text"
    dash.assert_key_is_nowhere(org["admin_key"], *(k["key"] for k in keys.values()))


# Right-to-left letters and digits: a name the API accepts (it refuses the invisible controls, U+202E and the
# like), which still reorders the words around it unless the page isolates it.
RTL_KEY_NAME = "שלום 123"


def assert_isolated(container, text, where):
    """The element showing exactly `text` in `container` is isolated from its surroundings: its computed
    unicode-bidi is isolate (a <bdi>'s is, by default), so the words, quotes and prefix around it keep
    their places."""
    node = container.get_by_text(text, exact=True)
    expect(node).to_have_count(1)
    shown = node.evaluate(
        "(n) => ({tag: n.localName, bidi: getComputedStyle(n).unicodeBidi, text: n.textContent})"
    )
    assert shown["text"] == text and shown["bidi"] == "isolate", (where, shown)


def test_names_and_emails_with_right_to_left_letters_are_isolated_wherever_shown(dash, api):
    page = dash.page
    tag = uuid.uuid4().hex[:8]
    org_name, email = f"חברה {tag} 42", f"דנה-{tag}@example.com"
    signed_up = api.ok("POST", "/v1/signup", body={"name": org_name, "email": email}, status=201)["data"]
    admin_key = signed_up["api_key"]["key"]
    k = api.create_key(admin_key, name=RTL_KEY_NAME, scopes=["read"])
    api.ok("GET", "/v1/account", k["key"])  # a use, so the key is in the usage table too
    dash.open()
    with page.expect_response(lambda r: "/v1/account/usage" in r.url):
        dash.sign_in(admin_key)
    assert_isolated(page.locator("#account-name"), org_name, "account panel: organisation")
    assert_isolated(page.locator("#account-email"), email, "account panel: email")
    row = dash.row(k["key_prefix"])
    assert_isolated(row, RTL_KEY_NAME, "keys table")
    assert_isolated(page.locator("#usage-by-key"), RTL_KEY_NAME, "usage by key")
    wait_for_activity(dash)
    created = activity_rows(page).filter(has_text="Key created")
    assert_isolated(created, RTL_KEY_NAME, "activity: the key created")
    assert_isolated(activity_rows(page).filter(has_text="Signed up"), org_name, "activity: the signup")
    dash.screenshot("dashboard-rtl-names.png")
    # The confirmations: the name inside its quotes, the question mark after them.
    for verb in ("Revoke", "Roll", "Edit"):
        row.get_by_role("button", name=re.compile("^" + verb)).click()
        dialog = page.get_by_role("dialog", name=re.compile("^" + verb))
        expect(dialog).to_be_visible()
        assert_isolated(dialog.locator("h2"), RTL_KEY_NAME, verb + " dialog")
        if verb == "Revoke":
            expect(dialog.locator("h2")).to_have_text("Revoke “" + RTL_KEY_NAME + "”?")
            dash.screenshot("dashboard-rtl-revoke.png", full_page=False)
        dialog.get_by_role("button", name="Cancel").click()
        expect(dialog).to_be_hidden()
    # The status line after a revocation.
    row.get_by_role("button", name=re.compile("^Revoke")).click()
    page.get_by_role("dialog", name=re.compile("^Revoke")).get_by_role("button", name="Revoke key").click()
    status = page.locator("#global-status")
    expect(status).to_contain_text("Revoked “" + RTL_KEY_NAME + "”")
    assert_isolated(status, RTL_KEY_NAME, "status line")
    dash.assert_key_is_nowhere(admin_key, k["key"])


def test_an_api_error_is_shown_as_its_message(dash, org):
    """Revoking the organisation's only live admin key: the API refuses (409 last_admin_key), the page says why."""
    page = dash.page
    dash.allow_http_errors(409)
    dash.open()
    dash.sign_in(org["admin_key"])
    row = dash.row(org["admin_prefix"])
    row.get_by_role("button", name=re.compile("^Revoke")).click()
    confirm = page.get_by_role("dialog", name=re.compile("^Revoke"))
    with page.expect_response(lambda r: r.request.method == "DELETE") as answer:
        confirm.get_by_role("button", name="Revoke key").click()
    assert answer.value.status == 409
    error = answer.value.json()["error"]
    assert error["code"] == "last_admin_key"
    expect(dash.alerts().filter(has_text=error["message"])).to_be_visible()
    confirm.get_by_role("button", name="Cancel").click()
    expect(row.locator(".status")).to_have_text("Active")
    dash.assert_key_is_nowhere(org["admin_key"])


# ------------------------------------------------------------------------------------------------ limited keys


def test_a_read_only_key_sees_the_account_and_usage_and_no_buttons_it_cannot_use(dash, org, api):
    page = dash.page
    dash.allow_http_errors(403)  # GET /v1/account/api-keys: insufficient_scope, which the page expects
    reader = api.create_key(org["admin_key"], name="Read only", scopes=["read"])
    dash.open()
    dash.sign_in(reader["key"])
    expect(page.locator("#account-section")).to_contain_text(org["account"]["email"])
    expect(page.locator("#keys-note")).to_contain_text("admin")
    expect(page.locator("#usage-body")).to_be_visible()
    expect(page.get_by_role("button", name=CONTROL_BUTTONS)).to_have_count(0)
    expect(page.locator("#live-keys")).to_be_hidden()
    expect(page.locator("#test-keys")).to_be_hidden()
    assert dash.alerts().filter(has_text=re.compile(".")).count() == 0
    dash.assert_key_is_nowhere(reader["key"], org["admin_key"])


def test_a_read_only_key_sees_no_activity_panel(dash, org, api):
    page = dash.page
    dash.allow_http_errors(403)  # GET /v1/account/events and /api-keys: insufficient_scope, which the page expects
    reader = api.create_key(org["admin_key"], name="Read only", scopes=["read"])
    dash.open()
    with page.expect_response(lambda r: "/v1/account/events" in r.url) as answer:
        dash.sign_in(reader["key"])
    assert answer.value.status == 403
    expect(page.locator("#keys-note")).to_contain_text("admin")
    expect(page.locator("#activity-section")).to_be_hidden()
    expect(page.get_by_role("heading", name="Activity")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("^(Load more|Refresh)"))).to_have_count(0)
    assert dash.alerts().filter(has_text=re.compile(".")).count() == 0
    dash.assert_key_is_nowhere(reader["key"], org["admin_key"])


def test_a_test_key_sees_only_test_keys_and_cannot_choose_live(dash, org, api):
    page = dash.page
    sandbox = api.create_key(org["admin_key"], name="Sandbox admin", environment="test", scopes=["admin"])
    dash.open()
    dash.sign_in(sandbox["key"])
    expect(page.locator("#mode-badge")).to_have_text("Test mode")
    dash.wait_for_keys()
    expect(page.locator("#live-keys")).to_be_hidden()
    expect(dash.row(org["admin_prefix"])).to_have_count(0)
    expect(dash.row(sandbox["key_prefix"])).to_have_count(1)
    page.get_by_role("button", name="Create key").click()
    dialog = page.get_by_role("dialog", name="Create a key")
    expect(dialog.get_by_role("radio", name=re.compile("^Live"))).to_have_count(0)
    expect(dialog.get_by_role("radio", name=re.compile("^Test"))).to_be_checked()
    dialog.get_by_label("Name", exact=True).fill("Sandbox CI")
    dialog.get_by_role("button", name="Create key").click()
    new_dialog, new_key = read_new_key(dash)
    assert new_key.startswith("mem_test_")
    new_dialog.get_by_role("button", name=re.compile("^Done")).click()
    dash.assert_key_is_nowhere(new_key, sandbox["key"], org["admin_key"])


# ------------------------------------------------------------------------------------------------ usage


def test_usage_chart_shows_live_and_test_requests_per_day(dash, org, api):
    page = dash.page
    tester = api.create_key(org["admin_key"], name="Test traffic", environment="test", scopes=["read"])
    for _ in range(3):
        api.ok("GET", "/v1/account", org["admin_key"])
    for _ in range(2):
        api.ok("GET", "/v1/account", tester["key"])
    dash.open()
    with page.expect_response(lambda r: "/v1/account/usage" in r.url) as answer:
        dash.sign_in(org["admin_key"])
    usage = answer.value.json()["data"]
    # The requests above were counted: a key's first use in an instance is written at once.
    assert usage["totals"]["live_requests"] >= 1 and usage["totals"]["test_requests"] >= 1, usage["totals"]
    days = usage["days"]
    first = dt.date.fromisoformat(usage["from"])
    last = dt.date.fromisoformat(usage["to"])
    assert len(days) == (last - first).days + 1
    chart = page.locator("#usage-chart")
    expect(chart).to_be_visible()
    expect(chart.locator(".legend")).to_contain_text("Live (billable)")
    expect(chart.locator(".legend")).to_contain_text("Test (free)")
    expect(chart.locator("figcaption")).to_contain_text(usage["from"])
    expect(chart.locator("figcaption")).to_contain_text(usage["to"])
    expect(chart.locator(".bar-col")).to_have_count(len(days))
    totals = page.locator("#usage-totals")
    expect(totals).to_contain_text(fmt(usage["totals"]["live_requests"]) + " live requests")
    expect(totals).to_contain_text(fmt(usage["totals"]["test_requests"]) + " test requests")
    # Each day's bars are as tall as its numbers say (zero days have no bar).
    heights = page.evaluate(
        """() => Array.from(document.querySelectorAll('#usage-plot .bar-col'), (c) => [
            c.dataset.date, c.querySelector('.bar-live').getBoundingClientRect().height,
            c.querySelector('.bar-test').getBoundingClientRect().height])"""
    )
    for (date, live_h, test_h), day in zip(heights, days):
        assert date == day["date"]
        assert (live_h > 0) == (day["live_requests"] > 0), day
        assert (test_h > 0) == (day["test_requests"] > 0), day
    # The same numbers as a table.
    page.get_by_text("Requests per day as a table").click()
    expect(page.locator("#usage-table tbody tr")).to_have_count(len(days))
    # Another range: the first week of this one.
    week_end = min(last, first + dt.timedelta(days=6))
    page.get_by_label("From", exact=True).fill(first.isoformat())
    page.get_by_label("To", exact=True).fill(week_end.isoformat())
    with page.expect_response(lambda r: "/v1/account/usage?" in r.url) as again:
        page.get_by_role("button", name="Show").click()
    assert f"from={first.isoformat()}" in again.value.url and f"to={week_end.isoformat()}" in again.value.url
    expect(chart.locator(".bar-col")).to_have_count((week_end - first).days + 1)
    dash.assert_key_is_nowhere(org["admin_key"], tester["key"])


# ------------------------------------------------------------------------------------------------ layout, access


def populate(api, org):
    """A few keys of each kind, so the screenshots show a lived-in account."""
    api.create_key(org["admin_key"], name="Production server", scopes=["read", "write"],
                   allowed_ips=["203.0.113.7", "2001:db8:1234::/48"])
    api.create_key(org["admin_key"], name="Nightly export", scopes=["read"], expires_in_days=5)
    leaked = api.create_key(org["admin_key"], name="Laptop .env", scopes=["read"])
    report_leak((leaked["key"], "https://github.com/example/app/blob/0123abcd/config/production.env", "commit"))
    gone = api.create_key(org["admin_key"], name="Old laptop", scopes=["read", "write", "delete"])
    api.ok("DELETE", f"/v1/account/api-keys/{gone['id']}", org["admin_key"])
    api.create_key(org["admin_key"], name="Staging", environment="test", scopes=["read", "write"])
    for _ in range(3):
        api.ok("GET", "/v1/account", org["admin_key"])


def assert_fits_width(page, width):
    overflow = page.evaluate("() => document.documentElement.scrollWidth")
    assert overflow <= width, f"the page scrolls sideways: {overflow}px wide in a {width}px viewport"


def test_the_dashboard_fits_a_laptop_screen(dash, org, api):
    populate(api, org)
    dash.open()
    dash.sign_in(org["admin_key"])
    dash.wait_for_keys()
    expect(dash.page.locator("#usage-body")).to_be_visible()
    expect(dash.page.locator("#test-keys-table tbody tr")).to_have_count(1)
    wait_for_activity(dash)
    assert_fits_width(dash.page, LAPTOP["width"])
    clipped = dash.page.evaluate(
        "() => Array.from(document.querySelectorAll('.table-scroll'), (e) => e.scrollWidth - e.clientWidth)"
    )
    assert all(extra <= 0 for extra in clipped), f"a table scrolls sideways on a laptop: {clipped}"
    # On a laptop the keys are a real table: one row per key, the columns side by side.
    row = dash.row(org["admin_prefix"])
    assert row.bounding_box()["height"] < 120
    dash.screenshot("dashboard-laptop.png")
    assert (SCREENSHOT_DIR / "dashboard-laptop.png").stat().st_size > 0
    dash.assert_key_is_nowhere(org["admin_key"])


def test_the_dashboard_fits_a_phone_screen(phone_dash, org, api):
    dash = phone_dash
    populate(api, org)
    dash.open()
    assert_fits_width(dash.page, PHONE["width"])
    dash.sign_in(org["admin_key"])
    dash.wait_for_keys()
    expect(dash.page.locator("#usage-body")).to_be_visible()
    wait_for_activity(dash)
    assert_fits_width(dash.page, PHONE["width"])
    # Every key's actions are on screen (the table stacks into cards instead of overflowing).
    for button in dash.page.get_by_role("button", name=re.compile("^(Edit|Roll|Revoke)")).all():
        box = button.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    dash.screenshot("dashboard-phone.png")
    dash.page.get_by_role("button", name="Create key").click()
    dialog = dash.page.get_by_role("dialog", name="Create a key")
    box = dialog.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    dash.assert_key_is_nowhere(org["admin_key"])


def test_signing_in_and_creating_a_key_works_from_the_keyboard_alone(dash, org):
    page = dash.page
    dash.open()

    def tab_to(predicate_js, limit=60):
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate(predicate_js):
                return
        raise AssertionError("not reachable with Tab: " + predicate_js)

    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    tab_to("() => document.activeElement && document.activeElement.id === 'api-key-input'")
    page.keyboard.insert_text(org["admin_key"])
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Account")).to_be_visible()
    dash.wait_for_keys()
    tab_to("() => document.activeElement && document.activeElement.textContent.trim() === 'Create key'")
    outline = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement); return [s.outlineStyle, parseFloat(s.outlineWidth)]; }"
    )
    assert outline[0] != "none" and outline[1] >= 2, f"no visible focus: {outline}"
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Create a key")
    expect(dialog).to_be_visible()
    assert page.evaluate("() => document.activeElement.id") == "create-name"
    page.keyboard.type("Keyboard key")
    page.keyboard.press("Enter")
    new_dialog, new_key = read_new_key(dash)
    assert page.evaluate("() => document.activeElement.id") == "copy-key"
    tab_to("() => document.activeElement && document.activeElement.id === 'close-new-key'", limit=10)
    page.keyboard.press("Enter")
    expect(new_dialog).to_be_hidden()
    expect(dash.row(prefix_of(new_key))).to_have_count(1)
    dash.assert_key_is_nowhere(new_key, org["admin_key"])


CONTRAST_JS = """
() => {
  const parse = (c) => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const lum = ([r, g, b]) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const background = (el) => { for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor);
    if (c && c[3] > 0.5) return c; } return [255, 255, 255, 1]; };
  const failures = [];
  for (const el of document.querySelectorAll('body *')) {
    const own = Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || el.closest('[hidden], dialog:not([open])') || el.disabled) continue;
    const r = el.getBoundingClientRect(); if (r.width === 0 || r.height === 0) continue;
    const s = getComputedStyle(el); if (s.visibility === 'hidden' || parseFloat(s.opacity) === 0) continue;
    if (el.closest('.visually-hidden, .skip-link')) continue;
    const fg = parse(s.color), bg = background(el);
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    const size = parseFloat(s.fontSize), bold = parseInt(s.fontWeight, 10) >= 700;
    const large = size >= 24 || (bold && size >= 18.66);
    if (ratio < (large ? 3 : 4.5)) failures.push(`${el.tagName}.${el.className} "${el.textContent.trim().slice(0, 30)}" ${ratio.toFixed(2)}`);
  }
  return failures;
}
"""


def test_text_has_readable_contrast(dash, org, api):
    populate(api, org)
    dash.open()
    assert dash.page.evaluate(CONTRAST_JS) == []
    dash.sign_in(org["admin_key"])
    dash.wait_for_keys()
    expect(dash.page.locator("#usage-body")).to_be_visible()
    wait_for_activity(dash)
    assert dash.page.evaluate(CONTRAST_JS) == []
    open_create_and_submit(dash, "Contrast check")
    read_new_key(dash)
    assert dash.page.evaluate(CONTRAST_JS) == []
