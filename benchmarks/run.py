"""`make bench`: run the scenarios and write benchmarks/report.md and report.json."""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import export

HERE = Path(__file__).parent
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def report(metingen: list[export.Meting], uit: Path) -> None:
    """Markdown for people, JSON for tools; both name the machine and the moment."""
    gemeten = datetime.now(UTC).isoformat(timespec="seconds")
    regels = [
        "# Regie benchmarks",
        "",
        f"Gemeten op {gemeten}, {platform.machine()}, Python {platform.python_version()}.",
        "",
        "## Anonieme export (issue 7): `regie export` tegen de vloer in dezelfde run",
        "",
        "Vloer: dezelfde rijen (casus + huidige revisie) uit dezelfde database streamen met kale "
        "SQL (`COPY … TO STDOUT` op PostgreSQL, een cursor op SQLite). Geheugen: piek-RSS van "
        "het proces.",
        "",
        "| backend | casussen | Regie (s) | vloer (s) | verhouding | Regie piek (MB) "
        "| vloer piek (MB) |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *(
            f"| {m.backend} | {m.casussen} | {m.regie_s:.1f} | {m.vloer_s:.1f} | {m.ratio:.1f}× "
            f"| {m.regie_mb:.0f} | {m.vloer_mb:.0f} |"
            for m in metingen
        ),
        "",
        *export.oordeel(metingen),
        "",
    ]
    (uit / "report.md").write_text("\n".join(regels), encoding="utf-8")
    data = {"gemeten_op": gemeten, "export": [export.as_dict(m) for m in metingen]}
    (uit / "report.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--uit", type=Path, default=HERE)
    parser.add_argument("--pg-admin", default=PG_ADMIN)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="regie-bench-") as workdir:
        metingen = export.run(args.backends, args.sizes, Path(workdir), args.pg_admin)
    report(metingen, args.uit)
    print((args.uit / "report.md").read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
