"""Result downloads: only allowed hosts, no redirects, no credentials, capped, checked."""

from __future__ import annotations

import time

import pytest

from studio.pipeline.downloads import DownloadError, check_url, download_image, new_download_client
from tests.http_script_server import ScriptServer, answer, truncate
from tests.images import png_bytes


def png(width: int = 300, height: int = 200) -> bytes:
    return png_bytes(width, height, "#aa3366")


@pytest.fixture
def server():
    with ScriptServer() as running:
        yield running


def fetch(url: str, **kwargs):
    with new_download_client(timeout=2) as client:
        kwargs.setdefault("allowed_hosts", ["127.0.0.1"])
        kwargs.setdefault("max_bytes", 10_000_000)
        return download_image(client, url, **kwargs)


def test_a_result_png_is_streamed_hashed_and_measured(server):
    data = png()
    server.script(answer(200, data))
    got = fetch(server.url + "/r.png?Expires=9999999999", expected_size=(300, 200))
    import hashlib

    assert got.sha256 == hashlib.sha256(data).hexdigest()
    assert (got.width, got.height, got.byte_size) == (300, 200, len(data))
    assert got.file.read() == data
    got.close()


def test_hosts_are_matched_exactly_never_by_substring():
    allowed = ["dashscope-result-bj.oss-cn-beijing.aliyuncs.com"]
    check_url("https://dashscope-result-bj.oss-cn-beijing.aliyuncs.com/x.png", allowed)
    for url in (
        "https://dashscope-result-bj.oss-cn-beijing.aliyuncs.com.evil.example/x.png",
        "https://evil-dashscope-result-bj.oss-cn-beijing.aliyuncs.com/x.png",
        "https://evil.example/dashscope-result-bj.oss-cn-beijing.aliyuncs.com/x.png",
    ):
        with pytest.raises(DownloadError, match="not on the allowed list") as caught:
            check_url(url, allowed)
        assert caught.value.permanent


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/x.png", "http://user:pw@127.0.0.1/x.png"])
def test_other_schemes_and_credentials_are_refused(url):
    with pytest.raises(DownloadError) as caught:
        check_url(url, ["127.0.0.1"])
    assert caught.value.permanent


def test_redirects_are_not_followed(server):
    server.script(answer(302, b"", {"Location": "http://127.0.0.1:1/elsewhere.png"}))
    with pytest.raises(DownloadError, match="redirect"):
        fetch(server.url + "/r.png")
    assert len(server.requests) == 1


def test_no_credentials_are_sent(server):
    server.script(answer(200, png()))
    fetch(server.url + "/r.png").close()
    headers = {k.lower() for k in server.requests[0].headers}
    assert "authorization" not in headers and "cookie" not in headers


def test_a_result_over_the_byte_cap_is_refused(server):
    server.script(answer(200, png(600, 600)))
    with pytest.raises(DownloadError, match="byte cap") as caught:
        fetch(server.url + "/r.png", max_bytes=1000)
    assert caught.value.permanent


def test_a_truncated_download_can_be_retried(server):
    server.script(truncate(200, png()))
    with pytest.raises(DownloadError) as caught:
        fetch(server.url + "/r.png")
    assert not caught.value.permanent


def test_a_size_other_than_the_reported_one_is_refused(server):
    server.script(answer(200, png(300, 200)))
    with pytest.raises(DownloadError, match="provider reported 1024\\*1024"):
        fetch(server.url + "/r.png", expected_size=(1024, 1024))


def test_something_that_is_not_a_png_is_refused(server):
    server.script(answer(200, b"<html>not an image</html>"))
    with pytest.raises(DownloadError, match="not a readable image"):
        fetch(server.url + "/r.png")


def test_a_url_past_its_expiry_is_expired_without_a_request(server):
    past = int(time.time()) - 5
    with pytest.raises(DownloadError) as caught:
        fetch(f"{server.url}/r.png?Expires={past}")
    assert caught.value.expired
    assert server.requests == []


def test_forbidden_after_expiry_means_expired(server):
    server.script(answer(403, b"<Error><Code>AccessDenied</Code></Error>"))
    with pytest.raises(DownloadError) as caught:
        fetch(f"{server.url}/r.png?Expires={int(time.time()) - 1}", now=time.time() - 10)
    assert caught.value.expired
