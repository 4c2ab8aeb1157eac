"""The ``briefkit`` command line.

Exit statuses follow the data contract: 0 success, 1 some units failed (``run``), 2 unusable
input, in which case the errors are printed and nothing is written.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from briefkit import __version__
from briefkit.problems import InputError, Problem, summarize

if TYPE_CHECKING:
    from briefkit.batch import BatchResult, StepResult
    from briefkit.pipeline import KpiResult
    from briefkit.signing import SigningKey

app = typer.Typer(
    name="briefkit",
    help="KPI briefings on administrative procedures (TTHC) and online public services "
         "(DVCTT) from one-stop-shop dossier records.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Piped output (logs, CI, notebooks) is not squeezed to 80 columns: unit names stay whole.
out = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 160)

EXIT_FAILED_UNITS = 1
EXIT_BAD_INPUT = 2

DataOption = Annotated[Path, typer.Option("--data", help="Folder with units, procedures, "
                                          "dossiers (and optional aggregates, documents).")]
PeriodOption = Annotated[str, typer.Option("--period", help="2022Q1, 2022-05, 2022H1, 2022 or "
                                           "2022-01..2022-07.")]
ConventionOption = Annotated[str, typer.Option(
    "--convention", help="calendar, or nd09 (Decree 09/2019 cut-off: 15th to 14th).")]
TargetsOption = Annotated[Path | None, typer.Option("--targets", help="Targets YAML file.")]
OutOption = Annotated[Path, typer.Option("--out", help="Output folder; results go to "
                                         "OUT/<period>/.")]
TsaOption = Annotated[str | None, typer.Option(
    "--tsa", help="RFC 3161 timestamp server URL: signatures get a timestamp (PAdES B-T; "
    "default B-B).")]
WeightsOption = Annotated[Path | None, typer.Option(
    "--index766", help="Decision-766 weights YAML (default: the packaged params/index766.yaml).")]

def _summary_kpis() -> dict[str, str]:
    """The printed summary's KPIs under their short headers (kpis.csv has them all): declared
    on the KPI definitions (:attr:`briefkit.kpis.KpiDef.shown`)."""
    from briefkit.kpis import KPIS, shown_in

    return {kpi: KPIS[kpi].short_label for kpi in shown_in("summary")}


def _fail(problems: list[Problem] | str) -> typer.Exit:
    if isinstance(problems, str):
        err.print(f"[red]error:[/red] {problems}", markup=True, soft_wrap=True)
    else:
        err.print(summarize(problems), markup=False, soft_wrap=True)
        err.print(f"[red]{len(problems)} error(s); nothing was written.[/red]")
    return typer.Exit(EXIT_BAD_INPUT)


def _print_warnings(warnings: list[Problem]) -> None:
    if warnings:
        err.print(summarize(warnings, per_rule=5), markup=False, soft_wrap=True)


def version_callback(value: bool) -> None:
    if value:
        out.print(f"briefkit {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", callback=version_callback,
                                          is_eager=True, help="Show the version.")] = False,
) -> None:
    """briefkit command line."""


@app.command()
def kpis(
    data: DataOption,
    period: PeriodOption,
    out_dir: OutOption,
    convention: ConventionOption = "calendar",
    targets: TargetsOption = None,
    index766: WeightsOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Do not print the table.")] = False,
) -> None:
    """Compute every KPI for every unit and roll-up; write OUT/<period>/kpis.csv."""
    from briefkit.pipeline import KpiRequest, compute_request, write_kpis_csv

    try:
        result = compute_request(KpiRequest(data, period, convention, targets, index766))
    except InputError as exc:
        raise _fail(exc.problems) from None
    except ValueError as exc:
        raise _fail(str(exc)) from None
    _print_warnings(result.dataset.warnings)
    path = write_kpis_csv(result, out_dir)
    if not quiet:
        _print_summary(result)
    out.print(f"Wrote {path}")


def _print_summary(result: KpiResult) -> None:
    from briefkit.formatting import format_value
    from briefkit.kpis import KPIS, STATUS_MET, STATUS_NOT_MET

    table = result.table
    wide = table.pivot_table(index="unit_id", columns="kpi", values="value", sort=False,
                             aggfunc="first", dropna=False)
    status = table.pivot_table(index="unit_id", columns="kpi", values="status", sort=False,
                               aggfunc="first")
    names = table.drop_duplicates("unit_id").set_index("unit_id")["unit_name"]
    grid = Table(title=f"KPI — {result.period.label()} ({result.period.spec}, "
                 f"{result.period.convention})", title_justify="left")
    grid.add_column("Đơn vị", min_width=24, overflow="fold")
    summary = _summary_kpis()
    for header in summary.values():
        grid.add_column(header, justify="right")
    for unit_id in wide.index:
        cells = []
        for kpi in summary:
            text = format_value(wide.at[unit_id, kpi], KPIS[kpi].kind)
            mark = status.at[unit_id, kpi] if kpi in status.columns else None
            if mark == STATUS_NOT_MET:
                text = f"[red]{text}[/red]"
            elif mark == STATUS_MET:
                text = f"[green]{text}[/green]"
            cells.append(text)
        label = f"{names[unit_id]} ({unit_id})"
        grid.add_row(f"[bold]{label}[/bold]" if unit_id.startswith("*") else label, *cells)
    out.print(grid)


@app.command()
def validate(data: DataOption) -> None:
    """Check a data folder against the data contract; list every error and warning."""
    from briefkit.data import validate as validate_folder

    problems = validate_folder(data)
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity == "warning"]
    _print_warnings(warnings)
    if errors:
        err.print(summarize(errors), markup=False, soft_wrap=True)
        err.print(f"[red]{len(errors)} error(s), {len(warnings)} warning(s).[/red]")
        raise typer.Exit(EXIT_BAD_INPUT)
    out.print(f"[green]{data}: no errors[/green], {len(warnings)} warning(s).")


@app.command("demo-data")
def demo_data(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write.")] = Path("data/demo"),
    seed: Annotated[int, typer.Option(help="Random seed; same seed, same files.")] = 2022,
    dossiers: Annotated[int | None, typer.Option(
        help="About how many dossier records (default: 100,000 for the 14 wards, as many "
        "per unit for more wards).")] = None,
    wards: Annotated[int, typer.Option(
        min=1, help="Wards of the district (14; 92 gives a 100-unit world).")] = 14,
) -> None:
    """Generate the demo district's data (deterministic)."""
    from briefkit.demo import dossiers_for, generate

    written = generate(out_dir, seed=seed, wards=wards,
                       n_dossiers=dossiers if dossiers is not None else dossiers_for(wards))
    for name, path in written.items():
        out.print(f"{name:12} {path}")


