"""Running on many processes: fork safety, the Celery recipe under a real worker (issue 17)."""
