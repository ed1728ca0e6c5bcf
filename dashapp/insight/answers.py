"""The insight answers that the API and the page both give: cached, computed off-thread.

Why one place: `/api/v1/impact|forecast|shortages` and the page's three insight panels
ask the same questions, so they share cache keys and computations and cannot disagree.
Every answer is
  1. looked up in the service's result cache (per data version, filters and parameters):
     a hit costs what any cached answer costs;
  2. otherwise computed on the per-process `InsightRunner`, one computation per distinct
     question however many people ask it at once, and stored in the cache by the pool
     thread itself;
  3. waited for at most `wait` seconds. A slower answer raises `Pending` (the API says
     202 with Retry-After, the page's panel asks again); asking again later returns it
     from the cache (or from the runner's short memory when the cache is down). Too many
     different questions in flight raise `Busy`.
The data version in the key is the asker's `Reader`'s, and the computation reads the
same data: the pool thread joins the asker's snapshot while the asker waits, or opens a
fresh one if no load has come since (`PulseService.reader_at`); when one has, nothing is
stored under the old key and the asker tries again in its own view (see the service's
module docstring). The service is a parameter and nothing here knows about Flask or Dash.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..filters import Filters
from ..service import StaleVersion
from . import reports
from .runner import DEFAULT_WAIT, InsightRunner, Pending

if TYPE_CHECKING:
    from ..service import PulseService, Reader

GRAINS_IMPACT = ("week", "day")
GRAINS_SHORTAGES = ("month", "week")


def impact_key(params: reports.ImpactParams, filters: Filters) -> tuple:
    """The cache key of one impact answer."""
    return (*params.cache_args(), filters.cache_key())


def forecast_key(filters: Filters) -> tuple:
    """The cache key of one forecast bundle: per filters only, as the bundle answers every
    horizon."""
    return (filters.cache_key(),)


def shortages_key(grain: str, top: int, filters: Filters) -> tuple:
    """The cache key of one shortages answer."""
    return (grain, top, filters.cache_key())


class InsightAnswers:
    """The three insight questions over one service, one runner and one wait budget.

    `wait` is seconds, or a function returning them (the web tier reads its live config,
    so a deployment or a test can change it after the app is built)."""

    def __init__(self, service: PulseService, runner: InsightRunner | None = None,
                 wait: float | Callable[[], float] = DEFAULT_WAIT) -> None:
        self.service = service
        self.runner = runner or InsightRunner()
        self._wait = wait

    @property
    def wait(self) -> float:
        return float(self._wait() if callable(self._wait) else self._wait)

    def computed(self, reader: Reader, name: str, args: tuple,
                 compute: Callable[[Reader], Any]) -> Any:
        """Cached answer, else computed on the runner in the reader's view of the data
        (see the module docstring). Raises Pending or Busy."""
        svc = self.service
        key = svc.cache.key(reader.version, name, *args)
        wait = self.wait

        def job() -> Callable[[], Any]:
            ticket = reader.ticket()

            def run() -> Any:  # on the pool: computes and stores, even when the asker gave up
                with svc.reader_at(ticket) as view:
                    return svc.cached(view.version, name, args, lambda: compute(view))
            return run

        def ask() -> Any:
            try:
                return self.runner.result(key, job(), wait)
            except StaleVersion:
                # joined a computation bound to another asker's view, which had ended when
                # it started, with a load since: compute again in this asker's own view
                try:
                    return self.runner.result(key, job(), wait)
                except StaleVersion:
                    raise Pending() from None

        return svc.cached(reader.version, name, args, ask)

    def impact(self, filters: Filters, params: reports.ImpactParams,
               reader: Reader | None = None) -> dict:
        """/api/v1/impact's body. A window the data cannot support is a FilterError naming
        the parameter (the API's 400; the page shows its message). The daily series are
        cached apart from the model fit, so another event date or window refits without
        reading the database again."""
        problem = reports.window_check(filters, params)
        if problem:
            raise problem
        svc = self.service

        def compute(view: Reader) -> dict:
            inputs = svc.cached(
                view.version, "impact-data", (params.metric, params.top, filters.cache_key()),
                lambda: view.run(lambda c: reports.impact_inputs(c, filters, params.metric,
                                                                 params.top)))
            return reports.impact_from_inputs(inputs, params, filters.to_json())

        with svc.reading(reader) as r:
            return self.computed(r, "impact", impact_key(params, filters), compute)

    def forecast(self, filters: Filters, horizon: int, reader: Reader | None = None) -> dict:
        """/api/v1/forecast's body: the cached bundle (every model's backtest, for every
        horizon, computed once per filter set) sliced to `horizon`."""
        with self.service.reading(reader) as r:
            bundle = self.computed(
                r, "forecast", forecast_key(filters),
                lambda view: view.run(lambda c: reports.forecast_bundle(c, filters)))
        return reports.forecast_view(bundle, horizon)

    def shortages(self, filters: Filters, grain: str, top: int,
                  reader: Reader | None = None) -> dict:
        """/api/v1/shortages's body, per data version, filters, grain and top."""
        with self.service.reading(reader) as r:
            return self.computed(
                r, "shortages", shortages_key(grain, top, filters),
                lambda view: view.run(lambda c: reports.shortage_report(c, filters, grain,
                                                                         top)))
