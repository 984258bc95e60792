"""
Test certificates, made once per session with trustme.

`ca()` is the authority the test servers' certificate chains up to; a client
trusts it through the CA PEM file (`write_ca_file`). `unknown_ca()` is a second,
unrelated authority: trusting it instead must make verification fail.
"""

from __future__ import annotations

import datetime
import functools
import ssl
from pathlib import Path

import trustme

# Every name a test may connect to: the cert must match all of them.
SERVER_IDENTITIES = ("localhost", "127.0.0.1", "::1")


@functools.cache
def ca() -> trustme.CA:
    """The session's certificate authority."""
    return trustme.CA(organization_name="httpcore tests")


@functools.cache
def server_cert() -> trustme.LeafCert:
    """A server certificate for localhost, 127.0.0.1 and ::1, issued by `ca()`."""
    return ca().issue_cert(*SERVER_IDENTITIES)


@functools.cache
def unknown_ca() -> trustme.CA:
    """An authority that issued none of the test servers' certificates."""
    return trustme.CA(organization_name="httpcore tests, unknown CA")


@functools.cache
def unknown_ca_server_cert() -> trustme.LeafCert:
    """A server certificate for the same names, issued by `unknown_ca()`."""
    return unknown_ca().issue_cert(*SERVER_IDENTITIES)


@functools.cache
def wrong_host_cert() -> trustme.LeafCert:
    """A certificate from `ca()` for a name no test connects to."""
    return ca().issue_cert("other.invalid")


@functools.cache
def expired_cert() -> trustme.LeafCert:
    """A certificate from `ca()` for the test names, expired a day ago."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return ca().issue_cert(
        *SERVER_IDENTITIES,
        not_before=now - datetime.timedelta(days=30),
        not_after=now - datetime.timedelta(days=1),
    )


def write_ca_file(path: str | Path, authority: trustme.CA | None = None) -> str:
    """Write the CA certificate (default: `ca()`) as PEM to `path`; return it."""
    (authority or ca()).cert_pem.write_to_path(str(path))
    return str(path)


def write_server_files(
    directory: str | Path, cert: trustme.LeafCert | None = None
) -> tuple[str, str]:
    """Write a server's chain and key (default: `server_cert()`) as PEM files.

    Returns `(certfile, keyfile)`, the form servers such as hypercorn load.
    """
    cert = cert or server_cert()
    directory = Path(directory)
    certfile = directory / "server-chain.pem"
    keyfile = directory / "server-key.pem"
    certfile.write_bytes(b"".join(blob.bytes() for blob in cert.cert_chain_pems))
    keyfile.write_bytes(cert.private_key_pem.bytes())
    return str(certfile), str(keyfile)


def server_ssl_context(
    alpn: list[str] | None = None, cert: trustme.LeafCert | None = None
) -> ssl.SSLContext:
    """A server-side context presenting `cert` (default: `server_cert()`)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    (cert or server_cert()).configure_cert(context)
    if alpn:
        context.set_alpn_protocols(alpn)
    return context


def client_ssl_context(authority: trustme.CA | None = None) -> ssl.SSLContext:
    """A client-side context that trusts `authority` (default: `ca()`) only."""
    context = ssl.create_default_context()
    (authority or ca()).configure_trust(context)
    return context
