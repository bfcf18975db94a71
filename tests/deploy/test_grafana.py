"""The Grafana dashboard and the Prometheus config only name metrics the code exports."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from api.core import metrics

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
METRIC = re.compile(r"\bqm_[a-z_]+\b")
# Gauges built at scrape time by api.core.metrics.StateCollector.
STATE_GAUGES = {"qm_plan_queue_depth", "qm_worker_last_seen_timestamp_seconds"}


def _exported() -> set[str]:
    names = set(STATE_GAUGES)
    for collector in (metrics.http_requests_total, metrics.http_request_duration_seconds,
                      metrics.plan_solve_duration_seconds, metrics.webhook_failures_total):
        for family in collector.collect():
            names |= {sample.name for sample in family.samples}
            names.add(family.name)
            if family.type == "counter":  # the family drops the suffix its samples carry
                names.add(f"{family.name}_total")
    return names


def test_dashboard_uses_exported_metrics() -> None:
    dash = json.loads((DEPLOY / "grafana" / "quartermaster.json").read_text())
    exprs = [t["expr"] for p in dash["panels"] for t in p["targets"]]
    used = {m for e in exprs for m in METRIC.findall(e)}
    assert used, "the dashboard queries no qm_ metric"
    # Labelled histograms have no samples until observed: add their suffixes by name.
    known = _exported() | {f"{h}_{s}" for h in ("qm_http_request_duration_seconds",
                                                "qm_plan_solve_duration_seconds")
                           for s in ("bucket", "count", "sum")}
    assert used <= known, f"unknown metrics in the dashboard: {sorted(used - known)}"
    # Every exported family has a panel.
    for family in ("qm_http_requests_total", "qm_http_request_duration_seconds_bucket",
                   "qm_plan_queue_depth", "qm_plan_solve_duration_seconds_bucket",
                   "qm_worker_last_seen_timestamp_seconds", "qm_webhook_failures_total"):
        assert family in used, family


def test_prometheus_scrapes_api_with_the_token_and_workers() -> None:
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    jobs = {j["job_name"]: j for j in config["scrape_configs"]}
    api = jobs["quartermaster-api"]
    assert api["metrics_path"] == "/metrics"
    assert api["authorization"]["credentials_file"] == "/tmp/metrics-token"
    assert jobs["quartermaster-worker"]["dns_sd_configs"][0]["port"] == 9100
