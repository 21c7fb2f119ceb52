"""Wiring between objects of one render: Service -> pods, Ingress -> Service, HPA -> workload,
ServiceMonitor -> Service and the Prometheus release label.

A render that holds none of the things a reference points at (a Service-only or
Ingress-only fragment, whose counterparts are deployed by another target) is not checked
for that reference: a cross-object rule only speaks when the render can answer it.
"""

from __future__ import annotations

from typing import Iterator

from ..model import K8sObject, Violation, some
from . import template
from .lookup import effective_namespace, find, get_in, service_labels, service_ports, shown, unreadable_hint, workload_labels


def _ref(obj: K8sObject, ctx) -> str:
    ns = effective_namespace(obj, ctx)
    return f"{ns + '/' if ns else ''}{obj.name}"


def _selector_text(selector: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(selector.items(), key=lambda kv: str(kv[0])))


@template(scope="render", params={})
def service_selector(index, params: dict, ctx) -> Iterator[Violation]:
    """A Service's selector matches the pod-template labels of at least one workload."""
    pods = workload_labels(index, ctx)
    if not len(pods):
        return
    for svc in index.by_kind.get("Service", ()):
        if svc.api_version != "v1":
            continue
        spec = svc.data.get("spec")
        if not isinstance(spec, dict) or spec.get("type") == "ExternalName":
            continue
        selector = spec.get("selector")
        if not isinstance(selector, dict) or not selector:
            continue  # no selector: endpoints are managed by hand (or by a controller)
        ns = effective_namespace(svc, ctx)
        if pods.matches_any(selector, namespaces=None if ns is None else {ns}):
            continue
        near = sorted({w.name for w in pods.match({k: v for k, v in list(selector.items())[:1]}, namespaces=None if ns is None else {ns})})
        hint = f" (closest: {', '.join(near[:3])} share {next(iter(selector))}={next(iter(selector.values()))})" if near else ""
        yield Violation(
            f"{shown(svc, ctx)} selects pods with {_selector_text(selector)}, but no workload in this render has "
            f"those pod-template labels{hint}: the Service would have no endpoints{unreadable_hint(index)}",
            ("spec", "selector"),
            obj=svc,
        )


def _ingress_backends(ing: K8sObject) -> Iterator[tuple[tuple, str | None, object, tuple]]:
    """(path to the backend, service name, port (int or name), path to the port)."""
    spec = ing.data.get("spec")
    if not isinstance(spec, dict):
        return
    spots: list[tuple] = []
    for key in ("defaultBackend", "backend"):
        if isinstance(spec.get(key), dict):
            spots.append(("spec", key))
    rules = spec.get("rules")
    if isinstance(rules, list):
        for i, rule in enumerate(rules):
            paths = get_in(rule, "http", "paths")
            if isinstance(paths, list):
                for j, item in enumerate(paths):
                    if isinstance(get_in(item, "backend"), dict):
                        spots.append(("spec", "rules", i, "http", "paths", j, "backend"))
    for spot in spots:
        backend = get_in(ing.data, *spot)
        service = backend.get("service")
        if isinstance(service, dict):  # networking.k8s.io/v1
            port = service.get("port") if isinstance(service.get("port"), dict) else {}
            value = port.get("number", port.get("name"))
            port_key = "number" if "number" in port else "name"
            yield spot + ("service", "name"), service.get("name"), value, spot + ("service", "port", port_key)
        elif "serviceName" in backend:  # extensions/v1beta1, networking.k8s.io/v1beta1
            yield spot + ("serviceName",), backend.get("serviceName"), backend.get("servicePort"), spot + ("servicePort",)


def _port_matches(port: object, ports: list[dict]) -> bool:
    if port is None:
        return True
    if isinstance(port, int) or (isinstance(port, str) and port.isdigit()):
        return any(str(p.get("port")) == str(port) for p in ports)
    return any(p.get("name") == port for p in ports)


@template(scope="render", params={})
def ingress_backend(index, params: dict, ctx) -> Iterator[Violation]:
    """An Ingress backend names a Service in the render, with a port that Service exposes."""
    if not index.by_kind.get("Service"):
        return
    for ing in index.by_kind.get("Ingress", ()):
        ns = effective_namespace(ing, ctx)
        for name_path, name, port, port_path in _ingress_backends(ing):
            if not isinstance(name, str) or not name:
                continue
            services = find(index, ctx, "Service", name, ns)
            if not services:
                yield Violation(
                    f"Ingress {_ref(ing, ctx)} routes to Service '{name}', which is not in this render"
                    f"{' (namespace ' + ns + ')' if ns else ''}{unreadable_hint(index)}",
                    name_path, obj=ing, key=f"{name}",
                )
                continue
            ports = [p for svc in services for p in service_ports(svc)]
            if not _port_matches(port, ports):
                by_name = not (isinstance(port, int) or str(port).isdigit())
                offered = sorted({str(p.get("name")) for p in ports if p.get("name")} if by_name else {str(p.get("port")) for p in ports})
                yield Violation(
                    f"Ingress {_ref(ing, ctx)} routes to port {port!r} of Service '{name}', which exposes "
                    f"{'port names' if by_name else 'ports'} {some(offered) or 'none'}",
                    port_path, obj=ing, key=f"{name}:{port}",
                )


