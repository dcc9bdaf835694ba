import pytest

from bounceback.errors import UnsafeURL
from bounceback.netguard import check_url


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/x",
        "http://localhost/",
        "http://10.1.2.3/",
        "http://192.168.0.1/",
        "http://172.16.5.4/",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/",
        "http://0.0.0.0/",
        "http://[::ffff:127.0.0.1]/",
        "http://100.64.0.1/",
    ],
)
def test_private_addresses_are_refused_with_a_clear_reason(url):
    with pytest.raises(UnsafeURL, match="private address"):
        check_url(url)


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "gopher://x/", "javascript:alert(1)", "http:///nohost"]
)
def test_non_http_urls_are_refused_even_when_private_is_allowed(url):
    with pytest.raises(UnsafeURL):
        check_url(url, allow_private=True)


def test_public_ip_literal_passes_without_dns():
    assert check_url("https://93.184.216.34/reviews") == "https://93.184.216.34/reviews"


def test_loopback_passes_when_allowed():
    assert check_url("http://127.0.0.1:9/x", allow_private=True)
