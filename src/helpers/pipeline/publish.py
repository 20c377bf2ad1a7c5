"""Publishing a run: each executed notebook as a self-contained HTML page (title, table of contents, footer),
the run's page and manifest, the list of runs, and the atomic move of the built run into place.

Every word of these pages comes from the message catalogue (``messages/<lang>/pipeline.yaml``), in the
run's language.

The two audiences publish into separate trees (:func:`run_tree`): public runs into the reports folder itself,
internal runs (workers' names) into its ``internal/`` folder, each tree with its own ``latest`` and
``index.html``; a tree never holds runs of the other audience (:func:`audience_conflict`). Everything of an
internal run is readable by its owner only (:func:`owner_only`), and every internal page says so at its top
(:func:`internal_banner`) and asks search engines not to index it.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import re
import shutil
import threading
from pathlib import Path

from helpers.narrative.catalogue import text

TEMPLATES = Path(__file__).resolve().parents[1] / "report" / "templates"
LANGS = ("en", "ru")
ARTEFACT_FOLDER = "_artefacts"  # inside a run being built; summarised in the manifest, not published
INTERNAL_TREE = "internal"  # inside the reports folder: the internal audience's runs, latest and index
NOINDEX = '<meta name="robots" content="noindex">'


def _t(key: str, lang: str, **values) -> str:
    return text(f"pipeline.{key}", lang, **values)


# the index pages reflow down to 320 CSS px (WCAG 1.4.10): long codes wrap, a wide table scrolls inside its own
# region, which a keyboard can reach and a screen reader names (WCAG 2.1.1)
_PAGE_HEAD = '<meta name="viewport" content="width=device-width, initial-scale=1">'
_PAGE_CSS = ("body{font-family:sans-serif;max-width:%s;margin:2em auto;padding:0 .8em}p,li{overflow-wrap:anywhere}"
             "td,th{padding:.3em .8em;text-align:left}tr:nth-child(even){background:#f3f3f3}"
             ".mg-scroll{overflow-x:auto;max-width:100%%}.mg-scroll:focus{outline:2px solid #1f4e79}")


def _scroll_table(table: str, name: str) -> str:
    """``table`` (HTML) inside a focusable region named ``name`` that scrolls sideways when the table is wider
    than the page.

    >>> _scroll_table("<table></table>", "Runs")
    '<div class="mg-scroll" role="region" tabindex="0" aria-label="Runs"><table></table></div>'
    """
    return f'<div class="mg-scroll" role="region" tabindex="0" aria-label="{html.escape(name)}">{table}</div>'


# ---- where a run is published, and who may read it ------------------------------------------------------
def run_tree(out_dir: Path, audience: str) -> Path:
    """The folder a run of ``audience`` is published into: ``out_dir`` for the public, ``out_dir/internal``
    for the internal audience.

    >>> run_tree(Path("reports"), "public").as_posix(), run_tree(Path("reports"), "internal").as_posix()
    ('reports', 'reports/internal')
    """
    return Path(out_dir) / INTERNAL_TREE if audience == "internal" else Path(out_dir)


def run_audience(manifest: dict) -> str:
    """The audience a run was made for, as its manifest records it (``public`` for a run that names none)."""
    return manifest.get("audience") or manifest.get("parameters", {}).get("audience") or "public"


def _runs(tree: Path) -> list[tuple[Path, dict]]:
    """The run folders of a tree with their manifest (newest first; ``latest`` and hidden folders left out)."""
    found = []
    for d in sorted((p for p in tree.iterdir() if p.is_dir() and not p.is_symlink() and not p.name.startswith(".")),
                    reverse=True) if tree.is_dir() else []:
        with contextlib.suppress(OSError, ValueError):
            found.append((d, json.loads((d / "manifest.json").read_text(encoding="utf-8"))))
    return found


def audience_conflict(tree: Path, audience: str) -> str | None:
    """One line saying why a run of ``audience`` must not be written into ``tree`` (which holds runs of the
    other audience), or None.

    >>> import tempfile
    >>> tree = Path(tempfile.mkdtemp())
    >>> (tree / "20200101-000000").mkdir()
    >>> _ = (tree / "20200101-000000" / "manifest.json").write_text('{"audience": "internal"}')
    >>> audience_conflict(tree, "internal") is None
    True
    >>> audience_conflict(tree, "public").startswith(f"{tree} holds internal runs (20200101-000000): ")
    True
    """
    other = [d.name for d, m in _runs(tree) if run_audience(m) != audience]
    if not other:
        return None
    where = f"{other[0]}{', ...' if len(other) > 1 else ''}"
    if audience == "internal":
        return (f"{tree} holds public runs ({where}): an internal run is never written beside them; "
                "choose another --out")
    move = "" if tree.name == INTERNAL_TREE else f" or move them into {tree / INTERNAL_TREE}/, where internal runs live"
    return f"{tree} holds internal runs ({where}): a public run is never written beside them; choose another --out{move}"


def owner_only(path: Path) -> None:
    """Make ``path`` and everything under it readable by its owner only: folders 0700, files 0600 (symbolic
    links are left alone; their target is what counts)."""
    if path.is_symlink():
        return
    if not path.is_dir():
        os.chmod(path, 0o600)
        return
    os.chmod(path, 0o700)
    for root, dirs, files in os.walk(path):
        for name in dirs:
            if not os.path.islink(os.path.join(root, name)):
                os.chmod(os.path.join(root, name), 0o700)
        for name in files:
            if not os.path.islink(os.path.join(root, name)):
                os.chmod(os.path.join(root, name), 0o600)


def internal_banner(lang: str) -> str:
    """The notice at the top of every internal page (the words from the catalogue, in the page's language)."""
    return (f"<div class='mg-internal' role='note' style='background:#b00020;color:#fff;font-weight:bold;"
            f"padding:.6em 1em;margin:0 0 1em 0;border-radius:3px'>{html.escape(_t('internal_banner', lang))}</div>")


def _private_head(audience: str) -> str:
    return NOINDEX if audience == "internal" else ""


def _private_top(audience: str, lang: str) -> str:
    return internal_banner(lang) if audience == "internal" else ""


# ---- one report page --------------------------------------------------------------------------------
_EXPORTERS = threading.local()


# what nbconvert's HTMLExporter adds to a page through a BeautifulSoup round trip, done on the text instead
_FOCUSABLE = re.compile(r'(<div\b[^>]*\bclass="[^"]*\bjp-(?:OutputArea-output|Cell-inputWrapper)\b[^"]*"'
                        r'(?![^>]*\btabindex=)[^>]*)>')
_NO_ALT = re.compile(r"<img\b(?![^>]*\balt=)")


def _report_exporter_class():
    """nbconvert's HTMLExporter without its BeautifulSoup pass over the finished page.

    After rendering, HTMLExporter parses the whole page with BeautifulSoup to give images without ``alt`` a
    default text and to make cells and outputs focusable (``tabindex="0"``), then writes it out again: about
    0.1 s a page, a tenth of a run's own work. The same two changes are made here on the text
    (:data:`_FOCUSABLE`, :data:`_NO_ALT`); the rest is HTMLExporter's ``from_notebook_node`` (nbconvert 7).
    """
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class ReportExporter(HTMLExporter):
        def from_notebook_node(self, nb, resources=None, **kw):
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            self.register_filter("highlight_code",
                                 self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
            resources = self._init_resources(resources)
            self.register_filter("filter_data_type", WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata,
                                                                           parent=self, resources=resources))
            page, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            page = _NO_ALT.sub('<img alt="No description has been provided for this image"', page)
            return _FOCUSABLE.sub(r'\1 tabindex="0">', page), resources

    return ReportExporter


def _exporter(lang: str):
    """One HTML exporter per language and worker thread, built once (building one loads the templates)."""
    cache = _EXPORTERS.__dict__.setdefault("by_lang", {})
    if lang not in cache:
        from nbconvert.preprocessors import TagRemovePreprocessor

        exporter = _report_exporter_class()(template_name="mg", extra_template_basedirs=[str(TEMPLATES)],
                                            exclude_input=True, exclude_input_prompt=True,
                                            exclude_output_prompt=True, language_code=lang)  # <html lang>
        others = {f"lang-{x}" for x in LANGS if x != lang}
        exporter.register_preprocessor(TagRemovePreprocessor(remove_cell_tags=others, enabled=True), enabled=True)
        cache[lang] = exporter
    return cache[lang]


_H1 = re.compile(r"<h1\b[^>]*>(.*?)</h1>", re.S | re.I)
_ANCHOR = re.compile(r"<a class=\"anchor-link\".*?</a>", re.S)


def _plain(fragment: str) -> str:
    """The visible words of an HTML fragment (tags and the heading's anchor link removed)."""
    return html.unescape(re.sub(r"<[^>]+>", "", _ANCHOR.sub("", fragment))).strip()


def render_html(ipynb: Path, target: Path, lang: str = "en", footer: str = "", nb=None,
                audience: str = "public") -> str:
    """Render an executed notebook to one self-contained HTML file; return the page's title.

    Code and stderr streams (library warnings; they stay in the executed .ipynb) are hidden, figures are
    embedded, no script or style is fetched from a network (template ``templates/mg``), markdown cells tagged
    for the other language (``lang-ru`` / ``lang-en``) are dropped, a table of contents linking every section
    heading is inserted after the title, and ``footer`` (run id, date, code version, input hashes) closes the
    page. The title is the first ``# `` markdown cell or, when there is none, the first ``<h1>`` of the
    rendered page (a heading the notebook emitted as output, ``rep.heading(key, level=1)``). A page of the
    internal audience opens with :func:`internal_banner` and carries ``<meta name="robots" content="noindex">``.
    """
    import nbformat

    nb = nbformat.read(str(ipynb), as_version=4) if nb is None else nb  # ``nb``: the notebook read already
    others = {f"lang-{x}" for x in LANGS if x != lang}
    for cell in nb.cells:  # library warnings stay in the executed notebook for researchers, not in the report
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if not (o.output_type == "stream" and o.name == "stderr")]
    title = next((c.source.splitlines()[0].lstrip("# ").strip() for c in nb.cells
                  if c.cell_type == "markdown" and c.source.startswith("# ")
                  and not set(c.metadata.get("tags", [])) & others), None)
    marker = "mg-title-from-the-first-h1"
    body, _ = _exporter(lang).from_notebook_node(nb, resources={"mg_footer": footer,
                                                                "mg_head": _private_head(audience),
                                                                "mg_banner": _private_top(audience, lang),
                                                                "metadata": {"name": title or marker}})
    if title is None:
        m = _H1.search(body)
        title = _plain(m.group(1)) if m else ipynb.stem
        body = body.replace(f"<title>{marker}</title>", f"<title>{html.escape(title)}</title>", 1)
    target.write_text(add_toc(body, lang), encoding="utf-8")
    return title


