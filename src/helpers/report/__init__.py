"""Display helpers for notebooks: numbered tables and figures with captions, and a report footer.

Every notebook creates one :class:`Report` and shows its tables and figures through it, so that
captions are numbered ("Table 3.", "Figure 2.") and every figure is embedded as a PNG.

Examples
--------
>>> rep = Report(lang="en")
>>> html = rep.table_html(pd.DataFrame({"n": [35]}), "Recipients interviewed")
>>> "Table 1." in html and "Recipients interviewed" in html
True
>>> "получатели" in Report(lang="ru").table_html(pd.DataFrame({2018: [35], "measure": ["recipients"]}), "n")
True
"""

from __future__ import annotations

import base64
import html as _html
import io
from dataclasses import dataclass

import matplotlib.pyplot as plt
import pandas as pd

from helpers.io import safe_csv  # noqa: F401  (registers df.safe.to_csv for the notebooks)

WORDS = {
    "en": {"table": "Table", "figure": "Figure", "n": "n"},
    "ru": {"table": "Таблица", "figure": "Рисунок", "n": "n"},
}

CSS = """<style>
.mg-caption{font-weight:600;margin:1.2em 0 .4em 0}
table.mg-table{border-collapse:collapse;font-size:.9em;margin-bottom:1em}
table.mg-table th,table.mg-table td{padding:.25em .6em;border-bottom:1px solid #ddd;text-align:right}
table.mg-table th{text-align:left;vertical-align:bottom}
.mg-warning{background:#fff4e0;border-left:4px solid #e69f00;padding:.5em .8em;margin:.8em 0}
</style>"""


def _missing(v: object) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):  # lists and arrays are not missing values
        return False


def _show(obj_html: str) -> None:
    try:
        from IPython.display import HTML, display
    except ImportError:  # pragma: no cover - IPython always present in the environment
        print(obj_html)
        return
    display(HTML(obj_html))


# Russian labels of the column names and row labels that tables share (English is the code's own word).
GLOSSARY_RU = {
    "measure": "показатель", "in the data": "в данных", "published": "опубликовано", "match": "совпадает",
    "yes": "да", "NO": "НЕТ", "interviews": "интервью", "recipients": "получатели", "workers": "социальные работники",
    "volunteers": "волонтёры", "social worker interviewers": "опрашивающие — социальные работники",
    "complete pairs": "полные пары", "home care recipients": "получатели на дому",
    "temporary residence recipients": "получатели временного проживания", "stratum": "страта",
    "department": "отделение", "population served": "обслуживается", "recipients interviewed": "опрошено",
    "sampling fraction": "доля отбора", "item": "вопрос", "text": "формулировка", "n": "n",
    "don't know": "затрудняюсь ответить", "refused": "отказ", "blank": "пусто", "share missing": "доля пропусков",
    "file": "файл", "row": "строка", "column": "столбец", "reason": "причина", "rows_read": "прочитано",
    "rows_accepted": "принято", "rows_quarantined": "в карантине", "reconciles": "сходится",
    "home_care": "на дому", "temporary_residence": "временное проживание", "year": "год", "worker_id": "работник",
    "estimate": "оценка", "ci_low": "95% ДИ, от", "ci_high": "95% ДИ, до", "statistic": "статистика",
    "role": "роль", "volunteer": "волонтёр", "social_worker": "социальный работник", "mode": "способ",
    "in_person": "лично", "worker": "социальный работник", "interviews_n": "интервью", "phone": "по телефону", "composite": "интегральный индекс", "ethics": "этика",
    "competence": "компетентность", "quality": "качество услуг", "covid": "COVID-19",
    "mean": "среднее", "domain": "блок", "top-box share (%)": "доля лучших оценок (%)",
}


