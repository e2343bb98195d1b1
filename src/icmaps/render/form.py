"""The offline rating form: one self-contained HTML page to rate with on a tablet or laptop.

The page works from ``file://`` with no network: a Content-Security-Policy forbids every fetch
(``default-src 'none'``) and lets in only its own inline script and style, by their SHA-256
hashes (computed here, from the exact text written). It has fields for subject, rater,
occasion and source, a fieldset per component with a radio button per variation (its full
text, the zone's colour and the solid and dashed lines of the paper map), the special codes,
a note per component, progress (n of N rated), autosave in the browser's local storage,
export to the long CSV and the JSON Lines that :func:`icmaps.read_ratings` reads unchanged,
and a print view.

Map text is data, never markup: the page is rendered by Jinja2 with autoescaping on, and the
script reads the map from a ``<script type="application/json">`` block (with ``<``, ``>`` and
``&`` escaped, so no text can close it); it never writes HTML from text (no ``innerHTML``).

>>> import icmaps
>>> page = form_html(icmaps.load_map("pbis-tfi"))
>>> page.startswith("<!DOCTYPE html>") and "default-src 'none'" in page
True
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import hashlib
import json
from importlib.resources import files
from typing import TYPE_CHECKING

from icmaps._templates import render
from icmaps._version import __version__
from icmaps.maps.zones import line_between

if TYPE_CHECKING:
    from icmaps.maps.model import Component, Map

__all__ = ["form_html"]


@dataclasses.dataclass(frozen=True, slots=True)
class _Option:
    code: str
    label: str
    zone: str
    text: str
    line: str  # "solid" / "dashed": the line drawn after this option, "" for none


@dataclasses.dataclass(frozen=True, slots=True)
class _Item:
    depth: int
    kind: str  # "group" or "component"
    title: str
    id: str
    component: Component | None = None
    options: tuple[_Option, ...] = ()
    special: tuple[_Option, ...] = ()
    number: int = 0


@functools.lru_cache(maxsize=4)
def _asset(name: str) -> str:
    """A static file of the form (``templates/_form.js`` / ``_form.css``), as written."""
    return files("icmaps.render").joinpath("templates").joinpath(name).read_text(encoding="utf-8")


def _hash(text: str) -> str:
    """The CSP source that lets exactly this inline text run (``'sha256-...'``).

    >>> _hash("")
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
    """
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def _json_block(data: object) -> str:
    """JSON safe inside ``<script type="application/json">``: no ``<``, ``>`` or ``&``
    (so no ``</script>`` or ``<!--``), escaped as JSON escapes that parse back the same.

    >>> _json_block({"t": "</script><!--&"})
    '{"t": "\\\\u003c/script\\\\u003e\\\\u003c!--\\\\u0026"}'
    """
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _items(view: Map) -> list[_Item]:
    items: list[_Item] = []
    number = 0
    for node in view.outline():
        if node.kind == "group":
            items.append(_Item(node.depth, "group", node.item.title, node.id))
            continue
        number += 1
        cells = view.written_order(node.id)
        options = []
        for k, v in enumerate(cells):
            line = line_between(v.zone, cells[k + 1].zone) if k + 1 < len(cells) else None
            options.append(_Option(v.code, v.label, v.zone, v.text, line or ""))
        scale = view.scale_of(node.id)
        special = tuple(
            _Option(s.code, s.label, "special", s.description, "") for s in scale.special
        )
        comp = view.component(node.id)
        items.append(
            _Item(
                node.depth,
                "component",
                comp.title,
                comp.id,
                comp,
                tuple(options),
                special,
                number,
            )
        )
    return items


def form_html(m: Map, *, role: str | None = None, title: str | None = None) -> str:
    """The offline rating form for a map (only the components for ``role`` when given) as
    one self-contained HTML page. The CSV it exports has the columns ``subject, rater,
    occasion, component, code`` (then ``role`` with a role, ``source`` and ``note``): a long
    ratings file as :func:`icmaps.read_ratings` reads it.

    >>> import icmaps
    >>> page = form_html(icmaps.load_map("learning-school"), role="principal")
    >>> page.count('type="radio"') > 10, "localStorage" in page
    (True, True)
    """
    view = m.for_role(role) if role else m
    items = _items(view)
    components = [i for i in items if i.kind == "component"]
    data = {
        "map": m.id,
        "version": m.version,
        "role": role or "",
        "components": [
            {"id": i.id, "codes": [o.code for o in (*i.options, *i.special)]} for i in components
        ],
    }
    css, js = _asset("_form.css"), _asset("_form.js")
    csp = (
        f"default-src 'none'; script-src {_hash(js)}; style-src {_hash(css)}; "
        "img-src 'none'; form-action 'none'; base-uri 'none'"
    )
    role_label = view.role(role).label if role else ""
    return render(
        "form.html.j2",
        m=view,
        items=items,
        total=len(components),
        role=role or "",
        role_label=role_label,
        title=title or f"Rating form: {m.title}",
        csp=csp,
        css=css,
        js=js,
        data=_json_block(data),
        version=__version__,
    )