# a section heading with an id: markdown's <h2 id="x"> and outputs' <h2 id='x'> (other attributes allowed)
_HEADING = re.compile(r"<h([23])\b[^>]*?\bid=([\"'])([^\"']+)\2[^>]*>(.*?)</h\1>", re.S | re.I)


def add_toc(body: str, lang: str = "en") -> str:
    """Insert a table of contents (links to every h2/h3 id) after the first h1 of the page.

    >>> page = "<h1 id='t'>T</h1><h2 id='a'>A</h2><h3 id=\\"b\\">B<a class=\\"anchor-link\\" href='#b'>¶</a></h3>"
    >>> re.findall(r'href="#(\\w)">(\\w)<', add_toc(page))
    [('a', 'A'), ('b', 'B')]
    """
    entries = [(int(level), ident, _plain(words)) for level, _, ident, words in _HEADING.findall(body)]
    if not entries:
        return body
    items = "".join(f"<li style='margin-left:{(lvl - 2) * 1.2}em'><a href=\"#{html.escape(ident, quote=True)}\">"
                    f"{html.escape(words)}</a></li>"
                    for lvl, ident, words in entries)
    toc = (f"<nav class='mg-toc'><b>{_t('contents', lang)}</b><ol style='list-style:none;padding-left:0'>"
           f"{items}</ol></nav>")
    m = re.search(r"</h1>", body)
    return body[: m.end()] + toc + body[m.end():] if m else toc + body