@app.command("run")
def run_command(
    data: DataOption,
    period: PeriodOption,
    out_dir: OutOption,
    convention: ConventionOption = "calendar",
    targets: TargetsOption = None,
    units: Annotated[str | None, typer.Option(
        "--units", help="Only these unit ids, separated by commas (kept as text: 007 stays "
        "007); default: every unit of units.csv.")] = None,
    header: Annotated[Path | None, typer.Option(
        "--header", help="Document settings: Decree-30 header, signature, recipients, file "
        "names (default: params/header.yaml).")] = None,
    notebooks: Annotated[Path | None, typer.Option(
        "--notebooks", help="Folder with unit_briefing.ipynb and overview.ipynb "
        "(default: notebooks/).")] = None,
    executor: Annotated[str, typer.Option(
        "--executor", help="How notebooks run: inprocess (a warm IPython shell in each "
        "worker, the default), papermill (a fresh Jupyter kernel per notebook), or a plug-in "
        "from the briefkit.executors entry points.")] = "inprocess",
    workers: Annotated[int | None, typer.Option(
        "--workers", min=0, help="Worker processes (default: the machine's cores; 0: "
        "everything in this process, one after the other).")] = None,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", help="Run on a Dask cluster: the scheduler's address, e.g. "
        "tcp://10.0.0.5:8786 (needs briefkit[dask]).")] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Rebuild every output, also those whose inputs did not change.")
    ] = False,
    timeout: Annotated[float | None, typer.Option(
        "--timeout", help="Seconds one briefing may take before it is stopped and marked "
        "failed (default: no limit).")] = None,
    index766: WeightsOption = None,
    progress: Annotated[bool, typer.Option("--progress/--no-progress",
                                           help="Progress bar on a terminal.")] = True,
    sign: Annotated[Path | None, typer.Option(
        "--sign", help="Sign every PDF of the run with this PKCS#12 key (see `briefkit "
        "sign`).")] = None,
    tsa: TsaOption = None,
) -> None:
    """Write every unit's briefing (BC-TTHC_<unit>_<period>.ipynb/.html/.pdf), the overview,
    kpis.csv, the annex (PL-TTHC_<period>.xlsx) and manifest.json under OUT/<period>/.
    Exit 0: all done; 1: some units failed (the others are written); 2: unusable input
    (nothing written)."""
    from briefkit.batch import RunRequest, run_batch

    unit_ids = None
    if units is not None:
        unit_ids = [piece.strip() for piece in units.split(",") if piece.strip()]
    request = RunRequest(data, period, out_dir, convention, targets, unit_ids, header,
                         notebooks, index766, executor, workers, scheduler, force, timeout)
    if tsa is not None and sign is None:
        raise _fail("--tsa goes with --sign (it timestamps the signatures)")
    signing_key = None if sign is None else _signing_key(sign)  # before anything is written
    try:
        result = run_batch(request, progress=progress)
    except InputError as exc:
        raise _fail(exc.problems) from None
    _print_warnings(result.data_warnings)
    _print_batch(result)
    if signing_key is not None:
        from briefkit.signing import SigningProblem

        try:
            _sign_folder(result.folder, signing_key, tsa)
        except SigningProblem as exc:
            err.print(f"[red]error:[/red] {escape(str(exc))}\nThe run is complete but not "
                      f"signed; sign it with `briefkit sign {escape(str(result.folder))} --key "
                      f"{escape(str(sign))}`.", soft_wrap=True)
            raise typer.Exit(max(result.exit_code, EXIT_FAILED_UNITS)) from None
    raise typer.Exit(result.exit_code)