#: column headers of the reports' tables in reviewer words: {code: (English, Russian)}
HEADERS: dict[str, tuple[str, str]] = {
    "difference": ("difference", "разность"), "share": ("share", "доля"), "domain": ("domain", "блок"),
    "adjusted": ("adjusted score", "скорректированная оценка"), "question": ("question", "вопрос"),
    "percent_agreement": ("percent agreement", "процент совпадений"), "cohen_kappa": ("Cohen's kappa", "каппа Коэна"),
    "gwet_ac1": ("Gwet's AC1", "AC1 Гвета"), "weighted": ("weighted", "с весами"),
    "n_recipients": ("recipients", "получатели"), "ceiling_share": ("share at the ceiling", "доля на потолке"),
    "raw_ci_low": ("raw mean, 95% CI from", "простое среднее, 95% ДИ от"),
    "raw_ci_high": ("raw mean, 95% CI to", "простое среднее, 95% ДИ до"),
    "weighted_ci_low": ("weighted, 95% CI from", "с весами, 95% ДИ от"),
    "weighted_ci_high": ("weighted, 95% CI to", "с весами, 95% ДИ до"), "unweighted": ("unweighted", "без весов"),
    "unweighted_ci_low": ("unweighted, 95% CI from", "без весов, 95% ДИ от"),
    "unweighted_ci_high": ("unweighted, 95% CI to", "без весов, 95% ДИ до"), "level": ("level", "уровень"),
    "name": ("name", "название"), "n_top": ("best answers", "лучших ответов"), "group": ("group", "группа"),
    "alpha": ("Cronbach's alpha", "альфа Кронбаха"), "alpha_ci_low": ("alpha, 95% CI from", "альфа, 95% ДИ от"),
    "alpha_ci_high": ("alpha, 95% CI to", "альфа, 95% ДИ до"), "omega": ("McDonald's omega", "омега Макдональда"),
    "min_item_total_r": ("lowest item-total r", "наименьшая корреляция вопрос-итог"),
    "n_scores": ("scores", "оценок"), "floor_share": ("share at the floor", "доля на минимуме"),
    "item_top_box": ("best answer on the item", "лучший ответ на вопрос"), "warning": ("warning", "предупреждение"),
    "raw_mean": ("raw mean", "простое среднее"), "flag": ("note", "отметка"), "se": ("SE", "ст. ошибка"),
    "bias": ("bias", "смещение"), "n_interviews": ("interviews", "интервью"),
    "krippendorff_alpha_ordinal": ("Krippendorff's alpha (ordinal)", "альфа Криппендорфа (порядковая)"),
    "stuart_maxwell_p": ("Stuart-Maxwell p", "p Стюарта-Максвелла"),
    "estimate_weighted": ("weighted", "с весами"), "ci_low_weighted": ("weighted, 95% CI from", "с весами, 95% ДИ от"),
    "ci_high_weighted": ("weighted, 95% CI to", "с весами, 95% ДИ до"),
    "estimate_unweighted": ("unweighted", "без весов"),
    "ci_low_unweighted": ("unweighted, 95% CI from", "без весов, 95% ДИ от"),
    "ci_high_unweighted": ("unweighted, 95% CI to", "без весов, 95% ДИ до"),
    "chance_agreement": ("chance agreement (kappa)", "случайное совпадение (каппа)"),
    "top_answer": ("most common answer", "самый частый ответ"), "top_answer_share": ("its share", "его доля"),
    "score": ("score", "оценка"), "interviewer_id": ("interviewer", "опрашивающий"), "target": ("target", "цель"),
    "outside95": ("outside 95% limits", "вне границ 95%"), "outside998": ("outside 99.8% limits", "вне границ 99,8%"),
    "list": ("list", "список"), "org_mean": ("organisation mean", "среднее по организации"),
    "evidence": ("evidence", "основание"), "year_a": ("from year", "с года"), "year_b": ("to year", "по год"),
    "p_adjusted": ("p (Holm)", "p (Холм)"), "mdd": ("minimum detectable difference", "минимальная обнаружимая разность"),
    "recipients_a": ("recipients, first year", "получатели, первый год"),
    "recipients_b": ("recipients, second year", "получатели, второй год"),
    "ci_low_adjusted": ("95% CI from (Holm level)", "95% ДИ от (уровень Холма)"),
    "ci_high_adjusted": ("95% CI to (Holm level)", "95% ДИ до (уровень Холма)"),
    "cliffs_delta": ("Cliff's delta", "дельта Клиффа"), "verdict": ("conclusion", "вывод"), "years": ("years", "годы"),
    "slope": ("slope per year", "наклон за год"), "coef": ("coefficient", "коэффициент"),
    "n_workers": ("social workers", "социальные работники"), "r_true_score": ("r with the true score", "r с истинной оценкой"),
    "rmse": ("RMSE", "RMSE"), "estimate_all_interviews": ("all interviews", "все интервью"), "sd": ("SD", "ст. откл."),
    "testable": ("testable", "проверяемо"), "note": ("note", "примечание"), "instrument": ("instrument", "инструмент"),
    "term": ("term", "член модели"), "reference": ("reference", "источник"), "n_answers": ("answers", "ответов"),
    "raw": ("raw mean", "простое среднее"), "adjusted_ci_low": ("adjusted, 95% CI from", "скорректированная, 95% ДИ от"),
    "adjusted_ci_high": ("adjusted, 95% CI to", "скорректированная, 95% ДИ до"),
    "share_social_worker": ("share by social-worker interviewers", "доля опросов социальными работниками"),
    "share_phone": ("share by phone", "доля опросов по телефону"), "direction": ("direction", "направление"),
    "wilson_low": ("95% CI from (Wilson)", "95% ДИ от (Уилсон)"), "wilson_high": ("95% CI to (Wilson)", "95% ДИ до (Уилсон)"),
    "ci_low": ("95% CI from", "95% ДИ, от"), "ci_high": ("95% CI to", "95% ДИ, до"), "p_value": ("p", "p"),
    "estimate": ("estimate", "оценка"), "statistic": ("statistic", "статистика"), "mean": ("mean", "среднее"),
    "effect": ("worker effect", "эффект работника"), "effect_se": ("its prediction error", "ошибка прогноза"),
    "n_compared": ("workers compared", "сравнивалось работников"),
}


