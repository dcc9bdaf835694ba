"""Fifty hostile strings as scraped text: HTML/script injection, Markdown links, javascript: URLs."""

from __future__ import annotations

_BASE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<iframe src=javascript:alert(1)></iframe>",
    '<a href="javascript:alert(1)">click</a>',
    "[click me](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(document.cookie))",
    "![img](javascript:alert(1))",
    "![x](https://evil.example/track.png)",
    '[ok](https://evil.example "title")',
    "<https://evil.example>",
    "<javascript:alert(1)>",
    "[a]: javascript:alert(1)\n[b][a]",
    "<details open ontoggle=alert(1)>",
    "<body onload=alert(1)>",
    "<style>*{display:none}</style>",
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;img src=x onerror=alert(1)&#62;",
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    ":red[<b>bold</b>] :material/warning: $\\alert{1}$",
    "`<script>`\n```html\n<script>alert(1)</script>\n```",
    "# Heading\n> quote <script>alert(1)</script>",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
]
_WRAPPERS = ["{}", "Refund now {} please"]

PAYLOADS: list[str] = [w.format(b) for w in _WRAPPERS for b in _BASE]
assert len(PAYLOADS) == 50
