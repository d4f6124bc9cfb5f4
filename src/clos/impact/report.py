"""Render an impact summary (``ledger.summary``) for people: a Rich table for the terminal and a
standalone, accessible French HTML page with an inline SVG chart (no script, no network).

The chart is doubled by a table with a caption, which is its text alternative.
"""

from __future__ import annotations

import html
from datetime import date, datetime
from pathlib import Path
from typing import Any

from clos.errors import ImpactError
from clos.impact import factors, format_number

# Every string a user reads, in one place.
T = {
    "title": "Sobriété : énergie et CO2 de Clos",
    "period_all": "Toutes les mesures enregistrées.",
    "period_since": "Mesures depuis le {since}.",
    "generated": "Rapport généré le {when}.",
    "empty": "Aucune mesure enregistrée.",
    "empty_since": "Aucune mesure enregistrée depuis le {since}.",
    "totals": "Totaux",
    "answers": "Réponses",
    "ingest": "Ingestions (documents)",
    "local_energy": "Énergie locale",
    "local_co2": "Émissions locales",
    "primary": "Énergie primaire",
    "answers_local": "Réponses, en local",
    "cloud_energy": "Mêmes réponses sur {model} (énergie)",
    "cloud_co2": "Mêmes réponses sur {model} (émissions)",
    "ratio": "Énergie des réponses : cloud comparé au poste",
    "ratio_more": "le cloud consommerait {low} à {high} fois plus",
    "ratio_less": "le cloud consommerait {low} à {high} fois moins",
    "ratio_mixed": "le cloud consommerait {low} à {high} fois autant (hypothèse basse ou haute)",
    "methods": "Méthodes de mesure",
    "group_title": "Par {label}",
    "by": {"user": "utilisateur", "collection": "collection", "day": "jour"},
    "by_col": {"user": "Utilisateur", "collection": "Collection", "day": "Jour"},
    "none": "(aucun)",
    "col_answers": "Réponses",
    "col_runs": "Ingestions",
    "col_wh": "Énergie locale (Wh)",
    "col_g": "Local (gCO2e)",
    "col_cloud_wh": "Cloud (Wh, min–max)",
    "col_cloud_g": "Cloud (gCO2e, min–max)",
    "trend": "Évolution par jour",
    "chart_title": "Émissions par jour, en gCO2e : Clos en local et estimation cloud",
    "chart_desc": "Diagramme en barres : pour chaque jour, une barre pleine donne les émissions "
                  "locales (réponses et ingestion) et une barre hachurée la fourchette estimée "
                  "par EcoLogits pour les mêmes réponses sur {model}. Maximum : {max} gCO2e.",
    "chart_caption": "Les valeurs exactes figurent dans le tableau qui suit.",
    "legend_local": "Clos en local (réponses et ingestion)",
    "legend_cloud": "Cloud {model}, mêmes réponses (fourchette EcoLogits)",
    "trend_caption": "Émissions et énergie par jour (équivalent textuel du diagramme)",
    "group_caption": "Énergie et émissions par {label}",
    "sources": "Méthode et sources",
    "method_note": "Les réponses et les ingestions sont mesurées par compteurs RAPL quand ils "
                   "sont lisibles, sinon estimées d'après le temps processeur ; l'estimation cloud "
                   "suit la méthodologie EcoLogits (émissions d'usage et de fabrication).",
    "write_error": "Impossible d'écrire le rapport « {path} » : {error}",
    "unit_wh": "Wh", "unit_g": "gCO2e", "unit_x": "×",
}
_SOURCE_KEYS = ("carbon_intensity_FRA", "carbon_intensity_ecologits", "primary_energy_FRA",
                "car", "streaming", "email", "cpu_power", "cpu_fallback", "ram_power", "rapl",
                "ecologits")


def _n(value: float) -> str:
    return format_number(value, "fr")


def _range(pair: list[float]) -> str:
    return f"{_n(pair[0])}–{_n(pair[1])}" if pair[1] else "—"


def _ratio(low: float, high: float) -> str:
    if low >= 1:
        return T["ratio_more"].format(low=_n(low), high=_n(high))
    if high <= 1:
        return T["ratio_less"].format(low=_n(1 / high), high=_n(1 / low))
    return T["ratio_mixed"].format(low=_n(low), high=_n(high))


def _day(value: str | None) -> str:
    try:
        return date.fromisoformat(value).strftime("%d/%m/%Y") if value else T["none"]
    except ValueError:
        return value


def _key(by: str, value: Any) -> str:
    if by == "day":
        return _day(value)
    return str(value) if value not in (None, "") else T["none"]


def _has_data(summary: dict[str, Any]) -> bool:
    return bool(summary["totals"]["answers"] or summary["totals"]["ingest_runs"])


def _empty(summary: dict[str, Any]) -> str:
    since = summary.get("since")
    return T["empty_since"].format(since=_day(since)) if since else T["empty"]


def _model(summary: dict[str, Any]) -> str:
    return ", ".join(summary.get("cloud_models") or []) or "cloud"


