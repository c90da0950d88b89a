"""After logging in, `next` cannot send the person to another site by a hidden character.

`/login?next=/%09/evil.example` passed the local-path check ("/" first, not "//") and went out as
`Location: /<TAB>/evil.example`; browsers drop tabs and line breaks from the URLs they read, so it is
followed as `//evil.example`: another site, right after the password was typed (a copy of the login
page there asking for it "again").  A line break made the header invalid: an error page after a good
login.  The page's real app, logged in through its login form.
"""

from __future__ import annotations

from webkit import PASSWORD, Page


def test_login_next_with_hidden_characters_stays_on_the_speaker(owner: Page) -> None:
    owner.client.post("/logout", data={"csrf_token": owner.csrf("/")})
    for target, expected in (
        ("/%09/evil.example/x", "/"),
        ("/%0a/evil.example/x", "/"),
        ("/%0d%0a/evil.example/x", "/"),
        ("/%20/evil.example", "/"),
        ("/%5C/evil.example", "/"),
        ("/privacy", "/privacy"),  # a plain local page still works
    ):
        token = owner.csrf("/login")
        answer = owner.client.post(f"/login?next={target}", data={"csrf_token": token, "password": PASSWORD})
        assert answer.status_code == 302, (target, answer.status_code)
        assert answer.headers["Location"] == expected, target
        owner.client.post("/logout", data={"csrf_token": owner.csrf("/")})
