FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml ./
RUN pip install --no-cache-dir .
COPY . .
# Hashed, compressed static files for WhiteNoise (the key only lets settings load for this step).
RUN SECRET_KEY=build-step-only-collectstatic-key-never-used-at-runtime DEBUG=false \
    python manage.py collectstatic --noinput
RUN useradd --system --home /app portal && mkdir -p /var/lib/portal && chown portal /var/lib/portal
USER portal
EXPOSE 8000
ENV HOST=0.0.0.0 PORT=8000
CMD ["gunicorn", "-c", "portal/gunicorn_conf.py"]
