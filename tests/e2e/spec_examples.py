#!/usr/bin/env python3
"""End to end: the spec's curl examples, pasted as they are, against the running `cargo lambda watch`.

Only the host changes (the hosted API's becomes the local one); `$API_KEY` is the key the signup example
returned. curl's own settings (silent, print the status) come from a .curlrc, so each command is the
spec's text. Prints 'N passed, N failed' and exits non-zero on any failure.
"""
import json
import os
import subprocess
import sys
import tempfile

HOSTED = "https://api.memory.tensorheart.com"
BASE = sys.argv[1] if len(sys.argv) > 1 else "http://localhost:9000"

CURLRC = tempfile.mkdtemp()
with open(os.path.join(CURLRC, ".curlrc"), "w") as rc:
    rc.write('silent\nshow-error\ninclude\nmax-time = 120\n')

passed, failed = 0, 0


def run(command, api_key=None):
    """Runs a spec command (host swapped); returns (status, headers, json body)."""
    env = dict(os.environ, CURL_HOME=CURLRC, HOME=CURLRC)
    if api_key is not None:
        env["API_KEY"] = api_key
    out = subprocess.run(["bash", "-c", command.replace(HOSTED, BASE)], env=env, capture_output=True,
                         text=True, check=False)
    head, _, body = out.stdout.replace("\r\n", "\n").partition("\n\n")
    # curl --include prints every response head; CORS preflights are not used, so one head.
    lines = head.split("\n")
    status = int(lines[0].split()[1]) if lines and lines[0].startswith("HTTP/") else 0
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    try:
        data = json.loads(body) if body.strip() else None
    except json.JSONDecodeError:
        data = {"unparsed": body, "stderr": out.stderr}
    return status, headers, data


def check(name, condition, detail=""):
    global passed, failed
    if condition:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name} {detail}")


# --- the spec's examples, verbatim -------------------------------------------------------------------------
SIGNUP = """curl -X POST https://api.memory.tensorheart.com/v1/signup \\
-H "Content-Type: application/json" \\
-d '{
"name": "My Company",
"email": "admin@mycompany.com"
}'"""
LIST_KEYS = """curl https://api.memory.tensorheart.com/v1/account/api-keys \\
-H "Authorization: Bearer $API_KEY\""""
CREATE_PRODUCTION = """curl -X POST https://api.memory.tensorheart.com/v1/account/api-keys \\
-H "Authorization: Bearer $API_KEY" \\
-H "Content-Type: application/json" \\
-d '{
"name": "Production Server",
"environment": "live",
"scopes": ["read", "write"]
}'"""
CREATE_CI = """curl -X POST https://api.memory.tensorheart.com/v1/account/api-keys \\
-H "Authorization: Bearer $API_KEY" \\
-H "Content-Type: application/json" \\
-d '{
"name": "CI/CD Key",
"scopes": ["read"],
"expires_in_days": 90
}'"""
CREATE_READ_ONLY = """curl -X POST https://api.memory.tensorheart.com/v1/account/api-keys \\
-H "Authorization: Bearer $API_KEY" \\
-d '{"name": "Analytics", "scopes": ["read"]}'"""
CREATE_TEMP = """curl -X POST https://api.memory.tensorheart.com/v1/account/api-keys \\
-H "Authorization: Bearer $API_KEY" \\
-d '{"name": "Temp Key", "expires_in_days": 30}'"""
REVOKE = """curl -X DELETE https://api.memory.tensorheart.com/v1/account/api-keys/key_abc123 \\
-H "Authorization: Bearer $API_KEY\""""

# --- the walk-through -------------------------------------------------------------------------------------
status, headers, body = run(f"curl {BASE}/health")
check("GET /health answers ok", status == 200 and body["data"]["status"] == "ok", body)
check("responses carry x-request-id", bool(headers.get("x-request-id")), headers)

status, _, body = run(SIGNUP)
check("signup example creates the account (201)", status == 201, body)
API_KEY = (body or {}).get("data", {}).get("api_key", {}).get("key", "")
check("signup returns a live key shown in full", API_KEY.startswith("mem_live_"), body)
org_id = (body or {}).get("data", {}).get("account", {}).get("org_id")

status, _, body = run(SIGNUP)
check("signup example again is a 409", status == 409 and body["error"]["code"] == "email_already_registered", body)

status, _, body = run(f'curl {BASE}/v1/account -H "Authorization: Bearer $API_KEY"', API_KEY)
check("GET /v1/account with Bearer", status == 200 and body["data"]["org_id"] == org_id, body)
check("account shows the plan", status == 200 and body["data"]["plan"]["id"] == "free", body)
status, _, body = run(f'curl {BASE}/v1/account -H "X-API-Key: $API_KEY"', API_KEY)
check("GET /v1/account with X-API-Key", status == 200 and body["data"]["org_id"] == org_id, body)

status, _, body = run(LIST_KEYS, API_KEY)
check("list keys example", status == 200 and len(body["data"]) == 1, body)
check("listed keys never carry the key", API_KEY not in json.dumps(body), body)
status, _, body = run(LIST_KEYS.replace('"Authorization: Bearer $API_KEY"', '"X-API-Key: $API_KEY"'), API_KEY)
check("list keys with X-API-Key", status == 200, body)

