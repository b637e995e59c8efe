"""The UI behind nginx with HTTPS and basic auth, as deploy/nginx/odc-pipeline.conf ships it:
without credentials a request gets 401, with them it reaches the asset graph."""

from __future__ import annotations

import base64
import json
import os
import shutil
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from odc_pipeline.settings import PROJECT_ROOT
from odc_pipeline_tests.conftest import free_port, isolated_environment
from odc_pipeline_tests.test_webserver import QUERY

#: Slow: nginx and the webserver in subprocesses.
pytestmark = pytest.mark.slow

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
PASSWORD = "correct horse battery staple"


def _request(url: str, payload: dict | None = None, auth: tuple[str, str] | None = None):
    headers = {"Content-Type": "application/json"}
    if auth:
        headers["Authorization"] = "Basic " + base64.b64encode(":".join(auth).encode()).decode()
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode() if payload else None, headers=headers
    )
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the test's own self-signed certificate
    try:
        with urllib.request.urlopen(request, timeout=30, context=context) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture
def proxied_ui(tmp_path):
    if not Path(NGINX).exists():
        pytest.fail("Debian's nginx is required (apt-get install nginx; make test installs it)")
    ui_port, proxy_port = free_port(), free_port()
    env = isolated_environment(tmp_path)
    (Path(env["DAGSTER_HOME"]) / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    webserver = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "dagster-webserver"),
            "-h",
            "127.0.0.1",
            "-p",
            str(ui_port),
            "-w",
            "workspace.yaml",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    nginx_dir = tmp_path / "nginx"
    nginx_dir.mkdir()
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-keyout",
            str(nginx_dir / "privkey.pem"),
            "-out",
            str(nginx_dir / "fullchain.pem"),
        ],
        check=True,
        capture_output=True,
    )
    hashed = subprocess.run(
        ["openssl", "passwd", "-apr1", PASSWORD], check=True, capture_output=True, text=True
    ).stdout.strip()
    (nginx_dir / "htpasswd").write_text(f"steward:{hashed}\n")
    site = (PROJECT_ROOT / "deploy" / "nginx" / "odc-pipeline.conf").read_text()
    for old, new in {
        "listen 443 ssl;": f"listen 127.0.0.1:{proxy_port} ssl;",
        "/etc/ssl/odc-pipeline/": f"{nginx_dir}/",
        "/etc/nginx/odc-pipeline.htpasswd": str(nginx_dir / "htpasswd"),
        "http://127.0.0.1:3000": f"http://127.0.0.1:{ui_port}",
    }.items():
        assert old in site
        site = site.replace(old, new)
    (nginx_dir / "site.conf").write_text(site)
    user = "user root root;" if os.geteuid() == 0 else ""
    (nginx_dir / "nginx.conf").write_text(
        f"""{user}
daemon off;
worker_processes 1;
pid {nginx_dir}/nginx.pid;
error_log {nginx_dir}/error.log;
events {{}}
http {{
    access_log {nginx_dir}/access.log;
    client_body_temp_path {nginx_dir}/body;
    proxy_temp_path {nginx_dir}/proxy;
    fastcgi_temp_path {nginx_dir}/fastcgi;
    uwsgi_temp_path {nginx_dir}/uwsgi;
    scgi_temp_path {nginx_dir}/scgi;
    include {nginx_dir}/site.conf;
}}
"""
    )
    nginx = subprocess.Popen(
        [
            NGINX,
            "-e",
            str(nginx_dir / "error.log"),
            "-p",
            str(nginx_dir),
            "-c",
            str(nginx_dir / "nginx.conf"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"https://127.0.0.1:{proxy_port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            status, _ = _request(f"{base}/server_info", auth=("steward", PASSWORD))
            if status == 200:
                break
            time.sleep(1)
        else:
            pytest.fail(f"no answer through nginx: {(nginx_dir / 'error.log').read_text()[-2000:]}")
        yield base
    finally:
        nginx.terminate()
        nginx.wait(timeout=30)
        webserver.terminate()
        webserver.wait(timeout=30)


def test_without_credentials_401_with_them_the_asset_graph(proxied_ui):
    status, _ = _request(f"{proxied_ui}/graphql", {"query": QUERY})
    assert status == 401
    status, _ = _request(f"{proxied_ui}/graphql", {"query": QUERY}, auth=("steward", "wrong"))
    assert status == 401
    status, body = _request(f"{proxied_ui}/graphql", {"query": QUERY}, auth=("steward", PASSWORD))
    assert status == 200
    groups = {
        "/".join(n["assetKey"]["path"]): n["groupName"]
        for n in json.loads(body)["data"]["assetNodes"]
    }
    assert groups["raw_jsn_pilpres2024_kabkota"] == "jaga_suara_nusantara"
    status, page = _request(f"{proxied_ui}/", auth=("steward", PASSWORD))
    assert status == 200 and b"<!DOCTYPE html>" in page and b"dagster" in page.lower()
