"""Texts that a spreadsheet would run as a formula, and how exports keep them inert.

Excel, LibreOffice and Google Sheets run a cell typed as ``=…`` and also, by habit,
``+…``, ``-…`` and ``@…``; a leading tab or carriage return hides such a payload from the
eye. Every export writes a text that begins with one of these characters behind an
apostrophe, the spreadsheets' own sign for « this is text » (``'=SOMME(A1)`` shows as
text). A text that already begins with an apostrophe gets one more, so that the import can
always remove exactly one: export → import gives back the stored text, character for
character.
"""

from __future__ import annotations

import re

DANGEROUS_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"

# What a cell of an imported CSV must not hold: a formula (=…), a call or a DDE link written
# after +, - or @ (« +cmd|' /C calc'!A0 », « @SOMME(A1) »), a sum (« -2+3 »). « - relancer
# la mairie », « +33 6 12 34 56 » and « -5 % de délais » are texts.
_FORMULA = re.compile(
    r"^\s*(=|[+\-@]\s*[A-Za-z_][\w.]*\s*[(|!]|[+\-]\s*\d[\d.,]*\s*[-+*/^&]\s*[\w(])"
)


def neutralised(text: str) -> str:
    """`text` as an export writes it: inert in any spreadsheet, reversible by `unquoted`."""
    if text.startswith(DANGEROUS_STARTS) or text.startswith(QUOTE):
        return QUOTE + text
    return text


def unquoted(text: str) -> str:
    """A text cell as the import reads it: one leading apostrophe (the spreadsheets' sign for
    « this is text », or the one `neutralised` added) is removed."""
    return text[1:] if text.startswith(QUOTE) else text


def looks_like_formula(text: str) -> bool:
    """True for a CSV cell that a spreadsheet would run (not for an apostrophe-quoted one)."""
    return bool(_FORMULA.match(text))
