"""Who may use the console: refused without login, refused without a CSRF token, the login
form and HTTP Basic, the session timeout, the wrong-password limit and the headers."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import select

from orderhub.matching.index import MAPPINGS
from orderhub.shipping.record import PUSHES, SHIPMENTS
from orderhub.store.ingest import QUARANTINE

from .conftest import PASSWORD, Console

PAGES = [
    "/",
    "/orders",
    "/orders/1",
    "/mapping",
    "/failures",
    "/shipments",
    "/shipments/lines?order=1001",
    "/shipments/check-tracking?carrier=UPS&tracking=1",
    "/failures/quarantine/1/raw",
]


def actions(console: Console) -> list[tuple[str, dict[str, object]]]:
    seeded = console.seeded
    return [
        ("/mapping/preview", {"ext": "TEE-BLUE-M", "account_id": "shop", "target": "BLUE-TEE-M"}),
        ("/mapping/apply", {"ext": "TEE-BLUE-M", "account_id": "shop", "target": "BLUE-TEE-M"}),
        (f"/failures/quarantine/{seeded.quarantine_id}/dealt-with", {}),
        (f"/failures/pushes/{seeded.failed_push_id}/retry", {}),
        ("/failures/pushes/retry-all", {}),
        (
            "/shipments/record",
            {"order": "1001", "carrier": "UPS", "tracking": "1Z999AA10123456784"},
        ),
        ("/logout", {}),
    ]


def store_state(console: Console) -> tuple[object, ...]:
    """What the actions would change."""
    with console.engine.connect() as connection:
        return (
            connection.execute(select(MAPPINGS.c.id)).all(),
            connection.execute(select(QUARANTINE.c.dealt_with_at)).all(),
            connection.execute(select(PUSHES.c.id, PUSHES.c.status)).all(),
            connection.execute(select(SHIPMENTS.c.id)).all(),
        )


@pytest.mark.parametrize("path", PAGES)
def test_pages_send_a_browser_to_the_login_form(anonymous: Console, path: str) -> None:
    response = anonymous.client.get(path, follow_redirects=False, headers={"accept": "text/html"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next={path.split('?', maxsplit=1)[0]}"
    # htmx requests and scripts get a 401 instead of a redirect.
    assert anonymous.client.get(path, headers={"hx-request": "true"}).status_code == 401


def test_actions_are_refused_without_login(anonymous: Console) -> None:
    before = store_state(anonymous)
    token = anonymous.token("/login")
    for path, data in actions(anonymous):
        response = anonymous.client.post(
            path, data={"csrf_token": token, **data}, follow_redirects=False
        )
        assert response.status_code == 401, path
    csv = {"file": ("s.csv", b"order,carrier,tracking\n1001,UPS,1Z999AA10123456784\n")}
    response = anonymous.client.post("/shipments/upload", data={"csrf_token": token}, files=csv)
    assert response.status_code == 401
    assert store_state(anonymous) == before


def test_actions_are_refused_without_the_csrf_token(web: Console) -> None:
    before = store_state(web)
    for path, data in actions(web):
        missing = web.client.post(path, data=data, follow_redirects=False)
        assert missing.status_code == 403, path
        assert "CSRF" in missing.text
        wrong = web.client.post(path, data={**data, "csrf_token": "forged"}, follow_redirects=False)
        assert wrong.status_code == 403, path
        header = web.client.post(
            path, data=data, headers={"x-csrf-token": "forged"}, follow_redirects=False
        )
        assert header.status_code == 403, path
    csv = {"file": ("s.csv", b"order,carrier,tracking\n1001,UPS,1Z999AA10123456784\n")}
    assert web.client.post("/shipments/upload", files=csv).status_code == 403
    assert (
        web.client.post("/shipments/upload", data={"csrf_token": "forged"}, files=csv).status_code
        == 403
    )
    assert store_state(web) == before
    # Still logged in: the refused logout did not log out.
    assert web.client.get("/", follow_redirects=False).status_code == 200


def test_the_csrf_header_htmx_sends_is_accepted(web: Console) -> None:
    token = web.token()
    response = web.client.post(
        "/mapping/preview",
        data={"ext": "TEE-BLUE-M", "account_id": "shop", "target": "BLUE-TEE-M"},
        headers={"x-csrf-token": token, "hx-request": "true"},
    )
    assert response.status_code == 200
    assert "#1003" in response.text


def test_login_logout_and_a_token_from_before_login_is_void(anonymous: Console) -> None:
    before_login = anonymous.token("/login")
    anonymous.login()
    assert anonymous.client.get("/", follow_redirects=False).status_code == 200
    stale = anonymous.client.post(
        "/logout", data={"csrf_token": before_login}, follow_redirects=False
    )
    assert stale.status_code == 403
    assert anonymous.post("/logout").status_code == 303
    assert anonymous.client.get("/", follow_redirects=False).status_code == 303


def test_the_session_ends_after_the_idle_timeout(web: Console) -> None:
    web.clock.advance(29 * 60)
    assert web.client.get("/", follow_redirects=False).status_code == 200
    web.clock.advance(29 * 60)  # activity above moved the idle clock
    assert web.client.get("/", follow_redirects=False).status_code == 200
    web.clock.advance(31 * 60)
    response = web.client.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


def test_the_next_page_after_login_stays_on_the_console(anonymous: Console) -> None:
    for target, expected in (
        ("/orders", "/orders"),
        ("//evil.example/", "/"),
        ("https://evil.example/", "/"),
        ("/orders?q=x", "/orders"),
    ):
        token = anonymous.token("/login")
        response = anonymous.client.post(
            "/login",
            data={"csrf_token": token, "password": PASSWORD, "next": target},
            follow_redirects=False,
        )
        assert response.headers["location"] == expected
        anonymous.post("/logout")


def test_wrong_passwords_are_rate_limited(anonymous: Console) -> None:
    for _ in range(5):
        token = anonymous.token("/login")
        response = anonymous.client.post(
            "/login", data={"csrf_token": token, "password": "guess", "next": "/"}
        )
        assert response.status_code == 401
        assert "Wrong password" in response.text
    token = anonymous.token("/login")
    blocked = anonymous.client.post(
        "/login", data={"csrf_token": token, "password": PASSWORD, "next": "/"}
    )
    assert blocked.status_code == 429
    assert "Too many wrong passwords" in blocked.text
    basic = base64.b64encode(f"x:{PASSWORD}".encode()).decode()
    assert anonymous.client.get("/", headers={"authorization": f"Basic {basic}"}).status_code == 429
    anonymous.clock.advance(15 * 60 + 1)
    anonymous.login()
    assert anonymous.client.get("/", follow_redirects=False).status_code == 200


def test_http_basic_with_any_user_name_for_scripts(anonymous: Console) -> None:
    good = base64.b64encode(f"any-user:{PASSWORD}".encode()).decode()
    bad = base64.b64encode(b"any-user:nope").decode()
    response = anonymous.client.get("/orders", headers={"authorization": f"Basic {good}"})
    assert response.status_code == 200
    assert "#1001" in response.text
    refused = anonymous.client.get("/orders", headers={"authorization": f"Basic {bad}"})
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith("Basic")
    # A script needs no CSRF token: no browser sends a Basic header on a cross-site form.
    retried = anonymous.client.post(
        f"/failures/pushes/{anonymous.seeded.failed_push_id}/retry",
        headers={"authorization": f"Basic {good}"},
        follow_redirects=False,
    )
    assert retried.status_code == 303
    with anonymous.engine.connect() as connection:
        status = connection.execute(
            select(PUSHES.c.status).where(PUSHES.c.id == anonymous.seeded.failed_push_id)
        ).scalar_one()
    assert status == "pending"


def test_security_headers_on_every_response(anonymous: Console) -> None:
    for path in ("/login", "/healthz", "/static/console.css", "/"):
        response = anonymous.client.get(path, follow_redirects=False)
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
    anonymous.client.cookies.clear()
    cookie = anonymous.client.get("/login").headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


def test_probes_and_metrics_need_no_login(anonymous: Console) -> None:
    assert anonymous.client.get("/healthz").json()["ok"] is True
    assert anonymous.client.get("/readyz").json()["migrations"] == "current"
    metrics = anonymous.client.get("/metrics", follow_redirects=False)
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