def _rows(summary: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) lines of the totals, shared by the terminal and the HTML page."""
    t, model = summary["totals"], _model(summary)
    rows = [
        (T["answers"], str(t["answers"])),
        (T["ingest"], f"{t['ingest_runs']} ({t.get('ingest_documents', 0)})"),
        (T["local_energy"], f"{_n(t['energy_wh'])} {T['unit_wh']}"),
        (T["local_co2"], f"{_n(t['gco2e'])} {T['unit_g']}"),
        (T["primary"], f"{_n(t['primary_energy_wh'])} {T['unit_wh']}"),
        (T["answers_local"], f"{_n(t['answers_energy_wh'])} {T['unit_wh']} · "
                             f"{_n(t['answers_gco2e'])} {T['unit_g']}"),
    ]
    if t["cloud_energy_wh"][1] > 0:
        rows += [
            (T["cloud_energy"].format(model=model),
             f"{_range(t['cloud_energy_wh'])} {T['unit_wh']}"),
            (T["cloud_co2"].format(model=model), f"{_range(t['cloud_gco2e'])} {T['unit_g']}"),
        ]
    if t["answers_energy_wh"] > 0 and t["cloud_energy_wh"][1] > 0:
        low, high = (v / t["answers_energy_wh"] for v in t["cloud_energy_wh"])
        rows.append((T["ratio"], _ratio(low, high)))
    methods = ", ".join(f"{m} ({c})" for m, c in (summary.get("methods") or {}).items())
    rows.append((T["methods"], methods or "—"))
    return rows


# -------------------------------------------------------------------------------- terminal (Rich)
def summary_table(summary: dict[str, Any]) -> Any:
    """A Rich renderable: the totals, then one row per group."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    period = (T["period_since"].format(since=_day(summary["since"])) if summary.get("since")
              else T["period_all"])
    if not _has_data(summary):
        return Text(_empty(summary))
    totals = Table(title=T["totals"], caption=period, show_header=False)
    totals.add_column(style="bold")
    totals.add_column(justify="right")
    for label, value in _rows(summary):
        totals.add_row(label, value)
    by = summary["by"]
    groups = Table(title=T["group_title"].format(label=T["by"][by]))
    groups.add_column(T["by_col"][by])
    for col in ("col_answers", "col_runs", "col_wh", "col_g", "col_cloud_wh", "col_cloud_g"):
        groups.add_column(T[col], justify="right")
    for g in summary["groups"]:
        groups.add_row(_key(by, g["key"]), str(g["answers"]), str(g["ingest_runs"]),
                       _n(g["energy_wh"]), _n(g["gco2e"]), _range(g["cloud_energy_wh"]),
                       _range(g["cloud_gco2e"]))
    return Group(totals, groups) if summary["groups"] else Group(totals)


# ------------------------------------------------------------------------------------------- HTML
def _svg_chart(trend: list[dict[str, Any]], model: str) -> str:
    width, height, left, right, top, bottom = 760, 320, 70, 20, 20, 60
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([max(d["gco2e"], d["cloud_gco2e"][1]) for d in trend] + [0.0]) or 1.0
    scale = plot_h / (peak * 1.1)
    slot = plot_w / max(1, len(trend))
    bar = max(2.0, min(28.0, slot * 0.35))
    e = html.escape
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="chart-title chart-desc" width="100%">',
        f'<title id="chart-title">{e(T["chart_title"])}</title>',
        f'<desc id="chart-desc">{e(T["chart_desc"].format(model=model, max=_n(peak)))}</desc>',
        '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff3e0"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#b34700" stroke-width="2"/></pattern></defs>',
    ]
    for i in range(5):  # horizontal grid and y labels
        value = peak * 1.1 * i / 4
        y = top + plot_h - value * scale
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
                   'stroke="#ccc" stroke-width="1"/>')
        out.append(f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end" font-size="12">'
                   f'{e(_n(value))}</text>')
    step = max(1, len(trend) // 12)  # at most ~12 date labels
    for i, d in enumerate(trend):
        x0 = left + i * slot + slot / 2
        h = d["gco2e"] * scale
        out.append(f'<rect x="{x0 - bar - 1:.1f}" y="{top + plot_h - h:.1f}" width="{bar:.1f}" '
                   f'height="{h:.1f}" fill="#1b5e20"/>')
        lo, hi = (v * scale for v in d["cloud_gco2e"])
        if hi > 0:
            out.append(f'<rect x="{x0 + 1:.1f}" y="{top + plot_h - hi:.1f}" width="{bar:.1f}" '
                       f'height="{max(1.0, hi - lo):.1f}" fill="url(#hatch)" stroke="#b34700"/>')
            out.append(f'<rect x="{x0 + 1:.1f}" y="{top + plot_h - lo:.1f}" width="{bar:.1f}" '
                       f'height="{lo:.1f}" fill="#ffe0b2" stroke="#b34700"/>')
        if i % step == 0:
            out.append(f'<text x="{x0:.1f}" y="{top + plot_h + 18}" text-anchor="middle" '
                       f'font-size="12">{e(_day(d["key"])[:5])}</text>')
    legend_y = height - 18
    out += [
        f'<rect x="{left}" y="{legend_y - 10}" width="12" height="12" fill="#1b5e20"/>',
        f'<text x="{left + 18}" y="{legend_y}" font-size="12">{e(T["legend_local"])}</text>',
        f'<rect x="{left + 300}" y="{legend_y - 10}" width="12" height="12" fill="url(#hatch)" '
        'stroke="#b34700"/>',
        f'<text x="{left + 318}" y="{legend_y}" font-size="12">'
        f'{e(T["legend_cloud"].format(model=model))}</text>',
        f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}" stroke="#333"/>',
        f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" '
        'stroke="#333"/>',
        "</svg>",
    ]
    return "\n".join(out)


