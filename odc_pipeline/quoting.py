"""Quoting what a file holds inside a message, without letting the file decide its length.

A message (a quarantine reason, a log line, the terminal, an alert) that quotes a cell or a
line whole grows with the file: a 200 MB line with no line breaks once made a 65 KB message.
Quoted values are cut to a few dozen characters and say how long they were, so the message
stays short and still tells a steward what was found; the whole value stays in the data
(the quarantine's `row_data`), never in the message.
"""

from __future__ import annotations

#: Characters of a value quoted in a message; enough to recognise it in the file.
QUOTE_LIMIT = 80
#: Characters of a whole message; a reason or a log line is a few hundred at most.
MESSAGE_LIMIT = 1_000


def quoted(value: object, limit: int = QUOTE_LIMIT) -> str:
    """`repr(value)`, its first `limit` characters if longer, and then its length:
    `'xxxx…' (20,000,000 characters)`. A long string is cut before `repr` copies it."""
    if isinstance(value, str):
        if len(value) <= limit:
            return repr(value)
        cut = repr(value[:limit])
        return f"{cut[:-1]}…{cut[-1]} ({len(value):,} characters)"
    shown = repr(value)
    return shown if len(shown) <= limit else f"{shown[:limit]}… ({len(shown):,} characters)"


def first_of(items: list[str], limit: int) -> str:
    """The first `limit` items, comma-separated, then how many more: a list in a message
    (row numbers, lines, headers) whose length the file decides."""
    shown = ", ".join(items[:limit])
    more = len(items) - limit
    return f"{shown} and {more:,} more" if more > 0 else shown


def capped(message: str, limit: int = MESSAGE_LIMIT) -> str:
    """The message, its first `limit` characters if longer, and then its length."""
    if len(message) <= limit:
        return message
    return f"{message[:limit]}… ({len(message):,} characters)"


def with_value_quoted(message: str, value: object, limit: int = MESSAGE_LIMIT) -> str:
    """A message that may hold `value` whole (as `repr` or as text, stripped or not), with
    each such copy replaced by `quoted(value)`, then capped: for messages built elsewhere
    with `{value!r}`, where only the value tells how long they can grow."""
    if isinstance(value, str) and len(value) > QUOTE_LIMIT:
        for text in dict.fromkeys((value, value.strip())):
            for copy in (repr(text), text):
                if len(copy) > QUOTE_LIMIT and copy in message:
                    message = message.replace(copy, quoted(text))
    return capped(message, limit)


def counted(number: int, one: str, many: str | None = None) -> str:
    """`1 row`, `2 rows`, `1 alias`, `3 aliases` (`many`, where adding an s is wrong)."""
    return f"{number:,} {one if number == 1 else (many or one + 's')}"


def changes_in_words(counts: dict[str, int]) -> str:
    """A release's changes since the one before: `1 row added, 0 removed, 2 changed`."""
    return (
        f"{counted(counts['added'], 'row')} added, {counts['removed']:,} removed, "
        f"{counts['changed']:,} changed"
    )
