"""The KPI catalogue: every KPI twin computes, with its unit, direction, labels and meaning.

One entry per KPI name (``response_p90``) and one per bracketed family
(``overdue[GRID]`` stands for ``overdue[grid-01]``, ``overdue[grid-02]``, …). The
command line's tables, the report, the plot labels and the
KPI reference in README.md all read this table; :func:`headline_kpis` is the
one list of KPIs shown first. To add a KPI: compute it in a ``metrics`` module
and add its entry here (a test fails until you do).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from twin.vocab import COLOURS

Direction = Literal["lower", "higher"]
DIRECTIONS: tuple[Direction, ...] = ("lower", "higher")


@dataclass(frozen=True)
class Kpi:
    """One KPI, or one family of bracketed KPIs."""

    name: str
    """Column name in ``kpis.csv``; a family's argument in capitals: ``overdue[GRID]``."""
    unit: str
    """``min``, ``share``, ``issues``, ``hours/day``, …"""
    direction: Direction | None
    """Which way is better: ``"lower"``, ``"higher"``, or None (neither, e.g. a count
    of arrivals or a utilisation, which is a trade-off)."""
    label: tuple[str, str]
    """Label in English and Chinese (a family's argument is added in brackets)."""
    definition: str
    """One line: what is counted or measured, over which issues."""
    share: bool = False
    """A share between 0 and 1, shown as a percentage (differences in points)."""
    headline: bool = False
    """Shown first in the command line's tables and the report."""

    @property
    def family(self) -> bool:
        """True for a bracketed family such as ``overdue[GRID]``."""
        return "[" in self.name

    @property
    def base(self) -> str:
        """The name before the bracket (the whole name if not a family)."""
        return self.name.split("[", 1)[0]

    def better(self, change: float) -> bool | None:
        """Whether a rise of ``change`` (negative: a fall) is for the better; None for a
        KPI with no better direction."""
        return None if self.direction is None else (change < 0) == (self.direction == "lower")


def _k(name: str, unit: str, direction: Direction | None, en: str, zh: str, definition: str,
       *, headline: bool = False) -> Kpi:
    return Kpi(name, unit, direction, (en, zh), definition, share=unit == "share",
               headline=headline)


LOW: Direction = "lower"
HIGH: Direction = "higher"


def _assessed(name: str, direction: Direction | None, en: str, zh: str, definition: str,
              owner: str = "the unit of its last work step", *, unit: str = "share",
              headline: bool = False) -> tuple[Kpi, Kpi]:
    """An assessment figure: its total and its family per unit, category or grid."""
    return (_k(name, unit, direction, en, zh, f"{definition}; orders received after the "
               "warm-up", headline=headline),
            _k(f"{name}[SCOPE]", unit, direction, en, zh, f"the same per `unit:NAME` (an "
               f"order counts for {owner}), `category:NAME` or `grid:NAME`"))


_HOURS = {"working": ("in working hours", "工作时间", "inside the working hours of the "
                      "scenario's `calendar` (holidays and swapped working days included), "
                      "without a calendar 09:00-12:00 and 13:30-17:30 Monday to Friday (day 0 "
                      "a Monday)"),
          "off": ("off hours", "非工作时间", "outside those working hours (nights, lunch, "
                  "rest days, holidays)")}


def _by_hours(name: str, mean_en: str, mean_zh: str, p90_en: str, p90_zh: str
              ) -> tuple[Kpi, ...]:
    """Mean and P90 of a time over the issues reported in working hours, and off hours."""
    out = []
    for hours, (en, zh, when) in _HOURS.items():
        out += [_k(f"{name}_mean_{hours}", "min", LOW, mean_en.replace(' [', f', {en} ['),
                   f"{zh}{mean_zh}", f"`{name}_mean` of the issues reported {when}"),
                _k(f"{name}_p90_{hours}", "min", LOW, p90_en.replace(' [', f', {en} ['),
                   f"{zh}{p90_zh}", f"`{name}_p90` of the issues reported {when}")]
    return tuple(out)


