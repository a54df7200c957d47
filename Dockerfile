# Production image: slim, non-root, no writable application files.
FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /srv/regie
COPY requirements.lock pyproject.toml README.md alembic.ini ./
RUN pip install --requirement requirements.lock
COPY app ./app
COPY migrations ./migrations
COPY policies ./policies
RUN pip install --no-deps . && useradd --system --uid 10001 regie
USER regie
ENV REGIE_ENV=production REGIE_DATA_DIR=/tmp/regie
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health/ready').status != 200)"
CMD ["sh", "-c", "regie migrate && regie serve --host 0.0.0.0 --port 8000"]
