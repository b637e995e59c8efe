"""Read the registry's YAML strictly: a key written twice in one mapping is an error.

PyYAML keeps the last of two equal keys without a word, so an entry that says
`sharing: private` and, further down, `sharing: public` would publish the source. A steward
editing by hand does that by accident; here it stops the registry with both line numbers.
Keys brought in by a merge (`<<: *defaults`) may still be overridden: that is what merges
are for.
"""

from __future__ import annotations

from typing import Any

import yaml


class DuplicateKeys(ValueError):
    """Keys written twice in one mapping; `problems` has one line per key, with line numbers."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


class YamlSyntaxError(ValueError):
    """The text is not YAML; the message names the line and column in plain words."""


class _StrictLoader(yaml.SafeLoader):
    """A safe loader that notes every key written twice in the same mapping."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[str] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        first_line: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(
                key_node, yaml.ScalarNode
            ):
                continue
            key = key_node.value
            line = key_node.start_mark.line + 1
            if key in first_line:
                self.duplicates.append(
                    f"line {line}: the key {key!r} is written twice in the same entry (first on "
                    f"line {first_line[key]}); keep the one you mean and delete the other"
                )
            else:
                first_line[key] = line
        return super().construct_mapping(node, deep=deep)


#: PyYAML's problems, by a phrase of its own, in a steward's words.
_PLAIN_PROBLEMS = (
    (
        "mapping values are not allowed",
        "a second ':' on one line; put a value that holds ':' in quotes",
    ),
    ("could not find expected ':'", "a line that is not 'key: value'; add the ':' or quotes"),
    ("found unexpected end of stream", "a quote or bracket is opened and never closed"),
    ("while scanning a quoted scalar", "a quote is opened and never closed on this line"),
    ("expected ',' or ']'", "a '[' list is not closed with ']'"),
    ("expected ',' or '}'", "a '{' mapping is not closed with '}'"),
    ("found undefined alias", "a '*name' that no '&name' defines above"),
    (
        "expected <block end>, but found '<block sequence start>'",
        "a list item ('- ') where a key was expected; indent it under its key",
    ),
    ("expected <block end>", "this line is indented differently from the lines it belongs with"),
)


def _plain_syntax_message(error: yaml.YAMLError) -> str:
    """PyYAML's message without its `"<unicode string>"` stream name, led by the position."""
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    if "'\\t'" in problem:
        return f"{where}a TAB character; indent with spaces, not TAB characters"
    for known, plain in _PLAIN_PROBLEMS:
        if known in problem:
            return f"{where}{plain}"
    return (
        f"{where}the structure breaks here: check this line's indentation against the line "
        "above (keys of one entry line up; a list item starts with '- ')"
    )


def load_strict(text: str) -> Any:
    """Parse `text`; raise YamlSyntaxError or DuplicateKeys with messages a steward can act on."""
    loader = _StrictLoader(text)
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(_plain_syntax_message(exc)) from None
    finally:
        loader.dispose()
    if loader.duplicates:
        raise DuplicateKeys(loader.duplicates)
    return data
