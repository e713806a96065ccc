"""The steward's desk: a served web app (FastAPI, Jinja2, htmx) on the warehouse; `baocao desk` starts it."""
