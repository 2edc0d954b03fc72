# The bot service and the action server: our code on Python 3.11 (one image, two commands).
#   docker build -f deploy/Dockerfile.app -t patient-assistant-app .
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY requirements/bot.lock requirements/bot.lock
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements/bot.lock
COPY pyproject.toml alembic.ini domain.yml ./
COPY bot bot
# Demo data is for dev stacks only: not in the production image.
RUN rm -rf bot/demo
COPY actions actions
COPY channels channels
COPY rasa_sdk_plugins rasa_sdk_plugins
# Run from /app (uvicorn and `python -m` import the code here; domain.yml beside it).
RUN useradd --system --uid 10001 app && mkdir -p var && chown app var
USER app
EXPOSE 8000 5055
# The bot service; compose.yaml runs the action server from the same image
# (python -m actions.server --actions actions -p 5055).
CMD ["uvicorn", "--factory", "bot.main:create_app", "--host", "0.0.0.0", "--port", "8000", \
     "--no-access-log", "--proxy-headers"]
