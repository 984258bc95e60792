"""
pycurl: libcurl, a native reference row.

A `Curl` handle serves one thread at a time, so each thread gets its own
(connection reuse is per handle). pycurl has no asyncio API; its HTTP/2
streams run on libcurl's own event loop, `CurlMulti`, multiplexed over one
connection (see `CUSTOM`).
"""

from __future__ import annotations

import io
import threading
import typing

from ..loops import Measure, Meter, Timing, check_size
from ..scenarios import Scenario
from . import Options, StatusError

COLD_START = """
import io
import pycurl
curl = pycurl.Curl()
curl.setopt(pycurl.URL, {url!r})
curl.setopt(pycurl.CAINFO, {ca!r})
curl.setopt(pycurl.WRITEDATA, io.BytesIO())
curl.perform()
assert curl.getinfo(pycurl.RESPONSE_CODE) == 200
curl.close()
"""


def _handle(options: Options) -> typing.Any:
    import pycurl

    curl = pycurl.Curl()
    curl.setopt(pycurl.CAINFO, options.ca_file)
    curl.setopt(pycurl.NOSIGNAL, 1)
    # libcurl would send `Expect: 100-continue` and wait for the go-ahead
    # before large uploads; no other client here does.
    curl.setopt(pycurl.HTTPHEADER, ["Expect:"])
    version = (
        pycurl.CURL_HTTP_VERSION_2TLS if options.http2 else pycurl.CURL_HTTP_VERSION_1_1
    )
    curl.setopt(pycurl.HTTP_VERSION, version)
    return curl


class Sync:
    def __init__(self, options: Options) -> None:
        self.options = options
        self.local = threading.local()
        self.handles: list[typing.Any] = []
        self.lock = threading.Lock()

    def _curl(self) -> typing.Any:
        curl = getattr(self.local, "curl", None)
        if curl is None:
            curl = self.local.curl = _handle(self.options)
            with self.lock:
                self.handles.append(curl)
        return curl

    def _perform(self, curl: typing.Any, url: str) -> int:
        import pycurl

        buffer = io.BytesIO()
        curl.setopt(pycurl.URL, url)
        curl.setopt(pycurl.WRITEDATA, buffer)
        curl.perform()
        status = curl.getinfo(pycurl.RESPONSE_CODE)
        if status != 200:
            raise StatusError(status)
        return buffer.tell()

    def get(self, url: str) -> int:
        import pycurl

        curl = self._curl()
        curl.setopt(pycurl.HTTPGET, 1)
        return self._perform(curl, url)

    def post(self, url: str, body: bytes) -> int:
        import pycurl

        curl = self._curl()
        curl.setopt(pycurl.POSTFIELDSIZE_LARGE, len(body))
        curl.setopt(pycurl.POSTFIELDS, body)
        return self._perform(curl, url)

    def http_version(self, url: str) -> str:
        import pycurl

        self.get(url)
        version = self._curl().getinfo(pycurl.INFO_HTTP_VERSION)
        return {
            pycurl.CURL_HTTP_VERSION_1_1: "HTTP/1.1",
            pycurl.CURL_HTTP_VERSION_2_0: "HTTP/2",
        }.get(version, "?")

    def close(self) -> None:
        with self.lock:
            for curl in self.handles:
                curl.close()
            self.handles.clear()


def open_sync(options: Options) -> Sync:
    return Sync(options)


def run_multiplexed(
    scenario: Scenario, url: str, options: Options, timing: Timing
) -> tuple[Measure, str]:
    """`scenario.concurrency` transfers in flight at once, on one `CurlMulti`."""
    import pycurl

    multi = pycurl.CurlMulti()
    multi.setopt(pycurl.M_PIPELINING, pycurl.PIPE_MULTIPLEX)
    meter = Meter(scenario.concurrency, timing)
    counts = meter.counts
    handles: list[typing.Any] = []
    buffers: dict[typing.Any, tuple[int, io.BytesIO]] = {}

    def start(curl: typing.Any, index: int) -> None:
        buffer = io.BytesIO()
        curl.setopt(pycurl.WRITEDATA, buffer)
        buffers[curl] = (index, buffer)
        multi.add_handle(curl)

    try:
        for index in range(scenario.concurrency):
            curl = _handle(options)
            curl.setopt(pycurl.URL, url)
            curl.setopt(pycurl.PIPEWAIT, 1)  # wait to multiplex, not a new connection
            handles.append(curl)
            start(curl, index)
        protocol = "?"
        while not meter.poll():
            while multi.perform()[0] == pycurl.E_CALL_MULTI_PERFORM:
                pass
            _, finished, failed = multi.info_read()
            if failed:
                raise StatusError(f"transfer failed: {failed[0][2]}")
            for curl in finished:
                multi.remove_handle(curl)
                status = curl.getinfo(pycurl.RESPONSE_CODE)
                if status != 200:
                    raise StatusError(status)
                index, buffer = buffers.pop(curl)
                check_size(buffer.tell(), scenario.body_size)
                if (
                    curl.getinfo(pycurl.INFO_HTTP_VERSION)
                    == pycurl.CURL_HTTP_VERSION_2_0
                ):
                    protocol = "HTTP/2"
                else:
                    protocol = "HTTP/1.1"
                counts[index] += 1
                if not meter.stop:
                    start(curl, index)
            multi.select(0.05)
        return meter.measure(), protocol
    finally:
        for curl in handles:
            if curl in buffers:
                multi.remove_handle(curl)
            curl.close()
        multi.close()


CUSTOM = {"h2-100": run_multiplexed}