_REACHED = "reported → first on site, over issues reached by the horizon"
_SETTLED = "reported → resolved, over issues resolved by the horizon"
_ORDERS = "over filed orders that reached it by the horizon"
CATALOGUE: tuple[Kpi, ...] = (
    _k("arrived", "issues", None, "Issues arrived", "上报问题数",
       "issues reported after the warm-up", headline=True),
    _k("resolved", "issues", HIGH, "Issues resolved", "办结问题数",
       "of those, resolved by the horizon", headline=True),
    _k("open_at_end", "issues", LOW, "Open at end", "期末未办结",
       "of those, not resolved at the horizon", headline=True),
    _k("response_mean", "min", LOW, "Mean response [min]", "平均响应时间（分钟）",
       f"mean time {_REACHED}", headline=True),
    _k("response_p50", "min", LOW, "Median response [min]", "响应时间中位数（分钟）",
       f"median time {_REACHED}"),
    _k("response_p90", "min", LOW, "P90 response [min]", "90%响应时间（分钟）",
       f"90th percentile of the time {_REACHED}", headline=True),
    _k("response_p95", "min", LOW, "P95 response [min]", "95%响应时间（分钟）",
       f"95th percentile of the time {_REACHED}"),
    _k("resolution_mean", "min", LOW, "Mean resolution [min]", "平均办结时间（分钟）",
       f"mean time {_SETTLED}", headline=True),
    _k("resolution_p50", "min", LOW, "Median resolution [min]", "办结时间中位数（分钟）",
       f"median time {_SETTLED}"),
    _k("resolution_p90", "min", LOW, "P90 resolution [min]", "90%办结时间（分钟）",
       f"90th percentile of the time {_SETTLED}", headline=True),
    *_by_hours("response", "Mean response [min]", "平均响应时间（分钟）",
               "P90 response [min]", "90%响应时间（分钟）"),
    *_by_hours("resolution", "Mean resolution [min]", "平均办结时间（分钟）",
               "P90 resolution [min]", "90%办结时间（分钟）"),
    _k("within_deadline", "share", HIGH, "Within deadline", "按时办结率",
       "due issues resolved within their category's time limit (a case's `limit`, a work "
       "order's flow limit: closed within it); disputes have none", headline=True),
    _k("mean_waiting", "issues", LOW, "Mean issues waiting", "平均等待问题数",
       "time-average number of issues reported but not yet dispatched (or answered)",
       headline=True),
    _k("utilisation", "share", None, "Utilisation", "网格员利用率",
       "grid workers' (travel to tasks + on site) ÷ on-duty time", headline=True),
    _k("utilisation[UNIT]", "share", None, "Utilisation", "网格员利用率",
       "the same for the grid workers of one unit"),
    _k("travel_share", "share", LOW, "Travel share", "路途时间占比",
       "grid workers' travel (incl. the walk back to base) ÷ on-duty time", headline=True),
    _k("patrol_share", "share", None, "Patrol share", "巡查时间占比",
       "grid workers' patrolling ÷ on-duty time"),
    _k("count[CATEGORY]", "issues", None, "Issues", "问题数", "issues of that category"),
    _k("resolution_p50[CATEGORY]", "min", LOW, "Median resolution [min]",
       "办结时间中位数（分钟）", "median resolution time of the issues of that category"),
    _k("resolution_p90[CATEGORY]", "min", LOW, "P90 resolution [min]", "90%办结时间（分钟）",
       "90th percentile resolution time of the issues of that category"),
    _k("within_deadline[CATEGORY]", "share", HIGH, "Within deadline", "按时办结率",
       "the issues of that category resolved within its time limit, over those due (a "
       "dispute has none)"),
    _k("on_site_within_response", "share", HIGH, "On site within response limit",
       "按时到场率", "issues whose first handler was on site within `deadlines.response` of "
       "the report, over issues whose response deadline fell before the horizon (not 响应率: "
       "see `response_rate`)"),
    _k("repeat_complaints", "complaints", LOW, "Repeat complaints", "重复投诉数",
       "repeat complaints from issues reported after the warm-up"),
    _k("repeat_complaints_per_100", "per 100 issues", LOW, "Repeat complaints per 100",
       "每百件重复投诉数", "repeat complaints per 100 issues reported after the warm-up",
       headline=True),
    _k("overdue[GRID]", "issues", LOW, "Overdue issues", "超时问题数",
       "due issues of the grid not resolved within their deadline"),
    _k("channel_share[CHANNEL]", "share", None, "Channel share", "渠道占比",
       "issues reported through `resident`, `patrol`, `sensor`"),
    _k("latent_report_delay_mean", "min", LOW, "Mean latent report delay [min]",
       "隐患平均发现时间（分钟）",
       "latent hazards occurring after the warm-up: occurrence → report"),
    _k("latent_exposure_mean", "min", LOW, "Mean latent exposure [min]", "隐患平均暴露时间（分钟）",
       "the same: occurrence → resolved"),
    _k("latent_unreported", "issues", LOW, "Latent hazards unreported", "未发现隐患数",
       "the same, never reported by the horizon"),
    _k("pool_utilisation[POOL]", "share", None, "Pool utilisation", "队伍利用率",
       "busy (travel to tasks, on site) ÷ on duty, per pool: `grid_worker`, `volunteer`, "
       "each handling unit (the mediation office and the units of a red dispute's response "
       "among them; each grid's copy of a per-grid unit apart, `NAME/GRID`) and `centre`"),
    _k("noncase_share", "share", None, "Non-case share", "非案件工作占比",
       "grid workers' non-case work (ledgers, meetings, information collection: "
       "`workforce.non_case`) ÷ their on-duty time including it; utilisation and the shares "
       "above count only the time free for cases"),
    _k("fte[TEAM]", "FTE", None, "Full-time equivalents", "折算全职人数",
       "the team's working hours a week ÷ 40 (a post on shifts counts its hours, round the "
       "clock 168); `grid_worker`, each handling unit (a per-grid unit's copies together), "
       "`command_centre`; as planned: dated "
       "events' staff changes are not counted"),
    _k("cost_total", "yuan", LOW, "Staff cost [yuan]", "人员成本（元）",
       "Σ over pools with a `cost_per_fte`: FTE × cost per FTE a year ÷ 365 × days measured "
       "(warm-up to horizon)"),
    _k("cost_per_closed_order", "yuan", LOW, "Cost per closed order [yuan]",
       "每件办结工单成本（元）", "`cost_total` ÷ filed orders received after the warm-up and "
       "closed by the horizon"),
    _k("pool_workload[POOL]", "hours/day", None, "Pool workload [h/day]", "队伍工作量（小时/天）",
       "busy staff-hours per day of the pool"),
    # work orders (工单): categories with a flow; first requests received after the warm-up
    _k("orders_received", "orders", None, "Requests received", "受理诉求数",
       "first requests (not repeats) of categories with a flow received after the warm-up"),
    _k("orders_answered_at_once", "share", None, "Answered at once", "直接答复占比",
       "of those, answered at once with no order (a consultation)"),
    _k("orders_filed", "orders", None, "Orders filed", "立案工单数",
       "of those, filed as work orders (立案)"),
    _k("orders_closed_share", "share", HIGH, "Orders closed", "工单办结率",
       "of the filed orders, closed (结案) by the horizon"),
    _k("time_to_sign", "min", LOW, "Mean time to sign [min]", "工单平均签收时间（分钟）",
       f"receipt → signed for by the handling unit (签收), {_ORDERS}"),
    _k("time_to_respond", "min", LOW, "Mean time to respond [min]", "工单平均响应时间（分钟）",
       f"receipt → the unit contacted the requester or was on site (响应), {_ORDERS}"),
    _k("signed_on_time", "share", HIGH, "Signed on time", "按时签收率",
       "assignments signed for (签收) within their limit: the flow's `sign_limit`, else the "
       "unit's"),
    _k("handled_on_time", "share", HIGH, "Handled on time", "按时处置率",
       "filed orders whose flow sets a `handle_limit`, handled (last handle or settle step "
       "ended) within it of the first assignment, over those handled or past it"),
    _k("time_to_handle", "min", LOW, "Mean time to handle [min]", "工单平均处置时间（分钟）",
       f"receipt → the last handle or settle step ended, {_ORDERS}"),
    _k("time_to_verify", "min", LOW, "Mean time to verify [min]", "工单平均核查时间（分钟）",
       f"receipt → the last verification ended (核查), {_ORDERS}"),
    _k("time_to_close", "min", LOW, "Mean time to close [min]", "工单平均办结时间（分钟）",
       f"receipt → closed (结案), {_ORDERS}", headline=True),
    _k("time_to_close[CATEGORY]", "min", LOW, "Mean time to close [min]",
       "工单平均办结时间（分钟）", "the same for the orders of one category"),
    _k("time_to_sign[UNIT]", "min", LOW, "Mean time to sign [min]", "工单平均签收时间（分钟）",
       "time to sign of the orders whose last work step was the unit's"),
    _k("time_to_handle[UNIT]", "min", LOW, "Mean time to handle [min]", "工单平均处置时间（分钟）",
       "time to handle of the orders whose last work step was the unit's"),
    _k("orders_handled[UNIT]", "orders", None, "Orders handled", "承办工单数",
       "filed orders whose last work step was the unit's (open ones included)"),
    _k("chased_orders", "orders", LOW, "Chased orders", "催办工单数",
       "filed orders chased as overdue (催办)"),
    _k("requests_lapsed", "share", LOW, "Small requests lapsed", "微心愿过期率",
       "small requests (微心愿) nobody accepted in time, of those received after the warm-up "
       "and offered or taken"),
    _k("step_wait[UNIT]", "min", LOW, "Mean step wait [min]", "平均排队时间（分钟）",
       "ready → a staff member was sent or took it, over the unit's check, file, report, "
       "handle, settle and verify steps that left its queue"),
    _k("unit_backlog[UNIT]", "steps", LOW, "Backlog", "积压工单数",
       "time-average number of steps waiting in the unit's queue over [warm-up, horizon]"),
    # the assessment figures (考核) of work orders: twin.metrics.assessment
    *_assessed("response_rate", HIGH, "Response rate", "响应率",
               "filed orders whose unit contacted the requester within the response limit "
               "(the flow's `respond_limit`, else the unit's) of the first assignment it "
               "signed for, over those contacted or past that limit",
               "the signing unit", headline=True),
    *_assessed("resolution_rate", HIGH, "Resolution rate", "解决率",
               "filed orders whose requester said at the last callback (回访) that it was "
               "solved, over orders whose last callback reached the requester", headline=True),
    *_assessed("satisfaction_rate", HIGH, "Satisfaction rate", "满意率",
               "the same for satisfied", headline=True),
    *_assessed("on_time_rate", HIGH, "On-time completion rate", "按期办结率",
               "filed orders closed within their limit (working time where the flow's limit "
               "is), over those closed or past their limit by the horizon"),
    *_assessed("overdue_orders", LOW, "Overdue orders", "超期工单数",
               "filed orders closed after their limit, or open at the horizon past it (超期)",
               unit="orders"),
    *_assessed("supervised_orders", LOW, "Supervised orders", "督办工单数",
               "filed orders put under supervision (督办)", unit="orders"),
    *_assessed("repeat_rate", LOW, "Repeat-request rate", "重复诉求率",
               "repeat requests (a request about an order still open) over all orders: "
               "filed first requests and repeats", "the unit of the order repeated"),
    *_assessed("return_rate", LOW, "Return rate", "退单率",
               "assignments sent back as wrong (退单) over assignments signed for or sent back",
               "the unit assigned"),
    *_assessed("whistles", None, "Whistled orders", "吹哨工单数",
               "filed orders whistled (吹哨): departments summoned", "each department it "
               "summoned", unit="orders"),
    *_assessed("report_on_time", HIGH, "Reports on time", "报到及时率",
               "departments summoned by a whistle that arrived within their limit (报到), over "
               "those arrived or past their limit by the horizon", "the department summoned"),
    # disputes (矛盾纠纷, 三色预警): categories with a dispute block, made known after the warm-up
    _k("disputes", "disputes", None, "Disputes", "矛盾纠纷数",
       "disputes made known (reported or found) after the warm-up"),
    _k("disputes_intake[GRADE]", "disputes", None, "Disputes at intake", "研判定级纠纷数",
       "of those, graded green, yellow or red at intake (研判)"),
    _k("disputes_closed[GRADE]", "disputes", None, "Disputes closed", "结案纠纷数",
       "of those, settled or referred by the horizon, by grade at close (green once settled)"),
    _k("found_early_share", "share", HIGH, "Found early", "提前发现率",
       "disputes found by a patrol or a grid worker's daily report (网格员日报告) before "
       "anyone called"),
    _k("regrades_up", "regrades", LOW, "Grades raised", "升级次数",
       "grade rises of those disputes: flare-ups (latent or waiting), failed mediations, "
       "reopenings"),
    _k("regrades_down", "regrades", None, "Grades lowered", "降级次数",
       "grade falls of those disputes: yellow or red settled (降级销号)"),
    _k("settlement_rate[GRADE]", "share", HIGH, "Settlement rate", "调解成功率",
       "green: the grid worker's mediations that settled the dispute; yellow: the mediation "
       "office's mediations that settled it (a settled or failed last session ends one)"),
    _k("mediation_settled[CHANNEL]", "share", HIGH, "Mediation settled", "调解成功率",
       "the mediation office's mediations settled, by channel: `in_person` or `online` (云端调解)"),
    _k("sessions_per_settled", "sessions", LOW, "Sessions per settled dispute",
       "每件调结纠纷调解次数", "mediation sessions of the disputes the office settled"),
    _k("referral_rate", "share", LOW, "Referral rate", "诉调对接率",
       "closed disputes referred to court or arbitration after a failed mediation",
       headline=True),
    _k("time_to_settle", "min", LOW, "Mean time to close a dispute [min]",
       "纠纷平均化解时间（分钟）", "made known → settled or referred, over disputes closed by the "
       "horizon", headline=True),
    _k("red_lead_response", "min", LOW, "Red: lead on site [min]",
       "红色纠纷牵头单位到场时间（分钟）",
       "a dispute's first red response started → its lead responder (the police) on site",
       headline=True),
    _k("red_all_arrived", "min", LOW, "Red: all units arrived [min]",
       "红色纠纷各单位到齐时间（分钟）", "a dispute's first red response started → the last of its "
       "units arrived, over responses no unit was stood down from"),
)
"""Every KPI and KPI family, in the order of the reference and of the headline."""

