"""Demo data, dev only: the demo back office (`python -m bot.demo.seed`), the synthetic
population for demo traffic (`--population N`) and the demo desk agents
(`python -m bot.demo.desk`). Synthetic people only.

On top of every other area (it writes back-office, outreach and desk rows); nothing in the
service imports it, and the production image leaves it out (deploy/Dockerfile.app)."""
