# The two commands of the README's quick start.
.PHONY: demo test lint

demo:
	./scripts/setup.sh
	HF_HUB_OFFLINE=1 .venv/bin/classguard demo

test:
	./scripts/setup.sh dev
	.venv/bin/ruff check .
	.venv/bin/mypy
	HF_HUB_OFFLINE=1 .venv/bin/pytest -q

lint:
	.venv/bin/ruff check .
	.venv/bin/mypy
