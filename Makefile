.PHONY: run test test-sharded setup stop lint bench

run:   ## set up everything, provision acme and globex, serve on :8000
	bash scripts/dev.sh run

test:  ## set up everything and run every test against real servers, then again sharded
	bash scripts/dev.sh test
	bash scripts/dev.sh test-sharded

test-sharded:  ## the suites again, with contracts sharded by tenant over MariaDB Spider
	bash scripts/dev.sh test-sharded

setup:
	bash scripts/dev.sh setup

stop:  ## stop the private database servers under .local/
	bash scripts/dev.sh stop

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .
