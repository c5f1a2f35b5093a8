.PHONY: run dev test setup stop lint bench manage

run:   ## set up everything, provision acme and globex, serve them with gunicorn (DEBUG off)
	bash scripts/dev.sh run

dev:   ## the same with Django's runserver: DEBUG on, autoreload
	bash scripts/dev.sh dev

test:  ## set up everything and run every test against real servers
	bash scripts/dev.sh test

setup:
	bash scripts/dev.sh setup

stop:  ## stop the private database servers under .local/
	bash scripts/dev.sh stop

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

manage:  ## run a management command against the project's servers: make manage ARGS="check_integrity"
	bash scripts/dev.sh manage $(ARGS)
