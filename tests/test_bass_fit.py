"""fit_bass: nonlinear least squares estimates of the Bass model's p, q, m.

Three kinds of check: a real series with published estimates (VCR sales,
Cowpertwait & Metcalfe 2009, ch. 3: R's ``nls`` on the adoption rate m f(t)),
recovery of known parameters from synthetic series (exact, and with Poisson
noise at fixed seeds, judged by the reported standard errors), and the input
contract (forms accepted, clear errors).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import simulation
from simulation.analysis.bass import MIN_PERIODS, BassFit, bass_share, fit_bass
from tests.conftest import ROOT

VCR = ROOT / "data" / "vcr_sales.csv"

# Cowpertwait & Metcalfe (2009), Introductory Time Series with R, sec. 3.3:
# nls(Sales ~ M ((P+Q)^2/P) e^{-(P+Q)t} / (1 + (Q/P) e^{-(P+Q)t})^2) on this series
# prints M 6.798e+04 (SE 3.13e+03), P 6.594e-03 (1.43e-03), Q 6.381e-01 (4.14e-02),
# residual standard error 727 on 7 degrees of freedom.
PUBLISHED = {"m": (6.798e4, 3.13e3), "p": (6.594e-3, 1.43e-3), "q": (0.6381, 4.14e-2)}
PUBLISHED_SIGMA = 727


@pytest.fixture(scope="module")
def vcr() -> pd.Series:
    return pd.read_csv(VCR, index_col=0)["sales_thousands"]


def synthetic(p: float, q: float, m: float, n: int) -> np.ndarray:
    """Expected adoptions per period m [F(t) - F(t-1)], t = 1..n."""
    return m * np.diff(bass_share(p, q, np.arange(n + 1.0)))


def test_public_api():
    assert simulation.fit_bass is fit_bass
    assert simulation.bass_share is bass_share
    assert simulation.BassFit is BassFit
    assert {"fit_bass", "bass_share", "BassFit"} <= set(simulation.__all__)


def test_bass_share_solves_the_bass_equation():
    """F(0) = 0, F -> 1, and dF/dt = (p + qF)(1 - F) (central differences)."""
    p, q, h = 0.03, 0.38, 1e-5
    t = np.linspace(0.5, 30, 60)
    slope = (bass_share(p, q, t + h) - bass_share(p, q, t - h)) / (2 * h)
    share = bass_share(p, q, t)
    np.testing.assert_allclose(slope, (p + q * share) * (1 - share), rtol=1e-6, atol=1e-10)
    assert bass_share(p, q, 0.0) == 0
    assert bass_share(p, q, 200.0) == pytest.approx(1, abs=1e-12)
    np.testing.assert_allclose(bass_share(p, 0.0, t), -np.expm1(-p * t))  # q = 0: exponential
    with pytest.raises(ValueError, match=r"p must be .* > 0 \(given: 0"):
        bass_share(0, q, t)


# --- the real series --------------------------------------------------------


def test_vcr_fit(vcr):
    fit = fit_bass(vcr, unit="year")
    print(fit)
    assert fit.converged, fit.message
    assert fit.notes == ()
    for value, se in ((fit.p, fit.p_se), (fit.q, fit.q_se), (fit.m, fit.m_se)):
        assert value > 0 and np.isfinite(se) and 0 < se < value / 3  # each significant at 3 SE
    assert fit.m > vcr.sum()  # 60 640 sold in ten years and sales still 5 890 a year
    # The published fit of the same curve (rate form) has residual SE 727 on 7 df,
    # R² = 1 - 7·727²/TSS = 0.971; the Srinivasan–Mason form does as well (0.9715).
    tss = float(((vcr - vcr.mean()) ** 2).sum())
    assert 1 - 7 * PUBLISHED_SIGMA**2 / tss == pytest.approx(0.971, abs=5e-4)
    assert fit.r2 > 0.97
    residuals = vcr.to_numpy() - fit.fitted
    assert fit.r2 == pytest.approx(1 - residuals @ residuals / tss, rel=1e-12)
    assert fit.rmse == pytest.approx(np.sqrt(residuals @ residuals / 10), rel=1e-12)
    assert fit.peak_period == 7  # t* = ln(q/p)/(p+q) = 6.6 years; sales peak in years 6–7
    assert 6 < fit.peak_time < 7


def test_vcr_density_form_reproduces_the_published_nls(vcr):
    """method='density' is the book's model: estimates and SEs to the printed digits."""
    fit = fit_bass(vcr, method="density")
    for name, (value, se) in PUBLISHED.items():
        assert getattr(fit, name) == pytest.approx(value, rel=1e-3), name
        assert getattr(fit, f"{name}_se") == pytest.approx(se, rel=5e-3), name
    assert fit.sigma == pytest.approx(PUBLISHED_SIGMA, abs=0.5)