def _print_batch(result: BatchResult) -> None:
    """The end-of-run summary: one row per unit, then the period-wide steps and totals."""
    grid = Table(title=f"briefkit run — {result.period.label()} ({result.period.spec}, "
                 f"{result.period.convention}), executor {result.executor}",
                 title_justify="left")
    for column, justify in (("Đơn vị", "left"), ("Thư mục", "left"), ("Kết quả", "left"),
                            ("Giây", "right"), ("Lỗi", "left")):
        grid.add_column(column, justify=justify, overflow="fold")  # type: ignore[arg-type]
    rows: list[tuple[str, str, StepResult]] = [(f"{u.name} ({u.unit_id})", u.slug, u)
                                               for u in result.units]
    rows += [(step.name, "", step) for step in (result.overview, result.annex)]
    for label, folder, step in rows:
        state = "[red]failed[/red]" if not step.ok else \
            "[dim]reused[/dim]" if step.reused else "[green]ok[/green]"
        grid.add_row(label, folder, state, "" if step.reused else f"{step.duration:.1f}",
                     step.error or "")
    out.print(grid)
    summary = result.summary()
    mean = summary["mean_unit_s"]
    out.print(f"{summary['units']} unit(s): {summary['ok']} ok, {summary['failed']} failed; "
              f"{summary['rebuilt']} step(s) rebuilt, {summary['reused']} reused; "
              f"{'' if mean is None else f'{mean:.1f} s of worker time per unit, '}"
              f"{summary['total_s']:.1f} s in total.")
    for warning in result.warnings:
        err.print(f"[yellow]warning:[/yellow] {warning}", soft_wrap=True)
    out.print(f"Wrote {result.folder} (manifest: {result.manifest.name})")


# ---------------------------------------------------------------------- signatures


def _signing_key(path: Path) -> SigningKey:
    from briefkit.signing import KeyProblem, load_key

    try:
        return load_key(path)
    except KeyProblem as exc:
        raise _fail(escape(str(exc))) from None


