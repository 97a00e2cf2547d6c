"""Text made safe for a spreadsheet cell, in the 汇总表's xlsx and CSV alike.

Two dangers, both from text users typed (titles, reasons, unit names):

- **Formula injection.** A cell whose text starts with ``=``, ``+``, ``-`` or ``@`` (or a tab
  or carriage return, which some spreadsheet programs skip before reading a formula) would be
  evaluated by Excel, LibreOffice or WPS: ``=HYPERLINK(...)`` becomes a live link. As the
  OWASP CSV-injection guidance recommends, such text is prefixed with an apostrophe (``'``),
  in CSV and xlsx alike, so the cell shows the text as typed after a visible apostrophe and is
  never a formula.
- **Characters a cell cannot hold.** XML 1.0 (and so xlsx) cannot carry the C0 control
  characters other than tab, line feed and carriage return; openpyxl raises on them. They
  (and DEL and the C1 controls, which a terminal would act on when CSV goes to standard
  output) are replaced by their visible escape ``\\xNN``, so that the cell says what was there.
"""

from __future__ import annotations

import re

__all__ = ["FORMULA_PREFIX", "safe_cell_text"]

#: The prefix that keeps a spreadsheet from reading text as a formula.
FORMULA_PREFIX = "'"

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_UNHOLDABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _escape(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group(0)):02x}"


def safe_cell_text(text: str) -> str:
    """``text`` with control characters escaped and a formula start neutralised."""
    text = _UNHOLDABLE.sub(_escape, text)
    if text.startswith(_FORMULA_START):
        return FORMULA_PREFIX + text
    return text
