"""Reconcile every total that can be derived, and cross-check an annex against its report.

Rules and their settings come from config/rules.yaml; messages from config/messages.yaml.
Table rules work on a cells frame (tasks.check.tabulate) and group by submission, so one call can
reconcile a whole batch.
"""
from __future__ import annotations

import pandas as pd

from config.catalog import Form, load_forms
from config.messages import finding, rules
from contracts.document import Document
from contracts.findings import Finding

_NUMERIC = ("number", "dot_decimal", "repaired")


def _present(cells: pd.DataFrame) -> pd.Series:
    return cells["kind"].isin(_NUMERIC)


def _skip(missing: str, n_present: int, n_cells: int) -> bool:
    """DHIS2's missing-value strategies, applied to the parts of a sum."""
    if missing == "skip_if_all_missing":
        return n_present == 0
    if missing == "skip_if_any_missing":
        return n_present < n_cells
    return False


def _skip_mask(missing: str, n_present: pd.Series, n_cells: pd.Series) -> pd.Series:
    """_skip for many sums at once."""
    if missing == "skip_if_all_missing":
        return n_present == 0
    if missing == "skip_if_any_missing":
        return n_present < n_cells
    return pd.Series(False, index=n_present.index)


def reconcile_totals(cells: pd.DataFrame) -> list[tuple[str, Finding]]:
    """A phase total equals the sum of its years (plan and actual apart); a blank total is a warning."""
    if cells.empty:
        return []
    spec = rules()["total_equals_sum_of_years"]
    tolerance, missing = float(spec.get("tolerance", 0)), spec.get("missing", "skip_if_all_missing")
    out: list[tuple[str, Finding]] = []
    present = _present(cells)
    keys = ["submission", "table", "row", "measure"]
    years = cells.loc[cells["year"].notna(), [*keys, "value"]].assign(present=present)  # only what is summed
    years = years.assign(present_value=years["value"].where(years["present"], 0.0))
    sums = years.groupby(keys).agg(
        expected=("present_value", "sum"),
        n_present=("present", "sum"),
        n_cells=("present", "size"),
    )
    totals = cells[cells["year"].isna()].set_index(keys)
    joined = totals.join(sums, how="inner")
    # Only the totals that can fail go through the Python loop below.
    off = (joined["value"] - joined["expected"]).abs() > tolerance
    skipped = _skip_mask(missing, joined["n_present"], joined["n_cells"])
    joined = joined[~skipped & ((joined["kind"] == "blank") | (joined["kind"].isin(_NUMERIC) & off))]
    for key, row in joined.iterrows():
        sub = key[0]
        if _skip(missing, int(row["n_present"]), int(row["n_cells"])):
            continue
        common = dict(
            form_label=row["form_label"], source=row["source"], line=_int(row["line"]), form=row["form"],
            group=row["group"], label=row["label"], indicator=row["indicator"], year=None, measure=key[3],
        )
        if row["kind"] == "blank":
            out.append((sub, finding("total_blank", expected=row["expected"], **common)))
        elif row["kind"] in _NUMERIC and abs(row["value"] - row["expected"]) > tolerance:
            out.append((sub, finding("total_equals_sum_of_years", expected=row["expected"],
                                     actual=row["value"], **common)))
    return out


