"""Great Expectations' Data Docs views, with their Jinja templates compiled once per process.

Why. Each view GX builds makes a Jinja environment of its own, and an environment compiles
every template it renders from its source: one build of a suite's Data Docs compiled 26
templates 58 times (the page, its sections, the content blocks; once per view), and every
suite builds its own docs. Measured over the four suites of a 2M-row night in one process
(three runs each): the docs took 1.4-1.6 s, with shared compiled templates 0.5 s; one suite
in a step process of its own, 0.16-0.23 s against 0.25-0.41 s.

These views are GX's own, named in the Data Docs site's configuration (`view:` of the index
builder and of each section, GX's documented way to override a view), with one change: their
environments share a bytecode cache in memory, so a template is compiled once and then only
loaded. The pages are rendered by GX's views, unchanged: the cache holds Jinja's compiled
code for a template's exact source (a changed template is compiled again), never a page.
Nothing is written to disk: compiled code that a file could replace would be code run from
that file.
"""

from __future__ import annotations

import threading
from types import CodeType

from great_expectations.render.view import DefaultJinjaIndexPageView, DefaultJinjaPageView
from jinja2 import Environment
from jinja2.bccache import Bucket, BytecodeCache

MODULE = __name__


class TemplateCodeCache(BytecodeCache):
    """Compiled template code by Jinja's key (the template's name), with the checksum of the
    source it was compiled from: a template whose source changed is compiled again. Kept for
    the life of the process, as code objects (nothing marshalled)."""

    def __init__(self) -> None:
        self._code: dict[str, tuple[str, CodeType]] = {}
        self._lock = threading.Lock()

    def load_bytecode(self, bucket: Bucket) -> None:
        with self._lock:
            checksum, code = self._code.get(bucket.key, (None, None))
        if checksum == bucket.checksum:
            bucket.code = code

    def dump_bytecode(self, bucket: Bucket) -> None:
        with self._lock:
            self._code[bucket.key] = (bucket.checksum, bucket.code)


#: The one cache every view of this process shares.
TEMPLATE_CODE = TemplateCodeCache()


class _SharedTemplateCode:
    """Give the view's Jinja environment the process's bytecode cache (before it loads any
    template: the environment consults the cache as it loads one)."""

    env: Environment

    # The parameters named as GX's views name them: GX hands a view only the settings its
    # constructor names (the project's custom styles and views folders).
    def __init__(
        self, custom_styles_directory: str | None = None, custom_views_directory: str | None = None
    ) -> None:
        super().__init__(
            custom_styles_directory=custom_styles_directory,
            custom_views_directory=custom_views_directory,
        )
        self.env.bytecode_cache = TEMPLATE_CODE


class PageView(_SharedTemplateCode, DefaultJinjaPageView):
    """GX's page view (expectation suites, validation results)."""


class IndexPageView(_SharedTemplateCode, DefaultJinjaIndexPageView):
    """GX's index page view."""


def _view(class_name: str) -> dict[str, str]:
    return {"module_name": MODULE, "class_name": class_name}


def with_shared_template_code(site: dict) -> dict:
    """A Data Docs site's configuration with these views in place of GX's default ones."""
    sections = dict(site.get("site_section_builders") or {})
    for name in ("expectations", "validations", "profiling"):
        sections[name] = {**(sections.get(name) or {}), "view": _view(PageView.__name__)}
    index = dict(site.get("site_index_builder") or {"class_name": "DefaultSiteIndexBuilder"})
    index["view"] = _view(IndexPageView.__name__)
    return {**site, "site_index_builder": index, "site_section_builders": sections}