def header(column: object, lang: str) -> object:
    """A table header in reviewer words (:data:`HEADERS`); other snake_case codes lose their underscores.

    >>> header("percent_agreement", "ru"), header("raw_ci_low", "en"), header("share_at_top", "en")
    ('процент совпадений', 'raw mean, 95% CI from', 'share at top')
    """
    if not isinstance(column, str):
        return column
    from helpers.narrative.catalogue import header_label

    found = header_label(column, lang)
    if found is not None:
        return found
    if column in HEADERS:
        return HEADERS[column][lang == "ru"]
    label = translate(column, lang)
    return label.replace("_", " ") if isinstance(label, str) else label


def translate(word: object, lang: str) -> object:
    """Russian label of a shared column name or value; anything else unchanged.

    >>> translate("recipients", "ru"), translate("recipients", "en"), translate(3, "ru")
    ('получатели', 'recipients', 3)
    """
    if lang != "ru" or not isinstance(word, str):
        return word
    return GLOSSARY_RU.get(word, word)


AUDIENCES = ("public", "internal")
MIN_CELL = 5  # public reports suppress any cell resting on fewer recipients than this
SUPPRESSED = "n<5"


@dataclass
class Report:
    """Numbers and captions the tables and figures of one notebook, and applies the audience's privacy rules.

    ``audience="public"`` (default): social workers and interviewers appear only as stable codes, cells
    resting on fewer than :data:`MIN_CELL` recipients are suppressed and marked, free-text comments are
    left out. ``audience="internal"`` (management): workers' names are shown beside their codes.
    Recipients' names and phones never reach a report in any audience (they are dropped at ingestion).
    """

    lang: str = "en"
    audience: str = "public"
    worker_names: dict[str, str] | None = None
    n_tables: int = 0
    n_figures: int = 0
    float_format: str = "{:.2f}"

    def __post_init__(self) -> None:
        if self.audience not in AUDIENCES:
            raise ValueError(f"audience must be one of {AUDIENCES}, not {self.audience!r}")
        self.words = WORDS.get(self.lang, WORDS["en"])

    def number(self, value: float, fmt: str = "{:.1f}") -> str:
        """A number in the report's language: decimal comma in Russian.

        >>> Report(lang="ru").number(93.75, "{:.1f}"), Report().number(93.75, "{:.1f}")
        ('93,8', '93.8')
        """
        text = fmt.format(value)
        return text.replace(".", ",") if self.lang == "ru" else text

    @property
    def public(self) -> bool:
        return self.audience == "public"

    def worker(self, worker_id: str) -> str:
        """Label of a social worker: the code in public reports, code and name in internal ones.

        >>> Report(audience="internal", worker_names={"W01": "Orlova O."}).worker("W01")
        'W01 Orlova O.'
        >>> Report(worker_names={"W01": "Orlova O."}).worker("W01")
        'W01'
        """
        if self.public or not self.worker_names:
            return str(worker_id)
        name = self.worker_names.get(worker_id)
        return f"{worker_id} {name}" if name else str(worker_id)

    def suppress(self, df: pd.DataFrame, n_col: str = "n", columns: list[str] | None = None) -> pd.DataFrame:
        """Public audience: blank out ``columns`` (default all but identifiers and n) where ``n_col`` < 5.

        >>> t = pd.DataFrame({"worker_id": ["W1", "W2"], "n": [3, 9], "mean": [90.0, 80.0]})
        >>> Report().suppress(t)["mean"].tolist()
        ['n<5', 80.0]
        >>> Report(audience="internal").suppress(t)["mean"].tolist()
        [90.0, 80.0]
        """
        if not self.public or n_col not in df:
            return df
        cols = columns or [c for c in df.columns if c != n_col and pd.api.types.is_numeric_dtype(df[c])]
        small = df[n_col].fillna(0) < MIN_CELL
        out = df.copy()
        for c in cols:
            out[c] = out[c].astype(object).where(~small, SUPPRESSED)
        return out

    def table_html(self, df: pd.DataFrame, caption: str, index: bool = False, floats: str | None = None) -> str:
        self.n_tables += 1
        fmt = floats or self.float_format
        if index:
            df = df.reset_index()
        df = df.rename(columns=str)
        yes_no = ("да", "нет") if self.lang == "ru" else ("yes", "no")
        df = df.assign(**{c: df[c].map(lambda v: v if _missing(v) else yes_no[0] if v else yes_no[1])
                          for c in df.columns if pd.api.types.is_bool_dtype(df[c])
                          or set(df[c].dropna().map(type).unique()) == {bool}})
        if self.lang != "en":
            obj = [c for c in df.columns if df[c].dtype == object or pd.api.types.is_string_dtype(df[c])]
            df = df.assign(**{c: df[c].map(lambda v: translate(v, self.lang)) for c in obj})
        labels = [header(c, self.lang) for c in df.columns]
        df.columns = [f"{lab} ({c})" if labels.count(lab) > 1 else lab for lab, c in zip(labels, df.columns, strict=True)]
        text_cols = [c for c in df.columns if not pd.api.types.is_numeric_dtype(df[c])]
        long_text = [c for c in text_cols if df[c].astype(str).str.len().max() > 30]
        styler = (df.style.hide(axis="index")
                  .format(lambda v: "—" if _missing(v) else self.number(v, fmt) if isinstance(v, float) else v,
                          escape="html")
                  .set_table_attributes('class="mg-table"')
                  .set_properties(subset=text_cols, **{"text-align": "left"})
                  .set_properties(subset=long_text, **{"min-width": "16em"}))
        body = f"<div style='overflow-x:auto;max-width:100%'>{styler.to_html()}</div>"
        return (f"{CSS}<div class='mg-caption'>{self.words['table']} {self.n_tables}. "
                f"{_html.escape(caption)}</div>{body}")

    def table(self, df: pd.DataFrame, caption: str, index: bool = False, floats: str | None = None) -> None:
        """Show ``df`` as a numbered, captioned HTML table."""
        _show(self.table_html(df, caption, index=index, floats=floats))

    def figure(self, fig: plt.Figure, caption: str) -> None:
        """Show ``fig`` as an embedded PNG with a numbered caption, then close it."""
        self.n_figures += 1
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
        plt.close(fig)
        data = base64.b64encode(buf.getvalue()).decode("ascii")
        _show(f"<figure><img src='data:image/png;base64,{data}' alt='{_html.escape(caption)}' "
              f"style='max-width:100%'><figcaption class='mg-caption'>{self.words['figure']} {self.n_figures}. "
              f"{_html.escape(caption)}</figcaption></figure>")

    def warning(self, text: str) -> None:
        """Show a highlighted warning paragraph (ceiling, low reliability, small n)."""
        _show(f"{CSS}<div class='mg-warning'>{_html.escape(text)}</div>")

    def text(self, text: str) -> None:
        """Show a computed sentence as a paragraph."""
        _show(f"<p>{_html.escape(text)}</p>")

    def say(self, key: str, **values) -> str:
        """The catalogue message ``key`` in the report's language (:func:`helpers.narrative.catalogue.text`)."""
        from helpers.narrative.catalogue import text

        return text(key, self.lang, **values)

    def heading(self, key: str, level: int = 2, **values) -> None:
        """Show a section heading from the catalogue (``level`` 1 is the report's title).

        The heading is HTML with an ``id`` (a slug of its words), so the table of contents links to it.
        """
        words = self.say(key, **values)
        _show(f"<h{level} id='{_slug(words)}'>{_html.escape(words)}</h{level}>")

    def paragraph(self, key: str, **values) -> None:
        """Show a catalogue message as Markdown (intro paragraphs, lists, emphasis)."""
        words = self.say(key, **values)
        try:
            from IPython.display import Markdown, display
        except ImportError:  # pragma: no cover - IPython always present in the environment
            print(words)
            return
        display(Markdown(words))

    def methods(self, keys: list[str]) -> None:
        """Show the methods appendix: one paragraph and reference per statistic used in the report."""
        from helpers.narrative.methods import methods_html

        _show(methods_html(keys, self.lang))


