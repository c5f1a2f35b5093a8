#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_config.settings")
    # Commands run long statements (migrations, integrity checks over every
    # contract): not the request timeouts of the web server.
    os.environ.setdefault("CONTRACTS_READ_TIMEOUT", "3600")
    os.environ.setdefault("CONTRACTS_WRITE_TIMEOUT", "3600")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
