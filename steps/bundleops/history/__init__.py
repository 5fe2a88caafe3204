"""The deployment history of a shared target (staging, prod), kept in the workspace, and what it tells: DORA figures and rollbacks."""
