.PHONY: run dev test test-sharded setup stop lint bench manage

run:   ## set up everything, provision acme and globex, serve them with gunicorn (DEBUG off)
	bash scripts/dev.sh run

dev:   ## the same with Django's runserver: DEBUG on, autoreload
	bash scripts/dev.sh dev

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

manage:  ## run a management command against the project's servers: make manage ARGS="check_integrity"
	bash scripts/dev.sh manage $(ARGS)
