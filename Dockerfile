FROM python:3.13-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc pkg-config libmariadb-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# Hashed, compressed static files, built into the image. The production settings
# refuse to load without a strong SECRET_KEY: a throwaway one, used for nothing else.
RUN SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(64))')" \
    DJANGO_SETTINGS_MODULE=site_config.settings_production \
    python manage.py collectstatic --noinput -v 0
# Runs as an unprivileged user; .local/ holds the generated secret (a volume).
RUN useradd --system --no-create-home --uid 10001 contrata \
 && mkdir -p /app/.local && chown contrata /app/.local
USER contrata
ENV DJANGO_SETTINGS_MODULE=site_config.settings_production
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
ENTRYPOINT ["scripts/docker-entrypoint.sh"]
CMD ["gunicorn", "-c", "site_config/gunicorn.conf.py"]