def reconcile_group_totals(cells: pd.DataFrame, forms: dict[str, Form] | None = None) -> list[tuple[str, Finding]]:
    """A "= (1+2)" row equals the sum of the catalogued items it adds up, column by column."""
    if cells.empty:
        return []
    forms = forms if forms is not None else load_forms()
    spec = rules()["group_total"]
    tolerance, missing = float(spec.get("tolerance", 0)), spec.get("missing", "skip_if_all_missing")
    out: list[tuple[str, Finding]] = []
    present = _present(cells)
    totals = cells[cells["is_total"] & cells["indicator"].notna() & present]
    parts_of = pd.DataFrame(
        [(code, ind.code, part, len(ind.sum_of)) for code, form in forms.items()
         for ind in form.indicators() if ind.sum_of for part in ind.sum_of],
        columns=["form", "indicator", "part", "n_parts"],
    )
    if totals.empty or parts_of.empty:
        return []
    keys = ["submission", "table", "measure", "year_key"]
    totals = totals.assign(order=range(len(totals)), year_key=totals["year"].fillna(-1))
    wanted = totals[["order", "form", "indicator", *keys]].merge(parts_of, on=["form", "indicator"])
    part_cells = cells.assign(year_key=cells["year"].fillna(-1), part_present=present)
    part_cells = part_cells[[*keys, "indicator", "group", "value", "part_present"]].rename(
        columns={"indicator": "part"})
    matched = wanted.merge(part_cells, on=[*keys, "part"], how="left")
    matched = matched.assign(part_present=matched["part_present"].fillna(False).astype(bool))
    matched = matched.assign(present_value=matched["value"].where(matched["part_present"], 0.0))
    sums = matched.groupby("order").agg(expected=("present_value", "sum"), n_present=("part_present", "sum"),
                                        n_parts=("n_parts", "first"))
    checked = totals.join(sums, on="order", how="inner")
    off = (checked["value"] - checked["expected"]).abs() > tolerance
    for _, total in checked[off].iterrows():
        if _skip(missing, int(total["n_present"]), int(total["n_parts"])):
            continue
        expected = float(total["expected"])
        ind = forms[total["form"]].indicator(total["indicator"])
        named = matched.loc[matched["order"] == total["order"], "group"].dropna()
        groups_text = "+".join(sorted({str(g) for g in named})) or "+".join(ind.sum_of)
        out.append((total["submission"], finding(
            "group_total", form_label=total["form_label"], source=total["source"], line=_int(total["line"]),
            form=total["form"], label=total["label"], indicator=total["indicator"],
            year=_int(total["year"]), measure=total["measure"], expected=expected, actual=total["value"],
            parts_vi=f"các nhóm {groups_text}", parts_en=f"groups {groups_text}",
        )))
    return out


def reconcile_pairs(cells: pd.DataFrame) -> list[tuple[str, Finding]]:
    """Plan and actual of one year come in pairs (the phase total is the blank-total rule's)."""
    if cells.empty:
        return []
    out: list[tuple[str, Finding]] = []
    keys = ["submission", "table", "row", "year"]
    present = _present(cells)
    pairs = cells.loc[cells["year"].notna(), keys].assign(present=present)
    by_pair = pairs.groupby(keys)["present"]
    # the pairs are told on their keys alone; only the few with one cell missing are taken whole
    odd = pairs.index[(by_pair.transform("sum") == 1) & (by_pair.transform("size") == 2)]
    years = cells.loc[odd].assign(present=present.loc[odd])  # (a whole Series would make an empty frame its size)
    # One present and one missing cell per pair left: sorted alike, the two halves line up pair by pair.
    blanks = years[~years["present"]].sort_values(keys, kind="stable")
    others = years[years["present"]].sort_values(keys, kind="stable")
    for (_, blank), (_, other) in zip(blanks.iterrows(), others.iterrows()):
        if blank["kind"] != "blank":
            continue
        other_vi = "Kế hoạch" if other["measure"] == "plan" else "Thực hiện"
        other_en = other["measure"]
        out.append((blank["submission"], finding(
            "plan_actual_pair", form_label=blank["form_label"], source=blank["source"], line=_int(blank["line"]),
            form=blank["form"], label=blank["label"], indicator=blank["indicator"], year=_int(blank["year"]),
            measure=blank["measure"], expected=None, actual=None,
            other_vi=other_vi, other_en=other_en, other_value=other["value"],
        )))
    return out


def cross_check_annexes(doc: Document, forms: dict[str, Form] | None = None) -> list[Finding]:
    """An annex names its report; every referenced annex is attached; the years cover the phase."""
    forms = forms if forms is not None else load_forms()
    out: list[Finding] = []
    meta = doc.meta
    for table in doc.tables:
        if not table.attached_to or (table.attached_number is None and table.attached_date is None):
            continue
        number_ok = table.attached_number is None or meta.number is None or table.attached_number == meta.number
        date_ok = table.attached_date is None or meta.date is None or table.attached_date == meta.date
        if number_ok and date_ok:
            continue
        out.append(finding(
            "annex_parent", form_label=f"Biểu {table.form_no}",
            source=table.ref, line=table.line, form=_form_code(table.form_no, forms),
            expected=_cite(meta.number, meta.date), actual=_cite(table.attached_number, table.attached_date),
        ))
    attached = {t.form_no for t in doc.tables if t.form_no}
    seen: set[str] = set()
    for number, line, section in meta.annex_refs:
        if number in attached or number in seen:
            continue
        seen.add(number)
        out.append(finding(
            "annex_missing", source=f"L{line}", line=line, form=_form_code(number, forms),
            number=number, section=section or "?", expected=f"Biểu {number}", actual=None,
        ))
    return out


