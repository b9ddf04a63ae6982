"""Fonts of the plots: a system CJK font when there is one, else the bundled subset.

Chinese labels need a CJK font. twin ships a subset of Noto Sans CJK SC
(``fonts/TwinSansSC-Regular.otf``, SIL Open Font License) holding the characters of its
own labels, and registers it with matplotlib the first time a plot asks for it, so
nothing happens at import. A name in a scenario (a grid, a category, a person) may use a
character outside the subset, so an installed CJK family (:data:`SYSTEM_CJK`, e.g. Noto
Sans CJK SC or Microsoft YaHei) comes first when there is one; the bundled subset and
DejaVu Sans follow, each a fallback for the characters the one before lacks.

A character no family holds draws as a box. Instead of matplotlib's warning per glyph,
:func:`glyphs_checked` gives one :class:`FontWarning` naming the characters and how to get
a font that has them.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.text import Text

FONT_FILE = Path(__file__).with_name("fonts") / "TwinSansSC-Regular.otf"
"""The bundled CJK font."""
CJK_FAMILY = "Twin Sans SC"
"""Family name of the bundled font."""
LATIN_FAMILY = "DejaVu Sans"
"""matplotlib's own font."""
LANGS = ("en", "zh")

SYSTEM_CJK = ("Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "SimHei",
              "PingFang SC", "Hiragino Sans GB", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei",
              "Noto Sans SC", "Source Han Sans CN", "Noto Sans CJK JP", "Noto Sans CJK TC",
              "Microsoft JhengHei", "SimSun", "Noto Serif CJK SC", "AR PL UMing CN")
"""Installed CJK families tried before the bundled subset, the first found is used."""


class FontWarning(UserWarning):
    """Some characters of a figure are in none of its fonts and show as boxes."""

    def __init__(self, chars: str) -> None:
        self.chars = chars
        """The characters missing, each once."""
        super().__init__(missing_message(chars))


def ensure_font() -> Path:
    """Register the bundled CJK font with matplotlib (once) and return its path."""
    path = str(FONT_FILE)
    if not any(entry.fname == path for entry in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(path)
    return FONT_FILE


def installed_families() -> set[str]:
    """Family names of the fonts matplotlib knows (its font cache)."""
    return {entry.name for entry in font_manager.fontManager.ttflist}


def system_cjk() -> str | None:
    """The first of :data:`SYSTEM_CJK` that is installed, or None."""
    installed = installed_families()
    return next((family for family in SYSTEM_CJK if family in installed), None)


def families(lang: str = "en") -> list[str]:
    """Font families for ``lang``, the first one preferred, each next one a fallback for
    the characters the ones before lack: Chinese first tries an installed CJK family, then
    the bundled subset, then DejaVu Sans; English starts with DejaVu Sans."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; choose one of {', '.join(LANGS)}")
    ensure_font()
    cjk = [f for f in (system_cjk(), CJK_FAMILY) if f is not None]
    return [*cjk, LATIN_FAMILY] if lang == "zh" else [LATIN_FAMILY, *cjk]


def apply_font(axes: list[Axes], lang: str = "en") -> None:
    """Give every text of these axes (titles, labels, ticks, legends, notes) the
    font families of ``lang``; tick labels drawn later get them too."""
    fams = families(lang)
    for ax in axes:
        ax.tick_params(which="both", labelfontfamily=fams)
        for artist in ax.findobj(Text):
            artist.set_fontfamily(fams)


_GLYPH = re.compile(r"^Glyph (\d+) .*missing from font")


def plot_fonts() -> str:
    """The fonts plots draw with, comma-separated."""
    return ", ".join(f for f in (system_cjk(), CJK_FAMILY, LATIN_FAMILY) if f)


def missing_message(chars: str) -> str:
    """The warning for characters no font of a figure has."""
    fonts = plot_fonts()
    return (f"characters {' '.join(chars)} are in none of the plot fonts ({fonts}) and show "
            "as boxes; install a CJK font (e.g. apt install fonts-noto-cjk, or any font "
            "such as Microsoft YaHei or SimHei), then delete matplotlib's font cache "
            "(the fontlist-*.json in matplotlib.get_cachedir()) so it finds the font")


@contextmanager
def glyphs_checked() -> Iterator[None]:
    """Collect matplotlib's "Glyph ... missing from font(s)" warnings of what is drawn
    inside, and give one :class:`FontWarning` naming every such character instead; other
    warnings pass on as they were."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    missing: dict[str, None] = {}
    for item in caught:
        found = _GLYPH.match(str(item.message))
        if found:
            missing[chr(int(found.group(1)))] = None
        else:
            warnings.warn_explicit(item.message, item.category, item.filename, item.lineno,
                                   source=item.source)
    if missing:
        warnings.warn(FontWarning("".join(sorted(missing))), stacklevel=3)
