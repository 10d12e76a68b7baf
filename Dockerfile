# ClassGuard: runs `classguard run` (Telegram polling/webhooks, the WhatsApp web app,
# the outbox worker and the weekly digest). CPU only.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    DATABASE_URL=sqlite:////data/classguard.db

RUN useradd --create-home --uid 10001 classguard && mkdir /data && chown classguard /data
WORKDIR /app

# The CPU build of torch first: anything that depends on torch must find it installed,
# or pip pulls a multi-GB CUDA build.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0

COPY pyproject.toml README.md ./
COPY bot bot
COPY moderation moderation
COPY classifiers classifiers
COPY storage storage
COPY config config
RUN pip install .

USER classguard
VOLUME ["/data"]
EXPOSE 8080
# Mount the school's config at /config/school.yaml; secrets come from the environment.
CMD ["classguard", "run", "--config", "/config/school.yaml", "--port", "8080"]
