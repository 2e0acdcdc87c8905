"""Draw a workflow definition as Mermaid or Graphviz DOT text, with the current state marked."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from workflows.engine import WorkflowDefinition


def _edges(definition: WorkflowDefinition, guards: bool = True,
           names: Mapping[str, str] | None = None) -> dict[tuple[str, str], list[str]]:
    """Group triggers by (source, dest), with guards in brackets (unless ``guards`` is false: a picture small
    enough for a page), so parallel edges stay readable. ``names`` words the triggers (a page's language)."""
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for spec in definition.transitions:
        conditions = [g.name for g in spec.guards] + [f"not {g.name}" for g in spec.unless] if guards else []
        label = (names or {}).get(spec.trigger, spec.trigger) + (f" [{', '.join(conditions)}]" if conditions else "")
        if label not in edges[(spec.source, spec.dest)]:
            edges[(spec.source, spec.dest)].append(label)
    return edges


def step_map(definition: WorkflowDefinition) -> list[tuple[str, list[tuple[str, str]]]]:
    """Each state with the (trigger, destination) pairs leaving it, in definition order: a diagram as a list."""
    moves: dict[str, list[tuple[str, str]]] = {str(state): [] for state in definition.states}
    for spec in definition.transitions:
        move = (spec.trigger, str(spec.dest))
        if move not in moves[str(spec.source)]:
            moves[str(spec.source)].append(move)
    return list(moves.items())


def mermaid(definition: WorkflowDefinition, current: str | None = None) -> str:
    lines = ["stateDiagram-v2", f"    [*] --> {definition.initial}"]
    for (source, dest), labels in _edges(definition).items():
        lines.append(f"    {source} --> {dest}: {' / '.join(labels)}")
    lines += [f"    {state} --> [*]" for state in definition.final_states]
    if current is not None:
        lines += ["    classDef current fill:#ffd966,stroke:#7f6000,stroke-width:3px",
                  f"    class {current} current"]
    return "\n".join(lines) + "\n"


def _quoted(text: str) -> str:
    """Text inside a DOT double-quoted string."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def dot(definition: WorkflowDefinition, current: str | None = None, *, guards: bool = True,
        names: Mapping[str, str] | None = None, rankdir: str = "LR", extra: Sequence[str] = ()) -> str:
    """Graphviz DOT source; the current state filled and bold, final states with a double border. ``names``
    gives the words shown for states and triggers (codes by default); the nodes keep the codes as their ids.
    ``rankdir`` and ``extra`` statements (fonts...) shape the picture."""
    names = names or {}
    lines = [f'digraph "{definition.name}" {{', f"    rankdir={rankdir};", "    node [shape=box, style=rounded];",
             *(f"    {statement}" for statement in extra)]
    for state in definition.states:
        marks = ', style="rounded,filled,bold", fillcolor="#ffd966"' if state == current else ""
        peripheries = ", peripheries=2" if state in definition.final_states else ""
        lines.append(f'    "{state}" [label="{_quoted(names.get(state, state))}"{marks}{peripheries}];')
    for (source, dest), labels in _edges(definition, guards, names).items():
        text = "\\n".join(_quoted(label) for label in labels)
        lines.append(f'    "{source}" -> "{dest}" [label="{text}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"