def test_vcr_increments_agree_with_published(vcr):
    """Srinivasan–Mason vs the published rate-at-period-end fit.

    m and q agree within one published SE. The rate form reads each year's sales
    at the year's end instead of over the year, about half a period late; a time
    shift d moves the Bass curve as p·e^{(p+q)d} does, so p_SM ≈ p_pub·e^{(p+q)/2}.
    """
    fit = fit_bass(vcr)
    for name in ("m", "q"):
        value, se = PUBLISHED[name]
        assert abs(getattr(fit, name) - value) < se, name
    p_pub = PUBLISHED["p"][0]
    assert fit.p / p_pub == pytest.approx(np.exp((fit.p + fit.q) / 2), rel=0.1)
    assert abs(fit.p - p_pub) < 2 * PUBLISHED["p"][1]


def test_starting_values_do_not_matter(vcr):
    """The book's start (p 0.03, q 0.38, m 60 630) and a poor one reach the default's optimum."""
    default = fit_bass(vcr)
    for start in ((0.03, 0.38, 60_630), (0.2, 0.05, 1e6)):
        fit = fit_bass(vcr, start=start)
        np.testing.assert_allclose([fit.p, fit.q, fit.m], [default.p, default.q, default.m],
                                   rtol=1e-5)


# --- recovery of known parameters -------------------------------------------

CASES = {
    # p, q per year; m; years: the meta-analysis average (Sultan, Farley & Lehmann 1990)
    "yearly": (0.03, 0.38, 50_000.0, 12),
    # p, q per day; m people; days: a fast launch, peak at day 62
    "daily": (0.002, 0.05, 100_000.0, 120),
}


@pytest.mark.parametrize("case", CASES)
def test_recovers_exact_parameters(case):
    p, q, m, n = CASES[case]
    fit = fit_bass(synthetic(p, q, m, n))
    np.testing.assert_allclose([fit.p, fit.q, fit.m], [p, q, m], rtol=1e-6)
    assert fit.r2 > 1 - 1e-12
    assert fit.peak_time == pytest.approx(np.log(q / p) / (p + q), rel=1e-6)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_recovers_parameters_from_poisson_counts(case, seed):
    """Counts ~ Poisson(m [F(t) - F(t-1)]): each estimate within 3 reported SEs of the truth."""
    p, q, m, n = CASES[case]
    counts = np.random.default_rng(seed).poisson(synthetic(p, q, m, n))
    fit = fit_bass(counts)
    for name, true in (("p", p), ("q", q), ("m", m)):
        estimate, se = getattr(fit, name), getattr(fit, f"{name}_se")
        assert abs(estimate - true) < 3 * se, (name, estimate, true, se)
        assert se < 0.1 * true  # and the data pin it down to 10%


def test_standard_errors_are_calibrated():
    """Over 100 noisy daily series, (estimate - truth)/SE has spread near 1 for p, q, m.

    With 100 draws the sample SD has a relative SE of about 7%: [0.8, 1.25] is 3σ wide.
    SEs too small by a third, or too large by a quarter, fail.
    """
    p, q, m, n = CASES["daily"]
    expected = synthetic(p, q, m, n)
    z = []
    for seed in range(100):
        fit = fit_bass(np.random.default_rng(1000 + seed).poisson(expected))
        z.append([(fit.p - p) / fit.p_se, (fit.q - q) / fit.q_se, (fit.m - m) / fit.m_se])
    spread = np.std(z, axis=0)
    print("SD of (estimate - truth)/SE for p, q, m:", spread.round(3))
    assert np.all((0.8 < spread) & (spread < 1.25)), spread


def test_cumulative_input_gives_the_same_fit(vcr):
    per_period = fit_bass(vcr)
    cumulative = fit_bass(vcr.cumsum(), cumulative=True)
    np.testing.assert_allclose(
        [cumulative.p, cumulative.q, cumulative.m, cumulative.p_se, cumulative.m_se],
        [per_period.p, per_period.q, per_period.m, per_period.p_se, per_period.m_se],
        rtol=1e-9)
    np.testing.assert_allclose(cumulative.observed, vcr.to_numpy())


def test_input_forms_agree(vcr):
    """Series, 1-D array, list, one-column DataFrame and the CSV itself are the same data."""
    reference = fit_bass(vcr)
    for form in (vcr.to_numpy(), vcr.tolist(), vcr.to_frame(),
                 pd.read_csv(VCR, index_col=0), VCR, str(VCR)):
        fit = fit_bass(form)
        assert (fit.p, fit.q, fit.m) == pytest.approx((reference.p, reference.q, reference.m),
                                                      rel=1e-9)


