"""IP_ADDRESS: IPv4 dotted quads and IPv6 addresses (full, `::`-compressed, with an embedded
IPv4 tail), validated with `ipaddress`; version numbers ("v1.2.3.4", "build 1.2.3.4") are not."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator

from tutela.deid._digits import matches_at_numbers
from tutela.deid.findings import Finding
from tutela.deid.recognizer import Recognizer
from tutela.deid.recognizers._guards import preceded_by
from tutela.deid.registry import register

_V4 = re.compile(r"\d(?<![\w.]\d)\d{0,2}\.(?:\d{1,3}\.){2}\d{1,3}(?!\w|\.\d)")
# Hex groups joined by ":" (one "::" allowed by the validator), optionally ending in an IPv4.
_V6 = re.compile(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{0,4})(?![\w:]|\.\w)"
)
# Dotted quads that are versions, sections or builds, not addresses: "version 1.2.3.4",
# "Version de l'app : 1.2.3.4", "update to 1.2.3.4", "shop-app 1.2.3.4", "shop-app/1.2.3.4".
_NOT_AN_ADDRESS = re.compile(
    r"(?:(?<![^\W\d_])(?:version|versión|versione|versie|release|build|firmware)"
    r"(?:[^\w\n]+[^\W\d_]+){0,3}[^\w\n]*"
    r"|(?<![^\W\d_])(?:v|ver|vers|rel|fw|rev|revision|patch|kb|section|sect|chapter|clause|"
    r"art|article|§|no|nr)\.?\s*:?\s*"
    r"|(?<![^\W\d_])(?:update|updated|upgrade|upgraded|downgrade|downgraded|install|installed)"
    r"\s+(?:to|auf|à|a|naar)?\s*"
    r"|(?<![^\W\d_])[\w.-]*(?:app|sdk|lib|plugin)\s+"
    r"|[^\W\d_][\w.-]*/)$",
    re.IGNORECASE,
)


@register
class IpAddressRecognizer(Recognizer):
    name = "ip_address"
    entities = ("IP_ADDRESS",)
    context = (
        "ip",
        "ipv4",
        "ipv6",
        "address",
        "host",
        "server",
        "client",
        "addr",
        "login",
        "remote",
    )
    V4_SCORE = 0.6
    V6_SCORE = 0.8

    def find(self, text: str) -> Iterator[Finding]:
        if "." in text:
            for match in matches_at_numbers(_V4, text, 4):
                if preceded_by(text, match.start(), _NOT_AN_ADDRESS):
                    continue
                # 0.x.x.x is "this network", never a host: a version number.
                if not match.group().startswith("0") and _valid(
                    ipaddress.IPv4Address, match.group()
                ):
                    yield Finding("IP_ADDRESS", *match.span(), self.V4_SCORE, self.name)
        if "::" in text or text.count(":") >= 7:  # eight groups need seven
            for match in _V6.finditer(text):
                value = match.group()
                if sum(c.isalnum() for c in value) >= 2 and _valid(ipaddress.IPv6Address, value):
                    yield Finding("IP_ADDRESS", *match.span(), self.V6_SCORE, self.name)


def _valid(kind: type[ipaddress.IPv4Address | ipaddress.IPv6Address], value: str) -> bool:
    try:
        kind(value)
    except ValueError:
        return False
    return True
