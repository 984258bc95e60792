"""
What `import httpcore` leaves for later, and that each piece still loads and
works when first needed: the cookie jar, certifi's CA bundle, `email`,
`json`, `idna`, `netrc`, `hashlib`.

Each check runs in a fresh interpreter (this one has imported all of them
already), started with `-S` and the site-packages folders on `PYTHONPATH`:
so that no `.pth` file of the environment imports anything first.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import sysconfig
import textwrap

import httpcore

ROOT = pathlib.Path(__file__).resolve().parents[2]

# Each a few milliseconds of a cold start; together about half of it.
LEFT_FOR_LATER = (
    "http.cookiejar",
    "urllib.request",
    "http.client",
    "email",
    "certifi",
    "json",
    "idna",
    "netrc",
    "hashlib",
)


def run(code: str) -> str:
    """Run `code` in a fresh interpreter; what it printed."""
    paths = {sysconfig.get_paths()[key] for key in ("purelib", "platlib")}
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), *sorted(paths)]),
    }
    done = subprocess.run(
        [sys.executable, "-S", "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_import_and_clients_leave_the_slow_modules_unimported():
    printed = run(
        f"""
        import sys, httpcore
        httpcore.Client().close()
        httpcore.AsyncClient()
        httpcore.Cookies()
        print([m for m in {LEFT_FOR_LATER!r} if m in sys.modules])
        """
    )
    assert printed == "[]"


def test_a_client_meeting_no_cookie_never_loads_the_cookie_jar():
    printed = run(
        """
        import sys, httpcore

        def handler(request):
            return httpcore.Response(200, text="ok")

        with httpcore.Client(dispatch=httpcore.MockDispatch(handler)) as client:
            response = client.get("http://example.test/", cookies={})
            client.get("http://example.test/next")
        print(response.text, "http.cookiejar" in sys.modules, len(client.cookies))
        """
    )
    assert printed == "ok False 0"


def test_the_first_set_cookie_loads_the_jar_and_the_cookie_is_sent_back():
    printed = run(
        """
        import sys, httpcore

        def handler(request):
            if request.url.path == "/set":
                return httpcore.Response(200, headers={"Set-Cookie": "a=1; Path=/"})
            return httpcore.Response(200, text=request.headers.get("cookie", "-"))

        with httpcore.Client(dispatch=httpcore.MockDispatch(handler)) as client:
            before = "http.cookiejar" in sys.modules
            client.get("http://example.test/set")
            after = "http.cookiejar" in sys.modules
            sent = client.get("http://example.test/echo").text
        print(before, after, sent, client.cookies["a"])
        """
    )
    assert printed == "False True a=1 1"


def test_certifi_loads_with_the_first_context_that_verifies_with_its_bundle():
    printed = run(
        """
        import sys, httpcore
        from httpcore._config import ssl_context_for

        ssl_context_for(False, None, http2=False, trust_env=False)
        before = "certifi" in sys.modules
        context = ssl_context_for(True, None, http2=False, trust_env=False)
        loaded = context.cert_store_stats()["x509_ca"] > 0
        print(before, "certifi" in sys.modules, loaded)
        """
    )
    assert printed == "False True True"


def test_modules_left_for_later_load_when_first_used():
    printed = run(
        """
        import sys, httpcore

        response = httpcore.Response(
            200,
            content=b'{"a": 1}',
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
        json_body = httpcore.Request("POST", "http://h/", json={"b": 2}).content
        url = httpcore.URL("http://b\\u00fccher.example/")
        print(
            response.json(), response.charset_encoding, json_body.decode(), url.host,
            all(m in sys.modules for m in ("json", "email", "idna")),
        )
        """
    )
    assert printed == "{'a': 1} utf-8 {\"b\":2} xn--bcher-kva.example True"


def test_empty_cookies_behave_as_an_empty_jar():
    cookies = httpcore.Cookies()
    assert len(cookies) == 0
    assert not cookies
    assert list(cookies) == []
    assert cookies.get("a") is None
    assert repr(cookies) == "<Cookies[]>"
    cookies.clear()
    cookies.delete("a")
    cookies.update(httpcore.Cookies())
    copy = httpcore.Cookies(cookies)
    assert dict(copy) == {}
    request = httpcore.Request("GET", "http://example.org/")
    cookies.set_cookie_header(request)
    assert "cookie" not in request.headers
    # The jar, asked for, exists and is the one the cookies go into.
    cookies.jar.clear()
    cookies["a"] = "1"
    assert [cookie.name for cookie in cookies.jar] == ["a"]


def test_threads_meeting_their_first_cookies_at_once_keep_every_cookie():
    # The jar is made on first use: two threads must not each make one. A
    # tiny switch interval makes the threads interleave as much as they can.
    import threading

    def set_one(barrier: threading.Barrier, cookies: httpcore.Cookies, i: int) -> None:
        barrier.wait()
        cookies.set(f"c{i}", "1")

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for _ in range(100):  # without the lock, some 5% of rounds lose one
            cookies = httpcore.Cookies()
            barrier = threading.Barrier(8, timeout=30)
            threads = [
                threading.Thread(target=set_one, args=(barrier, cookies, i))
                for i in range(8)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=30)
            assert sorted(cookies) == sorted(f"c{i}" for i in range(8))
    finally:
        sys.setswitchinterval(interval)