def _cpu_metric(hpa: K8sObject) -> tuple | None:
    """The path of the HPA's CPU-utilization target, if it scales on CPU utilization."""
    spec = hpa.data.get("spec")
    if not isinstance(spec, dict):
        return None
    if "targetCPUUtilizationPercentage" in spec:
        return ("spec", "targetCPUUtilizationPercentage")
    metrics = spec.get("metrics")
    if not isinstance(metrics, list):
        return None
    for position, metric in enumerate(metrics):
        for kind in ("resource", "containerResource"):
            resource = get_in(metric, kind)
            if not isinstance(resource, dict) or resource.get("name") != "cpu":
                continue
            target = resource.get("target")
            if (isinstance(target, dict) and target.get("type") == "Utilization") or "targetAverageUtilization" in resource:
                return ("spec", "metrics", position)
    return None


@template(scope="render", params={})
def hpa_target(index, params: dict, ctx) -> Iterator[Violation]:
    """An HPA's scaleTargetRef exists in the render; a CPU-utilization HPA's target sets CPU requests."""
    has_workloads = bool(len(workload_labels(index, ctx)))
    for hpa in index.by_kind.get("HorizontalPodAutoscaler", ()):
        ref = get_in(hpa.data, "spec", "scaleTargetRef")
        if not isinstance(ref, dict) or not isinstance(ref.get("name"), str) or not isinstance(ref.get("kind"), str):
            continue
        ns = effective_namespace(hpa, ctx)
        targets = find(index, ctx, ref["kind"], ref["name"], ns)
        hpa_name = f"HorizontalPodAutoscaler {ns + '/' if ns else ''}{hpa.name}"
        if not targets:
            if has_workloads:
                yield Violation(
                    f"{hpa_name} scales {ref['kind']} '{ref['name']}', which is not in this render{unreadable_hint(index)}",
                    ("spec", "scaleTargetRef", "name"), obj=hpa, key="target",
                )
            continue
        metric = _cpu_metric(hpa)
        if metric is None:
            continue
        workload = index.workload(targets[0])
        if workload is None:
            continue
        missing = [c.name for c in workload.iter_containers(("containers",))
                   if get_in(c.data, "resources", "requests", "cpu") in (None, "")]
        if missing:
            yield Violation(
                f"{hpa_name} scales {ref['kind']} '{ref['name']}' on CPU utilization, but container(s) "
                f"{some(missing, quote=True)} set no CPU request: utilization is a percentage of the request, "
                "so the HPA cannot compute it",
                metric, obj=hpa, key="cpu-request",
            )


@template(scope="render", params={
    "label": {"type": "string", "minLength": 1, "default": "release", "description": "The label Prometheus selects its rules and monitors by."},
    "release": {"type": "string", "minLength": 1, "default": "kube-prometheus-stack", "description": "Its value: the Prometheus release."},
})
def servicemonitor_wiring(index, params: dict, ctx) -> Iterator[Violation]:
    """ServiceMonitors and PrometheusRules carry the Prometheus release label; a ServiceMonitor
    selects a Service of the render and scrapes a port that Service names."""
    label = params["label"]
    release = params["release"]
    services = service_labels(index, ctx)
    for kind in ("ServiceMonitor", "PrometheusRule"):
        for obj in index.by_kind.get(kind, ()):
            if not obj.api_version.startswith("monitoring.coreos.com/"):
                continue
            labels = obj.labels()
            if labels.get(label) != release:
                have = f"has {label}={labels[label]}" if label in labels else f"has no '{label}' label"
                yield Violation(
                    f"{shown(obj, ctx)} {have}: the Prometheus of the '{release}' stack only selects objects labelled "
                    f"{label}: {release}, so it is silently ignored",
                    ("metadata", "labels") if labels else ("metadata",), obj=obj, key="label",
                )
            if kind != "ServiceMonitor" or not len(services):
                continue
            spec = obj.data.get("spec")
            if not isinstance(spec, dict):
                continue
            selector = spec.get("selector") if isinstance(spec.get("selector"), dict) else {}
            match_labels = selector.get("matchLabels") if isinstance(selector.get("matchLabels"), dict) else {}
            expressions = selector.get("matchExpressions") if isinstance(selector.get("matchExpressions"), list) else []
            ns_selector = spec.get("namespaceSelector") if isinstance(spec.get("namespaceSelector"), dict) else {}
            if ns_selector.get("any") is True:
                namespaces = None
            elif isinstance(ns_selector.get("matchNames"), list):
                namespaces = {str(n) for n in ns_selector["matchNames"]}
            else:
                own = effective_namespace(obj, ctx)
                namespaces = None if own is None else {own}
            matched = services.match(match_labels, expressions, namespaces)
            if not matched:
                shown_selector = _selector_text(match_labels) if match_labels else "its matchExpressions"
                yield Violation(
                    f"{shown(obj, ctx)} selects Services with {shown_selector}, but no Service in this render "
                    f"{'in namespace(s) ' + some(sorted(namespaces)) + ' ' if namespaces else ''}has those labels: nothing is scraped",
                    ("spec", "selector"), obj=obj, key="selector",
                )
                continue
            names = {p.get("name") for svc in matched for p in service_ports(svc)}
            endpoints = spec.get("endpoints")
            for position, endpoint in enumerate(endpoints if isinstance(endpoints, list) else []):
                port = endpoint.get("port") if isinstance(endpoint, dict) else None
                if isinstance(port, str) and port not in names:
                    offered = some(sorted(str(n) for n in names if n)) or "no named ports"
                    yield Violation(
                        f"{shown(obj, ctx)} scrapes port '{port}', but the Service(s) it selects "
                        f"({some(sorted(s.name for s in matched))}) name {offered}",
                        ("spec", "endpoints", position, "port"), obj=obj, key=f"port:{port}",
                    )
