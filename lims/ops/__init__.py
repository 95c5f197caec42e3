"""Operations: health and readiness, request logs and metrics, backup and restore, file checks, daily upkeep."""
