"""Prometheus metrics at /metrics: request latency, and saves, conflicts and refusals counted
from the audit events each request wrote (the one record of what happened, so the figures and
the audit trail cannot disagree). Labels are routes and codes, never a casus or a person.

Each app has its own registry, so tests that build many apps never share counters. With several
worker processes in one container, each answers for itself; run one process per container (as
docker-compose does) and let Prometheus add them up.
"""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import generate_latest

from app.audit.models import Gebeurtenis

OPSLAAN = "handreiking.opslaan"
# Seconds; a save during an MDO should sit in the lowest buckets.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

router = APIRouter(include_in_schema=False)


# The request timer's name: the benchmarks read it back from /metrics.
DUUR = "regie_http_request_duration_seconds"


class Metingen:
    """The app's metrics."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.duur = Histogram(
            DUUR,
            "Time to answer a request, by route template and status",
            ["methode", "route", "status"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.opslagen = Counter(
            "regie_opslagen",
            "Saves of a handreiking by result: opgeslagen, herhaald (idempotent retry), "
            "conflict (someone saved first), mislukt",
            ["resultaat"],
            registry=self.registry,
        )
        self.geweigerd = Counter(
            "regie_geweigerd",
            "Refused attempts (not signed in, not allowed, or a casus that is not theirs)",
            ["actie"],
            registry=self.registry,
        )

    def request(self, methode: str, route: str, status: int, seconden: float) -> None:
        self.duur.labels(methode, route, str(status)).observe(seconden)

    def gebeurtenissen(self, events: Iterable[Gebeurtenis]) -> None:
        """Count what a request's audit events say happened."""
        for event in events:
            if event.uitkomst == "geweigerd":
                self.geweigerd.labels(event.actie).inc()
            elif event.actie == OPSLAAN:
                self.opslagen.labels(_resultaat(event)).inc()


def _resultaat(event: Gebeurtenis) -> str:
    if event.uitkomst == "toegestaan":
        return "herhaald" if event.kenmerken.get("herhaald") else "opgeslagen"
    return "conflict" if event.kenmerken.get("code") == "versieconflict" else "mislukt"


@router.get("/metrics")
def metrics(request: Request) -> Response:
    metingen: Metingen = request.app.state.metingen
    return Response(generate_latest(metingen.registry), media_type=CONTENT_TYPE_LATEST)
