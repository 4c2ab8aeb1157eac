"""The ``briefkit`` command line.

Exit statuses follow the data contract: 0 success, 1 some units failed (``run``), 2 unusable
input, in which case the errors are printed and nothing is written.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from briefkit import __version__
from briefkit.i18n import N_, _, ngettext, number
from briefkit.problems import InputError, Problem, summarize
from briefkit.textsafety import visible

if TYPE_CHECKING:
    from briefkit.batch import BatchResult, StepResult
    from briefkit.coverage import DataSpan
    from briefkit.periods import Period
    from briefkit.pipeline import KpiRequest, KpiResult
    from briefkit.signing import SigningKey


def _translate_typer() -> None:
    """Typer's own words on the help screens, in the language of briefkit's messages."""
    from typer import rich_utils

    rich_utils.ARGUMENTS_PANEL_TITLE = _("Arguments")
    rich_utils.OPTIONS_PANEL_TITLE = _("Options")
    rich_utils.COMMANDS_PANEL_TITLE = _("Commands")
    rich_utils.ERRORS_PANEL_TITLE = _("Error")
    rich_utils.ABORTED_TEXT = _("Aborted.")
    rich_utils.DEFAULT_STRING = _("[default: {}]")
    rich_utils.REQUIRED_LONG_STRING = _("[required]")
    rich_utils.RICH_HELP = _("Try [blue]'{command_path} {help_option}'[/] for help.")


_translate_typer()

app = typer.Typer(
    name="briefkit",
    help=_("KPI briefings on administrative procedures (TTHC) and online public services "
           "(DVCTT) from one-stop-shop dossier records."),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Piped output (logs, CI, notebooks) is not squeezed to 80 columns: unit names stay whole.
out = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 160)

EXIT_FAILED_UNITS = 1
EXIT_BAD_INPUT = 2
EXIT_BUSY = 3  # another run is writing the same period folder: try again later

DataOption = Annotated[Path, typer.Option("--data", help=_(
    "Folder with units, procedures, dossiers (and optional aggregates, documents)."))]
PeriodOption = Annotated[str, typer.Option("--period", help=_(
    "2022Q1, 2022-05, 2022H1, 2022 or 2022-01..2022-07; also as officials write them: "
    "\"quý IV/2023\", \"tháng 5/2023\", \"6 tháng đầu năm 2023\", \"7 tháng đầu năm 2023\", "
    "\"năm 2023\"."))]
ConventionOption = Annotated[str, typer.Option("--convention", help=_(
    "calendar, or nd09 (Decree 09/2019 cut-off: 15th to 14th)."))]
TargetsOption = Annotated[Path | None, typer.Option("--targets", help=_(
    "Targets YAML file (without it nothing is judged met or not met)."))]
OutOption = Annotated[Path, typer.Option("--out", help=_(
    "Output folder; results go to OUT/<period>/."))]
TsaOption = Annotated[str | None, typer.Option("--tsa", help=_(
    "RFC 3161 timestamp server URL: signatures get a timestamp (PAdES B-T; default B-B)."))]
WeightsOption = Annotated[Path | None, typer.Option("--index766", help=_(
    "Decision-766 weights YAML (default: the packaged params/index766.yaml)."))]

def _summary_kpis() -> dict[str, str]:
    """The printed summary's KPIs under their short headers (kpis.csv has them all): declared
    on the KPI definitions (:attr:`briefkit.kpis.KpiDef.shown`)."""
    from briefkit.kpis import KPIS, shown_in

    return {kpi: KPIS[kpi].short_label for kpi in shown_in("summary")}


def _text(value: str) -> str:
    """Text from the data (a unit's name or id, an error) as the terminal shows it: rich
    markup escaped ("[bold]" stays literal), control characters (ESC, BEL, NUL …) written as
    a visible ``\\xNN`` instead of reaching the terminal (:func:`briefkit.textsafety.visible`,
    as every output shows them)."""
    return escape(visible(value))


def _fail(problems: list[Problem] | str) -> typer.Exit:
    if isinstance(problems, str):
        err.print(_styled("red", _("error:")) + f" {problems}", markup=True, soft_wrap=True)
    else:
        err.print(_styled("red", _("Unusable input data:")))
        err.print(visible(summarize(problems)), markup=False, soft_wrap=True)
        count = ngettext("{n} error; nothing was written.", "{n} errors; nothing was written.",
                         len(problems)).format(n=len(problems))
        err.print(f"[red]{count}[/red]")
    return typer.Exit(EXIT_BAD_INPUT)


def _warn(message: str) -> None:
    """One warning of the command itself (not of the data), on stderr."""
    err.print(_styled("yellow", _("warning:")) + f" {_text(message)}", soft_wrap=True)


def _styled(style: str, text: str) -> str:
    """``text`` in rich markup ``style``."""
    return f"[{style}]{text}[/{style}]"


def _print_warnings(warnings: list[Problem]) -> None:
    if warnings:
        err.print(visible(summarize(warnings, per_rule=5)), markup=False, soft_wrap=True)


def _print_notes(period: Period, span: DataSpan | None, judged: bool) -> None:
    """What the user may not expect from the figures: nothing judged without targets, a
    period the data do not reach."""
    from briefkit.coverage import outside_data

    if not judged:
        err.print(_text(_("Note: no targets given (--targets), so nothing is judged met or "
                           "not met; every status is khong_ap_dung.")), soft_wrap=True)
    outside = outside_data(period, span)
    if outside is not None:
        _warn(outside)


def version_callback(value: bool) -> None:
    if value:
        out.print(f"briefkit {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", callback=version_callback,
                                          is_eager=True, help=_("Show the version."))] = False,
) -> None:
    """briefkit command line."""
    from briefkit.startup import defer_imports

    defer_imports()  # ~1.8 s less for every command that reads a notebook (see startup)


@app.command(help=_("Compute every KPI for every unit and roll-up; write OUT/<period>/kpis.csv."))
def kpis(
    data: DataOption,
    period: PeriodOption,
    out_dir: OutOption,
    convention: ConventionOption = "calendar",
    targets: TargetsOption = None,
    index766: WeightsOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help=_("Do not print the table."))
                     ] = False,
    scheduler: Annotated[str | None, typer.Option("--scheduler", help=_(
        "Compute on a Dask cluster: the scheduler's address, e.g. tcp://10.0.0.5:8786 (needs "
        "briefkit\\[dask]); each partition of --data (a folder of KEY=VALUE data folders) is "
        "read by a worker."))] = None,
) -> None:
    from briefkit.coverage import data_span
    from briefkit.pipeline import KpiRequest, compute_request, write_kpis_csv

    request = KpiRequest(data, period, convention, targets, index766)
    try:
        if scheduler is not None or _partitioned(data):
            result, span = _compute_partitioned(request, scheduler)
        else:
            result = compute_request(request)
            span = data_span(result.dataset)
    except InputError as exc:
        raise _fail(exc.problems) from None
    except ValueError as exc:
        raise _fail(_text(str(exc))) from None
    _print_warnings(result.dataset.warnings)
    _print_notes(result.period, span, result.targets is not None)
    path = write_kpis_csv(result, out_dir)
    if not quiet:
        _print_summary(result)
    out.print(_("Wrote {path}").format(path=_text(str(path))), soft_wrap=True)


def _partitioned(data: Path) -> bool:
    from briefkit.partitioned import is_partitioned

    return is_partitioned(data)


def _compute_partitioned(request: KpiRequest, scheduler: str | None
                         ) -> tuple[KpiResult, DataSpan | None]:
    """The KPIs of a partitioned dataset (:mod:`briefkit.partitioned`), on the cluster of
    ``scheduler`` or in this process."""
    from briefkit.dask_pool import connect
    from briefkit.partitioned import compute_partitioned

    if scheduler is None:
        return compute_partitioned(request)
    with connect(scheduler) as client:
        return compute_partitioned(request, client)


def _print_summary(result: KpiResult) -> None:
    from briefkit.formatting import format_value
    from briefkit.kpis import KPIS, STATUS_MET, STATUS_NOT_MET

    table = result.table
    wide = table.pivot_table(index="unit_id", columns="kpi", values="value", sort=False,
                             aggfunc="first", dropna=False)
    status = table.pivot_table(index="unit_id", columns="kpi", values="status", sort=False,
                               aggfunc="first")
    names = table.drop_duplicates("unit_id").set_index("unit_id")["unit_name"]
    grid = Table(title=_("KPIs — {label} ({spec}, {convention})").format(
        label=result.period.label(), spec=result.period.spec,
        convention=result.period.convention), title_justify="left")
    grid.add_column(_("Unit"), min_width=24, overflow="fold")
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
        label = _text(f"{names[unit_id]} ({unit_id})")
        grid.add_row(f"[bold]{label}[/bold]" if unit_id.startswith("*") else label, *cells)
    out.print(grid)


@app.command(help=_("Check a data folder against the data contract; list every error and "
                    "warning."))
def validate(data: DataOption) -> None:
    from briefkit.data import validate as validate_folder

    problems = validate_folder(data)
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity == "warning"]
    _print_warnings(warnings)
    counted = _count_warnings(len(warnings))
    if errors:
        err.print(_styled("red", _("Unusable input data:")))
        err.print(visible(summarize(errors)), markup=False, soft_wrap=True)
        count = ngettext("{n} error", "{n} errors", len(errors)).format(n=len(errors))
        err.print(f"[red]{count}, {counted}.[/red]")
        raise typer.Exit(EXIT_BAD_INPUT)
    fine = _("{folder}: no errors").format(folder=_text(str(data)))
    out.print(f"{_styled('green', fine)}, {counted}.", soft_wrap=True)


def _count_warnings(n: int) -> str:
    return ngettext("{n} warning", "{n} warnings", n).format(n=n)


@app.command("convert", help=_(
    "Write a validated data folder as Parquet, the fast path for large exports: one file per "
    "table and briefkit-dataset.json, whose fingerprints let loading skip the re-validation. "
    "Exit 0: written; 2: unusable input or output folder (nothing written)."))
def convert_command(
    data: DataOption,
    out_dir: Annotated[Path, typer.Option("--out", help=_(
        "Folder to write (new or empty, outside the data folder)."))],
    force: Annotated[bool, typer.Option("--force", help=_(
        "Replace a non-empty output folder (only once everything is written)."))] = False,
) -> None:
    from briefkit.data import load_dataset
    from briefkit.data.converted import ConvertError, check_out, write_converted

    try:
        check_out(data, out_dir, force)
        dataset = load_dataset(data)
    except ConvertError as exc:
        raise _fail(_text(str(exc))) from None
    except InputError as exc:
        raise _fail(exc.problems) from None
    _print_warnings(dataset.warnings)
    frames = {name: getattr(dataset, name) for name in dataset.files}
    written = write_converted(frames, dataset.files, dataset.warnings, out_dir, force=force)
    rows = sum(len(frame) for frame in frames.values())
    out.print(_("Wrote {folder}: {tables} tables, {rows} rows, {counted}.").format(
        folder=_text(str(out_dir)), tables=len(written), rows=number(rows),
        counted=_count_warnings(len(dataset.warnings))), soft_wrap=True)


@app.command("demo-data", help=_(
    "Generate the demo data (deterministic): by default the province after the 2025 reform, "
    "2024-2026Q3; --world district for the district of 2021-2023."))
def demo_data(
    out_dir: Annotated[Path, typer.Option("--out", help=_("Folder to write."))
                       ] = Path("data/demo"),
    world: Annotated[str, typer.Option(help=_(
        "Which demo world: province (tỉnh Lâm Giang, 15 sở and 99 communes after 1/7/2025, "
        "the former districts and communes before) or district (Quận 13, 2021-2023)."))
    ] = "province",
    seed: Annotated[int, typer.Option(help=_("Random seed; same seed, same files."))] = 2022,
    dossiers: Annotated[int | None, typer.Option(help=_(
        "About how many dossier records (default: the world's, 300,000 for the province, "
        "100,000 for the district's 14 wards and as many per unit for more wards)."))] = None,
    wards: Annotated[int | None, typer.Option(min=1, help=_(
        "District only: wards of the district (14; 92 gives a 100-unit world)."))] = None,
) -> None:
    from briefkit.demo import WORLDS, dossiers_for, generate

    if world not in WORLDS:
        raise _fail(_text(_("--world: unknown world {world!r} (one of: {known})").format(
            world=world, known=", ".join(WORLDS))))
    if wards is not None and world != "district":
        raise _fail(_("--wards: only the district world has wards (add --world district)"))
    if dossiers is None and world == "district":
        dossiers = dossiers_for(wards or 14)
    written = generate(out_dir, world=world, seed=seed, wards=wards, n_dossiers=dossiers)
    for name, path in written.items():
        out.print(f"{name:12} {path}")


@app.command("init", help=_(
    "Write a ready project into FOLDER: notebooks/, params/, data/ with the demo, outputs/ "
    "(ignored by git) and a README with the commands to run there."))
def init_command(
    folder: Annotated[Path, typer.Argument(help=_("The project folder (new or empty)."))],
    demo: Annotated[bool, typer.Option("--demo/--no-demo", help=_(
        "Generate the demo data into data/demo."))] = True,
    force: Annotated[bool, typer.Option("--force", help=_(
        "Write into a non-empty folder: files of the same name are replaced, others kept."))
    ] = False,
) -> None:
    from briefkit.project import ProjectError, init_project

    try:
        project = init_project(folder, demo=demo, force=force)
    except ProjectError as exc:
        raise _fail(_text(str(exc))) from None
    out.print(_("Wrote the project {folder} ({count} files); see its README.md.").format(
        folder=_text(str(project.folder)), count=len(project.files)), soft_wrap=True)


@app.command("run", help=_(
    "Write every unit's briefing (BC-TTHC_<unit>_<period>.ipynb/.html/.pdf), the overview, "
    "kpis.csv, the annex (PL-TTHC_<period>.xlsx) and manifest.json under OUT/<period>/. "
    "Exit 0: all done; 1: some units failed (the others are written); 2: unusable input "
    "(nothing written)."))
def run_command(
    data: DataOption,
    period: PeriodOption,
    out_dir: OutOption,
    convention: ConventionOption = "calendar",
    targets: TargetsOption = None,
    units: Annotated[str | None, typer.Option("--units", help=_(
        "Only these unit ids, separated by commas (kept as text: 007 stays 007); default: "
        "every unit of units.csv."))] = None,
    header: Annotated[Path | None, typer.Option("--header", help=_(
        "Document settings: Decree-30 header, signature, recipients, file names (default: "
        "params/header.yaml)."))] = None,
    notebooks: Annotated[Path | None, typer.Option("--notebooks", help=_(
        "Folder with unit_briefing.ipynb and overview.ipynb (default: notebooks/)."))] = None,
    executor: Annotated[str, typer.Option("--executor", help=_(
        "How notebooks run: inprocess (a warm IPython shell in each worker, the default), "
        "papermill (a fresh Jupyter kernel per notebook), or a plug-in from the "
        "briefkit.executors entry points."))] = "inprocess",
    workers: Annotated[int | None, typer.Option("--workers", min=0, help=_(
        "Worker processes (default: the machine's cores; 0: everything in this process, one "
        "after the other)."))] = None,
    scheduler: Annotated[str | None, typer.Option("--scheduler", help=_(
        "Run on a Dask cluster: the scheduler's address, e.g. tcp://10.0.0.5:8786 (needs "
        "briefkit\\[dask])."))] = None,
    force: Annotated[bool, typer.Option("--force", help=_(
        "Rebuild every output, also those whose inputs did not change."))] = False,
    timeout: Annotated[float | None, typer.Option("--timeout", help=_(
        "Seconds one briefing may take before it is stopped and marked failed (default: no "
        "limit)."))] = None,
    index766: WeightsOption = None,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help=_(
        "Progress bar on a terminal."))] = True,
    sign: Annotated[Path | None, typer.Option("--sign", help=_(
        "Sign every PDF of the run with this PKCS#12 key (see `briefkit sign`)."))] = None,
    tsa: TsaOption = None,
) -> None:
    from briefkit.batch import RunRequest, run_batch

    unit_ids = None
    if units is not None:
        unit_ids = [piece.strip() for piece in units.split(",") if piece.strip()]
    request = RunRequest(data, period, out_dir, convention, targets, unit_ids, header,
                         notebooks, index766, executor, workers, scheduler, force, timeout)
    if tsa is not None and sign is None:
        raise _fail(_("--tsa goes with --sign (it timestamps the signatures)"))
    signing_key = None if sign is None else _signing_key(sign)  # before anything is written
    from briefkit.batch.publish import BusyError

    try:
        result = run_batch(request, progress=progress)
    except BusyError as exc:
        err.print(visible(summarize(exc.problems)), markup=False, soft_wrap=True)
        raise typer.Exit(EXIT_BUSY) from None
    except InputError as exc:
        raise _fail(exc.problems) from None
    _print_warnings(result.data_warnings)
    _print_notes(result.period, result.data_span, targets is not None)
    _print_batch(result)
    if signing_key is not None:
        from briefkit.signing import SigningProblem

        try:
            _sign_folder(result.folder, signing_key, tsa)
        except SigningProblem as exc:
            advice = _("The run is complete but not signed; sign it with `briefkit sign "
                       "{folder} --key {key}`.").format(folder=result.folder, key=sign)
            err.print(_styled("red", _("error:")) + f" {_text(str(exc))}\n{_text(advice)}",
                      soft_wrap=True)
            raise typer.Exit(max(result.exit_code, EXIT_FAILED_UNITS)) from None
    raise typer.Exit(result.exit_code)


def _print_batch(result: BatchResult) -> None:
    """The end-of-run summary: one row per unit, then the period-wide steps and totals."""
    grid = Table(title=_("briefkit run — {label} ({spec}, {convention}), executor "
                         "{executor}").format(label=result.period.label(),
                                              spec=result.period.spec,
                                              convention=result.period.convention,
                                              executor=result.executor),
                 title_justify="left")
    for column, justify in ((_("Unit"), "left"), (_("Folder"), "left"), (_("Result"), "left"),
                            (_("Seconds"), "right"), (_("Error"), "left")):
        grid.add_column(column, justify=justify, overflow="fold")  # type: ignore[arg-type]
    rows: list[tuple[str, str, StepResult]] = [(f"{u.name} ({u.unit_id})", u.slug, u)
                                               for u in result.units]
    rows += [(_(STEP_NAMES.get(step.name, step.name)), "", step)
             for step in (result.overview, result.annex)]
    for label, folder, step in rows:
        state = _styled("red", _("failed")) if not step.ok else \
            _styled("dim", _("reused")) if step.reused else _styled("green", _("ok"))
        grid.add_row(_text(label), _text(folder), state,
                     "" if step.reused else number(step.duration, 1), _text(step.error or ""))
    out.print(grid)
    out.print(_batch_totals(result.summary()))
    for warning in result.warnings:
        _warn(warning)
    out.print(_("Wrote {folder} (manifest: {manifest})").format(
        folder=_text(str(result.folder)), manifest=_text(result.manifest.name)),
        soft_wrap=True)


#: The period-wide steps' names (:attr:`StepResult.name`), for translation.
STEP_NAMES = {"overview": N_("overview"), "annex": N_("annex")}


def _batch_totals(summary: dict[str, Any]) -> str:
    """The run's totals in one sentence: units ok and failed, steps rebuilt and reused, time."""
    units = ngettext("{n} unit", "{n} units", summary["units"]).format(n=summary["units"])
    steps = ngettext("{n} step rebuilt", "{n} steps rebuilt", summary["rebuilt"]).format(
        n=summary["rebuilt"])
    mean = summary["mean_unit_s"]
    per_unit = "" if mean is None else \
        _("{seconds} s of worker time per unit, ").format(seconds=number(mean, 1))
    return _("{units}: {ok} ok, {failed} failed; {steps}, {reused} reused; {per_unit}"
             "{total} s in total.").format(
        units=units, ok=summary["ok"], failed=summary["failed"], steps=steps,
        reused=summary["reused"], per_unit=per_unit, total=number(summary["total_s"], 1))


# ---------------------------------------------------------------------- signatures


def _signing_key(path: Path) -> SigningKey:
    from briefkit.signing import KeyProblem, load_key

    try:
        return load_key(path)
    except KeyProblem as exc:
        raise _fail(_text(str(exc))) from None


def _sign_folder(folder: Path, key: SigningKey, tsa: str | None, image: Path | None = None,
                 seal: Path | None = None, again: bool = False) -> None:
    from briefkit.signing import SignOptions, http_timestamper, sign_run

    options = SignOptions(timestamper=None if tsa is None else http_timestamper(tsa),
                          timestamp_url=tsa, image=image, seal=seal, again=again)
    report = sign_run(folder, key, options=options)
    level = "PAdES B-T" if tsa else "PAdES B-B"
    signed = ngettext("Signed {n} PDF as {signer!r} at {time} ({level})",
                      "Signed {n} PDFs as {signer!r} at {time} ({level})",
                      len(report.signed)).format(n=len(report.signed), signer=key.subject,
                                                 time=report.signed_at, level=level)
    kept = ngettext("{n} already signed, left as it was", "{n} already signed, left as they were",
                    len(report.kept)).format(n=len(report.kept))
    hint = _(" (--again adds a signature)") if report.kept else ""
    out.print(visible(f"{signed}; {kept}{hint}."), soft_wrap=True, markup=False)
    for rel in report.signed:
        out.print(visible("  " + _("signed {file}").format(file=rel)), soft_wrap=True,
                  markup=False)
    out.print(visible(_("Updated {manifest}").format(manifest=report.manifest)), markup=False)


@app.command("sign", help=_(
    "Sign every PDF of a run (PAdES B-B; B-T with --tsa) and update its manifest. Exit 0: "
    "signed; 2: unusable key, folder or options (nothing written)."))
def sign_command(
    folder: Annotated[Path, typer.Argument(help=_("A run's folder: OUT/<period>."))],
    key: Annotated[Path, typer.Option("--key", help=_(
        "PKCS#12 key and certificate (.p12/.pfx). Its passphrase comes from "
        "$BRIEFKIT_KEY_PASSPHRASE, else is asked on the terminal; never on the command "
        "line."))],
    tsa: TsaOption = None,
    image: Annotated[Path | None, typer.Option("--image", help=_(
        "PNG of the signer's signature: a visible stamp (image, signer, ISO 8601 time) at the "
        "bottom right of each PDF's last page (default: invisible)."))] = None,
    seal: Annotated[Path | None, typer.Option("--seal", help=_(
        "PNG of the organisation's seal, over the left third of --image."))] = None,
    again: Annotated[bool, typer.Option("--again", help=_(
        "Also sign PDFs that already carry a signature (adds one more)."))] = False,
) -> None:
    from briefkit.signing import SigningProblem

    if seal is not None and image is None:
        raise _fail(_("--seal goes with --image (the seal overlaps the signer's image)"))
    signing_key = _signing_key(key)
    try:
        _sign_folder(folder, signing_key, tsa, image, seal, again)
    except SigningProblem as exc:
        raise _fail(_text(str(exc))) from None


@app.command("verify", help=_(
    "Check every file of a run against its manifest and every PDF signature. Exit 0: all "
    "good; 1: a file or signature does not match (each is named); 2: unusable folder or "
    "trust root."))
def verify_command(
    folder: Annotated[Path, typer.Argument(help=_("A run's folder: OUT/<period>."))],
    trust: Annotated[list[Path] | None, typer.Option("--trust", help=_(
        "Trust root certificate (PEM/DER; repeatable): also check each signer's certificate "
        "chain (default: the chain is not checked)."))] = None,
    inputs: Annotated[bool, typer.Option("--inputs", help=_(
        "Also check the input files the manifest lists."))] = False,
) -> None:
    from briefkit.signing import VerifyProblem, verify_run

    try:
        report = verify_run(folder, trust=trust or [], inputs=inputs)
    except VerifyProblem as exc:
        raise _fail(_text(str(exc))) from None
    for note in report.notes:
        out.print(visible(note), soft_wrap=True, markup=False)
    for problem in report.problems:
        err.print(_styled("red", _("FAILED")) + f" {_text(problem)}", soft_wrap=True)
    files = ngettext("{n} file", "{n} files", report.files).format(n=report.files)
    signatures = ngettext("{n} signature", "{n} signatures", report.signatures).format(
        n=report.signatures)
    chain = "" if report.chain_checked else \
        _("; certificate chains not checked (no --trust)")
    problems = ngettext("{n} problem", "{n} problems", len(report.problems)).format(
        n=len(report.problems))
    verdict = _styled("green", _("OK")) if report.ok else _styled("red", problems)
    out.print(f"{_text(str(folder))}: {files}, {signatures}{_text(chain)}: {verdict}",
              soft_wrap=True)
    raise typer.Exit(0 if report.ok else EXIT_FAILED_UNITS)


def run() -> None:  # pragma: no cover — console entry for `python -m briefkit`
    sys.exit(app())
