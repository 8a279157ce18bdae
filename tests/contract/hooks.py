"""schemathesis hooks for `make test`.

`cargo lambda watch` answers two kinds of request with its own 500 before any function runs, where API
Gateway would hand them to the function:

- a body that is not valid UTF-8 (its HTTP-to-event conversion expects text). API Gateway hands such a body
  over base64-encoded, and the service answers 400 invalid_json: the route test
  `invalid_utf8_is_a_400_invalid_json` and the event test `a_base64_body_that_is_not_utf8_is_a_400` prove it.
- a header value outside visible ASCII (such as the `×ø` schemathesis tries in GitHub's signature headers).
  The function refuses it (4xx): the route test `header_values_that_are_not_visible_ascii_are_refused_and_fetch_nothing`.

So here, and only for the local router, invalid UTF-8 in a body is replaced (U+FFFD) and such a header value
is sent escaped (`\\xc3\\x97...`): the case is still sent, as text the router can carry, and still one the
service must refuse.
"""
import schemathesis


def _visible_ascii(value):
    return all(" " <= c <= "~" for c in value)


@schemathesis.hook
def before_call(ctx, case, kwargs):
    body = case.body
    if isinstance(body, (bytes, bytearray)):
        try:
            bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            case.body = bytes(body).decode("utf-8", "replace").encode("utf-8")
    for name, value in list((case.headers or {}).items()):
        if isinstance(value, str) and not _visible_ascii(value):
            case.headers[name] = value.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")
