"""Debian's nginx for the end-to-end tests, run with the site configuration the README ships.

nginx runs in its own prefix directory as a child process; only the lines of
``deploy/nginx/smartregion.conf`` marked ``# test:`` are rewritten (addresses, ports,
certificate and cache paths). ``make nginx`` installs nginx and its brotli module (CI runs it
as root); without them the tests skip and name that target.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from smartregion.settings import PROJECT_DIR

NGINX = Path(os.environ.get("NGINX", "/usr/sbin/nginx"))
BROTLI = Path("/usr/lib/nginx/modules/ngx_http_brotli_filter_module.so")
SITE_CONFIG = PROJECT_DIR / "deploy" / "nginx" / "smartregion.conf"
PUBLIC_HOST = "data.smarte-region-hessen.de"
TEMP_PATHS = (("client_body", "body"), ("proxy", "proxy"), ("fastcgi", "fastcgi"),
              ("uwsgi", "uwsgi"), ("scgi", "scgi"))


def require_nginx() -> None:
    """Skip, naming the make target, where nginx, its brotli module or openssl is missing."""
    if not NGINX.is_file() or not BROTLI.is_file():
        pytest.skip(f"{NGINX} or its brotli module is missing: run 'make nginx'")
    if shutil.which("openssl") is None:
        pytest.skip("openssl is missing (needed for the test certificate)")


def certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate and key for the public host and 127.0.0.1 (openssl)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", f"/CN={PUBLIC_HOST}", "-keyout", str(key), "-out", str(cert),
         "-addext", f"subjectAltName=DNS:{PUBLIC_HOST},IP:127.0.0.1"],
        check=True, capture_output=True)
    return cert, key


def site_config(upstream: str, port: int, plain_port: int, cert: Path, key: Path,
                cache: Path) -> str:
    """The shipped site configuration with its ``# test:`` lines pointed at this test."""
    replacements = {
        "upstream": f"    server {upstream};",
        "cache": f"proxy_cache_path {cache} levels=1:2 keys_zone=smartregion:16m max_size=64m "
                 "inactive=10m use_temp_path=off;",
        "plain": f"    listen 127.0.0.1:{plain_port};",
        "tls": f"    listen 127.0.0.1:{port} ssl http2;",
        "cert": f"    ssl_certificate     {cert};",
        "key": f"    ssl_certificate_key {key};",
        "metrics": "        allow 127.0.0.1;",
    }
    lines = []
    for line in SITE_CONFIG.read_text(encoding="utf-8").splitlines():
        marker = re.search(r"#\s*test:\s*(\w+)\s*$", line)
        lines.append(replacements[marker.group(1)] if marker else line)
    return "\n".join(lines) + "\n"


def nginx_conf(folder: Path, site: str, connections: int) -> Path:
    """Write ``site`` and a main configuration that includes it, with every path in
    ``folder`` (temp directories open to nginx's workers, which run as another user)."""
    for _kind, temp in (*TEMP_PATHS, ("cache", "cache")):
        (folder / temp).mkdir()
        (folder / temp).chmod(0o777)
    (folder / "site.conf").write_text(site)
    user = "user root;\n" if os.geteuid() == 0 else ""
    (folder / "nginx.conf").write_text(
        f"load_module {BROTLI};\n{user}worker_processes 1;\npid {folder}/nginx.pid;\n"
        f"error_log {folder}/error.log warn;\nevents {{ worker_connections {connections}; }}\n"
        f"http {{\n  access_log {folder}/nginx-access.log;\n"
        + "".join(f"  {kind}_temp_path {folder}/{temp};\n" for kind, temp in TEMP_PATHS)
        + f"  include {folder}/site.conf;\n}}\n")
    return folder / "nginx.conf"


def start_nginx(folder: Path, config: Path) -> subprocess.Popen[bytes]:
    """nginx in the foreground with ``folder`` as its prefix."""
    return subprocess.Popen(
        [str(NGINX), "-p", str(folder), "-c", str(config), "-e", str(folder / "error.log"),
         "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