def _slug(words: str) -> str:
    """An HTML id from a heading's words (letters of any alphabet, digits and hyphens).

    >>> _slug("1. Показатели по организации: с весами и без")
    '1-показатели-по-организации-с-весами-и-без'
    """
    import re

    return re.sub(r"[^\w]+", "-", words.lower(), flags=re.U).strip("-")


def roster_names(roster: pd.DataFrame, year: int | None = None) -> dict[str, str]:
    """Worker id -> name from the workers roster of ``year`` (names can change between years).

    Without a year (pooled and multi-year reports) a worker whose name changed is shown with every
    name and its years, never silently with one year's name.

    >>> r = pd.DataFrame({"worker_id": ["W01", "W01", "W02"], "worker_name": ["Orlova O.", "Smirnova O.", "Ivanov I."],
    ...                   "year": [2020, 2021, 2021]})
    >>> roster_names(r, 2020)["W01"], roster_names(r, 2021)["W01"]
    ('Orlova O.', 'Smirnova O.')
    >>> roster_names(r)["W01"], roster_names(r)["W02"]
    ('Orlova O. (2020) / Smirnova O. (2021)', 'Ivanov I.')
    """
    if "year" not in roster:
        return dict(zip(roster["worker_id"], roster["worker_name"], strict=False))
    if year is not None:
        r = roster[roster["year"] == year]
        return dict(zip(r["worker_id"], r["worker_name"], strict=False))
    names = {}
    for wid, g in roster.sort_values("year", kind="stable").groupby("worker_id", sort=False):
        distinct = list(dict.fromkeys(g["worker_name"]))
        if len(distinct) == 1:
            names[wid] = distinct[0]
        else:
            names[wid] = " / ".join(f"{n} ({', '.join(str(y) for y in g.loc[g['worker_name'] == n, 'year'])})"
                                    for n in distinct)
    return names


def open_report(processed_dir: str, lang: str = "en", audience: str = "public", year: int | None = None) -> Report:
    """A :class:`Report` for a notebook; for the internal audience it loads workers' names from the roster.

    ``year``: the report's survey year, whose roster gives the names (``None`` for pooled and multi-year
    reports: a worker renamed between years shows every name with its years).
    """
    from pathlib import Path

    names = None
    if audience == "internal":
        roster = pd.read_parquet(Path(processed_dir) / "workers.parquet")
        names = roster_names(roster, year)
    return Report(lang=lang, audience=audience, worker_names=names)
