"""`murphy taxonomy load|export|list|evaluate`: the incident types and their suggestions."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.table import Table
from rich.tree import Tree

from murphy import migrations, plugins
from murphy.cli.common import console, fail, migrated_database
from murphy.core.db import Database
from murphy.core.errors import ValidationFailed
from murphy.incidents import similar as similar_incidents
from murphy.taxonomy import service, suggest
from murphy.taxonomy.schemas import TypeOut

taxonomy_app = typer.Typer(
    help="Incident types, playbooks and type suggestions.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    """Add the commands of this module to `app`."""
    app.add_typer(taxonomy_app, name="taxonomy")


@taxonomy_app.command("load")
def load(
    pack: Annotated[str, typer.Argument(help="corporate, healthcare, cyber, or a YAML file")],
) -> None:
    """Load a shipped pack or a YAML file: add new types, update changed ones."""
    with migrated_database().transaction() as session:
        report = service.load_pack(session, name=pack, actor="cli")
    console.print(
        f"pack {report.pack}: {report.created} created, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.playbooks} new playbook versions"
    )


@taxonomy_app.command("export")
def export(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file, not stdout")
    ] = None,
) -> None:
    """Export every active type as one YAML pack."""
    with migrated_database().transaction(write=False) as session:
        data = service.export(session)
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text)
        console.print(f"exported {_count(data['categories'])} types to {output}")


@taxonomy_app.command("list")
def list_types(
    all_: Annotated[bool, typer.Option("--all", help="Include inactive types")] = False,
) -> None:
    """Show the taxonomy as a tree."""
    with migrated_database().transaction(write=False) as session:
        roots = service.tree(session, include_inactive=all_)
    if not roots:
        console.print("no incident types: load a pack with `murphy taxonomy load corporate`")
        return
    tree = Tree("taxonomy")
    for root in roots:
        _branch(tree, root)
    console.print(tree)


def _branch(parent: Tree, node: TypeOut) -> None:
    extra = [f"I{node.default_impact}/U{node.default_urgency}"]
    if node.clearance:
        extra.append(f"restricted: {node.clearance}")
    if node.playbook_version:
        extra.append(f"playbook v{node.playbook_version} ({len(node.playbook)} steps)")
    if not node.active:
        extra.append("inactive")
    label = f"[bold]{node.code}[/] {node.name} [dim]{' · '.join(extra)}[/]"
    branch = parent.add(label)
    for child in node.children:
        _branch(branch, child)


def _count(nodes: list[dict[str, Any]]) -> int:
    return sum(1 + _count(n.get("children", [])) for n in nodes)


# --- evaluation of the type suggestions -------------------------------------------------


@dataclass
class Score:
    """Hits of one pack's reports."""

    reports: int = 0
    top1: int = 0
    top3: int = 0
    misses: list[tuple[str, str, list[str]]] = field(default_factory=list)

    def pct(self, hits: int) -> str:
        return f"{100 * hits / self.reports:.1f} %" if self.reports else "-"


@dataclass(frozen=True)
class Labeled:
    """One report of an evaluation set, with the type it should get."""

    pack: str
    group: str  # the line of the results table it counts in
    type: str
    text: str


def eval_sets(path: Path | None) -> list[Labeled]:
    """The labeled reports of a file, or of every set shipped with Murphy."""
    if path is not None:
        texts = [path.read_text()]
    else:
        folder = resources.files("murphy.taxonomy").joinpath("eval")
        files = sorted((f for f in folder.iterdir() if f.name.endswith(".yaml")), key=_order)
        texts = [f.read_text() for f in files]
    return [report for text in texts for report in _parse_set(text)]


def _order(file: Any) -> tuple[bool, str]:
    return ("held" in file.name, file.name)


def _parse_set(text: str) -> list[Labeled]:
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or not isinstance(data.get("reports"), list):
        raise ValidationFailed(
            "an evaluation set is a mapping with `pack` (or `set`) and `reports`"
        )
    out = []
    for item in data["reports"]:
        if not isinstance(item, dict) or not item.get("type") or not item.get("title"):
            raise ValidationFailed(f"each report needs a `type` and a `title`: {item!r}")
        pack = str(item.get("pack") or data.get("pack") or "")
        group = f"{pack}, {data['set']}" if data.get("set") else pack
        body = f"{item['title']}\n{item.get('description') or ''}"
        out.append(Labeled(pack=pack, group=group, type=str(item["type"]), text=body))
    return out