def test_date_index_sets_the_unit():
    p, q, m, n = CASES["daily"]
    counts = pd.Series(synthetic(p, q, m, n), name="new users",
                       index=pd.date_range("2025-03-01", periods=n, freq="D"))
    fit = fit_bass(counts)
    assert fit.unit == "day"
    assert fit.peak_label() == pd.Timestamp("2025-03-01") + pd.Timedelta(days=61)
    assert "per day" in str(fit) and "2025-05-01" in str(fit)
    yearly = pd.Series(synthetic(*CASES["yearly"]), index=pd.period_range(
        "1980", periods=CASES["yearly"][3], freq="Y"))
    assert fit_bass(yearly).unit == "year"
    assert fit_bass(yearly.to_timestamp()).unit == "year"
    assert fit_bass(yearly, unit="yr").unit == "yr"


def test_summary_is_readable(vcr):
    text = str(fit_bass(vcr, unit="year"))
    print(text)
    for part in ("p = 0.008789 ± 0.00178 per year", "q = 0.6422 ± 0.0426 per year",
                 "m = 67,660 ± 3,071", "R² = 0.9715", "residual SE = 724.3 on 7 df",
                 "peak t* = 6.59 years after launch (period 7)", "Srinivasan & Mason"):
        assert part in text, part


# --- bad input --------------------------------------------------------------


@pytest.mark.parametrize(("series", "kwargs", "message"), [
    (list(range(1, MIN_PERIODS)), {},
     rf"{MIN_PERIODS - 1} periods for 3 fitted quantities \(p, q, m\); .* at least {MIN_PERIODS}"),
    ([5, 9, np.nan, 12, 7], {}, r"must be finite, >= 0 .*; row 3 is nan \(missing: fill or drop"),
    ([5, 9, np.inf, 12, 7], {}, r"must be finite, >= 0 .*; row 3 is inf$"),
    ([5, 9, -3, 12, 7], {}, r"must be finite, >= 0 .*; row 3 is -3.0$"),
    ([5, 9, 8, 12], {"cumulative": True}, r"never fall; row 3 is 8 after 9"),
    ([0, 0, 0, 0], {}, r"no signal to fit: every value is 0"),
    (np.ones((5, 2)), {}, r"must be 1-D \(given: shape \(5, 2\)\)"),
    (["a", "b", "c", "d"], {}, r"could not read numbers from list \['a', 'b'"),
    (pd.Series(["a", "b", "c", "d"]), {}, r"is not numeric \(given dtype"),
    (pd.DataFrame({"year": [1, 2, 3, 4], "sales": [1, 2, 3, 2]}), {},
     r"exactly one numeric column \(given: numeric columns \['year', 'sales'\]\)"),
    (pd.Series([1, 3, 4, 2], index=[1, 2, 4, 5]), {}, r"equal, increasing steps"),
    (pd.Series([1, 3, 4, 2], index=pd.to_datetime(
        ["2024-01-01", "2024-01-02", "2024-01-04", "2024-01-05"])), {}, r"equally spaced"),
    ([1, 3, 4, 2, 1], {"method": "cumulative"},
     r"method must be one of .* \(given: 'cumulative'\)"),
    ([1, 3, 4, 2, 1], {"start": (0.01, 0.3)}, r"three positive numbers \(p, q, m\)"),
    ([1, 3, 4, 2, 1], {"start": (0.01, -0.3, 10)}, r"three positive numbers"),
    ([1, 3, 4, 2, 1], {"unit": ""}, r"unit must be a non-empty string"),
])
def test_bad_input_is_a_clear_value_error(series, kwargs, message):
    with pytest.raises(ValueError, match=message):
        fit_bass(series, **kwargs)


# --- the figure -------------------------------------------------------------


def test_figure_has_titles_and_labelled_axes(vcr):
    import matplotlib.pyplot as plt

    fit = fit_bass(vcr, unit="year")
    figure = fit.figure()
    try:
        assert "Bass fit of sales_thousands" in figure.get_suptitle()
        per_period, cumulative = figure.axes
        assert per_period.get_title() == "Adoptions per year"
        assert per_period.get_ylabel() == "sales_thousands per year"
        assert cumulative.get_ylabel() == "cumulative sales_thousands"
        for ax in figure.axes:
            assert ax.get_xlabel().startswith("year_index")
            assert len(ax.get_lines()) >= 2  # data and fit
        data, model = per_period.get_lines()[:2]
        np.testing.assert_allclose(data.get_ydata(), vcr.to_numpy())
        np.testing.assert_allclose(model.get_ydata(), fit.fitted)
    finally:
        plt.close(figure)
