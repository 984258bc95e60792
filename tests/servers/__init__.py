"""
Servers for the network tests, all on the loopback interface.

- `app`: the ASGI application with the routes the real-server tests use; the
  routes of the client feature tests (Digest, uploads, encodings, the gzip
  bomb) are in `features`, the request and response helpers in `base`.
- `hypercorn_server.LiveServer`: that app (or any ASGI app) served by hypercorn,
  HTTP/1.1 and, over TLS, HTTP/2 by ALPN.
- `scripted.ScriptedServer`: a raw socket server whose handler sends exactly the
  bytes a test gives it, for broken and unusual responses.
- `tls`: the trustme certificates they use.
"""
