"""The deployment files, checked with what runs offline: the Kubernetes
manifests and the Helm chart (rendered here by a small interpreter of the
template constructs it uses) parse and hold what the agent needs (host PID,
exactly the capabilities it keeps, BTF and state mounts, a read-only root),
the agent configuration they ship passes `sealtap-agent --check-config`, the
collector's arguments are flags it has; the systemd units pass
`systemd-analyze verify`; each Dockerfile's runtime stage installs the
Debian package of every shared library its binary links."""
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile

import yaml

from harness import AGENT, BUILD, check

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEPLOY = os.path.join(ROOT, "deploy")
COLLECTOR = os.path.join(BUILD, "sealtap-collector")


def kept_capabilities():
    """The capabilities agent/ops/privileges.c keeps, as Kubernetes names them."""
    src = open(os.path.join(ROOT, "agent", "ops", "privileges.c")).read()
    m = re.search(r"static const int kept\[\] = \{([^}]*)\}", src)
    return sorted(c.strip()[len("CAP_"):] for c in m.group(1).split(","))


def docs_of(text):
    return [d for d in yaml.safe_load_all(text) if d]


def by_kind(docs, kind):
    found = [d for d in docs if d["kind"] == kind]
    check(len(found) == 1, "one %s: %d" % (kind, len(found)))
    return found[0]


