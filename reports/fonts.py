"""A CJK font for PDF reports: an embedded TrueType subset when one is installed, else STSong-Light."""

import logging
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from reportlab.pdfbase import pdfmetrics

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


def _candidates() -> list[tuple[str, int]]:
    configured = getattr(settings, "IPFUND_CJK_FONT", "") or ""
    found = [(configured, 0)] if configured else []
    return found + CANDIDATES


@lru_cache(maxsize=1)
def cjk_font() -> str:
    """Register and return the name of the font to use for Chinese text (cached per process)."""
    from reportlab.pdfbase.ttfonts import TTFont  # noqa: PLC0415  heavy

    for path, index in _candidates():
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