def footer_html(manifest: dict, lang: str = "en") -> str:
    """Provenance line of every report: run id, date, code version and the SHA-256 of every input."""
    inputs = ", ".join(f"{html.escape(k)} <code>{v[:12]}</code>" for k, v in sorted(manifest["inputs"].items()))
    return _t("footer", lang, run=f"<b>{html.escape(manifest['run_id'])}</b>", started=_when(manifest["started"]),
              code=f"<code>{html.escape(manifest['git_commit'])}</code>", inputs=inputs)


# ---- the artefacts a run computed once ------------------------------------------------------------------
def artefact_summary(folder: Path) -> list[dict]:
    """Per artefact (name and key) of a run: how often it was computed and loaded, and the seconds spent,
    from the artefact store's ``log.jsonl`` (:mod:`helpers.studies.mystery_guest.study`).

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "log.jsonl").write_text('{"name": "scored", "key": "scored-1", "event": "computed", "seconds": 2.0}\\n'
    ...                                  '{"name": "scored", "key": "scored-1", "event": "loaded", "seconds": 0.1}\\n')
    >>> artefact_summary(d)
    [{'name': 'scored', 'key': 'scored-1', 'computed': 1, 'loaded': 1, 'seconds': 2.1}]
    """
    log = folder / "log.jsonl"
    if not log.exists():
        return []
    out: dict[str, dict] = {}
    for line in log.read_text(encoding="utf-8").splitlines():
        with contextlib.suppress(ValueError, KeyError):
            e = json.loads(line)
            row = out.setdefault(e["key"], {"name": e["name"], "key": e["key"], "computed": 0, "loaded": 0,
                                            "seconds": 0.0})
            if e["event"] in ("computed", "loaded"):
                row[e["event"]] += 1
            row["seconds"] = round(row["seconds"] + float(e.get("seconds", 0.0)), 3)
    return sorted(out.values(), key=lambda r: (r["name"], r["key"]))