_NAMED = {k.name: k for k in CATALOGUE if not k.family}
_FAMILIES = {k.base: k for k in CATALOGUE if k.family}
_BRACKETED = re.compile(r"^(?P<base>[^\[]+)\[(?P<arg>.+)\]$")


def split(name: str) -> tuple[str, str | None]:
    """``within_deadline[repair]`` -> ``("within_deadline", "repair")``; a plain name ->
    (name, None)."""
    m = _BRACKETED.match(name)
    return (m.group("base"), m.group("arg")) if m else (name, None)


def kpi_spec(name: str) -> Kpi | None:
    """The catalogue entry of a KPI column (a family's for ``within_deadline[repair]``),
    or None if the catalogue does not know it."""
    if name in _NAMED:
        return _NAMED[name]
    base, arg = split(name)
    return _FAMILIES.get(base) if arg is not None else None


def headline_kpis() -> tuple[str, ...]:
    """The headline KPIs, in catalogue order: shown first by the command line and
    the report (a short table or chart picks from these)."""
    return tuple(k.name for k in CATALOGUE if k.headline)


def is_share(name: str) -> bool:
    """Whether a KPI is a share between 0 and 1 (shown as a percentage)."""
    spec = kpi_spec(name)
    return spec is not None and spec.share


COUNT_UNITS = ("issues", "orders", "complaints", "visits", "disputes", "regrades")
"""Units of KPIs that count things: a count missing from a replication is zero."""


