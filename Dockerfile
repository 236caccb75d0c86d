FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY domain domain
COPY projections projections
COPY infra infra
COPY api api
RUN pip install --no-cache-dir .
ENV ZUMIK_HOST=0.0.0.0 ZUMIK_LOG_FORMAT=json
EXPOSE 8000
CMD ["zumik-support", "serve", "--no-worker"]