def reported_years(cells: pd.DataFrame) -> dict[str, list[int]]:
    """The years each submission reports a number or a dash for, from one frame of many submissions."""
    reported = cells.loc[(_present(cells) | (cells["kind"] == "dash")) & cells["year"].notna(), ["submission", "year"]]
    # one pass over the distinct pairs: a group-by's unique() went group by group, 40 us a submission
    years_of: dict[str, set[int]] = {}
    for sub, year in reported.drop_duplicates().itertuples(index=False):
        years_of.setdefault(sub, set()).add(int(year))
    return {sub: sorted(years_of[sub]) for sub in sorted(years_of)}


def check_period_coverage_of_years(doc: Document, years: list[int]) -> list[Finding]:
    """A phase report whose tables leave out some of its years (the batch gathers the years in one group-by)."""
    meta = doc.meta
    if meta.period_start is None or meta.period_end is None:
        return []
    if not years:
        return []
    phase = set(range(meta.period_start, meta.period_end + 1))
    missing = sorted(phase - set(years))
    if not missing:
        return []
    covered = f"{years[0]}–{years[-1]}" if years == list(range(years[0], years[-1] + 1)) else ", ".join(map(str, years))
    return [finding(
        "period_coverage", source=None, expected=meta.period, actual=covered,
        covered=covered, period=meta.period.replace("-", "–"), missing_years=", ".join(map(str, missing)),
    )]


_KIND_WORDS = {
    "province_summary": ("báo cáo, quyết định hoặc tin tổng hợp của tỉnh", "a province's decision or summary"),
    "news_summary": ("bài tin tổng hợp", "a news-style summary"),
    "statistical_table": ("bảng số liệu thống kê", "a statistical table"),
}


def check_metadata(doc: Document) -> list[Finding]:
    """A district's report must say its number, date, unit and period; another kind of document gets one info."""
    meta = doc.meta
    out = []
    if meta.kind in _KIND_WORDS:
        kind_vi, kind_en = _KIND_WORDS[meta.kind]
        absent = [(vi, en) for value, vi, en in (
            (meta.number, "số", "number"), (meta.date, "ngày", "date"),
            (meta.unit_code or meta.province, "đơn vị", "unit"), (meta.period, "giai đoạn", "period"),
        ) if value is None]
        if not absent:
            return []
        return [finding("metadata_not_required", source=None, kind_vi=kind_vi, kind_en=kind_en,
                        fields_vi=", ".join(vi for vi, _ in absent), fields_en=", ".join(en for _, en in absent))]
    for value, field_vi, field_en, example in (
        (meta.number, "số báo cáo", "report number", "Số: 2049/BC-UBND"),
        (meta.date, "ngày báo cáo", "report date", "Phong Thổ, ngày 14 tháng 10 năm 2020"),
        (meta.unit_code, "đơn vị báo cáo (huyện)", "reporting unit (district)", "UBND huyện Phong Thổ"),
        (meta.period, "giai đoạn báo cáo", "reporting period", "giai đoạn 2016-2020"),
    ):
        if value is None:
            out.append(finding("metadata_missing", source="L1", line=1, field_vi=field_vi,
                               field_en=field_en, example=example))
    if not doc.tables:
        out.append(finding("no_tables", source=None))
    return out


def _cite(number, day) -> str:
    when = day.strftime("%d/%m/%Y") if day else "?"
    return f"{number or '?'} ({when})"


def _form_code(number: str | None, forms: dict[str, Form]) -> str | None:
    for form in forms.values():
        if number and form.number == number.zfill(2):
            return form.code
    return f"BIEU_{number.zfill(2)}" if number else None


def _int(value) -> int | None:
    return None if value is None or pd.isna(value) else int(value)