status, _, body = run(CREATE_PRODUCTION, API_KEY)
check("create key example (Production Server)", status == 201 and body["data"]["scopes"] == ["read", "write"], body)
status, _, body = run(CREATE_CI, API_KEY)
check("create key example (CI/CD Key, 90 days)", status == 201 and body["data"]["expires_at"], body)
ci_key, ci_key_id = (body or {}).get("data", {}).get("key"), (body or {}).get("data", {}).get("id")
status, _, body = run(CREATE_READ_ONLY, API_KEY)
check("read-only example without Content-Type", status == 201 and body["data"]["scopes"] == ["read"], body)
status, _, body = run(CREATE_TEMP, API_KEY)
check("expiring example without Content-Type", status == 201 and body["data"]["expires_at"], body)

status, _, body = run(f'curl {BASE}/v1/account -H "Authorization: Bearer $API_KEY"', ci_key)
check("the new read key reads the account", status == 200, body)
status, _, body = run(LIST_KEYS, ci_key)
check("the read key cannot list keys (403)", status == 403 and body["error"]["code"] == "insufficient_scope", body)

status, _, body = run(REVOKE, API_KEY)
check("revoke example with an unknown id is a 404", status == 404 and body["error"]["code"] == "api_key_not_found", body)
status, _, body = run(REVOKE.replace("key_abc123", ci_key_id or "missing"), API_KEY)
check("revoke a real key", status == 200 and body["data"]["is_active"] is False and body["data"]["revoked_at"], body)
status, _, body = run(f'curl {BASE}/v1/account -H "Authorization: Bearer $API_KEY"', ci_key)
check("the revoked key is refused (401)", status == 401 and body["error"]["code"] == "revoked_api_key", body)

# --- the README's walk-through of what the spec leaves out: pages, rename and narrow, roll -----------------
status, _, body = run(f'curl "{BASE}/v1/account/api-keys?limit=2" -H "Authorization: Bearer $API_KEY"', API_KEY)
check("a page of two keys, has_more", status == 200 and len(body["data"]) == 2 and body["has_more"] is True, body)
last_id = body["data"][-1]["id"] if status == 200 else "missing"
status, _, body = run(f'curl "{BASE}/v1/account/api-keys?limit=2&starting_after={last_id}" '
                      '-H "Authorization: Bearer $API_KEY"', API_KEY)
check("the next page starts after it", status == 200 and last_id not in json.dumps(body["data"]), body)

status, _, body = run(CREATE_PRODUCTION, API_KEY)
prod_id = (body or {}).get("data", {}).get("id", "missing")
status, _, body = run(f'curl -X PATCH {BASE}/v1/account/api-keys/{prod_id} -H "Authorization: Bearer $API_KEY" '
                      '-H "Content-Type: application/json" -d \'{"name": "Production (read only)", "scopes": ["read"]}\'',
                      API_KEY)
check("PATCH renames and narrows", status == 200 and body["data"]["scopes"] == ["read"], body)
status, _, body = run(f'curl -X PATCH {BASE}/v1/account/api-keys/{prod_id} -H "Authorization: Bearer $API_KEY" '
                      '-d \'{"scopes": ["read", "write"]}\'', API_KEY)
check("PATCH never widens (400)", status == 400 and body["error"]["param"] == "scopes", body)

status, _, body = run(f'curl -X POST {BASE}/v1/account/api-keys/{prod_id}/roll -H "Authorization: Bearer $API_KEY" '
                      '-d \'{"expires_in_hours": 1}\'', API_KEY)
check("roll answers the successor once", status == 201 and body["data"]["replaces"] == prod_id
      and body["data"]["key"].startswith("mem_live_"), body)
status, _, body = run(f'curl -X POST {BASE}/v1/account/api-keys/{prod_id}/roll -H "Authorization: Bearer $API_KEY"',
                      API_KEY)
check("a second roll is a 409", status == 409 and body["error"]["code"] == "key_already_rolled", body)

status, _, body = run(f"curl {BASE}/v1/account")
check("no key is a 401", status == 401 and body["error"]["code"] == "missing_api_key", body)
status, _, body = run(f"curl {BASE}/v1/nothing-here")
check("unknown path is a JSON 404", status == 404 and body["error"]["code"] == "not_found", body)
status, headers, body = run(f"curl -X PUT {BASE}/v1/account")
check("wrong method is a 405 with Allow", status == 405 and headers.get("allow") == "GET, HEAD, OPTIONS",
      (headers, body))
# Probes and preflights reach the functions, as on API Gateway (ANY routes, no CORS configured).
status, headers, body = run(f"curl --head {BASE}/health")
check("HEAD /health is a 200 with no body", status == 200 and body is None
      and headers.get("content-type") == "application/json", (status, headers, body))
# RFC 9110 §9.3.2: HEAD's Content-Length, when sent, is the length GET's body has (never the empty body's 0).
_, get_headers, _ = run(f"curl {BASE}/health")
get_length = len(subprocess.run(["curl", "-s", f"{BASE}/health"], capture_output=True, check=False).stdout)
check("HEAD /health states GET's Content-Length or none", get_length > 0
      and headers.get("content-length") in (None, str(get_length)),
      (headers.get("content-length"), get_length, get_headers.get("content-length")))
status, headers, body = run(f"curl -X OPTIONS {BASE}/v1/account/api-keys")
check("OPTIONS is our 204 with Allow and no CORS headers", status == 204
      and headers.get("allow") == "GET, HEAD, POST, OPTIONS"
      and not any(name.startswith("access-control-") for name in headers), (status, headers, body))

print(f"e2e: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
