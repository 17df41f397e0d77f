# Production image of D3: gunicorn for the web, the same image for worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
# WeasyPrint's system libraries (Pango) and fonts for the PDFs.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
    libharfbuzz-subset0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements/lock.txt requirements/lock.txt
RUN pip install --require-hashes -r requirements/lock.txt
COPY . .
RUN DJANGO_SECRET_KEY=build-only python manage.py collectstatic --no-input \
 && useradd --system --uid 1000 d3 && mkdir -p /app/var && chown d3 /app/var
USER d3
EXPOSE 8000
CMD ["gunicorn", "d3.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
