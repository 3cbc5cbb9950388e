"""A CJK font for the PDFs (reports, the printable application form): an embedded TrueType subset
when one is installed, else the non-embedded STSong-Light CID font.

Here in core so that every app that prints (funding, reports) finds and registers it the same way;
reportlab is loaded on first use only.
"""

import logging
from functools import lru_cache
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)

FONT_NAME = "IPFundCJK"
FALLBACK_CID = "STSong-Light"

# (path, subfontIndex) in order of preference after settings.IPFUND_CJK_FONT.
CANDIDATES: list[tuple[str, int]] = [
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
]


def configured_first(candidates: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """``settings.IPFUND_CJK_FONT`` (when set), then ``candidates``."""
    configured = getattr(settings, "IPFUND_CJK_FONT", "") or ""
    found = [(configured, 0)] if configured else []
    return found + list(candidates)


def register_cjk_font(candidates: list[tuple[str, int]]) -> str:
    """Register the first usable TrueType font of ``candidates`` as ``FONT_NAME`` and return that
    name; without one, register and return the CID fallback (with a warning)."""
    from reportlab.pdfbase import pdfmetrics  # noqa: PLC0415  heavy
    from reportlab.pdfbase.ttfonts import TTFont  # noqa: PLC0415  heavy

    for path, index in candidates:
        if not Path(path).is_file():
            continue
        try:
            pdfmetrics.registerFont(TTFont(FONT_NAME, path, subfontIndex=index))
        except Exception as exc:  # a font reportlab cannot read (e.g. CFF outlines): try the next
            logger.warning("CJK font %s unusable for PDF: %s", path, exc)
            continue
        return FONT_NAME
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont  # noqa: PLC0415  heavy

    logger.warning("No CJK TrueType font found (set IPFUND_CJK_FONT or install fonts-wqy-zenhei); "
                   "falling back to the non-embedded %s CID font.", FALLBACK_CID)
    pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_CID))
    return FALLBACK_CID


@lru_cache(maxsize=1)
def cjk_font() -> str:
    """The name of the registered font for Chinese text (looked up once per process)."""
    return register_cjk_font(configured_first(CANDIDATES))
