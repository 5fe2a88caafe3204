"""A job cluster on an instance pool drops what the pool decides, as the real CLI does before it shows or sends it.

Real CLI: bundle/config/mutator/resourcemutator/cluster_fixups.go (JobClustersFixups, copied
from the Terraform provider): for each task's and each job cluster's `new_cluster` with an
`instance_pool_id`, the node types go (`node_type_id`, `driver_node_type_id`: the pool sets them),
as do `enable_elastic_disk` and the cloud attributes but `aws_attributes.instance_profile_arn`
and `gcp_attributes.google_service_account`; without a pool, `driver_instance_pool_id` goes. So
`validate -o json` and the Jobs API request show no node type beside a pool (acceptance
resources/jobs/instance_pool_and_node_type).
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


def apply(config: dict[str, Any]) -> None:
    for job in ((config.get("resources") or {}).get("jobs") or {}).values():
        if not isinstance(job, dict):
            continue
        holders = [*(job.get("tasks") or []), *(job.get("job_clusters") or [])]
        for holder in holders:
            if isinstance(holder, dict) and isinstance(holder.get("new_cluster"), dict):
                on_instance_pool(holder["new_cluster"])