def _sign_folder(folder: Path, key: SigningKey, tsa: str | None, image: Path | None = None,
                 seal: Path | None = None, again: bool = False) -> None:
    from briefkit.signing import SignOptions, http_timestamper, sign_run

    options = SignOptions(timestamper=None if tsa is None else http_timestamper(tsa),
                          timestamp_url=tsa, image=image, seal=seal, again=again)
    report = sign_run(folder, key, options=options)
    level = "PAdES B-T" if tsa else "PAdES B-B"
    out.print(f"Signed {len(report.signed)} PDF(s) as {key.subject!r} at {report.signed_at} "
              f"({level}); {len(report.kept)} already signed, left as they were"
              f"{' (--again adds a signature)' if report.kept else ''}.", soft_wrap=True,
              markup=False)
    for rel in report.signed:
        out.print(f"  signed {rel}", soft_wrap=True, markup=False)
    out.print(f"Updated {report.manifest}", markup=False)


@app.command("sign")
def sign_command(
    folder: Annotated[Path, typer.Argument(help="A run's folder: OUT/<period>.")],
    key: Annotated[Path, typer.Option(
        "--key", help="PKCS#12 key and certificate (.p12/.pfx). Its passphrase comes from "
        "$BRIEFKIT_KEY_PASSPHRASE, else is asked on the terminal; never on the command "
        "line.")],
    tsa: TsaOption = None,
    image: Annotated[Path | None, typer.Option(
        "--image", help="PNG of the signer's signature: a visible stamp (image, signer, "
        "ISO 8601 time) at the bottom right of each PDF's last page (default: invisible).")
    ] = None,
    seal: Annotated[Path | None, typer.Option(
        "--seal", help="PNG of the organisation's seal, over the left third of --image.")
    ] = None,
    again: Annotated[bool, typer.Option(
        "--again", help="Also sign PDFs that already carry a signature (adds one more).")
    ] = False,
) -> None:
    """Sign every PDF of a run (PAdES B-B; B-T with --tsa) and update its manifest. Exit 0:
    signed; 2: unusable key, folder or options (nothing written)."""
    from briefkit.signing import SigningProblem

    if seal is not None and image is None:
        raise _fail("--seal goes with --image (the seal overlaps the signer's image)")
    signing_key = _signing_key(key)
    try:
        _sign_folder(folder, signing_key, tsa, image, seal, again)
    except SigningProblem as exc:
        raise _fail(escape(str(exc))) from None


@app.command("verify")
def verify_command(
    folder: Annotated[Path, typer.Argument(help="A run's folder: OUT/<period>.")],
    trust: Annotated[list[Path] | None, typer.Option(
        "--trust", help="Trust root certificate (PEM/DER; repeatable): also check each "
        "signer's certificate chain (default: the chain is not checked).")] = None,
    inputs: Annotated[bool, typer.Option(
        "--inputs", help="Also check the input files the manifest lists.")] = False,
) -> None:
    """Check every file of a run against its manifest and every PDF signature. Exit 0: all
    good; 1: a file or signature does not match (each is named); 2: unusable folder or trust
    root."""
    from briefkit.signing import VerifyProblem, verify_run

    try:
        report = verify_run(folder, trust=trust or [], inputs=inputs)
    except VerifyProblem as exc:
        raise _fail(escape(str(exc))) from None
    for note in report.notes:
        out.print(note, soft_wrap=True, markup=False)
    for problem in report.problems:
        err.print(f"[red]FAILED[/red] {escape(problem)}", soft_wrap=True)
    chain = "" if report.chain_checked else "; certificate chains not checked (no --trust)"
    verdict = "[green]OK[/green]" if report.ok else f"[red]{len(report.problems)} problem(s)[/red]"
    out.print(f"{escape(str(folder))}: {report.files} file(s), {report.signatures} "
              f"signature(s){chain}: {verdict}", soft_wrap=True)
    raise typer.Exit(0 if report.ok else EXIT_FAILED_UNITS)


def run() -> None:  # pragma: no cover — console entry for `python -m briefkit`
    sys.exit(app())