def evaluate_model(model: suggest.Model, reports: Sequence[Labeled]) -> Score:
    """Top-1 and top-3 hits of `model` on `reports`."""
    score = Score()
    for report in reports:
        ranked = [s.code for s in model.rank(report.text, limit=3)]
        score.reports += 1
        score.top1 += ranked[:1] == [report.type]
        score.top3 += report.type in ranked
        if ranked[:1] != [report.type]:
            score.misses.append((report.type, report.text.strip(), ranked))
    return score


def evaluate_all(
    docs: Sequence[suggest.TypeDoc], reports: Sequence[Labeled], history: Sequence[tuple[int, str]]
) -> dict[str, tuple[Score, Score]]:
    """For each pack: the score with only that pack loaded, and with all packs loaded."""
    known = {d.code for d in docs}
    unknown = sorted({r.type for r in reports} - known)
    if unknown:
        raise ValidationFailed(f"the evaluation set names unknown types: {', '.join(unknown)}")
    everything = suggest.Model(docs, history)
    out: dict[str, tuple[Score, Score]] = {}
    models: dict[str, suggest.Model] = {}
    for group in dict.fromkeys(r.group for r in reports):
        mine = [r for r in reports if r.group == group]
        pack = mine[0].pack
        if pack not in models:
            models[pack] = suggest.Model([d for d in docs if d.pack == pack], history)
        out[group] = (evaluate_model(models[pack], mine), evaluate_model(everything, mine))
    return out


@contextmanager
def _scratch_database() -> Iterator[Database]:
    """A temporary SQLite database with the three shipped packs loaded."""
    with tempfile.TemporaryDirectory(prefix="murphy-eval-") as folder:
        db = Database(f"sqlite:///{folder}/eval.db", pool_size=1)
        plugins.install(db)
        migrations.upgrade(db)
        with db.transaction() as session:
            for pack in service.PACKS:
                service.load_pack(session, name=pack, actor="evaluate")
        try:
            yield db
        finally:
            db.dispose()


@taxonomy_app.command("evaluate")
def evaluate(
    file: Annotated[
        Path | None, typer.Argument(help="A labeled set (YAML); default: the shipped sets")
    ] = None,
    use_database: Annotated[
        bool,
        typer.Option("--use-database", help="Use MURPHY_DATABASE_URL's types and history"),
    ] = False,
    misses: Annotated[bool, typer.Option("--misses", help="List the reports missed")] = False,
) -> None:
    """Measure the type suggestions: top-1 and top-3 accuracy per pack and overall."""
    reports = eval_sets(file)
    if not reports:
        fail("the evaluation set is empty")
    if use_database:
        with migrated_database().transaction(write=False) as session:
            docs = suggest.documents(session)
            history = similar_incidents.classified(session)
        results = evaluate_all(docs, reports, history)
    else:
        with _scratch_database() as db, db.transaction(write=False) as session:
            results = evaluate_all(suggest.documents(session), reports, ())
    _print_results(results, misses)


def _print_results(results: dict[str, tuple[Score, Score]], misses: bool) -> None:
    table = Table(
        "set",
        "reports",
        "top-1",
        "top-3",
        "top-1 (all)",
        "top-3 (all)",
        title="Type suggestions (all: the three packs loaded together)",
    )
    totals: dict[str, tuple[Score, Score]] = {}
    for group, (own, every) in results.items():
        table.add_row(group, *_cells(own, every))
        name = "overall" + (f", {group.split(', ', 1)[1]}" if ", " in group else "")
        for total, part in zip(
            totals.setdefault(name, (Score(), Score())), (own, every), strict=True
        ):
            total.reports += part.reports
            total.top1 += part.top1
            total.top3 += part.top3
    for name, (own, every) in totals.items():
        table.add_row(name, *_cells(own, every), style="bold")
    console.print(table)
    if misses:
        for own, _ in results.values():
            for wanted, text, got in own.misses:
                console.print(
                    f"[red]{wanted}[/] → {', '.join(got) or 'nothing'}: {text!r}",
                    markup=True,
                    soft_wrap=True,
                )


def _cells(own: Score, every: Score) -> list[str]:
    return [
        str(own.reports),
        own.pct(own.top1),
        own.pct(own.top3),
        every.pct(every.top1),
        every.pct(every.top3),
    ]
