# One image for every factcheck process: web (the default CMD), `factcheck worker`,
# `factcheck sweeper` and the one-shot `factcheck db upgrade` (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system --gid 10001 factcheck \
    && useradd --system --uid 10001 --gid factcheck --home-dir /app --shell /usr/sbin/nologin factcheck

WORKDIR /app

# Dependencies first, from pyproject alone, so that a code change does not reinstall them:
# a placeholder package lets `pip install .` resolve them, then it is removed again.
COPY pyproject.toml README.md ./
RUN mkdir factcheck && touch factcheck/__init__.py \
    && pip install . && pip uninstall --yes factcheck \
    && rm -rf factcheck build factcheck.egg-info

COPY factcheck/ factcheck/
RUN pip install --no-deps . && rm -rf build factcheck.egg-info

# The runtime also needs the Alembic scripts (`factcheck db upgrade`), wsgi.py and workers/.
# factcheck.migrate finds migrations/ next to the *imported* package, and the wheel does not
# ship them, so /app goes first on the path: the factcheck imported is /app/factcheck, beside
# /app/migrations (the installed copy provides the `factcheck` command and the metadata).
COPY migrations/ migrations/
COPY alembic.ini wsgi.py ./
COPY workers/ workers/
ENV PYTHONPATH=/app
RUN python -m compileall -q factcheck migrations workers wsgi.py \
    && mkdir instance && chown factcheck:factcheck instance \
    && mkdir -p /var/lib/factcheck/metrics && chown factcheck:factcheck /var/lib/factcheck/metrics

USER factcheck:factcheck
EXPOSE 8000

# Liveness of the web process; compose overrides it for worker and sweeper (no HTTP there).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

# gunicorn reads WEB_CONCURRENCY (processes) and GUNICORN_CMD_ARGS (options not given below);
# 2 gthread workers x 4 threads was the best measured setting on 2 cores (bench/README.md).
# No control socket: it would go to $HOME (/app), which this user cannot write.
ENV WEB_CONCURRENCY=2
# The config module sets JSON logging (access lines too) and Prometheus' multiprocess clean-up.
CMD ["gunicorn", "-c", "python:factcheck.gunicorn_config", "--bind", "0.0.0.0:8000", \
     "--worker-class", "gthread", "--threads", "4", "--worker-tmp-dir", "/dev/shm", \
     "--no-control-socket", "factcheck:create_app()"]
