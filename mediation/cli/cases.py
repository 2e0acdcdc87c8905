"""Looking at cases and workflows from the server: metadata, timelines, diagrams, statistics; never content."""

from __future__ import annotations

import click

from mediation.cli.base import clean_errors, cli_runtime, main
from mediation.db import utcnow
from mediation.diagrams import render_svg
from mediation.services import organisations, queries, workflow
from mediation.statistics import tallies
from mediation.statistics.csv_export import text_tables, to_csv
from mediation.statistics.period import LAST_YEAR, year_period
from mediation.statistics.report import build_report
from workflows.case_workflow import CASE_WORKFLOW
from workflows.diagram import dot, mermaid
from workflows.errors import UnknownWorkflowVersion
from workflows.message_workflow import MESSAGE_WORKFLOW
from workflows.programmes import programme, programmes


@main.command("cases")
@click.option("--organisation", "organisation_slug", default=None, metavar="SLUG",
              help="Only this organisation's cases (default: every organisation's).")
@clean_errors
def list_cases(organisation_slug: str | None) -> None:
    """List every case with its state and organisation (metadata only, never content)."""
    with cli_runtime() as runtime, runtime.transaction(read_only=True) as session:
        chosen = organisations.by_slug(session, organisation_slug).id if organisation_slug is not None else None
        rows = queries.all_cases(session, chosen)
    click.echo(f"{'reference':<15} {'state':<22} {'modality':<13} {'outcome':<11} {'mediator':<14} {'people':<6} "
               "organisation")
    for row in rows:
        click.echo(f"{row.reference:<15} {row.state:<22} {row.modality or '-':<13} {row.outcome or '-':<11} "
                   f"{row.mediator or '-':<14} {row.participants:<6} {row.organisation}")
    click.echo(f"{len(rows)} case(s)")


@main.command()
@click.argument("reference")
@clean_errors
def show(reference: str) -> None:
    """Show one case: state, eligibility with its explanation, participants and the audit timeline."""
    with cli_runtime() as runtime, runtime.transaction(read_only=True) as session:
        case = queries.case_for_operator(session, reference)
        click.echo(f"{case.reference}  state={case.state}  modality={case.modality or '-'}  "
                   f"outcome={case.outcome or '-'}  workflow={case.workflow_version}  version={case.version}")
        click.echo(f"organisation: {organisations.organisation_name(session, case.organisation_id)}")
        if case.paused_from:
            click.echo(f"paused from: {case.paused_from}")
        if case.sentence is not None:
            record = case.sentence
            click.echo(f"eligibility: {record.explanation}")
            if record.is_overridden:
                verdict = "eligible" if record.override_eligible else "not eligible"
                click.echo(f"  overridden by the coordinator: {verdict} (rationale recorded)")
        else:
            click.echo("eligibility: no sentence data recorded yet")
        for person in case.participants:
            click.echo(f"participant {person.id}: {person.side}/{person.relationship_to_case} "
                       f"consent={person.consent} safety={person.safety}")
        for trigger, waiting_for in workflow.trigger_status(case):
            status = "possible now" if not waiting_for else "waiting: " + "; ".join(str(words) for words in waiting_for)
            click.echo(f"trigger {trigger}: {status}")
        for entry in queries.timeline(session, case):
            move = f" {entry.from_state or ''}->{entry.to_state}" if entry.to_state else ""
            why = f" reason={entry.reason}" if entry.reason else ""
            click.echo(f"  #{entry.seq:<3} {entry.occurred_at:%Y-%m-%d %H:%M} {entry.actor_role:<11} "
                       f"{entry.tag}{move}{why}")


@main.command()
@click.option("--workflow", "which", type=click.Choice(["case", "message"]),
              help="Draw the case or the message-review workflow of victim-offender mediation.  [default: case]")
@click.option("--programme", "programme_name", type=click.Choice([p.name for p in programmes()]),
              help="Draw this programme's workflow instead.")
@click.option("--version", help="The programme's workflow version (with --programme; default: its current one).")
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot", "svg"]), default="mermaid", show_default=True,
              help="svg is drawn by the graphviz-pure program (installed with the project).")
@click.option("--current", help="Mark this state as the current one.")
def diagram(which: str | None, programme_name: str | None, version: str | None, fmt: str,
            current: str | None) -> None:
    """Print a workflow as a Mermaid or Graphviz DOT diagram, or as an SVG picture."""
    if programme_name is not None and which is not None:
        raise click.UsageError("Use either --workflow or --programme, not both.")
    if programme_name is None and version is not None:
        raise click.BadParameter("a version is chosen for a programme: add --programme", param_hint="--version")
    if programme_name is not None:
        try:
            definition = programme(programme_name).definition(version)
        except UnknownWorkflowVersion as unknown:
            raise click.BadParameter(str(unknown), param_hint="--version") from None
    else:
        definition = MESSAGE_WORKFLOW if which == "message" else CASE_WORKFLOW
    if current is not None and current not in definition.states:
        raise click.BadParameter(f"{current!r} is not a state of this workflow", param_hint="--current")
    if fmt == "svg":
        svg = render_svg(dot(definition, current))
        if svg is None:
            raise click.ClickException("The diagram could not be drawn: the graphviz-pure program is missing or "
                                       "failed (pip install graphviz-pure).")
        click.echo(svg, nl=False)
        return
    click.echo((mermaid if fmt == "mermaid" else dot)(definition, current), nl=False)


@main.command()
@click.option("--year", type=click.IntRange(1900, LAST_YEAR), metavar="YYYY",
              help="The calendar year (default: this year so far); statistics cover whole years only.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV (the same suppressed figures).")
@click.option("--recount", is_flag=True,
              help="First rebuild the statistics tallies from the cases (maintenance; takes time on a large database).")
@click.option("--organisation", "organisation_slug", default=None, metavar="SLUG",
              help="Only this organisation's cases, as its coordinator sees them (default: every organisation's).")
@clean_errors
def stats(year: int | None, as_csv: bool, recount: bool, organisation_slug: str | None) -> None:
    """Programme statistics of a calendar year, every count under 5 suppressed (the coordinator's page, as text)."""
    if recount:
        with cli_runtime() as runtime, runtime.transaction() as session:
            tallies.recount(session.connection())
        click.echo("The statistics tallies were recounted from the cases.", err=True)
    period = year_period(year if year is not None else utcnow().year)
    with cli_runtime() as runtime, runtime.transaction(read_only=True) as session:
        chosen = organisations.by_slug(session, organisation_slug).id if organisation_slug is not None else None
        report = build_report(session, period, chosen)
    click.echo(to_csv(report) if as_csv else text_tables(report), nl=False)
