"""Include a Markdown file (the changelog) in the reStructuredText docs.

A Markdown parser (myst-parser) would be one more dependency of the docs
build; the changelog only uses a small part of Markdown, which this module
converts to reStructuredText line by line: ATX headings (``#`` to
``####``), ``-``/``*`` bullet lists with indented or lazy continuation
lines, fenced code blocks, paragraphs, and inline code spans, links and
bold text. Everything else is kept as literal text: characters that mean
something in reStructuredText are escaped, so no Markdown text can turn
into a directive, a role or a reference by accident.

Use it as ``.. markdown-include:: ../CHANGELOG.md``.
"""

# SPDX-License-Identifier: BSD-3-Clause

import re
from pathlib import Path

from docutils.parsers.rst import Directive, directives
from docutils.statemachine import StringList

_HEADING = re.compile(r"^(#{1,4})\s+(.*?)\s*#*\s*$")
_ITEM = re.compile(r"^(\s*)([-*+])\s+(.*)$")
_FENCE = re.compile(r"^(\s*)(```|~~~)\s*([\w+-]*)\s*$")
_RULE = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$")
_INLINE = re.compile(
    r"(?P<code>(?P<ticks>`+)(?P<code_text>.+?)(?P=ticks))"
    r"|(?P<link>\[(?P<link_text>[^\]]+)\]\((?P<url>[^)\s]+)\))"
    r"|(?P<bold>\*\*(?P<bold_text>[^*]+)\*\*)"
)
_UNDERLINES = "=-~^"
# Characters with a meaning in reStructuredText inline markup.
_SPECIAL = re.compile(r"([\\`*_|])")
# Line starts that reStructuredText reads as a list, directive, comment or
# option list, not as paragraph text.
_BLOCK_START = re.compile(r"^(\d+[.)]|#\.|[(]?\d+[)]|\.\.|[-+*]\s|:|>>>|\|)")


def _escape(text):
    return _SPECIAL.sub(r"\\\1", text)


def _guarded(markup, before, after):
    """Inline markup with escaped spaces where a word touches it."""
    left = "\\ " if before and not before.isspace() else ""
    right = "\\ " if after and not after.isspace() else ""
    return left + markup + right


def convert_inline(text):
    """Markdown inline text as reStructuredText inline text."""
    out = []
    position = 0
    for match in _INLINE.finditer(text):
        out.append(_escape(text[position : match.start()]))
        before = text[match.start() - 1] if match.start() else ""
        after = text[match.end()] if match.end() < len(text) else ""
        if match.group("code"):
            code = match.group("code_text").strip()
            markup = f"``{code}``" if "``" not in code else _escape(code)
        elif match.group("link"):
            label = _escape(match.group("link_text")).replace("<", "\\<")
            markup = f"`{label} <{match.group('url')}>`__"
        else:
            markup = f"**{_escape(match.group('bold_text'))}**"
        out.append(_guarded(markup, before, after) if markup.startswith(("`", "*")) else markup)
        position = match.end()
    out.append(_escape(text[position:]))
    return "".join(out)


def _text_line(indent, text):
    converted = convert_inline(text)
    if _BLOCK_START.match(converted):
        converted = "\\" + converted
    return " " * indent + converted


def markdown_to_rst(markdown):
    """Convert the Markdown subset described in the module docstring."""
    lines = []
    item_indent = None  # content indentation of the open list item, if any
    fence = None  # (indent, marker) of the open code block, if any

    def blank():
        if lines and lines[-1] != "":
            lines.append("")

    for raw in markdown.splitlines():
        line = raw.rstrip()
        if fence is not None:
            match = _FENCE.match(line)
            if match and match.group(2) == fence[1]:
                fence = None
                lines.append("")
            else:
                lines.append(" " * (fence[0] + 3) + line[fence[0] :] if line else "")
            continue
        if not line.strip():
            blank()
            continue
        indent = len(line) - len(line.lstrip())
        match = _FENCE.match(line)
        if match:
            blank()
            block_indent = item_indent if item_indent is not None else 0
            language = match.group(3) or "text"
            lines += [" " * block_indent + f".. code-block:: {language}", ""]
            fence = (block_indent, match.group(2))
            continue
        match = _HEADING.match(line)
        if match and indent == 0:
            blank()
            title = convert_inline(match.group(2))
            lines += [title, _UNDERLINES[len(match.group(1)) - 1] * max(len(title), 3), ""]
            item_indent = None
            continue
        if _RULE.match(line):
            blank()
            item_indent = None
            continue
        match = _ITEM.match(line)
        if match:
            blank()
            level = len(match.group(1))
            lines.append(" " * level + "- " + _text_line(0, match.group(3)))
            item_indent = level + 2
            continue
        if item_indent is not None:
            previous_blank = lines[-1] == ""
            if indent >= item_indent or not previous_blank:
                # An indented continuation, or Markdown's lazy one.
                lines.append(_text_line(item_indent, line.strip()))
                continue
            item_indent = None
        lines.append(_text_line(0, line.strip()))
    if fence is not None:
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


class MarkdownInclude(Directive):
    """``.. markdown-include:: path``, relative to the including document."""

    required_arguments = 1
    final_argument_whitespace = True
    option_spec = {}

    def run(self):
        env = self.state.document.settings.env
        relative, absolute = env.relfn2path(directives.path(self.arguments[0]))
        env.note_dependency(relative)
        text = Path(absolute).read_text(encoding="utf-8")
        rst = markdown_to_rst(text)
        self.state_machine.insert_input(StringList(rst.splitlines(), absolute), absolute)
        return []


def setup(app):
    app.add_directive("markdown-include", MarkdownInclude)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
