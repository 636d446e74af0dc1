"""The code's structure, checked: no two modules of agent/, proto/ and
collector/ include each other, directly or round a loop (a module is a .c
file with its header). The one-way order between the agent's stages is
enforced by the build itself (each stage's include path, Makefile); this
catches a loop inside a stage, or between the programs' own modules."""
import glob
import os
import re

from harness import ROOT, check

# A header that is another module's private half: store_backend.h is what
# store.c dispatches to and the backends implement (the ops-table pattern).
PART_OF = {"store_backend": "store"}


def module_graph():
    files = [f for d in ("agent", "proto", "collector")
             for f in glob.glob(os.path.join(ROOT, d, "**", "*.[ch]"), recursive=True)]
    modules = {}
    for f in files:
        name = os.path.splitext(os.path.basename(f))[0]
        modules.setdefault(PART_OF.get(name, name), []).append(f)
    graph = {}
    for name, paths in modules.items():
        deps = set()
        for p in paths:
            with open(p) as fh:
                for inc in re.findall(r'^#include "([^"/]+)\.h"', fh.read(), re.M):
                    inc = PART_OF.get(inc, inc)
                    if inc != name and inc in modules:
                        deps.add(inc)
        graph[name] = deps
    return graph


def cycles(graph):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_module_includes_round_a_loop():
    graph = module_graph()
    check(len(graph) > 60, "found only %d modules" % len(graph))
    check(cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]], "the check itself")
    found = cycles(graph)
    check(not found, "modules that include each other round a loop: %s" % found)