def _table(caption: str, first: str, rows: list[dict[str, Any]], by: str) -> str:
    e = html.escape
    cols = [first] + [T[c] for c in ("col_answers", "col_runs", "col_wh", "col_g",
                                     "col_cloud_wh", "col_cloud_g")]
    head = "".join(f'<th scope="col">{e(c)}</th>' for c in cols)
    body = []
    for r in rows:
        cells = [str(r["answers"]), str(r["ingest_runs"]), _n(r["energy_wh"]), _n(r["gco2e"]),
                 _range(r["cloud_energy_wh"]), _range(r["cloud_gco2e"])]
        body.append(f'<tr><th scope="row">{e(_key(by, r["key"]))}</th>'
                    + "".join(f"<td>{e(c)}</td>" for c in cells) + "</tr>")
    return (f"<table><caption>{e(caption)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>")


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;
background:#fff;line-height:1.5;margin:0}
main{max-width:60rem;margin:0 auto;padding:1.5rem}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem}
dl{display:grid;grid-template-columns:max-content auto;gap:.25rem 1.5rem}dt{font-weight:600}
dd{margin:0;font-variant-numeric:tabular-nums}
table{border-collapse:collapse;width:100%;margin:1rem 0;font-variant-numeric:tabular-nums}
caption{text-align:left;font-weight:600;padding:.5rem 0}
th,td{border:1px solid #767676;padding:.35rem .6rem}td{text-align:right}
thead th{background:#eee}figure{margin:1rem 0}a{color:#0b57d0}
"""


def html_report(summary: dict[str, Any], *, generated: datetime | None = None) -> str:
    """A standalone French HTML page (inline CSS and SVG, ``lang="fr"``) for ``summary``."""
    e, model, by = html.escape, _model(summary), summary["by"]
    when = (generated or datetime.now()).strftime("%d/%m/%Y %H:%M")
    period = (T["period_since"].format(since=_day(summary["since"])) if summary.get("since")
              else T["period_all"])
    parts = [
        '<!DOCTYPE html>\n<html lang="fr">\n<head>\n<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(T['title'])}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>",
        f"<h1>{e(T['title'])}</h1>",
        f"<p>{e(period)} {e(T['generated'].format(when=when))}</p>",
    ]
    if not _has_data(summary):
        parts.append(f"<p>{e(_empty(summary))}</p>")
    else:
        parts.append(f'<section aria-labelledby="totaux"><h2 id="totaux">{e(T["totals"])}</h2><dl>')
        parts += [f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in _rows(summary)]
        parts.append("</dl></section>")
        parts.append(f'<section aria-labelledby="trend"><h2 id="trend">{e(T["trend"])}</h2>')
        parts.append(f"<figure>{_svg_chart(summary['trend'], model)}"
                     f"<figcaption>{e(T['chart_caption'])}</figcaption></figure>")
        parts.append(_table(T["trend_caption"], T["by_col"]["day"], summary["trend"], "day"))
        parts.append("</section>")
        if by != "day":
            label = T["by"][by]
            parts.append(f'<section aria-labelledby="groups"><h2 id="groups">'
                         f'{e(T["group_title"].format(label=label))}</h2>')
            parts.append(_table(T["group_caption"].format(label=label), T["by_col"][by],
                                summary["groups"], by))
            parts.append("</section>")
    parts.append(f'<section aria-labelledby="sources"><h2 id="sources">{e(T["sources"])}</h2>')
    parts.append(f"<p>{e(T['method_note'])}</p><ul>")
    for key in _SOURCE_KEYS:
        url = factors.SOURCES[key]
        parts.append(f'<li>{e(factors.LABELS[key])} : <a href="{e(url)}">{e(url)}</a></li>')
    parts.append("</ul></section>\n</main>\n</body>\n</html>\n")
    return "\n".join(parts)


def write_html(summary: dict[str, Any], path: Path | str) -> Path:
    """Write ``html_report(summary)`` to ``path``; ImpactError with a French message on failure."""
    path = Path(path)
    try:
        path.write_text(html_report(summary), encoding="utf-8")
    except OSError as exc:
        raise ImpactError(T["write_error"].format(path=path, error=exc.strerror or exc),
                          detail=repr(exc)) from exc
    return path