# ---- the run's page and the list of runs ---------------------------------------------------------------
def _label(label: str, lang: str) -> str:
    return _t(f"label.{label}", lang) if label in ("pooled", "all") else label


def _how(job: dict, lang: str = "en") -> str:
    if job.get("reused_from"):
        run = html.escape(job["reused_from"])
        return _t("reused", lang, run=f"<a href='../{run}/index.html'>{run}</a>")
    return _t("executed", lang, seconds=float(job.get("seconds", 0.0)))


_HEADLINE = re.compile(r"(\d{4}) (interviews|recipients|fully satisfied overall, %)$")


def _headline(figure: str, lang: str) -> str:
    m = _HEADLINE.match(figure)
    if not m:
        return html.escape(figure)
    kind = {"interviews": "interviews", "recipients": "recipients"}.get(m.group(2), "satisfied")
    return _t(f"headline.{kind}", lang, year=m.group(1))


def _value(x, lang: str) -> str:
    from helpers.narrative import fmt

    if x is None:
        return fmt.DASH
    return fmt.integer(x, lang) if float(x).is_integer() else fmt.number(x, lang, 1)


def _changes_html(changes: dict, lang: str = "en") -> str:
    if not changes.get("previous_run"):
        return f"<p>{_t('no_previous', lang)}</p>"
    prev = html.escape(changes["previous_run"])
    link = f"<a href='../{prev}/index.html'>{prev}</a>"
    if not changes["inputs"] and not changes["headlines"]:
        return f"<p>{_t('unchanged', lang, run=link)}</p>"
    rows = "".join(f"<li>{_t('input_change.' + c['change'], lang, file='<code>' + html.escape(c['file']) + '</code>')}</li>"
                   for c in changes["inputs"])
    rows += "".join(f"<li>{_t('headline_change', lang, figure=_headline(h['figure'], lang), before=_value(h['before'], lang), now=_value(h['now'], lang))}</li>"
                    for h in changes["headlines"])
    return f"<p>{_t('changes_since', lang, run=link)}</p><ul>{rows}</ul>"


