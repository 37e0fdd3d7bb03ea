"""The review page's geometry and rules: nice scales, bars, weekly columns, periods, bottlenecks."""

from __future__ import annotations

from datetime import date

import pytest

from console.domain.charts import (
    BarInput,
    ColumnInput,
    bar_chart,
    duration_chart,
    duration_text,
    durations_text,
    nice_maximum,
    number_text,
    percent_text,
    rate_columns,
    ticks,
)
from console.domain.review import (
    board_link,
    bottleneck,
    lead_time_chart,
    on_time_view,
    parse_period,
    slowest_chart,
    stage_charts,
)

TODAY = date(2026, 12, 2)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, 1.0),
        (-3, 1.0),
        (0.3, 0.5),
        (1, 1.0),
        (1.2, 2.0),
        (2.2, 2.5),
        (7, 10.0),
        (52, 100.0),
        (250, 250.0),
        (251, 500.0),
    ],
)
def test_a_scale_ends_at_the_nice_number_at_or_above_the_largest_value(
    value: float, expected: float
) -> None:
    assert nice_maximum(value) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("hours", "text"),
    [
        (None, "—"),
        (0, "0 h"),
        (0.25, "0,25 h"),
        (5, "5 h"),
        (14.25, "14,2 h"),
        (47.9, "47,9 h"),
        (48, "2 dias"),
        (84, "3,5 dias"),
    ],
)
def test_durations_read_in_hours_below_two_days_and_in_days_above(
    hours: float | None, text: str
) -> None:
    assert duration_text(hours) == text


def test_numbers_and_rates_read_the_brazilian_way() -> None:
    assert (number_text(2.5), number_text(10.0), percent_text(0.667), percent_text(None)) == (
        "2,5",
        "10",
        "67%",
        "—",
    )


def test_bars_share_one_scale_so_the_longest_bar_or_marker_fits_the_plot() -> None:
    chart = bar_chart(
        [
            BarInput("Montagem", 40, "40 h", marker=80),
            BarInput("Receita", 10, "10 h"),
        ],
        width=700,
        label_width=200,
        value_width=100,
        row_height=30,
    )
    plot = 700 - 200 - 100
    montagem, receita = chart.bars
    assert chart.axis_x == 200
    assert montagem.length == pytest.approx(plot * 40 / 100)  # the scale ends at 100
    assert montagem.marker_x == pytest.approx(200 + plot * 80 / 100)
    assert receita.length == pytest.approx(plot * 10 / 100)
    assert receita.marker_x is None
    assert receita.y - montagem.y == 30
    assert [t.text for t in chart.ticks] == ["0 h", "25 h", "50 h", "75 h", "100 h"]
    assert chart.value_x == 200 + plot + 8


def test_bars_of_several_days_are_drawn_in_days() -> None:
    chart = duration_chart([BarInput("Produção", 120, "5 dias", marker=96)])
    assert chart.ticks[-1].text == "5 dias"
    assert chart.bars[0].length == pytest.approx(chart.plot_width)


def test_no_bars_is_an_empty_chart_not_a_division_by_zero() -> None:
    chart = bar_chart([])
    assert chart.bars == ()
    assert chart.ticks[-1].text == "1 h"


def test_weekly_columns_grow_from_the_bottom_with_the_rate_and_clip_to_the_scale() -> None:
    chart = rate_columns(
        [
            ColumnInput("05/01", 1.0, "3 de 3"),
            ColumnInput("12/01", 0.5, "1 de 2"),
            ColumnInput("19/01", 1.7, "?"),
        ],
        width=348,
        height=240,
        axis_width=48,
        bottom_space=36,
    )
    full, half, clipped = chart.columns
    plot_height = chart.plot_bottom - chart.plot_top
    assert full.height == pytest.approx(plot_height)
    assert full.y == pytest.approx(chart.plot_top)
    assert half.height == pytest.approx(plot_height / 2)
    assert half.y + half.height == pytest.approx(chart.plot_bottom)
    assert clipped.height == pytest.approx(plot_height)
    assert half.x - full.x == pytest.approx(100)  # one slot per week
    assert [text for _, text in chart.gridlines] == ["0%", "25%", "50%", "75%", "100%"]


@pytest.mark.parametrize(
    ("de", "ate", "dias", "period", "errors"),
    [
        (None, None, None, (date(2026, 9, 4), TODAY), {}),
        (None, None, "30", (date(2026, 11, 3), TODAY), {}),
        (None, None, "365", (date(2025, 12, 3), TODAY), {}),
        (None, None, "7", (date(2026, 9, 4), TODAY), {}),
        ("2026-01-01", "2026-01-31", None, (date(2026, 1, 1), date(2026, 1, 31)), {}),
        ("2026-11-01", None, None, (date(2026, 11, 1), TODAY), {}),
        ("01/02/2026", "28/02/2026", None, (date(2026, 2, 1), date(2026, 2, 28)), {}),
        ("31/02/2026", None, None, (date(2026, 9, 4), TODAY), {"de": "Data inicial inválida"}),
        ("1/2/26", None, None, (date(2026, 9, 4), TODAY), {"de": "Data inicial inválida"}),
        ("2026-02-10", "2026-02-01", None, (date(2026, 9, 4), TODAY), {"de": "antes da data"}),
        ("1999-12-31", None, None, (date(2026, 9, 4), TODAY), {"de": "fora do intervalo"}),
    ],
)
def test_the_period_is_the_last_90_days_unless_the_person_asks_for_another(
    de: str | None,
    ate: str | None,
    dias: str | None,
    period: tuple[date, date],
    errors: dict[str, str],
) -> None:
    got, got_errors = parse_period(TODAY, de, ate, dias)
    assert (got.first, got.last) == period
    assert set(got_errors) == set(errors)
    for field, fragment in errors.items():
        assert fragment in got_errors[field]