def check_agent(docs, where):
    ds = by_kind(docs, "DaemonSet")
    pod = ds["spec"]["template"]["spec"]
    c = pod["containers"][0]
    sc = c["securityContext"]
    check(pod["hostPID"] is True and pod["automountServiceAccountToken"] is False, "%s: host PID, no token" % where)
    check(sorted(sc["capabilities"]["add"]) == kept_capabilities() and sc["capabilities"]["drop"] == ["ALL"],
          "%s: capabilities %s, the agent keeps %s" % (where, sc["capabilities"], kept_capabilities()))
    check(sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False, "%s: root fs" % where)
    mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
    vols = {v["name"]: v for v in pod["volumes"]}
    check(vols[mounts["/sys/kernel/btf"]]["hostPath"]["path"] == "/sys/kernel/btf", "%s: BTF mount" % where)
    check("hostPath" in vols[mounts["/var/lib/sealtap"]], "%s: the spool and keys on the host" % where)
    check(c["args"][:2] == ["--config", "/etc/sealtap/agent.yaml"] and
          vols[mounts["/etc/sealtap/agent.yaml"]]["configMap"]["name"] == "sealtap-agent", "%s: config" % where)
    cm = next(d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "sealtap-agent")
    # the fleet's fingerprint key: a file from a Secret (subPath, no symlink), named by the configuration
    fpk = next(m for m in c["volumeMounts"] if m["mountPath"] == "/etc/sealtap/fingerprint.key")
    check(fpk.get("subPath") == "key" and "secret" in vols[fpk["name"]] and
          "fingerprint_key: /etc/sealtap/fingerprint.key" in cm["data"]["agent.yaml"],
          "%s: the fingerprint key mount: %s" % (where, fpk))
    tmp = tempfile.mkdtemp(prefix="sealtap-deploy-")
    try:
        path = os.path.join(tmp, "agent.yaml")
        with open(path, "w") as f:
            f.write(cm["data"]["agent.yaml"])
        os.chmod(path, 0o600)
        p = subprocess.run([AGENT, "--check-config", path], capture_output=True, timeout=60)
        check(p.returncode == 0, "%s: the shipped agent.yaml: %s" % (where, (p.stdout + p.stderr).decode()))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check_collector(docs, where):
    dep = by_kind(docs, "Deployment")
    c = dep["spec"]["template"]["spec"]["containers"][0]
    usage = subprocess.run([COLLECTOR, "--help"], capture_output=True, timeout=10).stdout.decode()
    for a in c["args"]:
        if a.startswith("--"):
            check(a in usage, "%s: collector flag %s is not in its usage" % (where, a))
    check(c["securityContext"]["readOnlyRootFilesystem"] is True and
          dep["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True, "%s: collector runs unprivileged" % where)
    svc = by_kind(docs, "Service")
    ports = {p["name"] for p in c["ports"]}
    check(all(p["targetPort"] in ports for p in svc["spec"]["ports"]), "%s: service ports" % where)
    np = by_kind(docs, "NetworkPolicy")
    froms = np["spec"]["ingress"][0]["from"]
    check({"podSelector": {"matchLabels": {"app.kubernetes.io/name": "sealtap-agent"}}} in froms,
          "%s: agents may reach the collector" % where)


def test_kubernetes_manifests():
    docs = []
    for path in sorted(glob.glob(os.path.join(DEPLOY, "kubernetes", "*.yaml"))):
        for d in docs_of(open(path).read()):
            check(d.get("apiVersion") and d.get("kind") and d["metadata"].get("name"), "%s: incomplete" % path)
            check(d["kind"] == "Namespace" or d["metadata"].get("namespace") == "sealtap", "%s: namespace" % path)
            docs.append(d)
    check_agent(docs, "deploy/kubernetes")
    check_collector(docs, "deploy/kubernetes")


# ---- Helm: the template constructs the chart uses, rendered as Helm would ----

def lookup(values, expr):
    expr = expr.strip()
    if expr.startswith(".Values."):
        v = values
        for part in expr[len(".Values."):].split("."):
            v = v[part]
        return v
    raise ValueError("unsupported expression %r" % expr)


def to_yaml(v):
    return yaml.safe_dump(v, default_flow_style=False, sort_keys=True).rstrip("\n")


def pipeline(values, text, dot=None):
    parts = [p.strip() for p in text.split("|")]
    head = parts[0]
    if head == ".":
        v = dot
    elif head.startswith("toYaml "):
        v = to_yaml(lookup(values, head[7:]))
    elif head.startswith("toJson "):
        v = json.dumps(lookup(values, head[7:]))
    else:
        v = lookup(values, head)
    for f in parts[1:]:
        if f.startswith("indent "):
            n = int(f.split()[1])
            v = "\n".join(" " * n + line for line in str(v).split("\n"))
        elif f == "quote":
            v = json.dumps(str(v))
        elif f == "sha256sum":
            v = hashlib.sha256(str(v).encode()).hexdigest()
        else:
            raise ValueError("unsupported function %r" % f)
    return str(v)


def render(template, values):
    # {{- trims the whitespace before, as in Go templates.
    template = re.sub(r"\s*\{\{-", "{{", template)
    out, pos = [], 0
    tokens = list(re.finditer(r"\{\{(.*?)\}\}", template, re.S))

    def block(i, dot):
        res = []
        nonlocal_pos = tokens[i - 1].end() if i else 0
        while i < len(tokens):
            t = tokens[i]
            res.append(template[nonlocal_pos:t.start()])
            body = t.group(1).strip()
            if body.startswith("if "):
                cond = bool(lookup(values, body[3:]))
                then, i = block(i + 1, dot)
                other = ""
                if tokens[i - 1].group(1).strip() == "else":
                    other, i = block(i, dot)
                res.append(then if cond else other)
                nonlocal_pos = tokens[i - 1].end()
                continue
            if body.startswith("range "):
                items = lookup(values, body[6:])
                j0 = i + 1
                parts = []
                for item in items:
                    part, j = block(j0, item)
                    parts.append(part)
                if not items:
                    _, j = block(j0, None)
                res.append("".join(parts))
                i = j
                nonlocal_pos = tokens[i - 1].end()
                continue
            if body in ("end", "else"):
                return "".join(res), i + 1
            res.append(pipeline(values, body, dot))
            nonlocal_pos = t.end()
            i += 1
        res.append(template[nonlocal_pos:])
        return "".join(res), i

    text, _ = block(0, None)
    return text


def test_helm_chart_renders_to_what_the_agent_needs():
    chart = os.path.join(DEPLOY, "helm", "sealtap")
    meta = yaml.safe_load(open(os.path.join(chart, "Chart.yaml")))
    check(meta["apiVersion"] == "v2" and meta["name"] == "sealtap" and meta["version"], "Chart.yaml")
    values = yaml.safe_load(open(os.path.join(chart, "values.yaml")))
    for privileged in (False, True):
        values["agent"]["privileged"] = privileged
        docs = []
        for path in sorted(glob.glob(os.path.join(chart, "templates", "*.yaml"))):
            docs += docs_of(render(open(path).read(), values))
        if privileged:
            sc = by_kind(docs, "DaemonSet")["spec"]["template"]["spec"]["containers"][0]["securityContext"]
            check(sc.get("privileged") is True and "capabilities" not in sc, "privileged fallback: %s" % sc)
        else:
            check_agent(docs, "helm")
        check_collector(docs, "helm")
    values["collector"]["allow"] = ["ab" * 32]
    allow = next(d for d in docs_of(render(open(os.path.join(chart, "templates", "collector.yaml")).read(), values))
                 if d["kind"] == "ConfigMap")
    check(allow["data"]["allow"].split("\n")[1].strip() == "ab" * 32, "allow list rendered: %r" % allow["data"])


def test_systemd_units_verify():
    tmp = tempfile.mkdtemp(prefix="sealtap-units-")
    try:
        for unit in ("sealtap-agent.service", "sealtap-collector.service"):
            text = open(os.path.join(DEPLOY, "systemd", unit)).read().replace("/usr/local/bin/", BUILD + "/")
            with open(os.path.join(tmp, unit), "w") as f:
                f.write(text)
            p = subprocess.run(["systemd-analyze", "verify", os.path.join(tmp, unit)], capture_output=True,
                               timeout=60)
            out = (p.stdout + p.stderr).decode()
            own = [l for l in out.splitlines() if unit in l]
            check(p.returncode == 0 and not own, "systemd-analyze verify %s: %s" % (unit, out))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_dockerfiles_install_every_linked_library():
    for binary in ("sealtap-agent", "sealtap-collector"):
        docker = open(os.path.join(DEPLOY, "docker", binary.split("-")[1] + ".Dockerfile")).read()
        runtime = docker.split("FROM debian:bookworm-slim", 1)[1]
        ldd = subprocess.run(["ldd", os.path.join(BUILD, binary)], capture_output=True, timeout=30).stdout.decode()
        # Only what the binary links directly must be named; the rest comes as dependencies.
        needed = subprocess.run(["objdump", "-p", os.path.join(BUILD, binary)], capture_output=True,
                                timeout=30).stdout.decode()
        for line in ldd.splitlines():
            m = re.match(r"\s*(\S+) => (\S+)", line)
            if not m or m.group(1).startswith(("libc.so", "libm.so", "ld-linux", "libpthread", "libdl", "libresolv",
                                               "librt", "libgcc_s", "libstdc++",
                                               "libasan", "libubsan", "liblsan")):  # (sanitizer builds)
                continue
            if "NEEDED               %s" % m.group(1) not in needed:
                continue
            # (dpkg knows /lib or /usr/lib, whichever the package shipped: match the file's own name.)
            owner = subprocess.run(["dpkg", "-S", "*/" + os.path.basename(os.path.realpath(m.group(2)))],
                                   capture_output=True, timeout=30)
            pkg = owner.stdout.decode().split(":")[0]
            check(pkg and re.search(r"\b%s\b" % re.escape(pkg), runtime),
                  "%s links %s (package %s), which its Dockerfile does not install" % (binary, m.group(1), pkg))
