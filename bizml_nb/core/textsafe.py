"""Text that cannot be turned against its reader: in a terminal, and in Markdown.

User strings (run names, hypotheses, tags, KPI names, owners, notebook paths)
reach two kinds of reader that interpret characters:

- **A terminal** obeys control characters and escape sequences: a run name can
  clear the screen, move the cursor over other lines, or show a hyperlink whose
  target is not its text. :func:`terminal_line` and :func:`terminal_text` remove
  them (C0 and C1 controls, ANSI CSI, OSC, DCS and other escape sequences, and the
  Unicode bidirectional overrides that reorder what is shown).
- **A Markdown renderer** turns ``[text](url)`` into a link, ``![p](url)`` into a
  remote image, passes HTML through, and (on GitHub) links bare URLs.
  :func:`markdown_text` makes a user string render as exactly its own characters.

>>> terminal_line("ok\\x1b[2J\\x1b]8;;https://x.example\\x07click\\x1b]8;;\\x07")
'okclick'
>>> markdown_text("[a](https://x.example)")
'\\\\[a\\\\]\\\\(https\\\\://x\\\\.example\\\\)'
"""

from __future__ import annotations

import re

__all__ = ["json_text", "markdown_plain", "markdown_text", "terminal_line", "terminal_text"]

# Escape sequences as terminals parse them (ECMA-48), 7-bit and 8-bit forms. A string
# sequence (OSC, DCS, SOS, PM, APC) runs to BEL or ST; an unterminated one is cut at the
# end of the line, as far as a terminal would swallow text of ours.
_ESCAPES = re.compile(
    r"""
      (?:\x1b\]|\x9d) [^\x07\x1b\x9c\n]* (?:\x07|\x1b\\|\x9c)?          # OSC
    | (?:\x1b[PX^_]|[\x90\x98\x9e\x9f]) [^\x07\x1b\x9c\n]* (?:\x1b\\|\x9c)?  # DCS SOS PM APC
    | (?:\x1b\[|\x9b) [0-?]* [ -/]* [@-~]?                                 # CSI
    | \x1b [ -/]* [0-~]?                                                   # other ESC sequences
    """,
    re.VERBOSE,
)
# What is left that a terminal would act on: C0 and C1 controls, DEL, and the Unicode
# marks and overrides that change the order in which text is shown.
_MARKS = "\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_CONTROLS = "\x00-\x1f" + _MARKS
_CONTROL = re.compile(f"[{_CONTROLS}]")
_CONTROL_BUT_NEWLINE = re.compile(f"[\x00-\x09\x0b-\x1f{_MARKS}]")
_SPACES = re.compile(r"[\t\n\v\f\r\x85\u2028\u2029]+")


def terminal_line(text: object) -> str:
    """``text`` on one line with nothing a terminal would obey: for user strings.

    Escape sequences are removed whole; tabs, line and page breaks become one space;
    every other control character is removed.
    """
    cleaned = _ESCAPES.sub("", str(text))
    cleaned = _SPACES.sub(" ", cleaned)
    return _CONTROL.sub("", cleaned)


def terminal_text(text: object) -> str:
    """Like :func:`terminal_line`, but the line breaks the program wrote are kept.

    For whole messages at the print boundary: user strings inside them should
    already have been put on one line by :func:`terminal_line`.
    """
    cleaned = _ESCAPES.sub("", str(text).replace("\r\n", "\n"))
    cleaned = re.sub(r"[\t\v\f\r\x85\u2028\u2029]", " ", cleaned)
    return _CONTROL_BUT_NEWLINE.sub("", cleaned)


def json_text(text: str) -> str:
    """JSON text (from ``json.dumps(..., ensure_ascii=False)``) safe to print, still equal.

    JSON escapes C0 controls itself; DEL, C1 controls and bidirectional marks are
    written as ``\\uXXXX`` escapes, which decode to the same strings.
    """
    return re.sub(f"[{_MARKS}]", lambda m: f"\\u{ord(m.group()):04x}", text)


# Every ASCII punctuation character can be backslash-escaped in CommonMark and GitHub
# Markdown. These are left alone: they start no construct, inline or at a line's start.
_MD_HARMLESS = frozenset(" '\",;?%/=^")
_MD_ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}
_ASCII_PUNCTUATION = frozenset(chr(c) for c in range(33, 127) if not chr(c).isalnum())


def markdown_text(text: object) -> str:
    """A user string as Markdown that renders as exactly its characters, on one line.

    Markdown punctuation is backslash-escaped (so no emphasis, code, link, image,
    table cell break, heading, list, maths, or bare-URL autolink can start), ``<``,
    ``>`` and ``&`` become entities (no raw HTML), and control characters and line
    breaks are removed as for the terminal.
    """
    out: list[str] = []
    for char in terminal_line(text):
        if char in _MD_ENTITIES:
            out.append(_MD_ENTITIES[char])
        elif char in _ASCII_PUNCTUATION and char not in _MD_HARMLESS:
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


_MD_PLAIN = frozenset("\\`*_[]|~$")


def markdown_plain(text: object) -> str:
    """The program's own words and numbers as Markdown: fewer escapes, still inert.

    For text bizml_nb writes itself (figures such as ``+$8.75M/yr [+$6.25M,
    +$15.6M]``, verdicts, ranks): escapes what could start emphasis, code, a link,
    a table cell break or maths, and turns ``<``, ``>`` and ``&`` into entities.
    User strings go through :func:`markdown_text` instead.
    """
    out: list[str] = []
    for char in terminal_line(text):
        if char in _MD_ENTITIES:
            out.append(_MD_ENTITIES[char])
        elif char in _MD_PLAIN:
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)