def _stage(key: str, avg: float, planned: float | None, position: int = 0) -> dict[str, object]:
    return {
        "service_type": "oculos",
        "stage_key": key,
        "stage_name": key.capitalize(),
        "position": position,
        "avg_hours": avg,
        "avg_planned_hours": planned,
    }


@pytest.mark.parametrize(
    ("stages", "expected"),
    [
        ([_stage("a", 5, 3), _stage("b", 20, 10), _stage("c", 1, 2)], 1),
        ([_stage("a", 5, 6), _stage("b", 9, 10)], None),
        ([_stage("a", 50, None), _stage("b", 4, 3)], 1),
        ([], None),
    ],
)
def test_the_bottleneck_is_the_stage_most_over_its_plan(
    stages: list[dict[str, object]], expected: int | None
) -> None:
    assert bottleneck(stages) == expected


def test_stage_charts_follow_the_flow_order_highlight_the_bottleneck_and_link_to_the_board() -> (
    None
):
    items = [_stage("montagem", 9, 3, position=2), _stage("receita", 1, 2, position=0)]
    (chart,) = stage_charts(items, {"oculos": "Óculos de grau"}, "b-1")
    assert chart.name == "Óculos de grau"
    assert chart.bottleneck == "Montagem"
    assert [b.label for b in chart.chart.bars] == ["Receita", "Montagem"]
    assert [b.highlighted for b in chart.chart.bars] == [False, True]
    assert chart.chart.bars[1].href == "/?tipo=oculos&filial=b-1#col-montagem"
    assert chart.chart.bars[1].value_text == "média 9 h · previsto 3 h"


def test_slow_stages_of_several_types_name_their_type() -> None:
    other = {**_stage("montagem", 4, 5), "service_type": "reparo"}
    chart = slowest_chart([_stage("montagem", 9, 3), other], {"oculos": "Óculos"}, None)
    assert [b.label for b in chart.bars] == ["Montagem · Óculos", "Montagem · "]
    assert (
        chart.bars[1].href == board_link("reparo", "montagem", None) == "/?tipo=reparo#col-montagem"
    )


def test_the_on_time_view_keeps_only_weeks_with_deliveries() -> None:
    view = on_time_view(
        {
            "delivered": 4,
            "on_time": 3,
            "late": 1,
            "on_time_rate": 0.75,
            "weeks": [
                {"week": "2026-01-05", "delivered": 4, "on_time": 3, "on_time_rate": 0.75},
                {"week": "2026-01-12", "delivered": 0, "on_time": 0, "on_time_rate": None},
            ],
        }
    )
    assert (view.delivered, view.late, view.rate_text) == (4, 1, "75%")
    assert view.weeks is not None
    assert [(c.label, c.value_text, c.detail) for c in view.weeks.columns] == [
        ("05/01", "75%", "3 de 4 no prazo")
    ]
    assert on_time_view({"delivered": 0, "weeks": []}).weeks is None


def test_a_versioned_types_name_fits_before_the_lead_time_bars_and_longer_labels_are_cut() -> None:
    item = {"key": "venda-oculos-grau", "flow_version": 2, "median_hours": 300, "p90_hours": 400}
    chart = lead_time_chart([item], {"venda-oculos-grau": "Venda de óculos de grau"})
    label = chart.bars[0].label
    assert label == "Venda de óculos de grau · versão 2"
    assert len(label) <= chart.label_chars  # whole, not "Venda de óculos de grau ·…"
    # a label is cut to what fits the room before the bars (Jinja's truncate, leeway 0)
    assert bar_chart([], label_width=200).label_chars == 24
    assert bar_chart([], label_width=300).label_chars == 37


def test_two_durations_side_by_side_read_in_one_unit() -> None:
    """An average of 65 h beside a plan of 39 h read "2,7 dias · previsto 39 h"; both now
    take the larger one's unit, and two short ones stay in hours."""
    (chart,) = stage_charts([_stage("montagem", 65, 39)], {"oculos": "Óculos"}, None)
    assert chart.chart.bars[0].value_text == "média 2,7 dias · previsto 1,6 dias"
    assert chart.chart.bars[0].marker_text == "previsto 1,6 dias"
    lead = {"key": "reparo", "flow_version": None, "median_hours": 30, "p90_hours": 60}
    assert lead_time_chart([lead], {}).bars[0].value_text == "1,2 dias · p90 2,5 dias"
    assert durations_text(20.7, 3.5, None) == ["20,7 h", "3,5 h", "—"]


def test_the_ticks_fall_on_round_numbers() -> None:
    """A scale of 5 days read "0, 1,2, 2,5, 3,8, 5 dias"; it now steps by whole days."""
    assert ticks(5.0) == (0.0, 1.0, 2.0, 3.0, 4.0, 5.0)
    assert ticks(250.0) == (0.0, 50.0, 100.0, 150.0, 200.0, 250.0)
    assert ticks(10.0) == (0.0, 2.5, 5.0, 7.5, 10.0)
    assert ticks(2.0) == (0.0, 0.5, 1.0, 1.5, 2.0)
    assert ticks(1.0) == (0.0, 0.25, 0.5, 0.75, 1.0)  # the rates' 0 %, 25 % … 100 %
    days = duration_chart([BarInput("Conserto", 106.0, "média 4,4 dias")])
    assert [t.text for t in days.ticks] == [
        "0 dias",
        "1 dia",
        "2 dias",
        "3 dias",
        "4 dias",
        "5 dias",
    ]
    assert durations_text(24.0, 60.0) == ["1 dia", "2,5 dias"]
