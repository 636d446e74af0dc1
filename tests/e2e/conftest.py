"""pytest's view of the end-to-end tests. A test that starts the agent loads
BPF probes and needs root and a kernel with BTF; it says so with the `bpf`
marker, and the marker is held to the truth both ways: a marked test that
starts no agent fails, and so does an unmarked one that starts it. Without
root or BTF the marked tests are skipped with the reason, on a developer's
machine; with SEALTAP_REQUIRE_BPF=1 (CI sets it) they fail instead."""
import os

import pytest

import harness


def bpf_problem():
    if os.geteuid() != 0:
        return "needs root (it loads BPF probes); run make test as root"
    if not os.path.exists("/sys/kernel/btf/vmlinux"):
        return "needs a kernel with BTF (/sys/kernel/btf/vmlinux)"
    return None


def pytest_configure(config):
    config.addinivalue_line("markers", "bpf: starts the agent, so needs root and BPF")


def pytest_runtest_setup(item):
    problem = bpf_problem()
    if problem and item.get_closest_marker("bpf"):
        if os.environ.get("SEALTAP_REQUIRE_BPF") == "1":
            pytest.fail("BPF required here (SEALTAP_REQUIRE_BPF=1) but this test " + problem, pytrace=False)
        pytest.skip(problem)


@pytest.fixture(autouse=True)
def bpf_marker_is_true(request):
    marked = request.node.get_closest_marker("bpf") is not None
    harness.BPF_ALLOWED = marked
    before = harness.AGENTS_STARTED
    yield
    harness.BPF_ALLOWED = None
    if marked and harness.AGENTS_STARTED == before:
        pytest.fail("marked bpf, but started no agent: drop the marker", pytrace=False)
