"""A job cluster on an instance pool drops what the pool decides, as the real CLI does before it shows or sends it.

Real CLI: bundle/config/mutator/resourcemutator/cluster_fixups.go (JobClustersFixups, copied
from the Terraform provider): for each task's and each job cluster's `new_cluster` with an
`instance_pool_id`, the node types go (`node_type_id`, `driver_node_type_id`: the pool sets them),
as do `enable_elastic_disk` and the cloud attributes but `aws_attributes.instance_profile_arn`
and `gcp_attributes.google_service_account`; without a pool, `driver_instance_pool_id` goes. So
`validate -o json` and the Jobs API request show no node type beside a pool (acceptance
resources/jobs/instance_pool_and_node_type). A job cluster without `autoscale` and without
workers gets an explicit `num_workers: 0` (acceptance variables/resolve-field-within-complex).
"""

from __future__ import annotations

from typing import Any

KEPT_ATTRIBUTES = {"aws_attributes": "instance_profile_arn", "azure_attributes": None, "gcp_attributes": "google_service_account"}
POOL_DECIDES = ("enable_elastic_disk", "node_type_id", "driver_node_type_id")


def on_instance_pool(cluster: dict[str, Any]) -> None:
    """ModifyRequestOnInstancePool, in place."""
    if not cluster.get("instance_pool_id"):
        cluster.pop("driver_instance_pool_id", None)
        return
    for block, kept in KEPT_ATTRIBUTES.items():
        if isinstance(cluster.get(block), dict):
            value = cluster[block].get(kept) if kept else None
            cluster[block] = {kept: value} if kept and value else {}
    for key in POOL_DECIDES:
        cluster.pop(key, None)


def _new_clusters(holders: Any) -> list[dict[str, Any]]:
    return [holder["new_cluster"] for holder in holders or [] if isinstance(holder, dict) and isinstance(holder.get("new_cluster"), dict)]


def apply(config: dict[str, Any]) -> None:
    for job in ((config.get("resources") or {}).get("jobs") or {}).values():
        if not isinstance(job, dict):
            continue
        for cluster in _new_clusters(job.get("tasks")):
            on_instance_pool(cluster)
        for cluster in _new_clusters(job.get("job_clusters")):
            on_instance_pool(cluster)
            if "autoscale" not in cluster and not cluster.get("num_workers"):
                cluster["num_workers"] = 0  # initializeNumWorkers: a job cluster without autoscale sends its 0
