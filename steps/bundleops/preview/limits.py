"""How much Markdown each place takes, in UTF-8 bytes (a character limit is met by as many bytes).

| where | documented limit | bundleops uses |
|---|---|---|
| GitHub step summary ($GITHUB_STEP_SUMMARY) | 1 MiB per step | 1 MiB |
| GitHub issue/pull-request comment | 65,536 characters | 65,000 |
| GitLab merge-request note | 1,000,000 characters | 1,000,000 |
| Azure DevOps pull-request comment | none in its REST reference (150,000 kept) | 150,000 |
| Bitbucket pull-request comment | none documented (32 KiB kept) | 32,768 |
| Azure summary attachment, Jenkins and Bitbucket files, GitLab artifact | none (files) | 1 MiB, as GitHub |
"""

from __future__ import annotations

SUMMARY_BYTES = 1024 * 1024
SUMMARY_PLACES = {
    "github": "the GitHub step summary",
    "azure": "the Azure Pipelines summary attachment",
    "gitlab": "the summary file (a job artifact)",
    "jenkins": "the summary file (archived with the build)",
    "bitbucket": "the summary file (a step artifact)",
    "local": "the summary file",
}
COMMENT_BYTES = {"github": 65_000, "gitlab": 1_000_000, "azure": 150_000, "bitbucket": 32_768}
