"""The canonical identity of a mention: one public post reached through several sources is one post.

The identity is the post's normalised URL when it has one that names the post (scheme and host
lower-cased, default port and trailing slash dropped, tracking parameters such as ``utm_*`` and
``ref`` dropped, the other parameters sorted, the fragment KEPT: App Store reviews differ only by
``#review-ID``), else ``kind:external_id``. Some URLs do not name the post:

- schema.org reviews all carry the page's URL, so a review is named by its ``@id``/``url`` when that is
  an absolute URL, else by the page URL plus its external id;
- a bare site (no path, query or fragment) names a site, not a post.

Hosts that are one site under several names are folded into one: Reddit's front-ends (``old.``,
``np.``, ``m.`` … and ``redd.it`` links) become ``https://www.reddit.com/comments/POST[/_/COMMENT]``
(Reddit ids are global, subreddit and title slug are decoration), and Trustpilot's country sites
(``de.trustpilot.com`` …) become ``www.trustpilot.com``.

It is stored hashed (:func:`identity_hash`, SHA-256 hex) in ``mention.identity_hash``.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

TRACKING_PARAMS = frozenset(
    {
        "ref",  # Reddit search permalinks: ?ref=search_posts
        "ref_src",
        "ref_source",
        "ref_url",
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_hsenc",
        "_hsmi",
        "share_id",
        "si",
        "yclid",
    }
)
TRACKING_PREFIXES = ("utm_",)
DEFAULT_PORTS = {"http": 80, "https": 443}
PAGE_URL_KINDS = frozenset({"schemaorg"})  # their mentions' url is the page, shared by every review on it
REDDIT_HOSTS = frozenset(
    {"reddit.com", "www.reddit.com", "old.reddit.com", "new.reddit.com", "np.reddit.com", "m.reddit.com"}
    | {"amp.reddit.com", "i.reddit.com"}
)
_REDDIT_THING = re.compile(r"(?:/r/[^/]+)?/comments/([a-z0-9]+)(?:/[^/]*(?:/([a-z0-9]+))?)?")
_REDDIT_SHORT = re.compile(r"/([a-z0-9]+)")


def _same_site(scheme: str, host: str, path: str) -> tuple[str, str, str]:
    """(scheme, host, path) with a site's other names and decorations folded (see the module doc)."""
    if host in REDDIT_HOSTS or host == "redd.it":
        lower = path.lower()
        thing = _REDDIT_THING.fullmatch(lower) if host != "redd.it" else None
        short = _REDDIT_SHORT.fullmatch(lower) if host == "redd.it" else None
        if thing:
            post, comment = thing.groups()
            return "https", "www.reddit.com", f"/comments/{post}" + (f"/_/{comment}" if comment else "")
        if short:
            return "https", "www.reddit.com", f"/comments/{short.group(1)}"
        return "https", "www.reddit.com", lower
    if host.endswith(".trustpilot.com"):
        return "https", "www.trustpilot.com", path
    return scheme, host, path


def normalise_url(url: str | None) -> str | None:
    """``url`` in canonical form, or None when it is not an absolute http(s) URL."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if scheme not in DEFAULT_PORTS or not host:
        return None
    path = parts.path.rstrip("/")
    default_port = port is None or port == DEFAULT_PORTS[scheme]
    if default_port:
        scheme, host, path = _same_site(scheme, host, path)
    shown = f"[{host}]" if ":" in host else host  # an IPv6 literal keeps its brackets
    netloc = shown if default_port else f"{shown}:{port}"
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key.lower() not in TRACKING_PARAMS and not key.lower().startswith(TRACKING_PREFIXES)
    ]
    return urlunsplit((scheme, netloc, path, urlencode(sorted(query)), parts.fragment))


def _names_a_post(canonical: str) -> bool:
    parts = urlsplit(canonical)
    return bool(parts.path or parts.query or parts.fragment)


def mention_identity(kind: str, external_id: str, url: str | None) -> str:
    """The canonical identity of one mention of a ``kind`` source (see the module doc)."""
    if kind in PAGE_URL_KINDS:
        own = normalise_url(external_id)
        if own is not None and _names_a_post(own):
            return own
        page = normalise_url(url)
        return f"{kind}:{page} {external_id}" if page else f"{kind}:{external_id}"
    canonical = normalise_url(url)
    if canonical is not None and _names_a_post(canonical):
        return canonical
    return f"{kind}:{external_id}"


def identity_hash(kind: str, external_id: str, url: str | None) -> str:
    """SHA-256 hex of :func:`mention_identity`: what ``mention.identity_hash`` stores."""
    return hashlib.sha256(mention_identity(kind, external_id, url).encode("utf-8")).hexdigest()
