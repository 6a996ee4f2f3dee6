"""Requests made for users go to public addresses, and to private ones only where allowed."""

from __future__ import annotations

import ipaddress

import pytest

from studio.egress import EgressRefused, EgressRules

PRIVATE = ["http://127.0.0.1/x", "http://10.1.2.3/", "http://192.168.0.1:8080/", "http://169.254.169.254/latest/meta-data",
           "http://[::1]/", "http://0.0.0.0/", "http://localhost/", "http://172.16.5.4/", "http://[fd00::1]/"]


@pytest.mark.parametrize("url", PRIVATE)
def test_private_and_local_addresses_are_refused_by_default(url):
    with pytest.raises(EgressRefused, match="private or local"):
        EgressRules().check(url)


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "http:///nohost", "http://u:p@8.8.8.8/", "http://[zz/"])
def test_urls_other_than_plain_http_are_refused(url):
    with pytest.raises(EgressRefused):
        EgressRules().check(url)


def test_a_public_address_is_allowed():
    assert EgressRules().check("https://8.8.8.8/a.png") == ("8.8.8.8", 443)


def test_an_allowed_network_opens_loopback_and_nothing_else():
    rules = EgressRules((ipaddress.ip_network("127.0.0.1/32"),))
    assert rules.check("http://127.0.0.1:9000/hook") == ("127.0.0.1", 9000)
    with pytest.raises(EgressRefused):
        rules.check("http://10.0.0.1/")
