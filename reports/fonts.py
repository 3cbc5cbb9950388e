"""A CJK font for PDF reports: an embedded TrueType subset when one is installed, else STSong-Light.

The lookup and registration live in ``core.pdf_fonts`` (funding prints too and may not import
reports); the report keeps its own candidate list and cache, so a test can swap either.
"""

from functools import lru_cache

from core import pdf_fonts
from core.pdf_fonts import FALLBACK_CID, FONT_NAME  # noqa: F401  re-exported

# (path, subfontIndex) in order of preference after settings.IPFUND_CJK_FONT.
CANDIDATES: list[tuple[str, int]] = list(pdf_fonts.CANDIDATES)


def _candidates() -> list[tuple[str, int]]:
    return pdf_fonts.configured_first(CANDIDATES)


@lru_cache(maxsize=1)
def cjk_font() -> str:
    """Register and return the name of the font to use for Chinese text (cached per process)."""
    return pdf_fonts.register_cjk_font(_candidates())
