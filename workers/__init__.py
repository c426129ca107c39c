"""The RQ side: job functions, the worker entry point and the cron configuration."""
