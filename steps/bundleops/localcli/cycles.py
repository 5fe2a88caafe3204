"""A loop of `${resources.<type>.<key>.id}` references between resources, found and worded as the real CLI does.

`bundle validate` accepts such a loop (acceptance resource_deps/loop_jobs, loop_self); the
real CLI's direct engine finds it when it plans: bundle/direct/graph.go makes a graph of the plan
(its resource keys sorted, an edge from each dependency to the resource that refers to it,
labelled with the reference) and libs/dagrun/dagrun.go `DetectCycle` walks it depth first, in
that order, and words the first loop it meets. `bundle plan` and `bundle deploy` then fail with it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

# resource key -> its `depends_on` entries (`{"node": "resources.jobs.bar", "label": "${resources.jobs.bar.id}"}`)
Dependencies = Mapping[str, Sequence[Mapping[str, str]]]


def _edges(dependencies: Dependencies) -> dict[str, list[tuple[str, str]]]:
    edges: dict[str, list[tuple[str, str]]] = {key: [] for key in sorted(dependencies)}
    for key in sorted(dependencies):
        for dependency in dependencies[key]:
            if dependency["node"] in edges:
                edges[dependency["node"]].append((key, dependency["label"]))
    return edges


def _wording(nodes: list[str], labels: list[str]) -> str:
    """dagrun's CycleError: `a refers to itself via L`, or `b refers to a via L1 which refers to b via L2`."""
    if len(nodes) == 1:
        return f"cycle detected: {nodes[0]} refers to itself via {labels[0]}"
    parts = [f"{nodes[number]} refers to {nodes[number - 1]} via {labels[number - 1]}" for number in range(1, len(nodes))]
    return f"cycle detected: {' '.join(parts)} which refers to {nodes[-1]} via {labels[-1]}"


def find(dependencies: Dependencies) -> str | None:
    """The real CLI's message for the first loop, or None when the resources form no loop."""
    edges = _edges(dependencies)
    state: dict[str, str] = {}  # "open" while on the walk's path, "done" once all it leads to is walked
    for root in edges:
        if root in state:
            continue
        state[root] = "open"
        path: list[tuple[str, str, int]] = [(root, "", 0)]  # node, label of the edge into it, next edge
        while path:
            node, into, following = path[-1]
            if following == len(edges[node]):
                state[node] = "done"
                path.pop()
                continue
            path[-1] = (node, into, following + 1)
            target, label = edges[node][following]
            if target not in state:
                state[target] = "open"
                path.append((target, label, 0))
            elif state[target] == "open":
                start = next(number for number in range(len(path) - 1, -1, -1) if path[number][0] == target)
                loop = path[start:]
                # As dagrun: the labels into each node of the loop that has one (also into its first
                # node, when the walk came to the loop from outside it), then the closing edge's.
                return _wording([step[0] for step in loop], [step[1] for step in loop if step[1]] + [label])
    return None