def fill_counts(kpis: pd.DataFrame) -> pd.DataFrame:
    """KPIs per replication with the counts a replication did not produce set to 0 (a
    unit with no orders in one replication has no ``orders_handled[unit]`` there), the
    columns in catalogue order (a family's members by grade, then by name), so
    that the table does not depend on which replication came first."""
    position = {k.name: i for i, k in enumerate(CATALOGUE)}
    first = [c for c in kpis.columns if not isinstance(c, str) or kpi_spec(c) is None]
    known = [c for c in kpis.columns if c not in first]

    def order(name: str) -> tuple[int, int, str]:
        base, arg = split(name)
        grade = COLOURS.index(arg) if arg in COLOURS else len(COLOURS)
        return position[kpi_spec(name).name], grade, arg or ""  # type: ignore[union-attr]
    known.sort(key=order)
    kpis = kpis[first + known]
    counts = [c for c in kpis.columns
              if (spec := kpi_spec(str(c))) is not None and spec.unit in COUNT_UNITS]
    return kpis.fillna(dict.fromkeys(counts, 0.0)) if counts else kpis


def reference_markdown() -> str:
    """The KPI reference table, in Markdown (README "KPIs")."""
    lines = ["| KPI | unit | better | headline | label (en · zh) | definition |",
             "|---|---|---|---|---|---|"]
    for k in CATALOGUE:
        cells = (f"`{k.name}`", k.unit, k.direction or "–", "yes" if k.headline else "",
                 " · ".join(k.label), k.definition)
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(lines) + "\n"
