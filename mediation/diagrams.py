"""Workflow pictures drawn on the server: DOT from workflows.diagram, turned into SVG by the ``graphviz-pure``
binary (a Python dependency, installed in the venv's bin/). Only our own labels go in (states and triggers),
never anything of a case, so a picture is the same for every case at the same step and is cached.

When the binary is missing or fails, the functions return None and log once: the pages then show the text step
map alone, never an error.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from functools import lru_cache
from html import escape
from pathlib import Path

from workflows.diagram import dot
from workflows.programmes import programme_of_version

log = logging.getLogger(__name__)

BINARY = "graphviz-pure"
TIMEOUT_SECONDS = 10.0
_PROLOG = re.compile(r"<\?xml.*?\?>|<!DOCTYPE.*?>|<!--.*?-->", re.DOTALL)
_SIZE = re.compile(r'\s(?:width|height)="[^"]*"')
_VIEW_WIDTH = re.compile(r'viewBox="[-\d.]+ [-\d.]+ ([\d.]+) [\d.]+"')
_warned: set[str] = set()
# A page's picture: top to bottom (narrower than left to right), in a sans-serif face large enough to read.
PAGE_STYLE = ('graph [fontname="Helvetica"];', 'node [fontname="Helvetica", fontsize=16];',
              'edge [fontname="Helvetica", fontsize=14];')


def _warn_once(problem: str, *args: object) -> None:
    """Log a rendering problem the first time it happens in this process (a page shows the step map meanwhile)."""
    if problem not in _warned:
        _warned.add(problem)
        log.warning(problem, *args)


def graphviz_binary() -> str | None:
    """The ``graphviz-pure`` program: beside this Python (the venv's bin/) first, else on PATH."""
    beside = Path(sys.executable).parent / BINARY
    if beside.is_file():
        return str(beside)
    return shutil.which(BINARY)


def render_svg(source: str) -> str | None:
    """SVG for DOT ``source`` as the binary writes it, or None (logged once) if it is missing or fails."""
    binary = graphviz_binary()
    if binary is None:
        _warn_once("workflow diagrams are off: the %s program was not found (pip install graphviz-pure)", BINARY)
        return None
    try:
        done = subprocess.run([binary, "-Tsvg"], input=source, capture_output=True, text=True,  # noqa: S603
                              timeout=TIMEOUT_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired) as failure:
        _warn_once("workflow diagrams are off: %s could not run: %s", BINARY, failure)
        return None
    if done.returncode != 0 or "<svg" not in done.stdout:
        _warn_once("workflow diagrams are off: %s failed (exit %s): %s", BINARY, done.returncode,
                   done.stderr.strip()[:200])
        return None
    return done.stdout


def embeddable(svg: str, title: str) -> str:
    """The binary's SVG made fit to put inside a page: no XML prolog, DOCTYPE or comments; an image with a
    name for screen readers; its size one CSS pixel per point of the viewBox (text at its drawn size: a whole
    workflow scaled down to a page's width is unreadable), the page's stylesheet scaling it and the figure
    scrolling."""
    body = _PROLOG.sub("", svg).strip()
    start = body.index("<svg")
    end = body.index(">", start)
    opening = _SIZE.sub("", body[start:end])
    wide = _VIEW_WIDTH.search(opening)
    width = f"{round(float(wide.group(1)))}" if wide else "100%"
    name = escape(title, quote=True)
    opening += f' width="{width}" role="img" aria-label="{name}" focusable="false"'
    return f"{opening}><title>{escape(title)}</title>{body[end + 1:]}"


@lru_cache(maxsize=512)
def _drawn(version: str, current: str | None, names: tuple[tuple[str, str], ...]) -> str | None:
    """The SVG of one workflow version with one state marked, in one language's words (only versions x states x
    languages exist, so all fit)."""
    definition = programme_of_version(version).definition(version)
    return render_svg(dot(definition, current, guards=False, names=dict(names), rankdir="TB", extra=PAGE_STYLE))


def workflow_svg(version: str, current: str | None, title: str | None = None,
                 names: Mapping[str, str] | None = None) -> str | None:
    """The picture of workflow ``version`` with ``current`` marked, ready to embed, or None when it cannot be
    drawn. ``title`` is what a screen reader says and ``names`` the words for states and triggers, both in the
    page's language (English title and the codes by default)."""
    drawn = _drawn(version, current, tuple(sorted((names or {}).items())))
    if drawn is None:
        return None
    if title is None:
        title = f"Workflow of this case; current step: {current}" if current else "Workflow"
    return embeddable(drawn, title)


def forget() -> None:
    """Drop the cached pictures and the 'logged once' memory (tests, or after installing the binary)."""
    _drawn.cache_clear()
    _warned.clear()
