"""Write the nginx configuration that puts several CareCircle app servers behind one address.

    python3 deploy/nginx_conf.py --listen 80 --app 127.0.0.1:8501 --app 127.0.0.1:8502 \\
        > /etc/nginx/conf.d/carecircle.conf

prints the ``upstream`` and ``server`` blocks for nginx's ``conf.d`` (``deploy/nginx/carecircle.conf``
is this output with the defaults). ``--standalone PREFIX`` wraps them in a complete ``nginx.conf``
whose pid file, logs and temporary files live under ``PREFIX`` (for tests and trying it out:
``nginx -p PREFIX -c PREFIX/nginx.conf``).

Why each setting is there:

- ``ip_hash``: sticky sessions. A Streamlit session lives in one server's memory and talks over one
  WebSocket; its file uploads and media requests must reach the same server. ``ip_hash`` keeps a
  client on one server while that server is up. (Behind a carrier NAT many residents share an
  address; ``--hash cookie`` hashes Streamlit's XSRF cookie plus the address instead.)
- ``/_stcore/stream``: the WebSocket; HTTP/1.1 with ``Upgrade``/``Connection`` passed on, and long
  read/send timeouts so an idle open page is not cut off after nginx's default 60 s.
- ``client_max_body_size``: just above the app's largest upload (``server.maxUploadSize``, 100 MB
  for population files; facility files stop at 8 MB, ``geo.validate.MAX_BYTES``); nginx refuses
  larger bodies before they reach an app server, and the app refuses uploads from anyone not logged
  in as data staff before reading them (``serve.py``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

DEFAULT_LISTEN = "80"
DEFAULT_APPS = ("127.0.0.1:8501", "127.0.0.1:8502")
MAX_BODY_MB = 101  # above server.maxUploadSize (100 MB, population files) plus the multipart envelope

_SITE = """\
# CareCircle Ordos: {n} app servers behind one address (written by deploy/nginx_conf.py).
map $http_upgrade $carecircle_connection {{
    default upgrade;
    ''      close;
}}

upstream carecircle_app {{
    {hash}
{servers}
}}

server {{
    listen {listen};
    server_name {server_name};

    client_max_body_size {max_body};
    # Headers set here only: a location with proxy_set_header of its own would drop all of these.
    proxy_http_version 1.1;
    proxy_set_header Host $host;
    proxy_set_header X-Real-IP $remote_addr;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_set_header Upgrade $http_upgrade;
    proxy_set_header Connection $carecircle_connection;

    # Streamlit's WebSocket: one per open page, idle for as long as the page stays open.
    location /_stcore/stream {{
        proxy_pass http://carecircle_app;
        proxy_read_timeout 1d;
        proxy_send_timeout 1d;
        proxy_buffering off;
    }}

    location / {{
        proxy_pass http://carecircle_app;
        proxy_read_timeout 300s;
    }}
}}
"""

_STANDALONE = """\
# A complete nginx.conf around the CareCircle site, everything under {prefix}.
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
daemon off;

events {{
    worker_connections 256;
}}

http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;

{site}}}
"""

_HASHES = {
    "ip": "ip_hash;",
    "cookie": "hash $cookie__streamlit_xsrf$binary_remote_addr consistent;",
}


def site_config(
    *,
    listen: str = DEFAULT_LISTEN,
    apps: tuple[str, ...] = DEFAULT_APPS,
    server_name: str = "_",
    sticky: str = "ip",
) -> str:
    """The ``upstream`` and ``server`` blocks for ``conf.d``."""
    if not apps:
        msg = "at least one --app HOST:PORT is needed"
        raise ValueError(msg)
    servers = "\n".join(f"    server {app} max_fails=3 fail_timeout=10s;" for app in apps)
    return _SITE.format(
        n=len(apps),
        hash=_HASHES[sticky],
        servers=servers,
        listen=listen,
        server_name=server_name,
        max_body=f"{MAX_BODY_MB}m",
    )


def standalone_config(prefix: Path, **site: object) -> str:
    """A complete ``nginx.conf`` with pid, logs and temporary files under ``prefix``."""
    body = "".join(f"    {line}\n" if line else "\n" for line in site_config(**site).splitlines())  # type: ignore[arg-type]
    return _STANDALONE.format(prefix=prefix, site=body)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", default=DEFAULT_LISTEN, help="address:port or port nginx listens on")
    parser.add_argument(
        "--app", action="append", default=None, metavar="HOST:PORT", help="an app server (repeat)"
    )
    parser.add_argument("--server-name", default="_")
    parser.add_argument("--sticky", choices=tuple(_HASHES), default="ip")
    parser.add_argument("--standalone", type=Path, default=None, metavar="PREFIX")
    args = parser.parse_args(argv)
    options = {
        "listen": args.listen,
        "apps": tuple(args.app or DEFAULT_APPS),
        "server_name": args.server_name,
        "sticky": args.sticky,
    }
    if args.standalone is not None:
        sys.stdout.write(standalone_config(args.standalone.resolve(), **options))
    else:
        sys.stdout.write(site_config(**options))  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    sys.exit(main())