def _when(stamp: str) -> str:
    """An ISO time stamp as a reader writes it: ``2026-11-25 19:58:52``."""
    return html.escape(stamp.replace("T", " "))


def _status(status: str, lang: str) -> str:
    return _t(f"status.{status}", lang) if status in ("complete", "failed", "running", "ok", "pending") else status


def _document_links(documents: list[dict], stem: str) -> str:
    """Links to a report's documents (``--formats``) after its title on the run's page: `` · DOCX · PDF``."""
    return "".join(f" · <a href='{html.escape(d['file'])}'>{html.escape(d['format'].upper())}</a>"
                   for d in documents if d["report"] == stem and d.get("kind") == "report")


def _plan_links(documents: list[dict], lang: str) -> str:
    """The run's НОК improvement plans, one link per organisation (``--formats docx``)."""
    plans = [d for d in documents if d.get("kind") == "plan"]
    out = ""
    for report in dict.fromkeys(d["report"] for d in plans):
        links = ", ".join(f"<a href='{html.escape(d['file'])}'>{html.escape(d['organisation_id'])}</a>"
                          for d in plans if d["report"] == report)
        out += f"<p>{text('documents.index.plans', lang, year=report.rsplit('-', 1)[-1])} {links}</p>"
    return out


def _index_html(manifest: dict) -> str:
    """The run's page: every report with its parameters and what this run did with it, and what changed."""
    lang = manifest["parameters"].get("lang", "en")
    audience = run_audience(manifest)
    documents = manifest.get("documents", [])
    rows = "\n".join(
        f"<tr><td><a href='{html.escape(j['stem'])}.html'>{html.escape(j.get('title') or j['notebook'])}</a>"
        f"{_document_links(documents, j['stem'])}</td>"
        f"<td>{html.escape(_label(j['label'], lang))}</td><td>{html.escape(_status(j['status'], lang))}</td>"
        f"<td>{_how(j, lang)}</td></tr>"
        for j in manifest["notebooks"]
    )
    run = html.escape(manifest["run_id"])
    ingest = manifest["ingest"]
    shared = manifest.get("artefacts", [])
    artefacts = (f"<p>{_t('artefacts', lang, computed=sum(a['computed'] for a in shared), loaded=sum(a['loaded'] for a in shared))}</p>"
                 if shared else "")
    cols = "".join(f"<th>{_t('columns.' + c, lang)}</th>" for c in ("report", "parameters", "status", "this_run"))
    table = _scroll_table(f"<table><tr>{cols}</tr>\n{rows}</table>", _t("reports_table", lang))
    return f"""<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">{_PAGE_HEAD}{_private_head(audience)}
<title>{_t('run_title', lang, run=run)}</title>
<style>{_PAGE_CSS % "60em"}</style></head><body>
{_private_top(audience, lang)}<h1>{_t('site_title', lang)}</h1>
<p>{_t('run_summary', lang, run=f'<b>{run}</b>', status=f"<b>{html.escape(_status(manifest['status'], lang))}</b>",
       started=_when(manifest['started']), finished=_when(manifest.get('finished', '')),
       code=f"<code>{html.escape(manifest['git_commit'])}</code>",
       years=', '.join(map(str, manifest['parameters']['years'])))}
{_t('ingest_summary', lang, read=ingest['rows_read'], accepted=ingest['rows_accepted'], quarantined=ingest['rows_quarantined'])}</p>
{artefacts}{table}
{_plan_links(documents, lang)}
<h2>{_t('changes_title', lang)}</h2>
{_changes_html(manifest.get("changes", {}), lang)}
<p><a href="manifest.json">{_t('manifest_link', lang)}</a></p>
</body></html>"""


def _run_parameters(parameters: dict, lang: str) -> str:
    words = {"language": _t(f"language.{parameters.get('lang', 'en')}", lang),
             "audience": _t(f"audience.{parameters.get('audience', 'public')}", lang)}
    return _t("run_parameters", lang, years=", ".join(map(str, parameters.get("years", []))), **words)


