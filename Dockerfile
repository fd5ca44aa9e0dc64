# cotrader: the bot with its dependencies. docker-compose.yml runs it with PostgreSQL.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    COTRADER_HOME=/data
WORKDIR /app

RUN apt-get update && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*

COPY pyproject.toml README.md alembic.ini requirements.lock ./
RUN pip install -r requirements.lock
COPY bot ./bot
COPY agents ./agents
COPY services ./services
COPY brokers ./brokers
COPY models ./models
COPY prompts ./prompts
RUN pip install --no-deps .

RUN useradd --create-home cotrader && mkdir -p /data && chown cotrader /data
USER cotrader
VOLUME ["/data"]

# Schema first (idempotent), then the bot: Discord when DISCORD_TOKEN is set.
CMD ["sh", "-c", "cotrader db upgrade && cotrader run"]
