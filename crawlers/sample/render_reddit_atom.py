"""Sample Reddit posts as Reddit's Atom feeds (``/r/X/new/.rss``, ``/search.rss?q=…``).

No real capture of these feeds is in ../shared/fixtures (praw's cassettes hold JSON only), so this
follows what www.reddit.com serves, element for element: ``<feed>`` with the ``media`` namespace, a
``<category>`` for the subreddit (``" reddit.com"`` on a site search), ``updated``, ``icon``, the
request path as ``<id>``, ``self``/``alternate`` links, a ``<subtitle>`` (the subreddit's
description) on a subreddit feed and the title Reddit gives ("newest submissions : X",
"reddit.com: search results - Q"); then one ``<entry>`` per post: ``author``
(``/u/name`` and the profile URI), ``category``, ``content type="html"`` (the rendered self-text in
``<!-- SC_OFF --><div class="md">…</div><!-- SC_ON -->`` followed by the "submitted by /u/name [to
r/X] [link] [comments]" footer, all entity-escaped once more), ``id`` (``t3_…``), ``link``,
``updated``, ``published`` and ``title``. A site search lists a matching subreddit first as a ``t5_``
entry, as Reddit does. Characters XML 1.0 forbids are left out.
"""

from __future__ import annotations

import html
import re
from datetime import datetime
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from crawlers.sample.render_social import Seen, reddit_id, reddit_permalink

SITE = "https://www.reddit.com"
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
BRAND_SUBREDDIT = "northwindcoffee"


def _x(text: str) -> str:
    """XML character data, quotes escaped the way Reddit writes them."""
    return escape(_NOT_XML.sub("", text), {'"': "&quot;"})


def _md(text: str) -> str:
    """Self-text rendered the way Reddit's markdown does it: a paragraph per blank-line block."""
    paragraphs = [p for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    body = "".join(f"<p>{html.escape(p, quote=False).replace(chr(39), '&#39;')}</p>" for p in paragraphs)
    return f'<!-- SC_OFF --><div class="md">{body} </div><!-- SC_ON -->' if body else ""


def _stamp(when: datetime) -> str:
    return when.replace(microsecond=0).isoformat()


def reddit_atom_entry(seen: Seen, *, search: bool) -> str:
    """One post as a feed ``<entry>``."""
    m = seen.mention
    handle, sub = m.author.handle, m.extra.get("subreddit", "Coffee")
    link = SITE + reddit_permalink(m)
    to = f' &#32; to &#32; <a href="{SITE}/r/{sub}/"> r/{sub} </a>' if search else ""
    content = (
        f'{_md(m.text)} &#32; submitted by &#32; <a href="{SITE}/user/{handle}"> /u/{handle} </a>{to}'
        f' <br/> <span><a href="{link}">[link]</a></span> &#32; <span><a href="{link}">[comments]</a></span>'
    )
    return (
        f"<entry><author><name>/u/{_x(handle)}</name><uri>{SITE}/user/{_x(handle)}</uri></author>"
        f'<category term="{_x(sub)}" label="r/{_x(sub)}"/><content type="html">{_x(content)}</content>'
        f'<id>t3_{reddit_id(m)}</id><link href="{_x(link)}" /><updated>{_stamp(seen.published)}</updated>'
        f"<published>{_stamp(seen.published)}</published><title>{_x(m.title)}</title></entry>"
    )


def _community_entry() -> str:
    """The brand's subreddit, as a site search lists it among the results."""
    about = "<div> Everything Northwind Coffee: brews, beans, the app and the shops. </div>"
    about += f' <div> <a href="{SITE}/r/{BRAND_SUBREDDIT}/">[link]</a> </div>'
    return (
        f"<entry><author><name>/u/northwind_mod</name><uri>{SITE}/user/northwind_mod</uri></author>"
        f'<content type="html">{_x(about)}</content><id>t5_2nw1cf</id>'
        f'<link href="{SITE}/r/{BRAND_SUBREDDIT}/" /><updated>2019-03-01T09:00:00+00:00</updated>'
        "<title>Northwind Coffee</title></entry>"
    )


def reddit_atom(
    posts: list[Seen],
    *,
    subreddit: str | None,
    query: str | None,
    params: dict[str, str],
    updated: datetime,
    first_page: bool,
) -> bytes:
    """A feed page: a subreddit's newest posts (``query`` None) or search results, newest first."""
    qs = ("?" + urlencode(params)) if params else ""
    if query is None:
        path, alternate = f"/r/{subreddit}/new/.rss", f"/r/{subreddit}/new/"
        name = _x(subreddit or "")
        head = f'<category term="{name}" label="r/{name}"/>'
        tail = f"<subtitle>Posts about coffee in r/{name}.</subtitle>"
        title = f"newest submissions : {subreddit}"
    else:
        prefix = f"/r/{subreddit}" if subreddit else ""
        path, alternate = f"{prefix}/search.rss", f"{prefix}/search"
        head, tail = '<category term=" reddit.com" label="r/ reddit.com"/>', ""
        title = f"reddit.com: search results - {query}"
    entries = [reddit_atom_entry(s, search=query is not None) for s in posts]
    wanted = {w.strip("\"'#@").lower() for w in (query or "").split()}
    if query is not None and not subreddit and first_page and wanted & {"northwind", BRAND_SUBREDDIT}:
        entries.insert(0, _community_entry())
    feed = (
        '<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom" '
        f'xmlns:media="http://search.yahoo.com/mrss/">{head}<updated>{_stamp(updated)}</updated>'
        f"<icon>https://www.redditstatic.com/icon.png/</icon><id>{_x(path + qs)}</id>"
        f'<link rel="self" href="{_x(SITE + path + qs)}" type="application/atom+xml" />'
        f'<link rel="alternate" href="{_x(SITE + alternate + qs)}" type="text/html" />'
        f"{tail}<title>{_x(title)}</title>{''.join(entries)}</feed>"
    )
    return feed.encode("utf-8")