def _runs_index(reports: Path, lang: str = "en", audience: str = "public") -> None:
    """Write ``index.html`` of a tree listing its runs of ``audience`` (newest first), in the language of the
    latest run; a run of the other audience (there is none: :func:`audience_conflict`) is never listed."""
    rows = []
    for d, m in _runs(reports):
        if run_audience(m) != audience or "run_id" not in m:
            continue
        rows.append(f"<tr><td><a href='{d.name}/index.html'>{html.escape(m['run_id'])}</a></td>"
                    f"<td>{html.escape(_status(m['status'], lang))}</td><td>{_when(m['started'])}</td>"
                    f"<td>{_t('duration', lang, seconds=float(m.get('seconds', 0)))}</td>"
                    f"<td>{html.escape(_run_parameters(m['parameters'], lang))}</td></tr>")
    cols = "".join(f"<th>{_t('columns.' + c, lang)}</th>" for c in ("run", "status", "started", "duration", "parameters"))
    (reports / "index.html").write_text(
        f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'>{_PAGE_HEAD}{_private_head(audience)}"
        f"<title>{_t('runs_title', lang)}</title>"
        f"<style>{_PAGE_CSS % '70em'}</style>"
        f"</head><body>{_private_top(audience, lang)}<h1>{_t('runs_title', lang)}</h1>"
        f"<p><a href='latest/index.html'>{_t('latest_link', lang)}</a></p>"
        + _scroll_table(f"<table><tr>{cols}</tr>" + "\n".join(rows) + "</table>", _t("runs_title", lang))
        + "</body></html>", encoding="utf-8")
    if audience == "internal":
        owner_only(reports / "index.html")


def _publish_latest(reports: Path, run_dir: Path) -> None:
    tmp = reports / ".latest-tmp"
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    tmp.symlink_to(run_dir.name, target_is_directory=True)
    os.replace(tmp, reports / "latest")


def progress_line(job, done: int, total: int, elapsed: float) -> str:
    """One line of the run log per notebook: done/total, what happened, seconds, and the time still to go."""
    what = (f"reused from run {job.reused_from}" if job.reused_from else
            f"executed in {job.seconds:.1f} s" if job.status == "ok" else
            f"FAILED after {job.seconds:.1f} s in cell {job.error.get('cell')}: {job.error.get('error')}")
    eta = f", about {elapsed / done * (total - done):.0f} s to go" if done < total else ""
    return f"[{done}/{total}] {job.stem}: {what} ({elapsed:.0f} s elapsed{eta})"


def publish(build: Path, out_dir: Path, manifest: dict, failed: list) -> Path:
    """Write the run's manifest and page, drop its artefact folder (summarised in the manifest), and move the
    build into place: ``<run-id>/`` with ``latest`` pointing to it, or ``<run-id>-failed/`` with
    ``failure.json`` (``latest`` unchanged). ``out_dir`` is the run's tree (:func:`run_tree`); an internal
    run is made owner-only (:func:`owner_only`) before it is moved into place. Returns the published folder."""
    artefacts = build / ARTEFACT_FOLDER
    manifest["artefacts"] = artefact_summary(artefacts)
    shutil.rmtree(artefacts, ignore_errors=True)
    shutil.rmtree(build / ".tables", ignore_errors=True)
    (build / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False, default=str),
                                         encoding="utf-8")
    (build / "index.html").write_text(_index_html(manifest), encoding="utf-8")
    lang = manifest["parameters"].get("lang", "en")
    audience = run_audience(manifest)
    if failed:
        (build / "failure.json").write_text(json.dumps([j.error | {"report": j.stem} for j in failed], indent=2,
                                                       ensure_ascii=False), encoding="utf-8")
    if audience == "internal":  # reused files are hard links to earlier runs' files: made owner-only as well
        owner_only(build)
    final = out_dir / (f"{manifest['run_id']}-failed" if failed else manifest["run_id"])
    os.replace(build, final)
    if not failed:
        _publish_latest(out_dir, final)
    _runs_index(out_dir, lang, audience)
    return final
